//! `dosewise clinic`: run the clinic server (on PostgreSQL), and set one up.

use crate::context::Ctx;
use crate::error::{CliResult, input};
use crate::output;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Set up a clinic in an empty PostgreSQL database: the clinic and its first admin.
    Init(InitArgs),
    /// Serve the clinic's API (stateless: run as many as you like behind a load balancer).
    #[command(
        after_help = "Serves plain HTTP: put it behind a TLS proxy (nginx, Caddy) on the same host, or \
reach it over a VPN. Patients' devices refuse plain HTTP to anything but this computer. Back up the \
database with pg_dump; sessions, devices and the audit log are all in it."
    )]
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The PostgreSQL database (postgres://user@host:port/db); its schema is created.
    #[arg(long, env = "DOSEWISE_CLINIC_DATABASE")]
    database: String,
    /// The clinic's name, as patients will see it.
    #[arg(long)]
    clinic: String,
    /// The first admin's email (they sign in with it).
    #[arg(long)]
    admin_email: String,
    /// The first admin's name.
    #[arg(long)]
    admin_name: String,
    /// A file holding the admin's password (at least 12 characters); otherwise asked twice.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The PostgreSQL database (postgres://user@host:port/db).
    #[arg(long, env = "DOSEWISE_CLINIC_DATABASE")]
    database: String,
    /// A streaming replica of the database for the heavy reads (the caseload, patients'
    /// journals and reports); writes and audit lines go to --database. Down: reads go there too.
    #[arg(long, value_name = "URL", env = "DOSEWISE_CLINIC_READ_DATABASE")]
    read_database: Option<String>,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8790")]
    bind: SocketAddr,
    /// Mark cookies Secure: set this when a TLS proxy is in front (nginx, Caddy).
    #[arg(long, conflicts_with = "tls_cert")]
    behind_tls: bool,
    /// Serve HTTPS itself: the certificate chain (PEM). With --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The certificate's private key (PEM). With --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
}

impl Command {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        match self {
            Command::Init(a) => {
                let password =
                    crate::secrets::new_key(a.password_file.as_deref(), "the admin's password")?;
                let clinic = dosewise_clinic::Clinic::open(&a.database)
                    .await
                    .map_err(clinic_error)?;
                let id = clinic
                    .init(&a.clinic, &a.admin_email, &a.admin_name, password.expose())
                    .await
                    .map_err(clinic_error)?;
                if ctx.json {
                    return output::json(
                        &serde_json::json!({ "clinic": id, "admin": a.admin_email }),
                    );
                }
                crate::outln!(
                    "Set up {} with its first admin, {}. Start the server with `dosewise clinic serve --database …`; the admin signs in (POST /api/v1/login) and invites clinicians.",
                    a.clinic.trim(),
                    a.admin_email.trim()
                );
                Ok(())
            }
            Command::Serve(a) => {
                // The certificate first: a wrong file is said before anything else happens.
                let tls = match (&a.tls_cert, &a.tls_key) {
                    (Some(cert), Some(key)) => {
                        Some(dosewise_clinic::tls::config(cert, key).map_err(clinic_error)?)
                    }
                    _ => None,
                };
                let mut clinic = dosewise_clinic::Clinic::open(&a.database)
                    .await
                    .map_err(clinic_error)?;
                clinic.secure = a.behind_tls || tls.is_some();
                if let Some(url) = &a.read_database {
                    clinic = clinic.with_replica(url).map_err(clinic_error)?;
                }
                if let Ok(s) = std::env::var("DOSEWISE_NOW")
                    && !s.is_empty()
                {
                    clinic.clock = Some(ctx.now);
                }
                let listener = tokio::net::TcpListener::bind(a.bind)
                    .await
                    .map_err(|e| input(format!("cannot listen on {}: {e}", a.bind)))?;
                let addr = listener.local_addr()?;
                let scheme = if tls.is_some() { "https" } else { "http" };
                eprintln!("Dosewise clinic server at {scheme}://{addr}/ — Ctrl-C to stop.");
                match tls {
                    Some(config) => tokio::select! {
                        r = dosewise_clinic::tls::serve(clinic, listener, config) => r?,
                        _ = super::serve::stopped() => {}
                    },
                    None => tokio::select! {
                        r = dosewise_clinic::api::serve(clinic, listener) => r?,
                        _ = super::serve::stopped() => {}
                    },
                }
                Ok(())
            }
        }
    }
}

pub fn clinic_error(e: dosewise_clinic::ClinicError) -> crate::error::CliError {
    match e {
        dosewise_clinic::ClinicError::Db(m) => crate::error::CliError::Runtime(anyhow::anyhow!(m)),
        other => input(other.to_string()),
    }
}
