-- Issue 7: objects.exact_spans, when not NULL, is a JSON list of [start, end] pairs (UTC
-- epoch seconds) that the caller vouches are exactly the object's time spans (not a
-- widened envelope), so a time-range query can be answered from the index without
-- reading the data; floating_spans = 1 when the pairs are wall-clock times read as UTC
-- (their instant depends on the reader's time zone). Existing objects get NULL (they keep the exact path) until they are
-- written again.
-- The table is rebuilt rather than altered so that data stays the last column
-- (listings never read its overflow pages; ALTER TABLE ADD COLUMN would append after it).
CREATE TABLE objects_rebuilt (
    context_id  INTEGER NOT NULL,
    folder_id   INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    uid         TEXT    NOT NULL,
    component   TEXT    NOT NULL,
    first_start INTEGER NOT NULL,
    last_end    INTEGER NOT NULL,
    recurring   INTEGER NOT NULL CHECK (recurring IN (0, 1)),
    exact_spans TEXT,
    floating_spans INTEGER NOT NULL DEFAULT 0 CHECK (floating_spans IN (0, 1)),
    etag        TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    modseq      INTEGER NOT NULL,
    created_by  INTEGER,
    created     INTEGER NOT NULL,
    modified    INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    PRIMARY KEY (context_id, folder_id, name),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
INSERT INTO objects_rebuilt (context_id, folder_id, name, uid, component, first_start,
    last_end, recurring, exact_spans, floating_spans, etag, size, modseq, created_by, created, modified, data)
SELECT context_id, folder_id, name, uid, component, first_start, last_end, recurring, NULL, 0,
    etag, size, modseq, created_by, created, modified, data FROM objects;
DROP TABLE objects;
ALTER TABLE objects_rebuilt RENAME TO objects;
CREATE UNIQUE INDEX objects_uid ON objects (context_id, folder_id, uid);
CREATE INDEX objects_time ON objects (context_id, folder_id, first_start, last_end);
CREATE INDEX objects_time_end ON objects (context_id, folder_id, last_end, first_start);
