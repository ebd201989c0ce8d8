-- Every table of patient data is keyed by its patient first, so the schema can be spread over
-- several database nodes by patient (Citus: a distributed table's primary key and foreign keys
-- must include its distribution column; rows of one patient then live together and every
-- per-patient query goes to one node). The audit log is keyed by clinic. docs/scaling.md has
-- the plan; a test lists every table's key against it.
ALTER TABLE record DROP CONSTRAINT record_device_id_fkey;
ALTER TABLE device DROP CONSTRAINT device_pkey, ADD PRIMARY KEY (patient_id, id);
ALTER TABLE record ADD CONSTRAINT record_device_fkey
  FOREIGN KEY (patient_id, device_id) REFERENCES device (patient_id, id);

ALTER TABLE triage DROP CONSTRAINT triage_pkey, ADD PRIMARY KEY (patient_id, id);
-- A clinician acknowledges an item by its number alone.
CREATE INDEX triage_id ON triage (id);

ALTER TABLE share_grant DROP CONSTRAINT share_grant_pkey, ADD PRIMARY KEY (patient_id, id);
ALTER TABLE patient_note DROP CONSTRAINT patient_note_pkey, ADD PRIMARY KEY (patient_id, id);
ALTER TABLE audit DROP CONSTRAINT audit_pkey, ADD PRIMARY KEY (clinic_id, id);
