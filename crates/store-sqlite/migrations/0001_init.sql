-- Dosewise schema, version 1 (SQLite).
-- Instants are INTEGER microseconds since the Unix epoch (UTC) plus the IANA zone name in which
-- the event happened; calendar dates are TEXT 'YYYY-MM-DD'. Amounts are REAL in the unit named
-- by the column. Never edit this file once released: add a new migration instead.

CREATE TABLE profile (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT,
    zone        TEXT    NOT NULL,
    weight_kg   REAL    CHECK (weight_kg IS NULL OR weight_kg > 0),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE stock (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    substance      TEXT    NOT NULL,
    salt           TEXT    NOT NULL CHECK (salt IN ('hcl', 'base')),
    form           TEXT    NOT NULL CHECK (form IN ('troche', 'nasal_spray', 'solution')),
    -- The full preparation (form-specific numbers) as JSON; see dosewise_core::preparation.
    preparation    TEXT    NOT NULL,
    default_route  TEXT    NOT NULL,
    supply_unit    TEXT    NOT NULL CHECK (supply_unit IN ('troche', 'ml')),
    dispensed      REAL    CHECK (dispensed IS NULL OR dispensed >= 0),
    remaining      REAL    NOT NULL CHECK (remaining >= 0),
    lot            TEXT,
    expiry         TEXT,
    opened         TEXT,
    note           TEXT,
    created_at     INTEGER NOT NULL,
    retired_at     INTEGER,
    retire_reason  TEXT
);
-- Names are unique among active stocks, so `--stock NAME` is never ambiguous.
CREATE UNIQUE INDEX stock_active_name ON stock (name) WHERE retired_at IS NULL;

CREATE TABLE dose (
    id                   INTEGER PRIMARY KEY,
    at                   INTEGER NOT NULL,
    zone                 TEXT    NOT NULL,
    stock_id             INTEGER REFERENCES stock (id),
    entered              TEXT    NOT NULL,
    quantity_unit        TEXT    NOT NULL CHECK (quantity_unit IN ('mg', 'ml', 'spray', 'troche', 'drop')),
    quantity_value       REAL    NOT NULL CHECK (quantity_value > 0),
    dose_mg              REAL    NOT NULL CHECK (dose_mg > 0),
    salt                 TEXT    NOT NULL CHECK (salt IN ('hcl', 'base')),
    dose_mg_base         REAL    NOT NULL CHECK (dose_mg_base > 0),
    substance            TEXT    NOT NULL,
    route                TEXT    NOT NULL,
    bioavailable_mg_min  REAL,
    bioavailable_mg_max  REAL,
    mg_per_kg            REAL,
    supply_used          REAL    CHECK (supply_used IS NULL OR supply_used >= 0),
    note                 TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER,
    deleted_at           INTEGER
);
CREATE INDEX dose_at ON dose (at);

CREATE TABLE dose_revision (
    id        INTEGER PRIMARY KEY,
    dose_id   INTEGER NOT NULL REFERENCES dose (id),
    at        INTEGER NOT NULL,
    action    TEXT    NOT NULL CHECK (action IN ('edit', 'delete')),
    -- The dose as it was before the change, as JSON (dosewise_core::dose::NewDose).
    previous  TEXT    NOT NULL,
    reason    TEXT
);
CREATE INDEX dose_revision_dose ON dose_revision (dose_id);

CREATE TABLE stock_event (
    id               INTEGER PRIMARY KEY,
    stock_id         INTEGER NOT NULL REFERENCES stock (id),
    at               INTEGER NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('added', 'dose', 'dose_edit', 'dose_delete', 'adjust', 'retire')),
    delta            REAL    NOT NULL,
    remaining_after  REAL    NOT NULL,
    dose_id          INTEGER REFERENCES dose (id),
    reason           TEXT
);
CREATE INDEX stock_event_stock ON stock_event (stock_id, at);

CREATE TABLE checkin (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    zone          TEXT    NOT NULL,
    mood          INTEGER CHECK (mood BETWEEN 0 AND 10),
    anxiety       INTEGER CHECK (anxiety BETWEEN 0 AND 10),
    energy        INTEGER CHECK (energy BETWEEN 0 AND 10),
    focus         INTEGER CHECK (focus BETWEEN 0 AND 10),
    sleep         INTEGER CHECK (sleep BETWEEN 0 AND 10),
    irritability  INTEGER CHECK (irritability BETWEEN 0 AND 10),
    craving       INTEGER CHECK (craving BETWEEN 0 AND 10),
    side_effects  TEXT    NOT NULL DEFAULT '[]',
    urinary       TEXT    NOT NULL DEFAULT '[]',
    tags          TEXT    NOT NULL DEFAULT '[]',
    note          TEXT,
    private       INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
    created_at    INTEGER NOT NULL
);
CREATE INDEX checkin_at ON checkin (at);
