-- A user's scheduling inbox (RFC 6638 §2.2): the iTIP messages delivered to them, by
-- resource name, until they delete them. The calendar copies live in the user's
-- folders; this holds only the messages. A row goes with its user. Not directory
-- data: no trigger moves Context.version (migration 0005), nothing caches it.
-- created: microseconds since the epoch.
CREATE TABLE schedule_inbox (
    context_id  INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    data        BLOB    NOT NULL,
    created     INTEGER NOT NULL,
    PRIMARY KEY (context_id, user_id, name),
    FOREIGN KEY (context_id, user_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
