"""Failed-login counts as SQLite rows (``core.rows.DirectoryRows``, ``core.logins``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence


class SQLiteLoginRows:
    """The ``login_failures`` table; one writer at a time, so each statement is atomic
    whoever else counts."""

    conn: sqlite3.Connection

    def login_failures(self, keys: Sequence[str]) -> dict[str, tuple[int, int]]:
        marks = ", ".join("?" * len(keys))
        rows = self.conn.execute(
            f"SELECT key, failures, last_failure FROM login_failures WHERE key IN ({marks})",
            list(keys))
        return {key: (failures, last) for key, failures, last in rows}

    def add_login_failure(self, key: str, now: int, restart_before: int) -> tuple[int, int]:
        row = self.conn.execute(
            "INSERT INTO login_failures (key, failures, last_failure) VALUES (?, 1, ?)"
            " ON CONFLICT (key) DO UPDATE SET"
            " failures = CASE WHEN last_failure <= ? THEN 1 ELSE failures + 1 END,"
            " last_failure = max(last_failure, excluded.last_failure)"
            " RETURNING failures, last_failure", (key, now, restart_before)).fetchone()
        return int(row[0]), int(row[1])

    def take_back_login_failures(self, key: str, count: int) -> tuple[int, int] | None:
        row = self.conn.execute(
            "UPDATE login_failures SET failures = failures - ? WHERE key = ? AND failures > ?"
            " RETURNING failures, last_failure", (count, key, count)).fetchone()
        if row is None:
            self.conn.execute("DELETE FROM login_failures WHERE key = ?", (key,))
            return None
        return int(row[0]), int(row[1])

    def delete_login_failures(self, keys: Sequence[str]) -> dict[str, tuple[int, int]]:
        marks = ", ".join("?" * len(keys))
        rows = self.conn.execute(
            f"DELETE FROM login_failures WHERE key IN ({marks})"
            " RETURNING key, failures, last_failure", list(keys)).fetchall()
        return {key: (failures, last) for key, failures, last in rows}

    def prune_login_failures(self, before: int) -> int:
        return self.conn.execute("DELETE FROM login_failures WHERE last_failure < ?",
                                 (before,)).rowcount
