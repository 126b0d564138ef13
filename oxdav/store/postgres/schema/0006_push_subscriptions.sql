-- WebDAV-Push subscriptions and the folders each watches (SQLite migration 0010 says
-- more); times are wall-clock epoch SECONDS, which every node agrees on.
CREATE TABLE push_subscriptions (
    id          TEXT    COLLATE "C" NOT NULL PRIMARY KEY,
    context_id  BIGINT  NOT NULL,
    user_id     BIGINT  NOT NULL,
    collection  TEXT    COLLATE "C" NOT NULL,
    endpoint    TEXT    COLLATE "C" NOT NULL,
    public_key  TEXT    NOT NULL,
    auth_secret TEXT    NOT NULL,
    created     BIGINT  NOT NULL,
    expires     BIGINT  NOT NULL,
    UNIQUE (context_id, user_id, collection, endpoint),
    FOREIGN KEY (context_id, user_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (context_id, user_id, expires);
CREATE INDEX push_subscriptions_expires ON push_subscriptions (expires);
CREATE TABLE push_watches (
    subscription_id TEXT   COLLATE "C" NOT NULL
                    REFERENCES push_subscriptions (id) ON DELETE CASCADE,
    context_id      BIGINT NOT NULL,
    folder_id       BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, folder_id),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
CREATE INDEX push_watches_folder ON push_watches (context_id, folder_id);
