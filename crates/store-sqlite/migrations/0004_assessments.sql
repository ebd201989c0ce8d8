-- Dosewise schema, version 4: questionnaires (PHQ-9, GAD-7, the plain bladder and use questions).

CREATE TABLE assessment (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    zone        TEXT    NOT NULL,
    instrument  TEXT    NOT NULL,
    -- The answers in item order, as a JSON array of integers.
    answers     TEXT    NOT NULL,
    total       INTEGER NOT NULL CHECK (total >= 0),
    band        TEXT    NOT NULL,
    note        TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX assessment_at ON assessment (instrument, at);
