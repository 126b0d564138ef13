-- Issue 7: a version per context that changes whenever anything changes that decides
-- who may log in to it and what its users may see: the context row (not its id
-- counters), its login mappings, users, addresses, groups, memberships, folders (not
-- their object revision) and folder permissions. The triggers set it, so every writer
-- (the daemon, oxdav-admin in another process) keeps it right without knowing of it.
-- It lets the daemon keep what it read (a login's verdict, a folder and its
-- permissions, a user's groups) and re-read only when the version moved.
--
-- A change sets the version to the next value of one store-wide clock, never to the
-- context's old value plus one: a context deleted and created again under the same id
-- (oxdav-admin allows explicit ids) can then never show a version its predecessor had,
-- so nothing kept from the old context passes for the new one.
--
-- login_names.version changes when a login could name someone new: a mapping, a user
-- (or a login rename) or an address is added. A login of the form user@mapping that
-- resolved through an e-mail address may then resolve through the mapping instead
-- (resolution order, DESIGN.md §2), which no single context's version would show.
-- Context.version combines both.
--
-- The triggers repeat one pattern per table and event on purpose: SQLite has no way to
-- share a trigger body, and tests/store/test_sqlite.py checks every column of every
-- table listed here (a column added to one of them later, and left out, fails there).
ALTER TABLE contexts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE version_clock (now INTEGER NOT NULL);
INSERT INTO version_clock (now) VALUES (0);

CREATE TABLE login_names (version INTEGER NOT NULL);
INSERT INTO login_names (version) VALUES (0);

CREATE TRIGGER contexts_insert_version AFTER INSERT ON contexts
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = NEW.id;
END;
CREATE TRIGGER contexts_update_version AFTER UPDATE OF id, name, taxonomy_types, config, enabled, created, modified ON contexts
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = NEW.id;
END;

CREATE TRIGGER context_mappings_insert_version AFTER INSERT ON context_mappings
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = NEW.context_id;
    UPDATE login_names SET version = version + 1;
END;
CREATE TRIGGER context_mappings_update_version AFTER UPDATE ON context_mappings
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id IN (OLD.context_id, NEW.context_id);
    UPDATE login_names SET version = version + 1;
END;
CREATE TRIGGER context_mappings_delete_version AFTER DELETE ON context_mappings
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = OLD.context_id;
END;

CREATE TRIGGER users_insert_version AFTER INSERT ON users
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = NEW.context_id;
    UPDATE login_names SET version = version + 1;
END;
CREATE TRIGGER users_update_version AFTER UPDATE ON users
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id IN (OLD.context_id, NEW.context_id);
END;
CREATE TRIGGER users_login_version AFTER UPDATE OF login ON users
BEGIN
    UPDATE login_names SET version = version + 1;
END;
CREATE TRIGGER users_delete_version AFTER DELETE ON users
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = OLD.context_id;
END;

CREATE TRIGGER user_addresses_insert_version AFTER INSERT ON user_addresses
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = NEW.context_id;
    UPDATE login_names SET version = version + 1;
END;
CREATE TRIGGER user_addresses_update_version AFTER UPDATE ON user_addresses
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id IN (OLD.context_id, NEW.context_id);
    UPDATE login_names SET version = version + 1;
END;
CREATE TRIGGER user_addresses_delete_version AFTER DELETE ON user_addresses
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = OLD.context_id;
END;

CREATE TRIGGER groups_insert_version AFTER INSERT ON groups
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = NEW.context_id;
END;
CREATE TRIGGER groups_update_version AFTER UPDATE ON groups
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id IN (OLD.context_id, NEW.context_id);
END;
CREATE TRIGGER groups_delete_version AFTER DELETE ON groups
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = OLD.context_id;
END;

CREATE TRIGGER group_members_insert_version AFTER INSERT ON group_members
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = NEW.context_id;
END;
CREATE TRIGGER group_members_update_version AFTER UPDATE ON group_members
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id IN (OLD.context_id, NEW.context_id);
END;
CREATE TRIGGER group_members_delete_version AFTER DELETE ON group_members
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = OLD.context_id;
END;

-- Object writes change only revision (and pruning pruned_revision): those stay out.
CREATE TRIGGER folders_insert_version AFTER INSERT ON folders
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = NEW.context_id;
END;
CREATE TRIGGER folders_update_version AFTER UPDATE OF context_id, id, module, owner_id,
    name, color, description, is_default, created, modified ON folders
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id IN (OLD.context_id, NEW.context_id);
END;
CREATE TRIGGER folders_delete_version AFTER DELETE ON folders
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = OLD.context_id;
END;

CREATE TRIGGER folder_permissions_insert_version AFTER INSERT ON folder_permissions
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = NEW.context_id;
END;
CREATE TRIGGER folder_permissions_update_version AFTER UPDATE ON folder_permissions
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id IN (OLD.context_id, NEW.context_id);
END;
CREATE TRIGGER folder_permissions_delete_version AFTER DELETE ON folder_permissions
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id = OLD.context_id;
END;
