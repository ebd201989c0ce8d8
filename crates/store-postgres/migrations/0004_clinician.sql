-- 0004: how to reach the person's clinician, shown beside the crisis line (SQLite's 0009).
ALTER TABLE profile ADD COLUMN clinician TEXT;
