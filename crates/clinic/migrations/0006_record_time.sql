-- When each shared record happened, as a column (the device sends it inside the JSON): the
-- caseload and the triage queue read the latest dose, the last two weeks and the latest
-- check-in of every patient through an index instead of parsing every record's JSON. Records
-- without a time of their own (a stock, a protocol, a medicine) have none.
ALTER TABLE record ADD COLUMN at_us BIGINT;
ALTER TABLE record ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false;
UPDATE record SET
  at_us = CASE WHEN body ? 'at' THEN (extract(epoch FROM (body->>'at')::timestamptz) * 1000000)::bigint END,
  deleted = (body->>'deleted_at') IS NOT NULL;
CREATE INDEX record_patient_kind_at ON record (patient_id, kind, at_us) WHERE NOT deleted;
