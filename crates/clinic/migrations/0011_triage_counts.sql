-- The caseload orders patients by their open triage items (urgent first) and shows the counts.
-- Counting the open items of every patient on every look read every open item and checked
-- row-level security on each (11 of the 15 ms of a 1,000-patient caseload); these counts are
-- kept instead, per patient and category (a clinician sees the items of the categories a grant
-- covers, and so the counts of those), by a trigger on `triage`: every path that raises,
-- acknowledges, retires or withdraws an item keeps them, whichever code runs it.
CREATE TABLE triage_open_count (
    patient_id  BIGINT NOT NULL REFERENCES account (id),
    category    TEXT   NOT NULL,
    clinic_id   BIGINT NOT NULL REFERENCES clinic (id),
    open        INT    NOT NULL,
    urgent      INT    NOT NULL,
    PRIMARY KEY (patient_id, category)
);
ALTER TABLE triage_open_count ENABLE ROW LEVEL SECURITY;
CREATE POLICY triage_open_count_clinician ON triage_open_count FOR SELECT
  USING (dosewise_role() = 'clinician'
         AND (patient_id, category) IN (SELECT m.patient_id, m.category FROM dosewise_my_grants m));
-- Read only: the trigger writes as the tables' owner.
GRANT SELECT ON triage_open_count TO dosewise_clinic_app;

CREATE FUNCTION dosewise_triage_count() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.acknowledged_at IS NULL THEN
    UPDATE triage_open_count
       SET open = open - 1, urgent = urgent - OLD.urgent::int
     WHERE patient_id = OLD.patient_id AND category = OLD.category;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.acknowledged_at IS NULL THEN
    INSERT INTO triage_open_count (patient_id, category, clinic_id, open, urgent)
    VALUES (NEW.patient_id, NEW.category, NEW.clinic_id, 1, NEW.urgent::int)
    ON CONFLICT (patient_id, category) DO UPDATE
      SET open = triage_open_count.open + 1, urgent = triage_open_count.urgent + excluded.urgent;
  END IF;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION dosewise_triage_count() FROM PUBLIC;
CREATE TRIGGER triage_open_count AFTER INSERT OR UPDATE OR DELETE ON triage
  FOR EACH ROW EXECUTE FUNCTION dosewise_triage_count();

INSERT INTO triage_open_count (patient_id, category, clinic_id, open, urgent)
  SELECT patient_id, category, min(clinic_id), count(*), count(*) FILTER (WHERE urgent)
  FROM triage WHERE acknowledged_at IS NULL GROUP BY patient_id, category;
