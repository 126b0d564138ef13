-- The time index of the instance index carries the object's name, so that a range
-- query reads the index alone (no row lookup per span): a month of a calendar with
-- daily series meets ten thousand spans.
DROP INDEX object_instances_time;
CREATE INDEX object_instances_time ON object_instances
    (context_id, folder_id, is_long, span_start, span_end, name);
