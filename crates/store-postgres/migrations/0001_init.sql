-- Dosewise on PostgreSQL: many journals in one database. Every table leads with journal_id,
-- in its primary key and in every index, so rows of one journal sit together and the schema
-- can be distributed by that key (Citus-style) when one server is not enough. Record ids are
-- per journal (1, 2, 3 … in each), so an export reads the same as from the embedded SQLite
-- journal. Values are encoded as in SQLite (dosewise_store::codec): instants as integer
-- microseconds, dates as ISO text, nested structures as JSON text, which keeps every value
-- exactly as written (no float or key-order normalisation).

CREATE TABLE journal (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL,
    -- Counts committed writes (each takes the journal's write turn by raising it).
    revision    BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE profile (
    journal_id   BIGINT  PRIMARY KEY REFERENCES journal (id),
    name         TEXT,
    zone         TEXT    NOT NULL,
    weight_kg    DOUBLE PRECISION CHECK (weight_kg IS NULL OR weight_kg > 0),
    screen       TEXT    NOT NULL DEFAULT '[]',
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    screened_at  BIGINT,
    crisis_line  TEXT
);

CREATE TABLE stock (
    journal_id     BIGINT  NOT NULL REFERENCES journal (id),
    id             BIGINT  NOT NULL,
    name           TEXT    NOT NULL,
    substance      TEXT    NOT NULL,
    salt           TEXT    NOT NULL CHECK (salt IN ('hcl', 'base')),
    form           TEXT    NOT NULL CHECK (form IN ('troche', 'nasal_spray', 'solution')),
    preparation    TEXT    NOT NULL,
    default_route  TEXT    NOT NULL,
    supply_unit    TEXT    NOT NULL CHECK (supply_unit IN ('troche', 'ml')),
    dispensed      DOUBLE PRECISION CHECK (dispensed IS NULL OR dispensed >= 0),
    remaining      DOUBLE PRECISION NOT NULL CHECK (remaining >= 0),
    lot            TEXT,
    expiry         TEXT,
    opened         TEXT,
    note           TEXT,
    created_at     BIGINT  NOT NULL,
    retired_at     BIGINT,
    retire_reason  TEXT,
    PRIMARY KEY (journal_id, id)
);
CREATE UNIQUE INDEX stock_active_name ON stock (journal_id, name) WHERE retired_at IS NULL;

CREATE TABLE protocol (
    journal_id  BIGINT  NOT NULL REFERENCES journal (id),
    id          BIGINT  NOT NULL,
    name        TEXT    NOT NULL,
    substance   TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'ended')),
    definition  TEXT    NOT NULL,
    pauses      TEXT    NOT NULL DEFAULT '[]',
    created_at  BIGINT  NOT NULL,
    ended_at    BIGINT,
    PRIMARY KEY (journal_id, id)
);
CREATE UNIQUE INDEX protocol_one_current ON protocol (journal_id, substance) WHERE status <> 'ended';

CREATE TABLE protocol_event (
    journal_id   BIGINT  NOT NULL,
    id           BIGINT  NOT NULL,
    protocol_id  BIGINT  NOT NULL,
    at           BIGINT  NOT NULL,
    date         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('created', 'dose_changed', 'changed', 'paused', 'resumed', 'ended')),
    detail       TEXT,
    PRIMARY KEY (journal_id, id),
    FOREIGN KEY (journal_id, protocol_id) REFERENCES protocol (journal_id, id)
);
CREATE INDEX protocol_event_protocol ON protocol_event (journal_id, protocol_id, at);

CREATE TABLE dose (
    journal_id           BIGINT  NOT NULL,
    id                   BIGINT  NOT NULL,
    at                   BIGINT  NOT NULL,
    zone                 TEXT    NOT NULL,
    stock_id             BIGINT,
    entered              TEXT    NOT NULL,
    quantity_unit        TEXT    NOT NULL CHECK (quantity_unit IN ('mg', 'ml', 'spray', 'troche', 'drop')),
    quantity_value       DOUBLE PRECISION NOT NULL CHECK (quantity_value > 0),
    dose_mg              DOUBLE PRECISION NOT NULL CHECK (dose_mg > 0),
    salt                 TEXT    NOT NULL CHECK (salt IN ('hcl', 'base')),
    dose_mg_base         DOUBLE PRECISION NOT NULL CHECK (dose_mg_base > 0),
    substance            TEXT    NOT NULL,
    route                TEXT    NOT NULL,
    bioavailable_mg_min  DOUBLE PRECISION,
    bioavailable_mg_max  DOUBLE PRECISION,
    mg_per_kg            DOUBLE PRECISION,
    supply_used          DOUBLE PRECISION CHECK (supply_used IS NULL OR supply_used >= 0),
    note                 TEXT,
    protocol_id          BIGINT,
    findings             TEXT    NOT NULL DEFAULT '[]',
    override_reason      TEXT,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT,
    deleted_at           BIGINT,
    PRIMARY KEY (journal_id, id),
    FOREIGN KEY (journal_id, stock_id) REFERENCES stock (journal_id, id),
    FOREIGN KEY (journal_id, protocol_id) REFERENCES protocol (journal_id, id)
);
CREATE INDEX dose_at ON dose (journal_id, at);

