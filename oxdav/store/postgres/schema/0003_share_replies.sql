-- A sharee's answer to a folder shared with them (SQLite migration 0010 says more):
-- accepted or declined; no row means no answer yet. Not directory data: no trigger.
CREATE TABLE share_replies (
    context_id  BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    folder_id   BIGINT NOT NULL,
    status      TEXT   NOT NULL CHECK (status IN ('accepted', 'declined')),
    modified    BIGINT NOT NULL,
    PRIMARY KEY (context_id, user_id, folder_id),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE,
    FOREIGN KEY (context_id, user_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
CREATE INDEX share_replies_folder ON share_replies (context_id, folder_id);
