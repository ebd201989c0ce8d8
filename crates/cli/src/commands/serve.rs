//! `dosewise serve`: the local web app over this journal, at the same time as the CLI.

use crate::context::Ctx;
use crate::error::{CliError, CliResult, input};
use dosewise_web::{AppState, Clock, Config, Login};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Loopback (127.0.0.1) by default: only programs on this computer can connect, and \
only with this run's access key, printed in the address shown at start and written to web-key in your \
home (readable by your account only), so other accounts on the computer cannot open your journal. \
To use it from a phone, prefer an SSH tunnel or a VPN you control to this computer; if you must listen \
on your network, set a login first (`dosewise serve --set-login`) and pass --allow-remote (and \
--allow-host for each name you will type in the browser): the traffic is plain HTTP, readable by \
anyone on that network."
)]
pub struct Args {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    bind: SocketAddr,
    /// Listen on an address other than loopback (needs a login set with --set-login).
    #[arg(long)]
    allow_remote: bool,
    /// With --allow-remote: a host name (or name:port) the browser will use to reach this
    /// server, besides its bind address and loopback; repeat for several. Any other name in the
    /// Host header is refused (DNS rebinding).
    #[arg(long = "allow-host", value_name = "NAME", requires = "allow_remote")]
    allow_hosts: Vec<String>,
    /// Set (or replace) the login passphrase for --allow-remote, then exit. Asked twice on a
    /// terminal, or read from --login-passphrase-file.
    #[arg(long)]
    set_login: bool,
    /// File holding the new login passphrase (for --set-login in scripts).
    #[arg(long, value_name = "FILE", requires = "set_login")]
    login_passphrase_file: Option<PathBuf>,
    /// The Chromium, Chrome or Edge used to print PDF reports; default: found on PATH or where
    /// they install on macOS and Windows.
    #[arg(long, env = "DOSEWISE_CHROMIUM", value_name = "PATH")]
    chromium: Option<PathBuf>,
}

fn set_login(ctx: &Ctx, file: Option<&std::path::Path>) -> CliResult {
    let p = crate::secrets::new_key(file, "the web login")?;
    let login = Login::new(p.expose()).map_err(input)?;
    crate::context::create_private_dir(&ctx.home)?;
    super::export::write_private(
        &dosewise_web::login::path(&ctx.home),
        format!("{}\n", login.phc()).as_bytes(),
        true,
    )?;
    eprintln!(
        "Login set (stored as an argon2id hash in {}). Start with `dosewise serve --bind ADDR --allow-remote`; a server already running uses the new passphrase at once and ends every session.",
        dosewise_web::login::path(&ctx.home).display()
    );
    Ok(())
}

/// Ctrl-C or SIGTERM.
pub(crate) async fn stopped() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! { () = ctrl_c => {}, () = term => {} }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

impl Args {
    pub async fn run(self, ctx: &Ctx) -> CliResult {
        if self.set_login {
            return set_login(ctx, self.login_passphrase_file.as_deref());
        }
        let loopback = self.bind.ip().is_loopback();
        let login = Login::load(&ctx.home).map_err(input)?;
        if !loopback && !self.allow_remote {
            return Err(input(format!(
                "{} is not a loopback address: anyone who can reach it could read your journal. Pass --allow-remote (with a login set by `dosewise serve --set-login`) if you mean it",
                self.bind
            )));
        }
        if !loopback && login.is_none() {
            return Err(input(
                "listening beyond loopback needs a login: set one with `dosewise serve --set-login` first",
            ));
        }
        // Unlock once (the prompt or the passphrase file); the key is not kept after opening.
        // Without a journal yet, a new (plain) one is made, and the browser sets it up: the
        // person who never opens a terminal starts here. `dosewise init --encrypt` first makes
        // an encrypted one instead.
        let fresh = ctx.no_journal_yet();
        let journal = if fresh {
            ctx.open_or_create().await?
        } else {
            ctx.open().await?
        };

        let listener = tokio::net::TcpListener::bind(self.bind)
            .await
            .map_err(|e| input(format!("cannot listen on {}: {e}", self.bind)))?;
        let addr = listener.local_addr()?;
        let port = addr.port();
        let mut hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ];
        if !loopback {
            // The bind address itself (unless it is the wildcard, which no browser types) and
            // the names given; each with and without the port.
            if !addr.ip().is_unspecified() {
                hosts.push(addr.to_string());
            }
            for h in &self.allow_hosts {
                let h = h.trim();
                if h.is_empty() || h.contains(['/', ' ', '@']) {
                    return Err(input(format!(
                        "--allow-host {h:?}: give a host name or address, e.g. dosewise.lan or 192.168.1.20"
                    )));
                }
                hosts.push(if h.contains(':') && !h.starts_with('[') {
                    h.to_string()
                } else {
                    format!("{h}:{port}")
                });
                if port == 80 {
                    hosts.push(h.to_string());
                }
            }
        }
        // This run's access key, readable only by this account (0600 in the 0700 home).
        let key = dosewise_web::session::new_key();
        let key_path = dosewise_web::session::key_path(&ctx.home);
        super::export::write_private(&key_path, format!("{key}\n").as_bytes(), true)?;
        let clock = match std::env::var("DOSEWISE_NOW") {
            Ok(s) if !s.is_empty() => Clock::Fixed(ctx.now),
            _ => Clock::System,
        };
        let config = Config {
            home: ctx.home.clone(),
            clock,
            zone: ctx.tz_flag().map(str::to_string),
            hosts,
            // Only away from loopback; on loopback the access key is the credential.
            login: if loopback { None } else { login },
            key: key.clone(),
            chromium: self.chromium.clone(),
        };
        let state = AppState::new(journal.take(), config);
        let shown = if loopback {
            format!("http://127.0.0.1:{port}/?key={key}")
        } else {
            format!(
                "http://{addr}/ (login required; on this computer also http://127.0.0.1:{port}/?key={key})"
            )
        };
        eprintln!(
            "Dosewise is serving {} at {shown} — Ctrl-C to stop.",
            ctx.home.display()
        );
        if fresh {
            eprintln!(
                "There was no journal there, so a new one was made: open the address to set it up."
            );
        }
        let served = dosewise_web::serve(listener, state.clone(), stopped()).await;
        // The key is for this run only.
        let _ = std::fs::remove_file(&key_path);
        served.map_err(|e| CliError::Runtime(anyhow::anyhow!("the server stopped: {e}")))?;
        if let Some(store) = state.into_store() {
            let _ = store.close().await;
        }
        eprintln!("Stopped.");
        Ok(())
    }
}
