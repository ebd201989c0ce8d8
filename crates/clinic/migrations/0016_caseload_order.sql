-- The caseload's first page in its default order (open urgent items, open items, name) or by
-- name, read off an index of the clinician's grants: the database walks the index to the page
-- and stops, whatever the length of the caseload, instead of scanning and sorting every grant
-- (about 1.4 µs a patient: 7 ms more at 5,000). Each grant carries its patient's name as the
-- order compares it (lower case), set when the grant is made and kept when the name changes;
-- the name shown still comes from the account.
ALTER TABLE share_grant ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE share_grant g SET name_key = lower(a.name) FROM account a WHERE a.id = g.patient_id;

-- A new grant takes its patient's name; a renamed patient's grants follow the name.
CREATE FUNCTION dosewise_grant_name_key() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  NEW.name_key := coalesce((SELECT lower(a.name) FROM account a WHERE a.id = NEW.patient_id), '');
  RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION dosewise_grant_name_key() FROM PUBLIC;
CREATE TRIGGER share_grant_name_key BEFORE INSERT ON share_grant
  FOR EACH ROW EXECUTE FUNCTION dosewise_grant_name_key();

CREATE FUNCTION dosewise_grant_name() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  UPDATE share_grant SET name_key = lower(NEW.name) WHERE patient_id = NEW.id;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION dosewise_grant_name() FROM PUBLIC;
CREATE TRIGGER account_grant_name AFTER UPDATE OF name ON account
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION dosewise_grant_name();

CREATE INDEX share_grant_caseload_flags
  ON share_grant (clinician_id, urgent_items DESC, open_items DESC, name_key, patient_id);
CREATE INDEX share_grant_caseload_name ON share_grant (clinician_id, name_key, patient_id);
