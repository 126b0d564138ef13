"""SQLite backend specifics: file settings, migrations, threads, storage URLs."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import pytest_twisted

from oxdav.store import StoreError, UnsupportedStorageURL, open_store
from oxdav.store.core.store import CoreStore
from oxdav.store.factory import sqlite_path
from oxdav.store.sqlite import SQLiteEngine, SQLiteStore
from oxdav.store.sqlite.migrate import migrate, migrations


def reactor():
    from twisted.internet import reactor

    return reactor


def pragma(name: str):
    return lambda rows: rows.conn.execute(f"PRAGMA {name}").fetchone()[0]


@pytest_twisted.ensureDeferred
async def test_writer_runs_wal_full_with_foreign_keys(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite3", reactor())
    await store.start()
    try:
        async with store.transaction("pragmas", write=True) as txn:
            assert await txn.call(pragma("journal_mode")) == "wal"
            assert await txn.call(pragma("synchronous")) == 2  # FULL
            assert await txn.call(pragma("foreign_keys")) == 1
            assert await txn.call(pragma("busy_timeout")) == 5000
            assert await txn.call(pragma("query_only")) == 0
    finally:
        await store.stop()


@pytest_twisted.ensureDeferred
async def test_readers_are_query_only(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite3", reactor())
    await store.start()
    try:
        async with store.transaction("pragmas") as txn:
            assert await txn.call(pragma("query_only")) == 1
            assert await txn.call(pragma("synchronous")) == 2
            with pytest.raises(sqlite3.OperationalError):
                await txn.call(lambda rows: rows.conn.execute("DELETE FROM contexts"))
    finally:
        await store.stop()


@pytest_twisted.ensureDeferred
async def test_synchronous_normal_can_be_chosen(tmp_path):
    store = open_store("sqlite:db.sqlite3", tmp_path, reactor(), synchronous="NORMAL")
    await store.start()
    try:
        async with store.transaction("pragmas", write=True) as txn:
            assert await txn.call(pragma("synchronous")) == 1
    finally:
        await store.stop()


def test_synchronous_off_is_refused(tmp_path):
    with pytest.raises(ValueError):
        SQLiteStore(tmp_path / "db.sqlite3", reactor(), synchronous="OFF")  # type: ignore


@pytest_twisted.ensureDeferred
async def test_reopened_store_keeps_data_and_migrates_once(tmp_path):
    path = tmp_path / "data" / "db.sqlite3"
    for round in range(2):
        store = SQLiteStore(path, reactor())
        await store.start()
        async with store.transaction("t", write=True) as txn:
            if round == 0:
                await txn.create_context("acme")
            assert [c.name for c in await txn.contexts()] == ["acme"]
        await store.stop()
    conn = sqlite3.connect(path)
    versions = conn.execute("SELECT version, name FROM schema_version").fetchall()
    conn.close()
    assert versions == [(m.version, m.name) for m in migrations()]


def test_migrate_applies_each_migration_once(tmp_path):
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    try:
        assert migrate(conn) == [m.name for m in migrations()]
        assert migrate(conn) == []
    finally:
        conn.close()


def test_database_newer_than_code_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    try:
        migrate(conn)
        conn.execute("INSERT INTO schema_version VALUES (999, '0999_future.sql', 0)")
        with pytest.raises(RuntimeError, match="newer"):
            migrate(conn)
    finally:
        conn.close()


@pytest_twisted.ensureDeferred
async def test_file_that_is_not_a_database_fails_the_start_naming_it(tmp_path):
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"not a database" * 512)
    store = SQLiteStore(path, reactor())
    with pytest.raises(StoreError, match=f"{path}: file is not a database"):
        await store.start()


@pytest_twisted.ensureDeferred
async def test_data_directory_that_is_a_file_fails_the_start_naming_both(tmp_path):
    (tmp_path / "data").write_text("a file where the data directory belongs\n")
    path = tmp_path / "data" / "db.sqlite3"
    store = SQLiteStore(path, reactor())
    with pytest.raises(StoreError) as raised:
        await store.start()
    assert str(path) in str(raised.value)
    assert f"not a directory: '{tmp_path / 'data'}'" in str(raised.value)


@pytest_twisted.ensureDeferred
async def test_database_newer_than_code_fails_the_start_naming_it(tmp_path):
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn)
    conn.execute("INSERT INTO schema_version VALUES (999, '0999_future.sql', 0)")
    conn.close()
    with pytest.raises(StoreError, match=f"{path}: database schema version 999 is newer"):
        await SQLiteStore(path, reactor()).start()


@pytest_twisted.ensureDeferred
async def test_start_checks_the_writer_can_write_and_leaves_no_trace(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite3", reactor())
    await store.start()
    await store.stop()
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "schema_version" in names
    assert not [name for name in names if "write_check" in name]


@pytest_twisted.ensureDeferred
async def test_database_of_the_first_schema_migrates_at_start_and_keeps_users(tmp_path):
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert migrate(conn, migrations()[:1]) == ["0001_initial.sql"]
        conn.execute("INSERT INTO contexts (id, name, created, modified) VALUES (1, 'acme', 0, 0)")
        conn.execute("INSERT INTO users (context_id, id, login, display_name, aliases,"
                     " created, modified) VALUES (1, 3, 'alice', 'Alice', '[\"a@x.example\"]',"
                     " 0, 0)")
    finally:
        conn.close()
    store = SQLiteStore(path, reactor())
    await store.start()
    try:
        async with store.transaction("t", write=True) as txn:
            alice = await txn.user(1, 3)
            assert (alice.login, alice.aliases, alice.phones) == ("alice", ("a@x.example",), ())
            changed = await txn.update_user(1, 3, phones=["+49 30 1234"])
            assert changed.phones == ("+49 30 1234",)
    finally:
        await store.stop()
    conn = sqlite3.connect(path)
    versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    conn.close()
    assert versions == [m.version for m in migrations()]


class TracingEngine(SQLiteEngine):
    """Records the thread of every SQL statement the engine executes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.threads: set[str] = set()

    def _open_connection(self, readonly: bool) -> sqlite3.Connection:
        conn = super()._open_connection(readonly)
        conn.set_trace_callback(lambda _sql: self.threads.add(threading.current_thread().name))
        return conn


