"""The store the configuration names (``oxdav.storage`` and its settings), for the
daemon and ``oxdav-admin`` alike, and ``--check-config``'s verdict on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oxdav.config import ConfigSnapshot
from oxdav.store import Store, open_store
from oxdav.store.factory import sqlite_path, storage_scheme
from oxdav.store.postgres import DatabaseTarget


def data_directory(snapshot: ConfigSnapshot) -> Path:
    """The state directory (``oxdav.dataDir``, relative to the config directory)."""
    return snapshot.path("oxdav.dataDir")


def password_file(snapshot: ConfigSnapshot) -> Path | None:
    """``oxdav.storage.passwordFile`` resolved against the config directory; None when
    unset (libpq's own sources then)."""
    return snapshot.path("oxdav.storage.passwordFile") if snapshot.get(
        "oxdav.storage.passwordFile").strip() else None


def configured_store(snapshot: ConfigSnapshot, reactor: Any) -> Store:
    """The store ``oxdav.storage`` names, with its settings; not started (nothing is
    opened or connected yet).

    Raises:
        UnsupportedStorageURL: the URL names no engine, or is malformed.
    """
    return open_store(snapshot.get("oxdav.storage"), data_directory(snapshot), reactor,
                      synchronous=snapshot.get("oxdav.sqlite.synchronous"),
                      password_file=password_file(snapshot),
                      pool_size=snapshot.get("oxdav.storage.poolSize"),
                      statement_timeout=snapshot.get("oxdav.storage.statementTimeout"))


def check_storage(snapshot: ConfigSnapshot) -> str:
    """``--check-config``'s verdict on the storage settings, without opening or
    connecting to anything: the URL is one the store takes, the password file (if
    any) can be read.

    Returns:
        A line for the summary.

    Raises:
        StoreError: the start would fail on them; the message says why.
    """
    url = snapshot.get("oxdav.storage")
    if storage_scheme(url) == "sqlite":
        return f"storage: SQLite {sqlite_path(url, data_directory(snapshot))}"
    target = DatabaseTarget.parse(url, password_file(snapshot))
    target.check_password_file()
    source = (f"password from {target.password_file}" if target.password_file
              else "password from PGPASSWORD, PGPASSFILE or ~/.pgpass")
    return (f"storage: PostgreSQL {target.name} ({source}, up to"
            f" {snapshot.get('oxdav.storage.poolSize')} connections)")
