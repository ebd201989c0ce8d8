-- The second factor (TOTP, RFC 6238) every clinician and admin sets up, and password resets.
-- totp_pending holds a secret being set up until a code from it confirms it; totp_step is the
-- last step whose code signed someone in (a code is never taken twice). A session records
-- whether it passed the second factor: one that has not may only set it up.
ALTER TABLE account ADD COLUMN totp_pending TEXT, ADD COLUMN totp_step BIGINT;
ALTER TABLE session ADD COLUMN second_factor BOOLEAN NOT NULL DEFAULT false;

-- An admin resets a staff member's password without ever seeing it: a one-time code the staff
-- member uses to choose a new one (which also clears their second factor, the usual reason
-- for a reset being a lost phone, and ends their sessions).
CREATE TABLE password_reset (
    code_hash   TEXT   PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES account (id),
    clinic_id   BIGINT NOT NULL REFERENCES clinic (id),
    created_by  BIGINT NOT NULL REFERENCES account (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
GRANT SELECT, INSERT, UPDATE, DELETE ON password_reset TO dosewise_clinic_app;
