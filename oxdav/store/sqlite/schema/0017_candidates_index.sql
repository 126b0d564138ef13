-- A report's candidates (Collection.candidates: name, component, spans) read from an
-- index alone, with the scope's created_by: a month query no longer reads the row
-- (and the data beside it) of every object ending after the month's start. Full
-- listings keep objects_time_end, narrower.
CREATE INDEX objects_candidates ON objects
    (context_id, folder_id, last_end, first_start, component, created_by, name,
     floating_spans, exact_spans);
