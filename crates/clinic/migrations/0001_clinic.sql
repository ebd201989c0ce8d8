-- The clinic server's schema. Tables hold clinics, accounts, sessions, invites, the patient's
-- grants, the records a patient shares, what the clinician sets, the triage queue and the
-- audit log. Every row of patient data carries its clinic and patient; row-level security keyed
-- on the transaction's settings (dosewise.account, dosewise.clinic, dosewise.role,
-- dosewise.patient) decides what a request can see, whatever the handler asks for. The server
-- runs every request as the role dosewise_clinic_app, which owns nothing (so the policies bind
-- it) and may not change or remove audit rows.

-- Roles belong to the cluster, not the database: another clinic database may be creating it
-- at this moment.
DO $$ BEGIN
  CREATE ROLE dosewise_clinic_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

CREATE FUNCTION dosewise_setting(name text) RETURNS bigint LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting(name, true), '')::bigint $$;
CREATE FUNCTION dosewise_role() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT coalesce(current_setting('dosewise.role', true), '') $$;

CREATE TABLE clinic (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE account (
    id             BIGSERIAL PRIMARY KEY,
    clinic_id      BIGINT NOT NULL REFERENCES clinic (id),
    role           TEXT   NOT NULL CHECK (role IN ('patient', 'clinician', 'admin')),
    email          TEXT   UNIQUE,
    name           TEXT   NOT NULL,
    password       TEXT,
    totp_secret    TEXT,
    created_at     BIGINT NOT NULL,
    disabled_at    BIGINT
);

CREATE TABLE session (
    token_hash  TEXT   PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES account (id),
    csrf        TEXT   NOT NULL,
    began       BIGINT NOT NULL,
    seen        BIGINT NOT NULL
);
CREATE INDEX session_account ON session (account_id);

-- A patient's device: what `dosewise share connect` registered; its token authenticates sync.
CREATE TABLE device (
    id          BIGSERIAL PRIMARY KEY,
    clinic_id   BIGINT NOT NULL REFERENCES clinic (id),
    patient_id  BIGINT NOT NULL REFERENCES account (id),
    name        TEXT   NOT NULL,
    token_hash  TEXT   NOT NULL UNIQUE,
    last_idx    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    last_sync   BIGINT
);

CREATE TABLE invite (
    code_hash     TEXT   PRIMARY KEY,
    clinic_id     BIGINT NOT NULL REFERENCES clinic (id),
    role          TEXT   NOT NULL CHECK (role IN ('patient', 'clinician', 'admin')),
    -- For a patient: the clinician the grant will name.
    clinician_id  BIGINT REFERENCES account (id),
    created_by    BIGINT NOT NULL REFERENCES account (id),
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);

-- What a patient shares with one clinician: categories, from, until, revocable at once.
CREATE TABLE share_grant (
    id            BIGSERIAL PRIMARY KEY,
    clinic_id     BIGINT NOT NULL REFERENCES clinic (id),
    patient_id    BIGINT NOT NULL REFERENCES account (id),
    clinician_id  BIGINT NOT NULL REFERENCES account (id),
    categories    TEXT[] NOT NULL,
    starts_at     BIGINT NOT NULL,
    ends_at       BIGINT,
    revoked_at    BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX share_grant_clinician ON share_grant (clinician_id, patient_id);
CREATE INDEX share_grant_patient ON share_grant (patient_id);

-- The current version of each record a patient shared, readable (the clinician must read it
-- and the triage rules must run). Private check-ins never arrive.
CREATE TABLE record (
    clinic_id   BIGINT NOT NULL REFERENCES clinic (id),
    patient_id  BIGINT NOT NULL REFERENCES account (id),
    kind        TEXT   NOT NULL,
    record_id   BIGINT NOT NULL,
    category    TEXT   NOT NULL,
    body        JSONB  NOT NULL,
    idx         BIGINT NOT NULL,
    device_id   BIGINT NOT NULL REFERENCES device (id),
    received_at BIGINT NOT NULL,
    PRIMARY KEY (patient_id, kind, record_id)
);

CREATE TABLE triage (
    id               BIGSERIAL PRIMARY KEY,
    clinic_id        BIGINT NOT NULL REFERENCES clinic (id),
    patient_id       BIGINT NOT NULL REFERENCES account (id),
    kind             TEXT   NOT NULL,
    urgent           BOOLEAN NOT NULL,
    detail           TEXT   NOT NULL,
    category         TEXT   NOT NULL,
    source_kind      TEXT   NOT NULL,
    source_id        BIGINT NOT NULL,
    at               BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    acknowledged_by  BIGINT REFERENCES account (id),
    acknowledged_at  BIGINT,
    UNIQUE (patient_id, kind, source_kind, source_id)
);

-- Every read of patient data and every write, by whom, from where. Append-only.
CREATE TABLE audit (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    clinic_id   BIGINT NOT NULL REFERENCES clinic (id),
    actor_id    BIGINT REFERENCES account (id),
    actor_role  TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    patient_id  BIGINT REFERENCES account (id),
    what        TEXT   NOT NULL,
    address     TEXT
);
CREATE INDEX audit_patient ON audit (patient_id, at);

-- Failed logins, per account and per address, for the back-off (the server keeps no state).
CREATE TABLE login_failure (
    key        TEXT   PRIMARY KEY,
    failures   INT    NOT NULL,
    last_at    BIGINT NOT NULL
);

-- Row-level security: what the transaction's settings allow.
-- A clinician reads a patient's records only through an active grant naming them that covers
-- the record's category; the patient (a device syncing, or the patient signed in) reads and
-- writes their own; an admin reads none.
CREATE FUNCTION dosewise_granted(patient bigint, cat text) RETURNS boolean
  LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM share_grant g
    WHERE g.patient_id = patient
      AND g.clinician_id = dosewise_setting('dosewise.account')
      AND g.clinic_id = dosewise_setting('dosewise.clinic')
      AND g.revoked_at IS NULL
      AND g.starts_at <= (extract(epoch FROM clock_timestamp()) * 1000000)::bigint
      AND (g.ends_at IS NULL OR g.ends_at > (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
      AND (cat IS NULL OR cat = ANY (g.categories)))
$$;

ALTER TABLE record ENABLE ROW LEVEL SECURITY;
CREATE POLICY record_patient ON record
  USING (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient')
         AND clinic_id = dosewise_setting('dosewise.clinic'))
  WITH CHECK (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient')
         AND clinic_id = dosewise_setting('dosewise.clinic'));
CREATE POLICY record_clinician ON record FOR SELECT
  USING (dosewise_role() = 'clinician' AND dosewise_granted(patient_id, category));

ALTER TABLE triage ENABLE ROW LEVEL SECURITY;
CREATE POLICY triage_patient_writes ON triage FOR INSERT
  WITH CHECK (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient')
              AND clinic_id = dosewise_setting('dosewise.clinic'));
CREATE POLICY triage_patient_reads ON triage FOR SELECT
  USING (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient'));
CREATE POLICY triage_clinician ON triage
  USING (dosewise_role() = 'clinician' AND dosewise_granted(patient_id, category))
  WITH CHECK (dosewise_role() = 'clinician' AND dosewise_granted(patient_id, category));

ALTER TABLE share_grant ENABLE ROW LEVEL SECURITY;
CREATE POLICY grant_patient ON share_grant
  USING (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient'))
  WITH CHECK (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient'));
CREATE POLICY grant_clinician ON share_grant FOR SELECT
  USING (dosewise_role() = 'clinician' AND clinician_id = dosewise_setting('dosewise.account')
         AND clinic_id = dosewise_setting('dosewise.clinic'));
CREATE POLICY grant_admin ON share_grant FOR SELECT
  USING (dosewise_role() = 'admin' AND clinic_id = dosewise_setting('dosewise.clinic'));
-- Connecting a device (an invite, before there is a patient session) creates the grant.
CREATE POLICY grant_connect ON share_grant FOR INSERT
  WITH CHECK (dosewise_role() = 'connect' AND clinic_id = dosewise_setting('dosewise.clinic'));

ALTER TABLE audit ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_write ON audit FOR INSERT WITH CHECK (true);
-- A patient sees who read what of theirs; an admin sees their clinic's log.
CREATE POLICY audit_patient ON audit FOR SELECT
  USING (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient'));
CREATE POLICY audit_admin ON audit FOR SELECT
  USING (dosewise_role() = 'admin' AND clinic_id = dosewise_setting('dosewise.clinic'));

-- What the application role may do: no UPDATE or DELETE on the audit log, ever.
GRANT USAGE ON SCHEMA public TO dosewise_clinic_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON clinic, account, session, device, invite, share_grant,
  record, triage, login_failure TO dosewise_clinic_app;
GRANT SELECT, INSERT ON audit TO dosewise_clinic_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO dosewise_clinic_app;
GRANT EXECUTE ON FUNCTION dosewise_setting(text), dosewise_role(), dosewise_granted(bigint, text)
  TO dosewise_clinic_app;
