"""Failed-login counts as PostgreSQL rows (``core.rows.DirectoryRows``, ``core.logins``).

Writers on several nodes count at once: each count is one statement (an upsert, an
update) that takes the row's lock, so none is lost whatever the isolation level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg


class PostgresLoginRows:
    """The ``login_failures`` table."""

    conn: psycopg.Connection[Any]

    def login_failures(self, keys: Sequence[str]) -> dict[str, tuple[int, int]]:
        rows = self.conn.execute(
            "SELECT key, failures, last_failure FROM login_failures WHERE key = ANY(%s)",
            (list(keys),))
        return {key: (failures, last) for key, failures, last in rows}

    def add_login_failure(self, key: str, now: int, restart_before: int) -> tuple[int, int]:
        row = self.conn.execute(
            "INSERT INTO login_failures AS f (key, failures, last_failure) VALUES (%s, 1, %s)"
            " ON CONFLICT (key) DO UPDATE SET"
            " failures = CASE WHEN f.last_failure <= %s THEN 1 ELSE f.failures + 1 END,"
            " last_failure = GREATEST(f.last_failure, EXCLUDED.last_failure)"
            " RETURNING failures, last_failure", (key, now, restart_before)).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    def take_back_login_failures(self, key: str, count: int) -> tuple[int, int] | None:
        row = self.conn.execute(
            "UPDATE login_failures SET failures = failures - %s WHERE key = %s"
            " AND failures > %s RETURNING failures, last_failure",
            (count, key, count)).fetchone()
        if row is None:
            self.conn.execute("DELETE FROM login_failures WHERE key = %s AND failures <= %s",
                              (key, count))
            return None
        return int(row[0]), int(row[1])

    def delete_login_failures(self, keys: Sequence[str]) -> dict[str, tuple[int, int]]:
        rows = self.conn.execute(
            "DELETE FROM login_failures WHERE key = ANY(%s)"
            " RETURNING key, failures, last_failure", (list(keys),)).fetchall()
        return {key: (failures, last) for key, failures, last in rows}

    def prune_login_failures(self, before: int) -> int:
        return self.conn.execute("DELETE FROM login_failures WHERE last_failure < %s",
                                 (before,)).rowcount