@pytest_twisted.ensureDeferred
async def test_no_statement_runs_on_the_reactor_thread(tmp_path):
    from oxdav.store import FolderPermission, ObjectIndex

    engine = TracingEngine(tmp_path / "db.sqlite3", reactor())
    store = CoreStore(engine)
    await store.start()
    async with store.transaction("write", write=True) as txn:
        context = await txn.create_context("acme")
        user = await txn.create_user(context.id, "a", display_name="A")
        home = await txn.home(context.id, user.id)
        folder = await home.create_folder("calendar", "C", permissions=[
            FolderPermission(entity=0, is_group=True, read="all")])
        collection = await home.collection(folder.id)
        await collection.put("a.ics", b"x", ObjectIndex("u", "VEVENT"))
    async with store.transaction("read") as txn:
        home = await txn.home(context.id, user.id)
        await (await home.collection(folder.id)).changes(None)
    await store.stop()
    assert threading.current_thread() is threading.main_thread()
    assert engine.threads
    assert threading.main_thread().name not in engine.threads
    assert all(name.startswith("PoolThread-oxdav-db-") for name in engine.threads), engine.threads
    assert any("writer" in name for name in engine.threads)
    assert any("reader" in name for name in engine.threads)


@pytest_twisted.ensureDeferred
async def test_pool_stats_name_the_pools(tmp_path):
    store = SQLiteStore(tmp_path / "db.sqlite3", reactor(), readers=3, reader_threads=2)
    await store.start()
    try:
        stats = {s.name: s for s in store.pool_stats()}
    finally:
        await store.stop()
    assert stats["writer"].max_threads == 1 and stats["reader"].max_threads == 2


def test_relative_sqlite_url_is_inside_the_data_dir(tmp_path):
    assert sqlite_path("sqlite:oxdav.sqlite3", tmp_path) == tmp_path / "oxdav.sqlite3"
    assert sqlite_path("sqlite:sub/x.db", tmp_path) == tmp_path / "sub" / "x.db"


def test_absolute_sqlite_urls(tmp_path):
    assert sqlite_path("sqlite:/var/lib/x.db", tmp_path) == Path("/var/lib/x.db")
    assert sqlite_path("sqlite:///var/lib/x.db", tmp_path) == Path("/var/lib/x.db")


@pytest.mark.parametrize("url", ["sqlite:", "sqlite://host/x.db", "sqlite:dir/"])
def test_malformed_sqlite_urls_are_refused(url, tmp_path):
    with pytest.raises(UnsupportedStorageURL):
        sqlite_path(url, tmp_path)


@pytest.mark.parametrize("url", ["mysql://db", "oxdav.sqlite3"])
def test_unsupported_schemes_are_refused_clearly(url, tmp_path):
    with pytest.raises(UnsupportedStorageURL, match="sqlite:"):
        open_store(url, tmp_path, reactor())


def test_open_store_builds_sqlite_store(tmp_path):
    store = open_store("sqlite:oxdav.sqlite3", tmp_path, reactor())
    assert isinstance(store, SQLiteStore)
    assert store.path == tmp_path / "oxdav.sqlite3" and store.synchronous == "FULL"


def query_plan(sql: str, params) -> str:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(conn)
        return " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    finally:
        conn.close()


def scope(read: str = "all"):
    from oxdav.store import FolderPermission
    from oxdav.store.core.scope import Scope

    return Scope(1, 20, 3, FolderPermission(entity=3, read=read))  # type: ignore[arg-type]


@pytest.mark.parametrize("time_range, index", [
    ((100, 200), "objects_time_end"),
    ((100, None), "objects_time_end"),
    ((None, 200), "objects_time "),
])
def test_time_range_listing_is_an_index_range_scan(time_range, index):
    from oxdav.store.sqlite.content_rows import list_query

    plan = query_plan(*list_query(scope(), time_range, None)) + " "
    assert f"USING INDEX {index}" in plan and ("last_end>?" in plan or "first_start<?" in plan)


