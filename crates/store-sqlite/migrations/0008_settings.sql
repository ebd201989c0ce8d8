-- 0008: values this device keeps beside the journal (the clinic connection), never exported.
CREATE TABLE setting (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
