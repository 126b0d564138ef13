-- Failed logins, counted per key (an account, a login naming nobody, a client address,
-- an address's failures on one account), so that every process on the store sees
-- the same counts. What the counts mean (thresholds, back-off) is the directory's
-- policy; the store keeps the number and the time of the last one (microseconds since
-- the epoch, UTC). Not directory data: no trigger moves Context.version.
CREATE TABLE login_failures (
    key           TEXT    NOT NULL PRIMARY KEY,
    failures      INTEGER NOT NULL CHECK (failures > 0),
    last_failure  INTEGER NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last_failure);
