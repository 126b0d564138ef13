-- The time index of the instance index carries the object's name (SQLite migration
-- 0016 says why): range queries become index-only scans.
DROP INDEX object_instances_time;
CREATE INDEX object_instances_time ON object_instances
    (context_id, folder_id, is_long, span_start, span_end) INCLUDE (name);
