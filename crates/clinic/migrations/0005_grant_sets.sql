-- The clinician's policies asked, row by row, whether a grant covers the row: a function call
-- per row (about 10 µs each), so a caseload of 1,000 patients spent seconds in it. The same
-- rule, written as the set of (patient, category) pairs this clinician's active grants cover,
-- is worked out once per query (a hashed subplan) and then looked up.
CREATE VIEW dosewise_my_grants WITH (security_barrier) AS
  SELECT g.patient_id, c AS category
  FROM share_grant g CROSS JOIN LATERAL unnest(g.categories) AS c
  WHERE g.clinician_id = dosewise_setting('dosewise.account')
    AND g.clinic_id = dosewise_setting('dosewise.clinic')
    AND g.revoked_at IS NULL
    AND g.starts_at <= (extract(epoch FROM statement_timestamp()) * 1000000)::bigint
    AND (g.ends_at IS NULL OR g.ends_at > (extract(epoch FROM statement_timestamp()) * 1000000)::bigint);
-- The view runs with its owner's rights; the application role reads it only through these
-- policies and its own settings.
GRANT SELECT ON dosewise_my_grants TO dosewise_clinic_app;

ALTER POLICY record_clinician ON record
  USING (dosewise_role() = 'clinician'
         AND (patient_id, category) IN (SELECT m.patient_id, m.category FROM dosewise_my_grants m));

ALTER POLICY triage_clinician ON triage
  USING (dosewise_role() = 'clinician'
         AND (patient_id, category) IN (SELECT m.patient_id, m.category FROM dosewise_my_grants m))
  WITH CHECK (dosewise_role() = 'clinician'
         AND (patient_id, category) IN (SELECT m.patient_id, m.category FROM dosewise_my_grants m));

ALTER POLICY prescription_clinician ON prescription
  USING (dosewise_role() = 'clinician'
         AND patient_id IN (SELECT m.patient_id FROM dosewise_my_grants m))
  WITH CHECK (dosewise_role() = 'clinician'
         AND patient_id IN (SELECT m.patient_id FROM dosewise_my_grants m)
         AND set_by = dosewise_setting('dosewise.account')
         AND clinic_id = dosewise_setting('dosewise.clinic'));

ALTER POLICY note_clinician ON patient_note
  USING (dosewise_role() = 'clinician'
         AND patient_id IN (SELECT m.patient_id FROM dosewise_my_grants m))
  WITH CHECK (dosewise_role() = 'clinician'
         AND patient_id IN (SELECT m.patient_id FROM dosewise_my_grants m)
         AND author_id = dosewise_setting('dosewise.account')
         AND clinic_id = dosewise_setting('dosewise.clinic'));
