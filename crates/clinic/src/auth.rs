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
//! - Second factor: every clinician and admin signs in with a TOTP code as well (see
//!   [`crate::totp`]). A staff session without one (a new account, or after a password reset)
//!   may only set it up ([`ENROL_PATHS`]); everything else answers 403 until it is confirmed.
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

/// The pattern an email address must fit (the OpenAPI document states the same): a local part
/// of letters, digits and `._%+'-`, an `@`, and a domain of dot-separated labels of letters,
/// digits and hyphens. Surrounding spaces are dropped; letters are stored lower-case.
pub const EMAIL_PATTERN: &str = "^ *[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+ *$";

/// An email address as stored: trimmed of spaces, lower-case, fitting [`EMAIL_PATTERN`].
pub fn email(s: &str) -> Result<String> {
    let e = s.trim_matches(' ').to_ascii_lowercase();
    let local_ok = |u: &str| {
        !u.is_empty()
            && u.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._%+'-".contains(&b))
    };
    let domain_ok = |h: &str| {
        let labels: Vec<&str> = h.split('.').collect();
        labels.len() >= 2
            && labels
                .iter()
                .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    let ok = e.len() <= 254
        && e.split_once('@')
            .is_some_and(|(user, host)| local_ok(user) && domain_ok(host));
    if ok {
        Ok(e)
    } else {
        Err(ClinicError::Input(format!(
            "{:?} is not an email address (name@example.org)",
            s.trim()
        )))
    }
}

/// What a staff session without its second factor may reach: setting it up, who it is, and
/// signing out (the pages and the API).
pub const ENROL_PATHS: &[&str] = &[
    "/api/v1/me",
    "/api/v1/logout",
    "/api/v1/totp/setup",
    "/api/v1/totp/confirm",
    "/second-factor",
    "/logout",
];

/// A signed-in staff member or patient (a session).
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub csrf: String,
    /// Signed in by cookie (then changes need the CSRF token) rather than a bearer token.
    pub by_cookie: bool,
    /// Passed the second factor (always for a patient, who has none).
    pub second_factor: bool,
    /// The stored form of the session's token.
    pub(crate) key: String,
}

/// A new session: its token and CSRF token, and whether it still has to set up the second
/// factor.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub csrf: String,
    pub role: Role,
    pub second_factor: bool,
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
pub fn address(extensions: &axum::http::Extensions) -> String {
    extensions
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
        let s = st.session(&token, address(&parts.extensions)).await?;
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
        if !s.second_factor && !ENROL_PATHS.contains(&parts.uri.path()) {
            return Err(ClinicError::SecondFactor.into());
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
                "SELECT d.id, d.clinic_id, d.patient_id FROM device_token t
                 JOIN device d ON d.patient_id = t.patient_id AND d.id = t.device_id
                 JOIN account a ON a.id = d.patient_id
                 WHERE t.token_hash = $1 AND a.disabled_at IS NULL",
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
                address: address(&parts.extensions),
            },
        })
    }
}

impl Clinic {
    /// Whose a token is — a live session's account or a device's patient — without using it
    /// (the session's last use is not moved): to file a refused request under its author.
    pub(crate) async fn whose(&self, token: &str, address: String) -> Option<Actor> {
        let c = self.client().await.ok()?;
        let h = digest(token);
        if let Ok(Some(r)) = c
            .query_opt(
                "SELECT a.id, a.clinic_id, a.role FROM session s JOIN account a ON a.id = s.account_id
                 WHERE s.token_hash = $1",
                &[&h],
            )
            .await
        {
            let role = Role::parse(r.get(2))?;
            let id: i64 = r.get(0);
            return Some(Actor {
                clinic: r.get(1),
                account: Some(id),
                role,
                patient: (role == Role::Patient).then_some(id),
                address,
            });
        }
        let r = c
            .query_opt(
                "SELECT d.patient_id, d.clinic_id FROM device_token t
                 JOIN device d ON d.patient_id = t.patient_id AND d.id = t.device_id
                 WHERE t.token_hash = $1",
                &[&h],
            )
            .await
            .ok()??;
        let patient: i64 = r.get(0);
        Some(Actor {
            clinic: r.get(1),
            account: Some(patient),
            role: Role::Patient,
            patient: Some(patient),
            address,
        })
    }

