-- The caseload's default order (open urgent items first, then open items) looked up each
-- patient's open counts by key: about 3 µs a patient, the largest part of a 1,000-patient
-- caseload. Each grant now carries the open and urgent counts of the categories it covers,
-- kept by the trigger that keeps `triage_open_count`, so the order is read off the grants the
-- caseload scans anyway. A clinician reads them on their own grant rows (the grants' policy),
-- and a grant counts only its own categories, so no count reflects what it does not share.
ALTER TABLE share_grant
  ADD COLUMN open_items   INT NOT NULL DEFAULT 0,
  ADD COLUMN urgent_items INT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION dosewise_triage_count() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.acknowledged_at IS NULL THEN
    UPDATE triage_open_count
       SET open = open - 1, urgent = urgent - OLD.urgent::int
     WHERE patient_id = OLD.patient_id AND category = OLD.category;
    UPDATE share_grant
       SET open_items = open_items - 1, urgent_items = urgent_items - OLD.urgent::int
     WHERE patient_id = OLD.patient_id AND OLD.category = ANY (categories);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.acknowledged_at IS NULL THEN
    INSERT INTO triage_open_count (patient_id, category, clinic_id, open, urgent)
    VALUES (NEW.patient_id, NEW.category, NEW.clinic_id, 1, NEW.urgent::int)
    ON CONFLICT (patient_id, category) DO UPDATE
      SET open = triage_open_count.open + 1, urgent = triage_open_count.urgent + excluded.urgent;
    UPDATE share_grant
       SET open_items = open_items + 1, urgent_items = urgent_items + NEW.urgent::int
     WHERE patient_id = NEW.patient_id AND NEW.category = ANY (categories);
  END IF;
  RETURN NULL;
END $$;

-- A new grant (or one whose categories change) starts from the patient's open counts in the
-- categories it covers; whatever the inserting statement said of them is replaced.
CREATE FUNCTION dosewise_grant_counts() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  SELECT coalesce(sum(c.open), 0), coalesce(sum(c.urgent), 0)
    INTO NEW.open_items, NEW.urgent_items
    FROM triage_open_count c
   WHERE c.patient_id = NEW.patient_id AND c.category = ANY (NEW.categories);
  RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION dosewise_grant_counts() FROM PUBLIC;
CREATE TRIGGER share_grant_counts BEFORE INSERT OR UPDATE OF categories ON share_grant
  FOR EACH ROW EXECUTE FUNCTION dosewise_grant_counts();

-- The application changes a grant only to revoke it; the counts are the triggers' alone.
REVOKE UPDATE ON share_grant FROM dosewise_clinic_app;
GRANT UPDATE (revoked_at) ON share_grant TO dosewise_clinic_app;

UPDATE share_grant g
   SET open_items = s.open, urgent_items = s.urgent
  FROM (SELECT g2.patient_id, g2.id, sum(c.open)::int AS open, sum(c.urgent)::int AS urgent
          FROM share_grant g2
          JOIN triage_open_count c ON c.patient_id = g2.patient_id AND c.category = ANY (g2.categories)
         GROUP BY g2.patient_id, g2.id) s
 WHERE g.patient_id = s.patient_id AND g.id = s.id;
