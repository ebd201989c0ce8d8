-- What the prescribing clinician sets for a patient (limits, supply, refill, blood pressure,
-- the titration ceiling): one current version per patient, pulled by the patient's sync and
-- enforced by their safety check. Written only by a clinician the patient shares with; read by
-- them and by the patient.
CREATE TABLE prescription (
    patient_id  BIGINT PRIMARY KEY REFERENCES account (id),
    clinic_id   BIGINT NOT NULL REFERENCES clinic (id),
    body        JSONB  NOT NULL,
    set_by      BIGINT NOT NULL REFERENCES account (id),
    set_at      BIGINT NOT NULL
);
ALTER TABLE prescription ENABLE ROW LEVEL SECURITY;
CREATE POLICY prescription_patient ON prescription FOR SELECT
  USING (dosewise_role() = 'patient' AND patient_id = dosewise_setting('dosewise.patient'));
CREATE POLICY prescription_clinician ON prescription
  USING (dosewise_role() = 'clinician' AND dosewise_granted(patient_id, NULL))
  WITH CHECK (dosewise_role() = 'clinician' AND dosewise_granted(patient_id, NULL)
              AND set_by = dosewise_setting('dosewise.account')
              AND clinic_id = dosewise_setting('dosewise.clinic'));
GRANT SELECT, INSERT, UPDATE, DELETE ON prescription TO dosewise_clinic_app;
