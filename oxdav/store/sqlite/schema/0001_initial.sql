-- oxdav store schema, version 1 (SQLite dialect).
-- Timestamps are INTEGER microseconds since the Unix epoch, UTC.
-- Lists and mappings that are never searched are JSON text.

CREATE TABLE contexts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    taxonomy_types  TEXT    NOT NULL DEFAULT '[]',
    config          TEXT    NOT NULL DEFAULT '{}',
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    next_user_id    INTEGER NOT NULL DEFAULT 1,
    next_group_id   INTEGER NOT NULL DEFAULT 1,
    next_folder_id  INTEGER NOT NULL DEFAULT 20,
    created         INTEGER NOT NULL,
    modified        INTEGER NOT NULL
);

-- Login mappings ("example.com"), unique across the store.
CREATE TABLE context_mappings (
    mapping     TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE,
    context_id  INTEGER NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL
);
CREATE INDEX context_mappings_context ON context_mappings (context_id, position);

CREATE TABLE users (
    context_id      INTEGER NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    id              INTEGER NOT NULL,
    login           TEXT    NOT NULL COLLATE NOCASE,
    display_name    TEXT    NOT NULL,
    first_name      TEXT,
    last_name       TEXT,
    email           TEXT,
    aliases         TEXT    NOT NULL DEFAULT '[]',
    password_hash   TEXT,
    permissions     TEXT    NOT NULL DEFAULT '[]',
    config          TEXT    NOT NULL DEFAULT '{}',
    enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created         INTEGER NOT NULL,
    modified        INTEGER NOT NULL,
    PRIMARY KEY (context_id, id),
    UNIQUE (context_id, login)
);

-- Every address of a user (primary and aliases), unique across all contexts.
CREATE TABLE user_addresses (
    address     TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE,
    context_id  INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    FOREIGN KEY (context_id, user_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
CREATE INDEX user_addresses_user ON user_addresses (context_id, user_id);

CREATE TABLE groups (
    context_id      INTEGER NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    id              INTEGER NOT NULL CHECK (id > 0),
    name            TEXT    NOT NULL COLLATE NOCASE,
    display_name    TEXT    NOT NULL,
    created         INTEGER NOT NULL,
    modified        INTEGER NOT NULL,
    PRIMARY KEY (context_id, id),
    UNIQUE (context_id, name)
);

CREATE TABLE group_members (
    context_id  INTEGER NOT NULL,
    group_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    PRIMARY KEY (context_id, group_id, user_id),
    FOREIGN KEY (context_id, group_id) REFERENCES groups (context_id, id) ON DELETE CASCADE,
    FOREIGN KEY (context_id, user_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (context_id, user_id);

CREATE TABLE folders (
    context_id      INTEGER NOT NULL REFERENCES contexts (id) ON DELETE CASCADE,
    id              INTEGER NOT NULL,
    module          TEXT    NOT NULL CHECK (module IN ('calendar', 'tasks', 'contacts')),
    owner_id        INTEGER,
    name            TEXT    NOT NULL,
    color           TEXT,
    description     TEXT,
    is_default      INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    revision        INTEGER NOT NULL DEFAULT 0,
    -- changes(since) below this revision cannot be answered (tombstones pruned)
    pruned_revision INTEGER NOT NULL DEFAULT 0,
    created         INTEGER NOT NULL,
    modified        INTEGER NOT NULL,
    PRIMARY KEY (context_id, id),
    -- owner_id NULL (system folder) leaves the key unenforced, as intended
    FOREIGN KEY (context_id, owner_id) REFERENCES users (context_id, id) ON DELETE CASCADE
);
CREATE INDEX folders_owner ON folders (context_id, owner_id, module);
CREATE UNIQUE INDEX folders_one_default ON folders (context_id, owner_id, module)
    WHERE is_default = 1;

-- Levels: 0 none, 1 own, 2 all. is_group=1 with entity 0 means every user of the context.
CREATE TABLE folder_permissions (
    context_id  INTEGER NOT NULL,
    folder_id   INTEGER NOT NULL,
    entity      INTEGER NOT NULL,
    is_group    INTEGER NOT NULL CHECK (is_group IN (0, 1)),
    read_level  INTEGER NOT NULL CHECK (read_level BETWEEN 0 AND 2),
    write_level INTEGER NOT NULL CHECK (write_level BETWEEN 0 AND 2),
    delete_level INTEGER NOT NULL CHECK (delete_level BETWEEN 0 AND 2),
    admin       INTEGER NOT NULL CHECK (admin IN (0, 1)),
    position    INTEGER NOT NULL,
    PRIMARY KEY (context_id, folder_id, is_group, entity),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
CREATE INDEX folder_permissions_entity ON folder_permissions (context_id, is_group, entity);

-- Objects: raw data plus the index the caller extracted on write. data is the last
-- column so that listings never read its overflow pages. Unbounded ends are stored as
-- -2^62 / 2^62 instead of NULL so that time-range queries stay index range scans.
CREATE TABLE objects (
    context_id  INTEGER NOT NULL,
    folder_id   INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    uid         TEXT    NOT NULL,
    component   TEXT    NOT NULL,
    first_start INTEGER NOT NULL,
    last_end    INTEGER NOT NULL,
    recurring   INTEGER NOT NULL CHECK (recurring IN (0, 1)),
    etag        TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    modseq      INTEGER NOT NULL,
    created_by  INTEGER,
    created     INTEGER NOT NULL,
    modified    INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    PRIMARY KEY (context_id, folder_id, name),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX objects_uid ON objects (context_id, folder_id, uid);
-- Both orders: a two-sided range scans last_end (few objects end after a recent start),
-- an end-only range scans first_start; the other bound is filtered inside the index.
CREATE INDEX objects_time ON objects (context_id, folder_id, first_start, last_end);
CREATE INDEX objects_time_end ON objects (context_id, folder_id, last_end, first_start);

-- One row per object name ever written in a folder, updated in place: the revision of
-- its last change and whether that change was a deletion (tombstone).
CREATE TABLE changes (
    context_id  INTEGER NOT NULL,
    folder_id   INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    modseq      INTEGER NOT NULL,
    deleted     INTEGER NOT NULL CHECK (deleted IN (0, 1)),
    created_by  INTEGER,
    changed     INTEGER NOT NULL,
    PRIMARY KEY (context_id, folder_id, name),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
CREATE INDEX changes_modseq ON changes (context_id, folder_id, modseq);
CREATE INDEX changes_tombstones ON changes (changed) WHERE deleted = 1;

-- Dead properties (RFC 4918 §4): opaque names and values; resource '' is the folder.
CREATE TABLE dead_properties (
    context_id  INTEGER NOT NULL,
    folder_id   INTEGER NOT NULL,
    resource    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    PRIMARY KEY (context_id, folder_id, resource, name),
    FOREIGN KEY (context_id, folder_id) REFERENCES folders (context_id, id) ON DELETE CASCADE
);
