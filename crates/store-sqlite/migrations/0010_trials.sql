-- 0010: the self-blinded trial. A trial is written once, when planned: its definition (design,
-- outcome, the smallest change that matters, the dose, and the allocation sealed to an age key)
-- as JSON. What happens afterwards is appended as events (a day unblinded in an emergency, a
-- stop, the reveal at the end). A dose names the trial container it came from; a check-in
-- carries the day's guess (JSON: what the person thinks they took, and how sure).
CREATE TABLE trial (
    id          INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    definition  TEXT    NOT NULL
);

CREATE TABLE trial_event (
    id        INTEGER PRIMARY KEY,
    trial_id  INTEGER NOT NULL REFERENCES trial (id),
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('unblinded', 'stopped', 'revealed')),
    detail    TEXT    NOT NULL,
    reason    TEXT
);
CREATE INDEX trial_event_trial ON trial_event (trial_id, id);

ALTER TABLE dose ADD COLUMN container TEXT;
ALTER TABLE checkin ADD COLUMN guess TEXT;
