//! Staff accounts: invites, the admin's list of staff, password resets, the second factor's
//! setup and signing out — shared by the JSON API and the pages.

use crate::auth::{Session, digest, token};
use crate::{Clinic, ClinicError, Result, Role, pg, ts};
use dosewise_core::jiff::Timestamp;
use serde::Serialize;

/// How long a password reset code lasts.
pub const RESET_HOURS: i64 = 24;

pub(crate) fn staff_only(s: &Session) -> Result<()> {
    if matches!(s.actor.role, Role::Clinician | Role::Admin) {
        Ok(())
    } else {
        Err(ClinicError::NotFound)
    }
}

pub(crate) fn admin_only(s: &Session) -> Result<()> {
    if s.actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ClinicError::NotFound)
    }
}

/// A member of staff as their admin sees them (never a password or secret).
#[derive(Debug, Clone, Serialize)]
pub struct StaffRow {
    pub account: i64,
    pub role: String,
    pub email: Option<String>,
    pub name: String,
    pub second_factor: bool,
    pub disabled: bool,
}

impl Clinic {
    /// A new invite code: a clinician invites patients (to share with them), an admin invites
    /// staff. Lasts `days` (1 to 30).
    pub async fn invite(&self, s: &Session, role: Role, days: i64) -> Result<(String, Timestamp)> {
        let allowed = match s.actor.role {
            Role::Clinician => role == Role::Patient,
            Role::Admin => matches!(role, Role::Clinician | Role::Admin),
            _ => false,
        };
        if !allowed {
            return Err(ClinicError::NotFound);
        }
        if !(1..=30).contains(&days) {
            return Err(ClinicError::Input("an invite lasts 1 to 30 days".into()));
        }
        let code = token()?;
        let now = self.now().as_microsecond();
        let expires = now + days * 86_400_000_000;
        let clinician = (role == Role::Patient).then_some(s.actor.account).flatten();
        let mut c = self.client().await?;
        let tx = self.begin(&mut c, &s.actor).await?;
        tx.execute(
            "INSERT INTO invite (code_hash, clinic_id, role, clinician_id, created_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&digest(&code), &s.actor.clinic, &role.as_str(), &clinician, &s.actor.account, &now, &expires],
        )
        .await
        .map_err(pg)?;
        self.audit(
            &tx,
            &s.actor,
            "invite",
            None,
            &format!("an invite for a {}", role.as_str()),
        )
        .await?;
        tx.commit().await.map_err(pg)?;
        Ok((code, ts(expires)))
    }

    /// The clinic's staff, for its admin.
    pub async fn staff(&self, s: &Session) -> Result<Vec<StaffRow>> {
        admin_only(s)?;
        let mut c = self.client().await?;
        let tx = self.begin(&mut c, &s.actor).await?;
        let rows = tx
            .query(
                "SELECT id, role, email, name, totp_secret IS NOT NULL, disabled_at IS NOT NULL FROM account
                 WHERE clinic_id = $1 AND role IN ('clinician', 'admin') ORDER BY name, id",
                &[&s.actor.clinic],
            )
            .await
            .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| StaffRow {
                account: r.get(0),
                role: r.get(1),
                email: r.get(2),
                name: r.get(3),
                second_factor: r.get(4),
                disabled: r.get(5),
            })
            .collect())
    }

    /// An admin resets a staff member's password without seeing it: a one-time code (valid
    /// [`RESET_HOURS`]) the staff member uses to choose a new one. Their sessions end now.
    pub async fn reset_password(&self, s: &Session, id: i64) -> Result<(String, Timestamp)> {
        admin_only(s)?;
        let now = self.now().as_microsecond();
        let expires = now + RESET_HOURS * 3_600_000_000;
        let code = token()?;
        let mut c = self.client().await?;
        let tx = self.begin(&mut c, &s.actor).await?;
        tx.query_opt(
            "SELECT 1 FROM account WHERE id = $1 AND clinic_id = $2 AND role IN ('clinician', 'admin')",
            &[&id, &s.actor.clinic],
        )
        .await
        .map_err(pg)?
        .ok_or(ClinicError::NotFound)?;
        tx.execute(
            "INSERT INTO password_reset (code_hash, account_id, clinic_id, created_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&digest(&code), &id, &s.actor.clinic, &s.actor.account, &now, &expires],
        )
        .await
        .map_err(pg)?;
        tx.execute("DELETE FROM session WHERE account_id = $1", &[&id])
            .await
            .map_err(pg)?;
        self.audit(
            &tx,
            &s.actor,
            "reset",
            None,
            &format!("password reset for account {id}"),
        )
        .await?;
        tx.commit().await.map_err(pg)?;
        Ok((code, ts(expires)))
    }

    /// The secret being set up (to show it again after a wrong code).
    pub async fn totp_pending(&self, s: &Session) -> Result<(String, String)> {
        staff_only(s)?;
        let c = self.client().await?;
        let row = c
            .query_one(
                "SELECT a.totp_pending, a.email, c.name FROM account a JOIN clinic c ON c.id = a.clinic_id
                 WHERE a.id = $1",
                &[&s.actor.account],
            )
            .await
            .map_err(pg)?;
        let secret: String = row.get::<_, Option<String>>(0).ok_or_else(|| {
            ClinicError::Input("start again: there is no secret being set up".into())
        })?;
        let email: Option<String> = row.get(1);
        let uri = crate::totp::uri(&secret, row.get(2), email.as_deref().unwrap_or(""));
        Ok((secret, uri))
    }

    /// End this session.
    pub async fn end_session(&self, s: &Session) -> Result<()> {
        let c = self.client().await?;
        c.execute("DELETE FROM session WHERE token_hash = $1", &[&s.key])
            .await
            .map_err(pg)?;
        Ok(())
    }
}
