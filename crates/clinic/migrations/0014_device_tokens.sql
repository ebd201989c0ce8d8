-- A device signs in with its token alone, so the token's hash was unique across all of
-- `device`: a constraint Citus allows only when it holds the distribution column (the
-- patient). The lookup moves to a table of its own, keyed by the hash and distributable by it,
-- as sessions are; `device` keeps only what is the patient's.
CREATE TABLE device_token (
    token_hash  TEXT   PRIMARY KEY,
    patient_id  BIGINT NOT NULL REFERENCES account (id),
    device_id   BIGINT NOT NULL
);
INSERT INTO device_token (token_hash, patient_id, device_id)
  SELECT token_hash, patient_id, id FROM device;
ALTER TABLE device DROP COLUMN token_hash;
GRANT SELECT, INSERT, DELETE ON device_token TO dosewise_clinic_app;
