-- WebDAV write locks (RFC 4918 §6): one row per lock, keyed by its token, on a member
-- name of a folder (an object, or a name no object holds yet, RFC 4918 §7.3), so a
-- lock belongs to a resource of one context, never to a path several tenants share.
-- The daemons on one database share the rows, so the times are wall-clock epoch
-- SECONDS (not the microseconds of the other tables): expires is when the lock stops
-- having any effect, timeout what the last LOCK or refresh granted. A row goes with
-- its folder (and so its context) and with the user who took it; an expired row is
-- never effective, and is deleted by the next LOCK of its name or by the pruning job.
-- Locks are not directory data: no trigger moves Context.version (migration 0005).
CREATE TABLE locks (
    token       TEXT    NOT NULL PRIMARY KEY,
    context_id  INTEGER NOT NULL,
    folder_id   INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    creator_id  INTEGER NOT NULL,
    exclusive   INTEGER NOT NULL CHECK (exclusive IN (0, 1)),
    owner       TEXT,
    timeout     INTEGER NOT NULL CHECK (timeout > 0),
    created     INTEGER NOT NULL,
    expires     INTEGER NOT NULL,
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE,
    FOREIGN KEY (context_id, creator_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
CREATE INDEX locks_member ON locks (context_id, folder_id, name);
CREATE INDEX locks_creator ON locks (context_id, creator_id, expires);
CREATE INDEX locks_expires ON locks (expires);
