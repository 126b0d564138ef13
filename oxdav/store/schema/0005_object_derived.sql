-- Issue 7: objects.derived holds opaque bytes the caller derived from the object when
-- it was written (CalDAV: the CALDAV:expand rendering of each of its instances, so a
-- read does not parse the object again), returned with the data when asked for and
-- never interpreted by the store. Existing objects get NULL (their readers fall back to
-- what they did before) until they are written again.
-- Added after data rather than by rebuilding the table: only get_many(with_derived)
-- reads it, together with data, so listings still never read data's overflow pages.
ALTER TABLE objects ADD COLUMN derived BLOB;
