-- Failed logins, counted per key (SQLite migration 0009 says more): one row per key,
-- the number of failures and the time of the last one (microseconds since the epoch).
-- Every node counts into it, so that guesses spread over the nodes behind a balancer
-- meet the same thresholds as on one.
CREATE TABLE login_failures (
    key           TEXT   COLLATE "C" NOT NULL PRIMARY KEY,
    failures      BIGINT NOT NULL CHECK (failures > 0),
    last_failure  BIGINT NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last_failure);
