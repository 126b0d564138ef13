-- The instance index (DESIGN.md §7): for a recurring object whose exact spans are not
-- known otherwise (an open-ended or long series), the spans of its instances inside a
-- window around the time it was written, so a time range inside the window is an
-- index range scan instead of a parse of every series. instance_windows holds one row
-- per indexed object: the window, and whether its spans are wall-clock times written
-- as if UTC (floating = 1: DATE and floating DATE-TIME instances). object_instances
-- holds one row per instance span (UTC epoch seconds); is_long marks spans longer than
-- a week, so that a range scans the short ones from a week before its start only.
-- Both are replaced on every write of the object and removed with it or its folder.
CREATE TABLE instance_windows (
    context_id    INTEGER NOT NULL,
    folder_id     INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    indexed_from  INTEGER NOT NULL,
    indexed_until INTEGER NOT NULL,
    floating      INTEGER NOT NULL CHECK (floating IN (0, 1)),
    PRIMARY KEY (context_id, folder_id, name),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
-- Windows ending soonest are extended first (Transaction.aging_instance_indexes).
CREATE INDEX instance_windows_until ON instance_windows (indexed_until);
CREATE TABLE object_instances (
    context_id INTEGER NOT NULL,
    folder_id  INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    is_long    INTEGER NOT NULL CHECK (is_long IN (0, 1)),
    span_start INTEGER NOT NULL,
    span_end   INTEGER NOT NULL,
    PRIMARY KEY (context_id, folder_id, name, span_start, span_end),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
CREATE INDEX object_instances_time ON object_instances
    (context_id, folder_id, is_long, span_start, span_end);
