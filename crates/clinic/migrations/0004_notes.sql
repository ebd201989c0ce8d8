-- Notes a clinician writes to a patient: kept apart from the patient's own entries, pulled by
-- the patient's sync and shown on their Today. Written and read by a clinician the patient
-- shares with; read by the patient.
CREATE TABLE patient_note (
    id          BIGSERIAL PRIMARY KEY,
    clinic_id   BIGINT NOT NULL REFERENCES clinic (id),
    patient_id  BIGINT NOT NULL REFERENCES account (id),
    author_id   BIGINT NOT NULL REFERENCES account (id),
    body        TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX patient_note_patient ON patient_note (patient_id, created_at);
ALTER TABLE patient_note ENABLE ROW LEVEL SECURITY;
CREATE POLICY note_patient ON patient_note FOR SELECT
  USING (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient'));
CREATE POLICY note_clinician ON patient_note
  USING (dosewise_role() = 'clinician' AND dosewise_granted(patient_id, NULL))
  WITH CHECK (dosewise_role() = 'clinician' AND dosewise_granted(patient_id, NULL)
              AND author_id = dosewise_setting('dosewise.account')
              AND clinic_id = dosewise_setting('dosewise.clinic'));
GRANT SELECT, INSERT ON patient_note TO dosewise_clinic_app;
GRANT USAGE ON SEQUENCE patient_note_id_seq TO dosewise_clinic_app;

-- A check-in made private after it was shared is withdrawn, and with it the triage items it
-- raised (their detail repeats it): the patient's device may delete those rows of its own.
CREATE POLICY triage_patient_withdraws ON triage FOR DELETE
  USING (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient'));
