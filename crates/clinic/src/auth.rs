//! Accounts, sessions and devices, all in the database (the server keeps no state of its own).
//!
//! - Passwords: argon2id (the local web app's [`dosewise_web::Login`]), checked on a small
//!   pool of hashing threads; a wrong password and an unknown email take the same time and
//!   give the same answer.
//! - Sessions: random 256-bit tokens; only their SHA-256 is stored, so a copy of the database
//!   opens no session. Sent as an HttpOnly, SameSite=Strict cookie (`Secure` behind TLS) or as
//!   `Authorization: Bearer`. A session ends after [`IDLE`] without a request or [`ABSOLUTE`]
//!   after it began. A request signed in by cookie that changes anything must carry the
//!   session's CSRF token in `X-CSRF-Token`.
//! - Login back-off: after [`FREE_ATTEMPTS`] failures for an account or from an address, each
//!   further attempt waits twice as long as the last (up to [`MAX_WAIT_SECS`]), answered 429.
//! - Devices: a patient's device holds a random token from `dosewise share connect`; it may
//!   sync and revoke, nothing else.

use crate::{Actor, Clinic, ClinicError, Result, Role, pg};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use dosewise_core::jiff::SignedDuration;
use sha2::{Digest, Sha256};

pub use dosewise_web::session::{ABSOLUTE, IDLE};

/// The session cookie's name.
pub const COOKIE: &str = "dosewise_clinic";
/// Failures allowed before the back-off starts.
pub const FREE_ATTEMPTS: i32 = 5;
/// The longest wait between attempts.
pub const MAX_WAIT_SECS: u64 = 900;
/// The shortest password accepted for staff.
pub const MIN_PASSWORD: usize = 12;

/// SHA-256 of a token, in hex: what the database keeps.
pub fn digest(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random token (256 bits, hex).
pub fn token() -> Result<String> {
    dosewise_app::token::random().map_err(|e| ClinicError::Db(e.to_string()))
}

pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ClinicError::Input(format!(
            "a password needs at least {MIN_PASSWORD} characters (a few random words work well)"
        )));
    }
    dosewise_web::Login::new(password)
        .map(|l| l.phc().to_string())
        .map_err(ClinicError::Input)
}

/// An email address as stored: trimmed, lower-case, and plausibly an address.
pub fn email(s: &str) -> Result<String> {
    let e = s.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.starts_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(e)
    } else {
        Err(ClinicError::Input(format!(
            "{:?} is not an email address",
            s.trim()
        )))
    }
}

/// A signed-in staff member or patient (a session).
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub csrf: String,
    /// Signed in by cookie (then changes need the CSRF token) rather than a bearer token.
    pub by_cookie: bool,
}

/// A patient's device (a device token).
#[derive(Debug, Clone)]
pub struct Device {
    pub actor: Actor,
    pub device: i64,
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Where a request came from: the connection's address (a proxy in front sets its own).
pub fn address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

impl FromRequestParts<Clinic> for Session {
    type Rejection = crate::api::ApiError;
    async fn from_request_parts(parts: &mut Parts, st: &Clinic) -> Result<Self, Self::Rejection> {
        let (token, by_cookie) = match bearer(&parts.headers) {
            Some(t) => (t.to_string(), false),
            None => match dosewise_web::security::cookie(&parts.headers, COOKIE) {
                Some(t) => (t.to_string(), true),
                None => return Err(ClinicError::Unauthorized.into()),
            },
        };
        // A browser says when a request comes from another site; a cookie never acts for one.
        let cross_site = parts
            .headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "cross-site");
        if by_cookie && cross_site {
            return Err(ClinicError::Input("cross-site requests are refused".into()).into());
        }
        let s = st.session(&token, address(parts)).await?;
        let changes = !matches!(parts.method, Method::GET | Method::HEAD);
        if by_cookie && changes {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !dosewise_app::token::same(sent, &s.csrf) {
                return Err(ClinicError::Input(
                    "this request lacks the session's CSRF token (X-CSRF-Token)".into(),
                )
                .into());
            }
        }
        Ok(Session { by_cookie, ..s })
    }
}

impl FromRequestParts<Clinic> for Device {
    type Rejection = crate::api::ApiError;
    async fn from_request_parts(parts: &mut Parts, st: &Clinic) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or(ClinicError::Unauthorized)?;
        let c = st.client().await?;
        let row = c
            .query_opt(
                "SELECT d.id, d.clinic_id, d.patient_id FROM device d JOIN account a ON a.id = d.patient_id
                 WHERE d.token_hash = $1 AND a.disabled_at IS NULL",
                &[&digest(token)],
            )
            .await
            .map_err(pg)?
            .ok_or(ClinicError::Unauthorized)?;
        let patient: i64 = row.get(2);
        Ok(Device {
            device: row.get(0),
            actor: Actor {
                clinic: row.get(1),
                account: Some(patient),
                role: Role::Patient,
                patient: Some(patient),
                address: address(parts),
            },
        })
    }
}

