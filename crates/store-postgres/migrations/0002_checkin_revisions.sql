-- 0002: a check-in can be corrected or deleted, as a dose can (SQLite's 0007).
ALTER TABLE checkin ADD COLUMN updated_at BIGINT;
ALTER TABLE checkin ADD COLUMN deleted_at BIGINT;
CREATE TABLE checkin_revision (
    journal_id  BIGINT  NOT NULL,
    id          BIGINT  NOT NULL,
    checkin_id  BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('edit', 'delete')),
    previous    TEXT    NOT NULL,
    reason      TEXT,
    PRIMARY KEY (journal_id, id),
    FOREIGN KEY (journal_id, checkin_id) REFERENCES checkin (journal_id, id)
);
CREATE INDEX checkin_revision_checkin ON checkin_revision (journal_id, checkin_id);
