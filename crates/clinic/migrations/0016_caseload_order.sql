-- The caseload's first page in its default order (open urgent items, open items, name) or by
-- name, read off an index of the clinician's grants: the database walks the index to the page
-- and stops, whatever the length of the caseload, instead of scanning and sorting every grant
-- (about 1.4 µs a patient: 7 ms more at 5,000). Each grant carries its patient's name as the
-- order compares it (lower case), set when the grant is made and kept when the name changes;
-- the name shown still comes from the account.
ALTER TABLE share_grant ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE share_grant g SET name_key = lower(a.name) FROM account a WHERE a.id = g.patient_id;

CREATE OR REPLACE FUNCTION dosewise_grant_counts() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  SELECT coalesce(sum(c.open), 0), coalesce(sum(c.urgent), 0)
    INTO NEW.open_items, NEW.urgent_items
    FROM triage_open_count c
   WHERE c.patient_id = NEW.patient_id AND c.category = ANY (NEW.categories);
  SELECT lower(a.name) INTO NEW.name_key FROM account a WHERE a.id = NEW.patient_id;
  NEW.name_key := coalesce(NEW.name_key, '');
  RETURN NEW;
END $$;

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
-- The counts are indexed now: their updates are no longer HOT, so the page room of 0013 buys
-- nothing.
ALTER TABLE share_grant RESET (fillfactor);
