-- The instance index (SQLite migration 0010 says more): per indexed object its window
-- and whether its spans are wall-clock times (floating), and one row per instance span
-- (UTC epoch seconds); is_long marks spans longer than a week, so that a range scans
-- the short ones from a week before its start only. Replaced on every write of the
-- object, removed with it or its folder.
CREATE TABLE instance_windows (
    context_id    BIGINT  NOT NULL,
    folder_id     BIGINT  NOT NULL,
    name          TEXT    COLLATE "C" NOT NULL,
    indexed_from  BIGINT  NOT NULL,
    indexed_until BIGINT  NOT NULL,
    floating      BOOLEAN NOT NULL,
    PRIMARY KEY (context_id, folder_id, name),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
-- Windows ending soonest are extended first (Transaction.aging_instance_indexes).
CREATE INDEX instance_windows_until ON instance_windows (indexed_until);
CREATE TABLE object_instances (
    context_id BIGINT  NOT NULL,
    folder_id  BIGINT  NOT NULL,
    name       TEXT    COLLATE "C" NOT NULL,
    is_long    BOOLEAN NOT NULL,
    span_start BIGINT  NOT NULL,
    span_end   BIGINT  NOT NULL,
    PRIMARY KEY (context_id, folder_id, name, span_start, span_end),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
CREATE INDEX object_instances_time ON object_instances
    (context_id, folder_id, is_long, span_start, span_end);