    /// The live session a token opens, its last use moved to now.
    pub(crate) async fn session(&self, token: &str, address: String) -> Result<Session> {
        let now = self.now();
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT s.began, s.seen, s.csrf, a.id, a.clinic_id, a.role, s.second_factor FROM session s
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
            second_factor: role == Role::Patient || row.get::<_, bool>(6),
            key: digest(token),
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

    /// Count a failed attempt against each key.
    async fn failed(&self, c: &deadpool_postgres::Client, keys: &[String]) -> Result<()> {
        let now = self.now().as_microsecond();
        for k in keys {
            c.execute(
                "INSERT INTO login_failure (key, failures, last_at) VALUES ($1, 1, $2)
                 ON CONFLICT (key) DO UPDATE SET failures = login_failure.failures + 1, last_at = $2",
                &[k, &now],
            )
            .await
            .map_err(pg)?;
        }
        Ok(())
    }

    /// The TOTP step the server's clock is in.
    pub fn totp_step(&self) -> i64 {
        crate::totp::step_of(self.now().as_second())
    }

    /// Sign in with email, password and (once it is set up) the code from the authenticator
    /// app: a new session. A wrong password, a missing or wrong code and a code used before all
    /// count towards the back-off.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
        address: &str,
    ) -> Result<SignedIn> {
        // Something that is not an email address (a NUL byte, say, which the database would
        // refuse) is no account's: it gets the wrong-password answer, in the same time, and
        // counts against the address only.
        let email = self::email(email).unwrap_or_default();
        let keys: Vec<String> = [
            (!email.is_empty()).then(|| format!("account:{email}")),
            Some(format!("address:{address}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if let Some(secs) = self.waiting(&keys).await? {
            return Err(ClinicError::TooMany(secs));
        }
        if password.len() > dosewise_web::session::MAX_PASSPHRASE {
            return Err(ClinicError::Input("that password is too long".into()));
        }
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT id, password, role, totp_secret, totp_step, clinic_id FROM account
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
            .unwrap_or(false);
        // A refused sign-in to an account is an audit line in its clinic (an unknown email has
        // no clinic; both count towards the back-off, and attempts held off by it are not
        // checked, so not written either).
        let role = row.as_ref().and_then(|r| Role::parse(r.get::<_, &str>(2)));
        let refused = |why: &'static str| {
            let row = row.as_ref();
            let c = &c;
            async move {
                if let (Some(r), Some(role)) = (row, role) {
                    let actor = Actor {
                        clinic: r.get(5),
                        account: Some(r.get(0)),
                        role,
                        patient: None,
                        address: address.to_string(),
                    };
                    self.audit(c, &actor, "sign-in refused", None, why).await?;
                }
                Ok::<(), ClinicError>(())
            }
        };
        if !ok {
            refused("wrong password").await?;
        }
        let row = match &row {
            Some(r) if ok => r,
            _ => {
                self.failed(&c, &keys).await?;
                return Err(ClinicError::Input("wrong email or password".into()));
            }
        };
        let id: i64 = row.get(0);
        let secret: Option<String> = row.get(3);
        let second_factor = match secret {
            None => false,
            Some(secret) => {
                let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
                    refused("no second-factor code").await?;
                    self.failed(&c, &keys).await?;
                    return Err(ClinicError::Input(
                        "this account signs in with the 6-digit code from its authenticator app as well".into(),
                    ));
                };
                let bytes = crate::totp::unbase32(&secret).ok_or_else(|| {
                    ClinicError::Db(format!("account {id}: a broken TOTP secret"))
                })?;
                let step = crate::totp::verify(&bytes, code, self.totp_step(), row.get(4));
                // Spending the step in the same statement that checks it: two sign-ins racing
                // with one code cannot both win.
                let spent = match step {
                    Some(step) => {
                        c.execute(
                            "UPDATE account SET totp_step = $2
                             WHERE id = $1 AND (totp_step IS NULL OR totp_step < $2)",
                            &[&id, &step],
                        )
                        .await
                        .map_err(pg)?
                            == 1
                    }
                    None => false,
                };
                if !spent {
                    refused("a wrong, expired or used second-factor code").await?;
                    self.failed(&c, &keys).await?;
                    return Err(ClinicError::Input(
                        "that code is wrong, expired or already used; enter the code your authenticator app shows now".into(),
                    ));
                }
                true
            }
        };
        for k in &keys {
            c.execute("DELETE FROM login_failure WHERE key = $1", &[k])
                .await
                .map_err(pg)?;
        }
        let (token, csrf) = (token()?, token()?);
        let now = self.now().as_microsecond();
        c.execute(
            "INSERT INTO session (token_hash, account_id, csrf, began, seen, second_factor)
             VALUES ($1, $2, $3, $4, $4, $5)",
            &[&digest(&token), &id, &csrf, &now, &second_factor],
        )
        .await
        .map_err(pg)?;
        let role = role.ok_or(ClinicError::Unauthorized)?;
        Ok(SignedIn {
            token,
            csrf,
            role,
            second_factor,
        })
    }

