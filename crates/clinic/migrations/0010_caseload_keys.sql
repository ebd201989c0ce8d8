-- The caseload is read a page at a time, ordered by the database: each digest row carries the
-- figures the caseload sorts by, beside the body a page's rows are filled from. Row-level
-- security is the digest's own, so a patient who does not share a category sorts as if it
-- were empty, and no order says anything a clinician may not read.
ALTER TABLE digest
  -- doses: the latest dose; checkins: the latest check-in (µs since the epoch)
  ADD COLUMN latest_at    BIGINT,
  -- questionnaires: the latest PHQ-9 total
  ADD COLUMN latest_score INT,
  -- doses: when each dose of the last five weeks was (µs) and how much it was (mg), in order,
  -- so the last seven days' total is summed where the rows are
  ADD COLUMN recent_at    BIGINT[],
  ADD COLUMN recent_mg    FLOAT8[];
