-- The calendar component types a folder takes (CalDAV supported-calendar-component-set,
-- RFC 4791 §5.2.3) when the one who made it chose them: a JSON list of names, sorted;
-- '[]' for the types of its module (calendar: VEVENT, tasks: VTODO), which every folder
-- made before has. Kept with the folder, so every PUT and listing has it with the
-- folder row and no further read.
ALTER TABLE folders ADD COLUMN components TEXT NOT NULL DEFAULT '[]';

-- What a folder takes is what its users see of it: it moves Context.version like the
-- other folder columns (migration 0005), so the trigger is made again with it.
DROP TRIGGER folders_update_version;
CREATE TRIGGER folders_update_version AFTER UPDATE OF context_id, id, module, owner_id,
    name, color, description, is_default, created, modified, components ON folders
BEGIN
    UPDATE version_clock SET now = now + 1;
    UPDATE contexts SET version = (SELECT now FROM version_clock) WHERE id IN (OLD.context_id, NEW.context_id);
END;
