-- Users' telephone numbers (issue 6: the global address list card carries them).
-- A JSON list of strings like ``aliases``; existing users get none.
ALTER TABLE users ADD COLUMN phones TEXT NOT NULL DEFAULT '[]';
