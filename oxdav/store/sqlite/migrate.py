"""Numbered schema migrations for the SQLite backend.

``schema/NNNN_<what>.sql`` files are applied in order at start, each in its own
``BEGIN IMMEDIATE`` transaction together with its ``schema_version`` row, so a crash
leaves either the whole migration or none of it, and a second start applies nothing.
"""

from __future__ import annotations

import sqlite3
import time

from ..core.schema_files import Migration, shipped_migrations


def migrations() -> list[Migration]:
    """The migration files shipped in ``oxdav/store/sqlite/schema/``, by version."""
    return shipped_migrations("oxdav.store.sqlite")


def statements(sql: str) -> list[str]:
    """Split a migration into complete SQL statements (triggers included)."""
    result: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                result.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise RuntimeError(f"incomplete SQL statement at end of migration: {buffer[:80]!r}")
    return result


def applied_version(conn: sqlite3.Connection) -> int:
    """The highest applied migration (0 for an empty database)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)"
    )
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, available: list[Migration] | None = None) -> list[str]:
    """Apply every migration newer than the database, one transaction each.

    Args:
        conn: a connection opened with ``isolation_level=None`` and no open transaction.
        available: the migrations (default: the shipped ones).

    Returns:
        The names of the migrations applied now.

    Raises:
        RuntimeError: the database is newer than this code.
    """
    available = migrations() if available is None else available
    applied: list[str] = []
    current = applied_version(conn)
    if current > len(available):
        raise RuntimeError(
            f"database schema version {current} is newer than this oxdav ({len(available)})"
        )
    for migration in available:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            if migration.version <= applied_version(conn):
                conn.execute("COMMIT")
                continue
            for statement in statements(migration.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, name, applied) VALUES (?, ?, ?)",
                (migration.version, migration.name, int(time.time())),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(migration.name)
    return applied