CREATE TABLE dose_revision (
    journal_id  BIGINT  NOT NULL,
    id          BIGINT  NOT NULL,
    dose_id     BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('edit', 'delete')),
    previous    TEXT    NOT NULL,
    reason      TEXT,
    PRIMARY KEY (journal_id, id),
    FOREIGN KEY (journal_id, dose_id) REFERENCES dose (journal_id, id)
);
CREATE INDEX dose_revision_dose ON dose_revision (journal_id, dose_id);

CREATE TABLE stock_event (
    journal_id       BIGINT  NOT NULL,
    id               BIGINT  NOT NULL,
    stock_id         BIGINT  NOT NULL,
    at               BIGINT  NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('added', 'dose', 'dose_edit', 'dose_delete', 'adjust', 'count', 'retire')),
    delta            DOUBLE PRECISION NOT NULL,
    remaining_after  DOUBLE PRECISION NOT NULL,
    dose_id          BIGINT,
    reason           TEXT,
    PRIMARY KEY (journal_id, id),
    FOREIGN KEY (journal_id, stock_id) REFERENCES stock (journal_id, id),
    FOREIGN KEY (journal_id, dose_id) REFERENCES dose (journal_id, id)
);
CREATE INDEX stock_event_stock ON stock_event (journal_id, stock_id, at);

CREATE TABLE checkin (
    journal_id    BIGINT  NOT NULL REFERENCES journal (id),
    id            BIGINT  NOT NULL,
    at            BIGINT  NOT NULL,
    zone          TEXT    NOT NULL,
    mood          BIGINT   CHECK (mood BETWEEN 0 AND 10),
    anxiety       BIGINT   CHECK (anxiety BETWEEN 0 AND 10),
    energy        BIGINT   CHECK (energy BETWEEN 0 AND 10),
    focus         BIGINT   CHECK (focus BETWEEN 0 AND 10),
    sleep         BIGINT   CHECK (sleep BETWEEN 0 AND 10),
    irritability  BIGINT   CHECK (irritability BETWEEN 0 AND 10),
    craving       BIGINT   CHECK (craving BETWEEN 0 AND 10),
    side_effects  TEXT    NOT NULL DEFAULT '[]',
    urinary       TEXT    NOT NULL DEFAULT '[]',
    tags          TEXT    NOT NULL DEFAULT '[]',
    note          TEXT,
    private       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT  NOT NULL,
    PRIMARY KEY (journal_id, id)
);
CREATE INDEX checkin_at ON checkin (journal_id, at);

CREATE TABLE medication (
    journal_id       BIGINT  NOT NULL REFERENCES journal (id),
    id               BIGINT  NOT NULL,
    name             TEXT    NOT NULL,
    dose             TEXT,
    since            TEXT,
    clinician_aware  BOOLEAN NOT NULL DEFAULT FALSE,
    note             TEXT,
    added_at         BIGINT  NOT NULL,
    removed_at       BIGINT,
    PRIMARY KEY (journal_id, id)
);

CREATE TABLE substance_use (
    journal_id  BIGINT  NOT NULL REFERENCES journal (id),
    id          BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    zone        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    amount      TEXT,
    note        TEXT,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (journal_id, id)
);
CREATE INDEX substance_use_at ON substance_use (journal_id, at);

CREATE TABLE vitals (
    journal_id  BIGINT  NOT NULL REFERENCES journal (id),
    id          BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    zone        TEXT    NOT NULL,
    systolic    BIGINT   CHECK (systolic IS NULL OR systolic BETWEEN 50 AND 300),
    diastolic   BIGINT   CHECK (diastolic IS NULL OR diastolic BETWEEN 20 AND 200),
    heart_rate  BIGINT   CHECK (heart_rate IS NULL OR heart_rate BETWEEN 20 AND 250),
    weight_kg   DOUBLE PRECISION CHECK (weight_kg IS NULL OR weight_kg > 0),
    context     TEXT    NOT NULL CHECK (context IN ('pre_dose', 'post_dose', 'other')),
    note        TEXT,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (journal_id, id)
);
CREATE INDEX vitals_at ON vitals (journal_id, at);

CREATE TABLE clearance (
    journal_id  BIGINT  NOT NULL REFERENCES journal (id),
    id          BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    topic       TEXT    NOT NULL CHECK (topic IN ('urinary', 'screen')),
    note        TEXT,
    PRIMARY KEY (journal_id, id)
);

CREATE TABLE assessment (
    journal_id  BIGINT  NOT NULL REFERENCES journal (id),
    id          BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    zone        TEXT    NOT NULL,
    instrument  TEXT    NOT NULL,
    answers     TEXT    NOT NULL,
    total       BIGINT  NOT NULL CHECK (total >= 0),
    band        TEXT    NOT NULL,
    note        TEXT,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (journal_id, id)
);
CREATE INDEX assessment_at ON assessment (journal_id, instrument, at);
