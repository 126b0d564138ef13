-- A sharee's answer to a folder shared with them (CalendarServer sharing's invite-reply):
-- accepted or declined; no row means no answer yet (needs-action). The sharing itself
-- is the folder's permissions; this only records what the sharee said. A row goes with
-- its folder and with its user, and the store drops it when the permissions change so
-- that the user is invited afresh or may no longer read the folder. Not directory data:
-- no trigger moves Context.version (migration 0005), nothing caches it.
CREATE TABLE share_replies (
    context_id  INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    folder_id   INTEGER NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('accepted', 'declined')),
    modified    INTEGER NOT NULL,
    PRIMARY KEY (context_id, user_id, folder_id),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE,
    FOREIGN KEY (context_id, user_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
CREATE INDEX share_replies_folder ON share_replies (context_id, folder_id);
