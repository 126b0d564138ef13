-- Issue 7: objects.alternate holds an alternate representation of the object's data
-- that the caller made on write (CardDAV: the card in the other vCard version), so that
-- reads wanting it return stored bytes instead of converting on every read. Opaque to
-- the store; NULL when there is none (objects written before this migration keep NULL
-- until they are written again, and their readers convert as before). Not counted in
-- size (the ETag, quota and getcontentlength are the data's).
-- Added at the end, after data, rather than by rebuilding the table: listings read
-- neither column, plain reads of data stop before it, and only the reads that ask for
-- the alternate step over data; the migration stays instant on a large store.
ALTER TABLE objects ADD COLUMN alternate BLOB;
