-- Outgoing scheduling mail (iMIP, RFC 6047; SQLite migration 0010 says more): one row
-- per message to one recipient, inserted in the transaction of the change that caused
-- it. Several nodes send from it: each claims due rows with FOR UPDATE SKIP LOCKED for
-- a lease (claim nonce, lease_until in epoch milliseconds), and only the holder of the
-- claim settles a row.
CREATE TABLE mail_queue (
    id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    context_id   BIGINT  NOT NULL,
    sender_id    BIGINT  NOT NULL,
    recipient    TEXT    NOT NULL,
    method       TEXT    COLLATE "C" NOT NULL,
    uid          TEXT    COLLATE "C" NOT NULL,
    token        TEXT    COLLATE "C" NOT NULL UNIQUE,
    itip         BYTEA   NOT NULL,
    state        TEXT    COLLATE "C" NOT NULL
                 CHECK (state IN ('queued', 'sent', 'failed', 'skipped')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    due          BIGINT  NOT NULL,
    claim        TEXT    COLLATE "C",
    lease_until  BIGINT,
    last_error   TEXT,
    created      BIGINT  NOT NULL,
    settled      BIGINT,
    FOREIGN KEY (context_id, sender_id) REFERENCES users (context_id, id)
        ON DELETE CASCADE
);
CREATE INDEX mail_queue_due ON mail_queue (state, due);
CREATE INDEX mail_queue_context ON mail_queue (context_id, id);
CREATE INDEX mail_queue_settled ON mail_queue (settled);
