-- What the caseload needs of each patient, kept up to date as their records arrive: one row
-- per patient and category (the latest dose and the last five weeks' doses; the latest
-- check-in; the first and latest PHQ-9 and GAD-7; the active protocols). The caseload reads
-- these few rows instead of every patient's records, so its cost follows the number of
-- patients, not the years of history behind them. A clinician reads a row under the same rule
-- as the records it sums up: a grant that covers its category.
CREATE TABLE digest (
    patient_id  BIGINT NOT NULL REFERENCES account (id),
    category    TEXT   NOT NULL,
    clinic_id   BIGINT NOT NULL REFERENCES clinic (id),
    -- JSON, stored as text: read whole on every caseload, never queried inside, and text
    -- goes out as it is (JSONB is turned back into text on every read).
    body        TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (patient_id, category)
);
ALTER TABLE digest ENABLE ROW LEVEL SECURITY;
CREATE POLICY digest_patient ON digest
  USING (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient')
         AND clinic_id = dosewise_setting('dosewise.clinic'))
  WITH CHECK (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient')
         AND clinic_id = dosewise_setting('dosewise.clinic'));
CREATE POLICY digest_clinician ON digest FOR SELECT
  USING (dosewise_role() = 'clinician'
         AND (patient_id, category) IN (SELECT m.patient_id, m.category FROM dosewise_my_grants m));
GRANT SELECT, INSERT, UPDATE, DELETE ON digest TO dosewise_clinic_app;

-- The caseload counts each patient's open triage items; acknowledged ones pile up for years.
CREATE INDEX triage_open ON triage (patient_id) WHERE acknowledged_at IS NULL;