impl Clinic {
    /// The live session a token opens, its last use moved to now.
    pub(crate) async fn session(&self, token: &str, address: String) -> Result<Session> {
        let now = self.now();
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT s.began, s.seen, s.csrf, a.id, a.clinic_id, a.role FROM session s
                 JOIN account a ON a.id = s.account_id
                 WHERE s.token_hash = $1 AND a.disabled_at IS NULL",
                &[&digest(token)],
            )
            .await
            .map_err(pg)?
            .ok_or(ClinicError::Unauthorized)?;
        let ts = crate::ts;
        let (began, seen) = (ts(row.get(0)), ts(row.get(1)));
        if now.duration_since(seen) > IDLE || now.duration_since(began) > ABSOLUTE {
            c.execute(
                "DELETE FROM session WHERE token_hash = $1",
                &[&digest(token)],
            )
            .await
            .map_err(pg)?;
            return Err(ClinicError::Unauthorized);
        }
        c.execute(
            "UPDATE session SET seen = $2 WHERE token_hash = $1",
            &[&digest(token), &now.as_microsecond()],
        )
        .await
        .map_err(pg)?;
        let role = Role::parse(row.get::<_, &str>(5)).ok_or(ClinicError::Unauthorized)?;
        let account: i64 = row.get(3);
        Ok(Session {
            actor: Actor {
                clinic: row.get(4),
                account: Some(account),
                role,
                patient: (role == Role::Patient).then_some(account),
                address,
            },
            csrf: row.get(2),
            by_cookie: false,
        })
    }

    /// Seconds to wait before another attempt is checked, if the back-off holds one of these
    /// keys.
    async fn waiting(&self, keys: &[String]) -> Result<Option<u64>> {
        let c = self.client().await?;
        let now = self.now().as_microsecond();
        let mut wait = None;
        for k in keys {
            if let Some(r) = c
                .query_opt(
                    "SELECT failures, last_at FROM login_failure WHERE key = $1",
                    &[k],
                )
                .await
                .map_err(pg)?
            {
                let (n, last): (i32, i64) = (r.get(0), r.get(1));
                if n >= FREE_ATTEMPTS {
                    let secs = backoff(n);
                    let until = last + i64::try_from(secs).unwrap_or(0) * 1_000_000;
                    if now < until {
                        let left = u64::try_from((until - now) / 1_000_000 + 1).unwrap_or(1);
                        wait = Some(wait.map_or(left, |w: u64| w.max(left)));
                    }
                }
            }
        }
        Ok(wait)
    }

    /// Sign in with email and password: a new session's token and CSRF token.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        address: &str,
    ) -> Result<(String, String, Role)> {
        let email = email.trim().to_lowercase();
        let keys = [format!("account:{email}"), format!("address:{address}")];
        if let Some(secs) = self.waiting(&keys).await? {
            return Err(ClinicError::TooMany(secs));
        }
        if password.len() > dosewise_web::session::MAX_PASSPHRASE {
            return Err(ClinicError::Input("that password is too long".into()));
        }
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT id, password, role FROM account
                 WHERE email = $1 AND disabled_at IS NULL AND password IS NOT NULL",
                &[&email],
            )
            .await
            .map_err(pg)?;
        // An unknown email is checked against a stand-in hash, so it takes as long.
        let phc = row
            .as_ref()
            .map(|r| r.get::<_, String>(1))
            .unwrap_or_else(|| STAND_IN.to_string());
        let login = dosewise_web::Login::from_phc(&phc).map_err(ClinicError::Db)?;
        let ok = self
            .hashers
            .verify(login, password.to_string())
            .await
            .unwrap_or(false)
            && row.is_some();
        let now = self.now().as_microsecond();
        if !ok {
            for k in &keys {
                c.execute(
                    "INSERT INTO login_failure (key, failures, last_at) VALUES ($1, 1, $2)
                     ON CONFLICT (key) DO UPDATE SET failures = login_failure.failures + 1, last_at = $2",
                    &[k, &now],
                )
                .await
                .map_err(pg)?;
            }
            return Err(ClinicError::Input("wrong email or password".into()));
        }
        let row = row.ok_or(ClinicError::Unauthorized)?;
        for k in &keys {
            c.execute("DELETE FROM login_failure WHERE key = $1", &[k])
                .await
                .map_err(pg)?;
        }
        let (token, csrf) = (token()?, token()?);
        let id: i64 = row.get(0);
        c.execute(
            "INSERT INTO session (token_hash, account_id, csrf, began, seen) VALUES ($1, $2, $3, $4, $4)",
            &[&digest(&token), &id, &csrf, &now],
        )
        .await
        .map_err(pg)?;
        let role = Role::parse(row.get::<_, &str>(2)).ok_or(ClinicError::Unauthorized)?;
        Ok((token, csrf, role))
    }

    /// End a session.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let c = self.client().await?;
        c.execute(
            "DELETE FROM session WHERE token_hash = $1",
            &[&digest(token)],
        )
        .await
        .map_err(pg)?;
        Ok(())
    }
}

/// The wait after `n` failures: 1 s after the fifth, doubling, at most [`MAX_WAIT_SECS`].
pub fn backoff(n: i32) -> u64 {
    let over = u32::try_from(n - FREE_ATTEMPTS).unwrap_or(0).min(20);
    (1u64 << over).min(MAX_WAIT_SECS)
}

/// An argon2id hash of a random password nobody knows (for unknown emails).
const STAND_IN: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3RhbmQtaW4tc2FsdA$0PrqIMDRDmMm2gzKTB/RGnVb0LDOUPlvFKxH9ZWw5Oc";

/// How long a session may go unused, in the form the cookie states it.
pub fn cookie_max_age() -> i64 {
    SignedDuration::as_secs(&ABSOLUTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_to_a_ceiling() {
        assert_eq!(backoff(5), 1);
        assert_eq!(backoff(6), 2);
        assert_eq!(backoff(9), 16);
        assert_eq!(backoff(40), MAX_WAIT_SECS);
    }

    #[test]
    fn emails_and_digests() {
        assert_eq!(
            email(" Dr.K@Clinic.Example ").ok().as_deref(),
            Some("dr.k@clinic.example")
        );
        assert!(email("no-at-sign").is_err() && email("a@b").is_err() && email("a b@c.d").is_err());
        assert_eq!(digest("x").len(), 64);
        assert_ne!(digest("x"), digest("y"));
        assert!(dosewise_web::Login::from_phc(STAND_IN).is_ok());
    }
}
