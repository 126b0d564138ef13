-- WebDAV-Push subscriptions (draft-bitfire-webdav-push §3): a user's Web Push endpoint
-- (RFC 8030 push resource) with its message encryption keys (RFC 8291), told of the
-- changes to the folders one collection shows (push_watches: one folder for a folder's
-- collection, the folder set of an aggregated one). The id is random and names the
-- registration. Times are wall-clock epoch SECONDS, which every node agrees on; an
-- expired row is never used and is deleted by the pruning job. A row goes with its
-- user, a watch with its folder. Not directory data: no trigger moves Context.version.
CREATE TABLE push_subscriptions (
    id          TEXT    NOT NULL PRIMARY KEY,
    context_id  INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    collection  TEXT    NOT NULL,
    endpoint    TEXT    NOT NULL,
    public_key  TEXT    NOT NULL,
    auth_secret TEXT    NOT NULL,
    created     INTEGER NOT NULL,
    expires     INTEGER NOT NULL,
    UNIQUE (context_id, user_id, collection, endpoint),
    FOREIGN KEY (context_id, user_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (context_id, user_id, expires);
CREATE INDEX push_subscriptions_expires ON push_subscriptions (expires);
CREATE TABLE push_watches (
    subscription_id TEXT    NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    context_id      INTEGER NOT NULL,
    folder_id       INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, folder_id),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
CREATE INDEX push_watches_folder ON push_watches (context_id, folder_id);
