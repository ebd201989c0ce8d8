-- Dosewise schema, version 2: protocols and their history; doses know their protocol.

CREATE TABLE protocol (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    substance   TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'ended')),
    -- The plan (pattern, dates, time, zone, dose, cycle, titration, limits) as JSON;
    -- see dosewise_core::protocol::NewProtocol.
    definition  TEXT    NOT NULL,
    -- Pause periods as JSON: [{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD" | null}].
    pauses      TEXT    NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    ended_at    INTEGER
);
-- One current (active or paused) protocol per substance.
CREATE UNIQUE INDEX protocol_one_current ON protocol (substance) WHERE status <> 'ended';

CREATE TABLE protocol_event (
    id           INTEGER PRIMARY KEY,
    protocol_id  INTEGER NOT NULL REFERENCES protocol (id),
    at           INTEGER NOT NULL,
    date         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('created', 'dose_changed', 'changed', 'paused', 'resumed', 'ended')),
    detail       TEXT
);
CREATE INDEX protocol_event_protocol ON protocol_event (protocol_id, at);

ALTER TABLE dose ADD COLUMN protocol_id INTEGER REFERENCES protocol (id);
