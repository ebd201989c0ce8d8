-- 0009: how to reach the person's clinician (a name and a number, as they wrote it), shown
-- beside their crisis line in crisis guidance.
ALTER TABLE profile ADD COLUMN clinician TEXT;
