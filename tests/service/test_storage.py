"""oxdav.storage: the store the configuration names, with its settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from twisted.internet import reactor

from oxdav.config import load_config
from oxdav.storage import check_storage, configured_store
from oxdav.store import StoreError, UnsupportedStorageURL
from oxdav.store.postgres import PostgresStore
from oxdav.store.sqlite import SQLiteStore


def config(tmp_path: Path, properties: str):
    (tmp_path / "oxdav.properties").write_text("oxdav.dataDir = data\n" + properties)
    return load_config(tmp_path)


def test_the_postgresql_settings_reach_the_engine(tmp_path: Path) -> None:
    snapshot = config(tmp_path, "oxdav.storage = postgresql://oxdav@db.example/oxdav\n"
                                "oxdav.storage.passwordFile = db.password\n"
                                "oxdav.storage.poolSize = 3\n"
                                "oxdav.storage.statementTimeout = 1500ms\n")
    store = configured_store(snapshot, reactor)
    assert isinstance(store, PostgresStore)
    engine = store.engine
    assert (engine.pool_size, engine.statement_timeout) == (3, 1.5)
    assert engine.target.password_file == tmp_path / "db.password"  # config-relative


def test_without_a_password_file_libpq_finds_the_password(tmp_path: Path) -> None:
    snapshot = config(tmp_path, "oxdav.storage = postgresql://oxdav@db.example/oxdav\n")
    assert configured_store(snapshot, reactor).engine.target.password_file is None
    assert "password from PGPASSWORD, PGPASSFILE or ~/.pgpass" in check_storage(snapshot)


def test_sqlite_stays_the_default(tmp_path: Path) -> None:
    snapshot = config(tmp_path, "")
    assert isinstance(configured_store(snapshot, reactor), SQLiteStore)
    assert check_storage(snapshot) == f"storage: SQLite {tmp_path / 'data' / 'oxdav.sqlite3'}"


def test_check_storage_refuses_what_the_start_would(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedStorageURL):
        check_storage(config(tmp_path, "oxdav.storage = mysql://db/oxdav\n"))
    with pytest.raises(StoreError, match="cannot read the database password file"):
        check_storage(config(tmp_path, "oxdav.storage = postgresql://u@db/oxdav\n"
                                       "oxdav.storage.passwordFile = missing\n"))
