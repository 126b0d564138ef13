-- The name a user gave a folder of someone else for themselves (a sharee's rename):
-- shown to that user only; the folder's own name, which its owner and everyone else
-- see, stays. A row goes with its folder and with its user. Not directory data: no
-- trigger moves Context.version (migration 0005), nothing caches it.
CREATE TABLE folder_own_names (
    context_id  INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    folder_id   INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    PRIMARY KEY (context_id, user_id, folder_id),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE,
    FOREIGN KEY (context_id, user_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
CREATE INDEX folder_own_names_folder ON folder_own_names (context_id, folder_id);