    /// Start setting up the second factor: a new secret, kept aside until a code from it
    /// confirms it. Returns the secret (base32) and the `otpauth://` address for the app.
    pub async fn totp_setup(&self, s: &Session) -> Result<(String, String)> {
        crate::staff::staff_only(s)?;
        let secret = crate::totp::new_secret()?;
        let c = self.client().await?;
        let row = c
            .query_one(
                "UPDATE account a SET totp_pending = $2 FROM clinic c
                 WHERE a.id = $1 AND c.id = a.clinic_id RETURNING a.email, c.name",
                &[&s.actor.account, &secret],
            )
            .await
            .map_err(pg)?;
        let email: Option<String> = row.get(0);
        let uri = crate::totp::uri(&secret, row.get(1), email.as_deref().unwrap_or(""));
        Ok((secret, uri))
    }

    /// Confirm the second factor with a code from the secret being set up: it becomes the
    /// account's, and this session has passed it. Audited.
    pub async fn totp_confirm(&self, s: &Session, code: &str) -> Result<()> {
        crate::staff::staff_only(s)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let pending: Option<String> = tx
            .query_one(
                "SELECT totp_pending FROM account WHERE id = $1 FOR UPDATE",
                &[&s.actor.account],
            )
            .await
            .map_err(pg)?
            .get(0);
        let pending = pending.ok_or_else(|| {
            ClinicError::Input(
                "start with POST /api/v1/totp/setup: there is no secret to confirm".into(),
            )
        })?;
        let bytes = crate::totp::unbase32(&pending)
            .ok_or_else(|| ClinicError::Db("a broken pending TOTP secret".into()))?;
        let step = crate::totp::verify(&bytes, code, self.totp_step(), None).ok_or_else(|| {
            ClinicError::Input(
                "that code does not match; check the app's clock and enter the code it shows now"
                    .into(),
            )
        })?;
        tx.execute(
            "UPDATE account SET totp_secret = totp_pending, totp_pending = NULL, totp_step = $2 WHERE id = $1",
            &[&s.actor.account, &step],
        )
        .await
        .map_err(pg)?;
        tx.execute(
            "UPDATE session SET second_factor = true WHERE token_hash = $1",
            &[&s.key],
        )
        .await
        .map_err(pg)?;
        self.audit(&tx, &s.actor, "second-factor", None, "TOTP set up")
            .await?;
        tx.commit().await.map_err(pg)
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
        for bad in [
            "no-at-sign",
            "a@b",
            "a b@c.d",
            "a@b@c.d",
            "a@b.",
            "a@.b",
            "\u{1}a@b.c",
            "ä@b.c",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert_eq!(
            email("o'neil+k@sub.clinic-1.example").ok().as_deref(),
            Some("o'neil+k@sub.clinic-1.example")
        );
        assert_eq!(digest("x").len(), 64);
        assert_ne!(digest("x"), digest("y"));
        assert!(dosewise_web::Login::from_phc(STAND_IN).is_ok());
    }
}
