-- A user's scheduling inbox (RFC 6638 §2.2): the iTIP messages delivered to them
-- (SQLite migration 0010 says more). created: microseconds since the epoch.
CREATE TABLE schedule_inbox (
    context_id  BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    name        TEXT   COLLATE "C" NOT NULL,
    data        BYTEA  NOT NULL,
    created     BIGINT NOT NULL,
    PRIMARY KEY (context_id, user_id, name),
    FOREIGN KEY (context_id, user_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
