-- 0007: a check-in can be corrected or deleted, as a dose can. The check-in keeps when it was
-- last corrected and when it was deleted (it stays in the record, marked); each earlier version
-- is kept in checkin_revision with what changed and why.
ALTER TABLE checkin ADD COLUMN updated_at INTEGER;
ALTER TABLE checkin ADD COLUMN deleted_at INTEGER;
CREATE TABLE checkin_revision (
    id          INTEGER PRIMARY KEY,
    checkin_id  INTEGER NOT NULL REFERENCES checkin (id),
    at          INTEGER NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('edit', 'delete')),
    previous    TEXT    NOT NULL,
    reason      TEXT
);
CREATE INDEX checkin_revision_checkin ON checkin_revision (checkin_id);