@pytest.mark.parametrize("read", ["all", "own"])
def test_candidates_are_read_from_the_time_index_alone(read):
    # Migration 0017: a month's candidates are an index-only range scan.
    from oxdav.store.sqlite.content_rows import list_query
    from oxdav.store.sqlite.convert import CANDIDATE_COLUMNS

    plan = query_plan(*list_query(scope(read), (100, 200), "VEVENT", CANDIDATE_COLUMNS))
    assert "USING COVERING INDEX objects_candidates (context_id=? AND folder_id=? AND" \
        " last_end>?)" in plan, plan


def test_instance_spans_are_read_from_the_time_index_alone():
    # Migration 0016: the name is in the index, so a month of daily series is a few
    # range scans of the index and no row lookup per span.
    from oxdav.store.core.rows import instance_bounds
    from oxdav.store.sqlite.instance_rows import EDGE_SPANS_QUERY, INNER_SPAN_QUERY

    params = {"c": 1, "f": 20, **instance_bounds(100, 5_000_000, (200, 4_000_000))}
    for sql in (INNER_SPAN_QUERY, EDGE_SPANS_QUERY):
        plan = query_plan(sql, params)
        scans = plan.count("USING COVERING INDEX object_instances_time (context_id=? AND"
                           " folder_id=? AND is_long=? AND span_start>? AND span_start<?)")
        assert scans == (2 if sql is INNER_SPAN_QUERY else 4), plan
        assert " SCAN object_instances" not in plan, plan


def test_changes_are_an_index_range_scan():
    from oxdav.store.sqlite.content_rows import changes_query

    plan = query_plan(*changes_query(scope(), 5, 10))
    assert "USING INDEX changes_modseq (context_id=? AND folder_id=? AND modseq>?)" in plan
    assert "SCAN" not in plan


@pytest_twisted.ensureDeferred
async def test_open_read_transactions_share_one_reader_thread(tmp_path):
    """Three snapshots open at once on the default single reader thread: each keeps the
    view of its first call while the others call in between."""
    store = SQLiteStore(tmp_path / "db.sqlite3", reactor())
    await store.start()
    try:
        assert {s.name: s.max_threads for s in store.pool_stats()}["reader"] == 1
        async with store.transaction("first") as first, \
                store.transaction("second") as second, \
                store.transaction("third") as third:
            assert await first.contexts() == await second.contexts() == []
            async with store.transaction("writer", write=True) as writer:
                await writer.create_context("later")
            assert [c.name for c in await third.contexts()] == ["later"]  # first call after
            assert [await t.contexts() for t in (second, first)] == [[], []]
    finally:
        await store.stop()


#: Columns whose change must not move Context.version: the id counters, the version
#: itself, and what object writes and tombstone pruning change (migration 0005).
UNVERSIONED = {("contexts", "version"), ("contexts", "next_user_id"),
               ("contexts", "next_group_id"), ("contexts", "next_folder_id"),
               ("folders", "revision"), ("folders", "pruned_revision")}

VERSIONED_ROWS = {  # one row each, inserted in this order
    "context_mappings": "INSERT INTO context_mappings VALUES ('acme.test', 1, 0)",
    "users": "INSERT INTO users (context_id, id, login, display_name, created, modified)"
             " VALUES (1, 1, 'alice', 'Alice', 0, 0)",
    "user_addresses": "INSERT INTO user_addresses VALUES ('alice@acme.test', 1, 1)",
    "groups": "INSERT INTO groups VALUES (1, 1, 'team', 'Team', 0, 0)",
    "group_members": "INSERT INTO group_members VALUES (1, 1, 1)",
    "folders": "INSERT INTO folders (context_id, id, module, owner_id, name, created,"
               " modified) VALUES (1, 20, 'calendar', 1, 'Calendar', 0, 0)",
    "folder_permissions": "INSERT INTO folder_permissions VALUES (1, 20, 1, 0, 2, 2, 2, 1, 0)",
}


def test_every_column_of_the_directory_tables_moves_the_context_version(tmp_path):
    # Raw SQL, as another process would write: the triggers keep the version, and a
    # column added later without one fails here.
    conn = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    migrate(conn)
    conn.execute("INSERT INTO contexts (id, name, created, modified) VALUES (1, 'acme', 0, 0)")

    def version():
        return conn.execute("SELECT c.version, n.version FROM contexts c, login_names n"
                            " WHERE c.id = 1").fetchone()

    wrong = []
    for table, insert in VERSIONED_ROWS.items():
        before = version()
        conn.execute(insert)
        if version() == before:
            wrong.append(f"INSERT {table}")
    for table in ["contexts", *VERSIONED_ROWS]:
        for column in [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]:
            before = version()
            conn.execute(f"UPDATE {table} SET {column} = {column}")
            if (version() != before) == ((table, column) in UNVERSIONED):
                wrong.append(f"UPDATE {table}.{column}")
    for table in reversed(VERSIONED_ROWS):
        before = version()
        conn.execute(f"DELETE FROM {table}")
        if version() == before:
            wrong.append(f"DELETE {table}")
    assert wrong == []
