"""The throwaway PostgreSQL cluster that the store, multi-node and benchmark tests use
(tests/postgres_cluster.py): password logins, isolated fresh databases, LISTEN/NOTIFY."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from tests.postgres_cluster import (
    PostgresCluster,
    PostgresDatabase,
    PostgresUnavailable,
    find_bindir,
    remove_stale,
)


def connect(database: PostgresDatabase) -> psycopg.Connection:
    """Log in as the product will: the URL without password, the password from its file."""
    password = database.password_file.read_text().strip()
    return psycopg.connect(database.url, password=password, autocommit=True)


def test_role_logs_in_with_the_password_from_its_file(postgres_database):
    with connect(postgres_database) as conn:
        conn.execute("CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL)")
        conn.execute("INSERT INTO item (name) VALUES (%s), (%s)", ("a", "b"))
        rows = conn.execute("SELECT current_user, count(*) FROM item GROUP BY 1").fetchall()
    assert rows == [("oxdav", 2)]


def test_wrong_password_is_refused(postgres_database):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgres_database.url, password="wrong")


def test_dsn_carries_the_password(postgres_cluster):
    with psycopg.connect(postgres_cluster.dsn()) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("oxdav",)


def test_notify_reaches_a_listener_on_another_connection_after_commit(postgres_database):
    with connect(postgres_database) as listener, connect(postgres_database) as notifier:
        listener.execute("LISTEN oxdav_changes")
        with notifier.transaction():
            notifier.execute("SELECT pg_notify('oxdav_changes', 'folder 7')")
            # PostgreSQL delivers a notification only when its transaction commits.
            assert list(listener.notifies(timeout=0.2)) == []
        received = list(listener.notifies(timeout=10, stop_after=1))
    assert [(n.channel, n.payload) for n in received] == [("oxdav_changes", "folder 7")]


def test_fresh_databases_are_isolated(postgres_cluster):
    first, second = postgres_cluster.new_database(), postgres_cluster.new_database()
    try:
        assert first.name != second.name
        with connect(first) as one, connect(second) as two:
            one.execute("CREATE TABLE item (id int)")
            two.execute("LISTEN oxdav_changes")
            one.execute("NOTIFY oxdav_changes")
            tables = two.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'item'")
            assert tables.fetchone() == (0,)
            assert list(two.notifies(timeout=0.2)) == []
    finally:
        postgres_cluster.drop_database(first.name)
        postgres_cluster.drop_database(second.name)


def test_drop_database_ends_its_open_sessions(postgres_cluster):
    database = postgres_cluster.new_database()
    with connect(database) as conn:
        postgres_cluster.drop_database(database.name)
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        connect(database)


def test_server_does_not_run_as_root(postgres_cluster):
    assert postgres_cluster.data_dir.stat().st_uid != 0
    assert postgres_cluster.version


def test_password_file_is_private(postgres_cluster):
    assert postgres_cluster.password_file.stat().st_mode & 0o077 == 0
    assert postgres_cluster.password_file.stat().st_uid == os.geteuid()


def test_running_cluster_is_not_removed_as_stale(postgres_cluster: PostgresCluster):
    remove_stale(postgres_cluster.directory.parent, min_age=0)
    assert postgres_cluster.data_dir.is_dir()


def test_abandoned_cluster_directory_is_removed(tmp_path: Path):
    abandoned = tmp_path / "oxdav-pg-1-abandoned"
    (abandoned / "data").mkdir(parents=True)
    remove_stale(tmp_path, min_age=0)
    assert not abandoned.exists()


def test_missing_server_binaries_are_an_error_not_a_skip(tmp_path: Path):
    with pytest.raises(PostgresUnavailable, match="./dev test"):
        find_bindir(tmp_path, path=str(tmp_path))


def test_highest_installed_version_is_chosen(tmp_path: Path):
    for version in ("9.6", "15", "16"):
        bindir = tmp_path / version / "bin"
        bindir.mkdir(parents=True)
        for program in ("initdb", "pg_ctl"):
            (bindir / program).touch()
    assert find_bindir(tmp_path, path="") == tmp_path / "16" / "bin"
