-- The triage queue raises "no check-in shared for N days" from each patient's latest check-in.
-- It looked that up in `record` for every patient sharing check-ins on every read of the queue
-- (under the records' row-level security: about 20 µs a patient). The check-ins digest, kept
-- by each sync in its own transaction, holds the latest check-in's time already; it now holds
-- its id too (the item's source), and the queue reads the digest. Every digest is worked out
-- again from the records when a database is brought to this version.
ALTER TABLE digest ADD COLUMN latest_id BIGINT;
