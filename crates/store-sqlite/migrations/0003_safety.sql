-- Dosewise schema, version 3: what the safety engine reads (medications, other substances,
-- vital signs, clinician clearances, the contraindication screen) and what it said about each
-- dose (findings, and the reason for an override).

CREATE TABLE medication (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    dose             TEXT,
    since            TEXT,
    clinician_aware  INTEGER NOT NULL DEFAULT 0 CHECK (clinician_aware IN (0, 1)),
    note             TEXT,
    added_at         INTEGER NOT NULL,
    removed_at       INTEGER
);

CREATE TABLE substance_use (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    zone        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    amount      TEXT,
    note        TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX substance_use_at ON substance_use (at);

CREATE TABLE vitals (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    zone        TEXT    NOT NULL,
    systolic    INTEGER CHECK (systolic IS NULL OR systolic BETWEEN 50 AND 300),
    diastolic   INTEGER CHECK (diastolic IS NULL OR diastolic BETWEEN 20 AND 200),
    heart_rate  INTEGER CHECK (heart_rate IS NULL OR heart_rate BETWEEN 20 AND 250),
    weight_kg   REAL    CHECK (weight_kg IS NULL OR weight_kg > 0),
    context     TEXT    NOT NULL CHECK (context IN ('pre_dose', 'post_dose', 'other')),
    note        TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX vitals_at ON vitals (at);

CREATE TABLE clearance (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    topic  TEXT    NOT NULL CHECK (topic IN ('urinary', 'screen')),
    note   TEXT
);

-- Codes of the screen questions answered yes, as JSON.
ALTER TABLE profile ADD COLUMN screen TEXT NOT NULL DEFAULT '[]';
-- The preflight findings shown when the dose was logged, as JSON, and the override reason.
ALTER TABLE dose ADD COLUMN findings TEXT NOT NULL DEFAULT '[]';
ALTER TABLE dose ADD COLUMN override_reason TEXT;
