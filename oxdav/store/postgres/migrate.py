"""Numbered schema migrations for the PostgreSQL engine.

``schema/NNNN_<what>.sql`` files are applied in order at start, each in its own
transaction together with its ``schema_version`` row (PostgreSQL runs DDL in
transactions), so a failure leaves either the whole migration or none of it. Several
nodes may start at once: they take one advisory lock in turn, and those that come
after the first find nothing left to apply.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg

from ..core.schema_files import Migration, shipped_migrations

#: The advisory lock the migrating node holds (any 64-bit number no one else uses in
#: this database: "oxdav" in ASCII).
MIGRATION_LOCK = 0x6F78646176


def migrations() -> list[Migration]:
    """The migration files shipped in ``oxdav/store/postgres/schema/``, by version."""
    return shipped_migrations("oxdav.store.postgres")


def applied_version(conn: psycopg.Connection[Any]) -> int:
    """The highest applied migration (0 for an empty database)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)")
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    assert row is not None
    return int(row[0])


def migrate(conn: psycopg.Connection[Any], available: list[Migration] | None = None
            ) -> list[str]:
    """Apply every migration newer than the database, one transaction each, holding
    the migration lock.

    Args:
        conn: a connection in autocommit mode with no open transaction.
        available: the migrations (default: the shipped ones).

    Returns:
        The names of the migrations applied now.

    Raises:
        RuntimeError: the database is newer than this code.
    """
    available = migrations() if available is None else available
    applied: list[str] = []
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        current = applied_version(conn)
        if current > len(available):
            raise RuntimeError(
                f"database schema version {current} is newer than this oxdav ({len(available)})")
        for migration in available:
            if migration.version <= current:
                continue
            with conn.transaction():
                conn.execute(migration.sql)  # several statements: no parameters
                conn.execute(
                    "INSERT INTO schema_version (version, name, applied) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, int(time.time())))
            applied.append(migration.name)
    finally:
        if not conn.broken:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied
