-- Outgoing scheduling mail (iMIP, RFC 6047): one row per message to one recipient.
-- A row is inserted inside the write transaction of the change that caused it, so it
-- commits with that change or not at all. A sender claims due rows for a lease (claim
-- is a nonce, lease_until in epoch MILLISECONDS like the other times here); only the
-- holder of the claim settles a row: sent, failed (retries used up) or skipped (an
-- event already over). Settled rows stay until pruned: a reply mail names the row by
-- its token (the secret part of the reply address), which says which context,
-- organizer, attendee and UID an answer may touch. Not directory data: no trigger
-- moves Context.version.
CREATE TABLE mail_queue (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    context_id   INTEGER NOT NULL,
    sender_id    INTEGER NOT NULL,
    recipient    TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    uid          TEXT    NOT NULL,
    token        TEXT    NOT NULL UNIQUE,
    itip         BLOB    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'skipped')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    due          INTEGER NOT NULL,
    claim        TEXT,
    lease_until  INTEGER,
    last_error   TEXT,
    created      INTEGER NOT NULL,
    settled      INTEGER,
    FOREIGN KEY (context_id, sender_id) REFERENCES users (context_id, id)
        ON DELETE CASCADE
);
CREATE INDEX mail_queue_due ON mail_queue (state, due);
CREATE INDEX mail_queue_context ON mail_queue (context_id, id);
CREATE INDEX mail_queue_settled ON mail_queue (settled);
