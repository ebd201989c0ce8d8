-- A read of many patients at once (the caseload, the triage queue) is one audit line naming
-- them all, not a line each: a caseload of a thousand wrote a thousand rows on every look. A
-- patient still finds every line that names them.
ALTER TABLE audit ADD COLUMN patients BIGINT[];
CREATE INDEX audit_patients ON audit USING gin (patients);
ALTER POLICY audit_patient ON audit
  USING (dosewise_role() = 'patient'
         AND (patient_id = dosewise_setting('dosewise.patient')
              OR patients @> ARRAY[dosewise_setting('dosewise.patient')]));
