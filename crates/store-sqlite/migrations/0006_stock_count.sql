-- 0006: a stock count is its own ledger kind. Until now it was an 'adjust' whose reason was
-- exactly 'count' or 'count: NOTE' (the only forms Dosewise wrote), and readers took any
-- reason beginning "count" for a count, so a removal noted "counted twice" was misread.
-- Those exact forms become kind 'count' with NOTE (or nothing) as the reason; every other line
-- is kept as it is. SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE stock_event_v6 (
    id               INTEGER PRIMARY KEY,
    stock_id         INTEGER NOT NULL REFERENCES stock (id),
    at               INTEGER NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('added', 'dose', 'dose_edit', 'dose_delete', 'adjust', 'count', 'retire')),
    delta            REAL    NOT NULL,
    remaining_after  REAL    NOT NULL,
    dose_id          INTEGER REFERENCES dose (id),
    reason           TEXT
);
INSERT INTO stock_event_v6 (id, stock_id, at, kind, delta, remaining_after, dose_id, reason)
SELECT id, stock_id, at,
       CASE WHEN kind = 'adjust' AND (reason = 'count' OR substr(reason, 1, 7) = 'count: ')
            THEN 'count' ELSE kind END,
       delta, remaining_after, dose_id,
       CASE WHEN kind = 'adjust' AND reason = 'count' THEN NULL
            WHEN kind = 'adjust' AND substr(reason, 1, 7) = 'count: ' THEN substr(reason, 8)
            ELSE reason END
FROM stock_event;
DROP TABLE stock_event;
ALTER TABLE stock_event_v6 RENAME TO stock_event;
CREATE INDEX stock_event_stock ON stock_event (stock_id, at);
