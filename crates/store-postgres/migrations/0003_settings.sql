-- 0003: values kept beside a journal (the clinic connection), never exported (SQLite's 0008).
CREATE TABLE setting (
    journal_id  BIGINT NOT NULL REFERENCES journal (id),
    key         TEXT   NOT NULL,
    value       TEXT   NOT NULL,
    PRIMARY KEY (journal_id, key)
);
