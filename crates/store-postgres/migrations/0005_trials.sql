-- 0005: the self-blinded trial (SQLite's 0010): a trial written once when planned, its events
-- appended, the container a dose came from, and the day's guess on a check-in.
CREATE TABLE trial (
    journal_id  BIGINT NOT NULL REFERENCES journal (id),
    id          BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    definition  TEXT   NOT NULL,
    PRIMARY KEY (journal_id, id)
);

CREATE TABLE trial_event (
    journal_id  BIGINT NOT NULL REFERENCES journal (id),
    id          BIGINT NOT NULL,
    trial_id    BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    kind        TEXT   NOT NULL CHECK (kind IN ('unblinded', 'stopped', 'revealed')),
    detail      TEXT   NOT NULL,
    reason      TEXT,
    PRIMARY KEY (journal_id, id),
    FOREIGN KEY (journal_id, trial_id) REFERENCES trial (journal_id, id)
);

ALTER TABLE dose ADD COLUMN container TEXT;
ALTER TABLE checkin ADD COLUMN guess TEXT;
