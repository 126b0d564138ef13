"""PostgreSQL engine specifics: URLs and passwords, migrations, start failures,
isolation, concurrent writers, connections, events between nodes, NUL in names.
The schema's triggers and query plans: test_postgres_schema.py. (The contract suite
runs on this engine too: ``BACKENDS`` in conftest.py.)"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
import pytest_twisted
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import deferLater

from oxdav.store import (
    ObjectIndex,
    StoreError,
    UnsupportedStorageURL,
    open_store,
)
from oxdav.store.core.events import DirectoryChanged, FolderChanged, ObjectChanged, decode
from oxdav.store.postgres import DatabaseTarget, PostgresStore
from oxdav.store.postgres.migrate import migrate, migrations
from oxdav.store.postgres.notify import MAX_PAYLOAD, payloads
from tests.postgres_cluster import free_port


def reactor():
    from twisted.internet import reactor

    return reactor


def pg_store(database, **options) -> PostgresStore:
    return PostgresStore(database.url, reactor(), password_file=database.password_file,
                         **options)


async def until(condition, timeout: float = 10.0) -> None:
    """Wait (without blocking the reactor) until ``condition()`` is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await deferLater(reactor(), 0.02)


async def tenant(store) -> tuple[int, int, int]:
    """A context with user alice and her calendar: (context, alice, calendar) ids."""
    async with store.transaction("tenant", write=True) as txn:
        context = await txn.create_context("acme", ["acme.example"])
        alice = await txn.create_user(context.id, "alice", display_name="Alice")
        home = await txn.home(context.id, alice.id)
        calendar = await home.create_folder("calendar", "Calendar")
    return context.id, alice.id, calendar.id


# -- URLs, settings -------------------------------------------------------------------


def test_open_store_builds_the_postgresql_store(tmp_path):
    store = open_store("postgresql://oxdav@db.example:5433/oxdav?sslmode=verify-full",
                       tmp_path, reactor(), password_file=tmp_path / "pw", pool_size=4,
                       statement_timeout=5)
    assert isinstance(store, PostgresStore)
    assert store.engine.target.name == "oxdav@db.example:5433/oxdav"
    assert (store.engine.pool_size, store.engine.statement_timeout) == (4, 5)


@pytest.mark.parametrize("url", ["postgresql://oxdav:secret@db/oxdav",
                                 "postgresql://db/oxdav?password=secret"])
def test_a_password_in_the_url_is_refused(url, tmp_path):
    with pytest.raises(UnsupportedStorageURL, match="passwordFile") as raised:
        open_store(url, tmp_path, reactor())
    assert "secret" not in str(raised.value)


def test_a_malformed_url_is_refused(tmp_path):
    with pytest.raises(UnsupportedStorageURL, match="invalid PostgreSQL URL"):
        open_store("postgresql://db/oxdav?nosuchparameter=1", tmp_path, reactor())


def test_the_password_is_the_first_line_of_its_file(tmp_path):
    (tmp_path / "pw").write_text("s3cret\nanything after\n")
    assert DatabaseTarget.parse("postgresql://u@h/d", tmp_path / "pw").password() == "s3cret"
    with pytest.raises(StoreError, match=f"password file {tmp_path / 'missing'}"):
        DatabaseTarget.parse("postgresql://u@h/d", tmp_path / "missing").password()


# -- starting -------------------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_a_new_database_is_migrated_once(postgres_database):
    for round in range(2):
        store = pg_store(postgres_database)
        await store.start()
        async with store.transaction("t", write=True) as txn:
            if round == 0:
                await txn.create_context("acme")
            assert [c.name for c in await txn.contexts()] == ["acme"]
        await store.stop()
    with psycopg.connect(postgres_database.dsn) as conn:
        versions = conn.execute("SELECT version, name FROM schema_version").fetchall()
    assert versions == [(m.version, m.name) for m in migrations()]


@pytest_twisted.ensureDeferred
async def test_nodes_starting_at_once_migrate_the_database_once(postgres_database):
    stores = [pg_store(postgres_database) for _ in range(3)]
    try:
        from twisted.internet.defer import gatherResults

        await gatherResults([ensureDeferred(s.start()) for s in stores])
        with psycopg.connect(postgres_database.dsn) as conn:
            count = conn.execute("SELECT count(*) FROM schema_version").fetchone()[0]
        assert count == len(migrations())
    finally:
        for s in stores:
            await s.stop()


def test_migrate_applies_nothing_the_second_time(postgres_database):
    with psycopg.connect(postgres_database.dsn, autocommit=True) as conn:
        assert migrate(conn) == [m.name for m in migrations()]
        assert migrate(conn) == []


@pytest_twisted.ensureDeferred
async def test_a_database_newer_than_the_code_fails_the_start_naming_it(postgres_database):
    with psycopg.connect(postgres_database.dsn, autocommit=True) as conn:
        migrate(conn)
        conn.execute("INSERT INTO schema_version VALUES (999, '0999_future.sql', 0)")
    name = postgres_database.url.removeprefix("postgresql://")
    with pytest.raises(StoreError, match=f"{name}: database schema version 999 is newer"):
        await pg_store(postgres_database).start()


@pytest_twisted.ensureDeferred
async def test_a_server_that_is_down_fails_the_start_naming_host_and_database(tmp_path):
    port = free_port()
    store = open_store(f"postgresql://oxdav@127.0.0.1:{port}/oxdav", tmp_path, reactor())
    with pytest.raises(StoreError) as raised:
        await store.start()
    assert f"cannot connect to the database oxdav@127.0.0.1:{port}/oxdav: " in str(raised.value)
    assert "refused" in str(raised.value)
    assert not store.engine.running


@pytest_twisted.ensureDeferred
async def test_a_wrong_password_fails_the_start_without_showing_it(postgres_database,
                                                                    tmp_path):
    (tmp_path / "wrong").write_text("not-the-password-42\n")
    store = open_store(postgres_database.url, tmp_path, reactor(),
                       password_file=tmp_path / "wrong")
    with pytest.raises(StoreError) as raised:
        await store.start()
    message = str(raised.value)
    assert postgres_database.url.removeprefix("postgresql://") in message
    assert "password authentication failed" in message
    assert "not-the-password-42" not in message


@pytest_twisted.ensureDeferred
async def test_the_password_may_come_from_pgpassword(postgres_database, tmp_path,
                                                     monkeypatch):
    monkeypatch.setenv("PGPASSWORD", postgres_database.password_file.read_text().strip())
    store = open_store(postgres_database.url, tmp_path, reactor())
    await store.start()
    try:
        assert await store.ping()
    finally:
        await store.stop()


# -- sessions -------------------------------------------------------------------------


def setting(name: str):
    return lambda rows: rows.conn.execute(f"SHOW {name}").fetchone()[0]


@pytest_twisted.ensureDeferred
async def test_reads_see_one_snapshot_and_writes_read_committed(postgres_database):
    store = pg_store(postgres_database, statement_timeout=7)
    await store.start()
    try:
        async with store.transaction("read") as txn:
            assert await txn.call(setting("transaction_isolation")) == "repeatable read"
            assert await txn.call(setting("transaction_read_only")) == "on"
            assert await txn.call(setting("statement_timeout")) == "7s"
        async with store.transaction("write", write=True) as txn:
            assert await txn.call(setting("transaction_isolation")) == "read committed"
            assert await txn.call(setting("transaction_read_only")) == "off"
    finally:
        await store.stop()


@pytest_twisted.ensureDeferred
async def test_no_statement_runs_on_the_reactor_thread(postgres_database, monkeypatch):
    threads: set[str] = set()
    execute = psycopg.Cursor.execute

    def traced(self, *args, **kwargs):
        threads.add(threading.current_thread().name)
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", traced)
    store = pg_store(postgres_database)
    await store.start()
    try:
        context_id, alice_id, calendar_id = await tenant(store)
        async with store.transaction("read") as txn:
            home = await txn.home(context_id, alice_id)
            await (await home.collection(calendar_id)).changes(None)
        assert await store.ping()
    finally:
        await store.stop()
    assert threading.current_thread() is threading.main_thread()
    assert threads and threading.main_thread().name not in threads
    assert {name.rsplit("-", 1)[0] for name in threads} >= {
        "PoolThread-oxdav-db-writer", "PoolThread-oxdav-db-reader",
        "PoolThread-oxdav-db-health"}, threads


@pytest_twisted.ensureDeferred
async def test_write_transactions_run_at_once(postgres_database):
    """Two writers of different folders: the second commits while the first is open."""
    store = pg_store(postgres_database)
    await store.start()
    try:
        context_id, alice_id, calendar_id = await tenant(store)
        async with store.transaction("first", write=True) as first:
            home = await first.home(context_id, alice_id)
            await (await home.collection(calendar_id)).put("a.ics", b"a",
                                                           ObjectIndex("a", "VEVENT"))
            async with store.transaction("second", write=True) as second:
                other = await (await second.home(context_id, alice_id)).create_folder(
                    "calendar", "Other")
                await (await (await second.home(context_id, alice_id)).collection(
                    other.id)).put("b.ics", b"b", ObjectIndex("b", "VEVENT"))
            async with store.transaction("reader") as reader:
                home = await reader.home(context_id, alice_id)
                assert [m.name for m in await (await home.collection(other.id)).list()] == [
                    "b.ics"]
    finally:
        await store.stop()


@pytest_twisted.ensureDeferred
async def test_a_writer_of_a_held_folder_waits_on_its_row_lock(postgres_database):
    store = pg_store(postgres_database)
    other = pg_store(postgres_database)
    await store.start()
    await other.start()
    try:
        context_id, alice_id, calendar_id = await tenant(store)

        async def second_writer():
            async with other.transaction("second", write=True) as txn:
                home = await txn.home(context_id, alice_id)
                await (await home.collection(calendar_id)).put(
                    "b.ics", b"b", ObjectIndex("b", "VEVENT"))

        async with store.transaction("first", write=True) as txn:
            home = await txn.home(context_id, alice_id)
            await (await home.collection(calendar_id)).put("a.ics", b"a",
                                                           ObjectIndex("a", "VEVENT"))
            racing = ensureDeferred(second_writer())
            with psycopg.connect(postgres_database.dsn, autocommit=True) as watcher:
                def waiting() -> bool:
                    return watcher.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname ="
                        " current_database() AND wait_event_type = 'Lock'"
                        " AND query LIKE '%FOR NO KEY UPDATE%'").fetchone()[0] == 1
                await until(waiting)
            assert not racing.called
        await racing
    finally:
        await store.stop()
        await other.stop()


@pytest_twisted.ensureDeferred
async def test_no_more_connections_than_the_pool_size(postgres_database):
    store = pg_store(postgres_database, pool_size=2)
    await store.start()
    try:
        async with store.transaction("one") as one, store.transaction("two") as two:
            await one.contexts()
            await two.contexts()
            third = ensureDeferred(_contexts(store))
            await deferLater(reactor(), 0.2)
            assert not third.called  # waits for a connection, holding no thread
        assert await third == []
        with psycopg.connect(postgres_database.dsn) as conn:
            count = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'oxdav' AND query NOT LIKE '%LISTEN%'"
                " AND query <> 'SELECT 1'").fetchone()[0]
        assert count <= 2
    finally:
        await store.stop()


async def _contexts(store):
    async with store.transaction("third") as txn:
        return await txn.contexts()


@pytest_twisted.ensureDeferred
async def test_connections_the_server_dropped_are_replaced(postgres_database):
    store = pg_store(postgres_database)
    await store.start()
    try:
        await tenant(store)
        with psycopg.connect(postgres_database.dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE"
                         " datname = current_database() AND pid <> pg_backend_pid()"
                         " AND query NOT LIKE '%LISTEN%'")
        for _ in range(2):
            async with store.transaction("after") as txn:
                assert [c.name for c in await txn.contexts()] == ["acme"]
    finally:
        await store.stop()


@pytest_twisted.ensureDeferred
async def test_ping_answers_while_every_connection_is_lent(postgres_database):
    store = pg_store(postgres_database, pool_size=1)
    await store.start()
    try:
        async with store.transaction("busy") as txn:
            await txn.contexts()
            assert await store.ping()
    finally:
        await store.stop()
    assert not await store.ping()


# -- events between nodes -------------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_another_node_hears_what_a_transaction_committed(postgres_database):
    writer, listener = pg_store(postgres_database), pg_store(postgres_database)
    await writer.start()
    await listener.start()
    try:
        await until(listener.engine._listener.listening.is_set)
        heard: list = []
        own: list = []
        listener.events.subscribe(lambda events: heard.append(list(events)))
        writer.events.subscribe(lambda events: own.append(list(events)))
        context_id, alice_id, calendar_id = await tenant(writer)
        async with writer.transaction("put", write=True) as txn:
            home = await txn.home(context_id, alice_id)
            collection = await home.collection(calendar_id)
            meta, _ = await collection.put("a.ics", b"x", ObjectIndex("u", "VEVENT"))
            await deferLater(reactor(), 0.2)
            assert len(heard) == 1  # the tenant only: nothing before the commit
        await until(lambda: len(heard) == 2)
        assert heard[0] == [DirectoryChanged(context_id), DirectoryChanged(context_id),
                            FolderChanged(context_id, calendar_id, permissions=True)]
        assert heard[1] == [ObjectChanged(context_id, calendar_id, "a.ics", False,
                                          meta.modseq)]
        await deferLater(reactor(), 0.3)
        assert heard == own  # and the writer heard its own once
    finally:
        await writer.stop()
        await listener.stop()


@pytest_twisted.ensureDeferred
async def test_a_rolled_back_transaction_tells_no_other_node(postgres_database):
    writer, listener = pg_store(postgres_database), pg_store(postgres_database)
    await writer.start()
    await listener.start()
    try:
        await until(listener.engine._listener.listening.is_set)
        heard: list = []
        listener.events.subscribe(lambda events: heard.append(list(events)))
        context_id, alice_id, calendar_id = await tenant(writer)
        await until(lambda: heard)
        heard.clear()
        with pytest.raises(RuntimeError):
            async with writer.transaction("put", write=True) as txn:
                home = await txn.home(context_id, alice_id)
                await (await home.collection(calendar_id)).put(
                    "a.ics", b"x", ObjectIndex("u", "VEVENT"))
                raise RuntimeError("client went away")
        async with writer.transaction("rename", write=True) as txn:
            await txn.update_context(context_id, name="renamed")
        await until(lambda: heard)
        assert heard == [[DirectoryChanged(context_id)]]
    finally:
        await writer.stop()
        await listener.stop()


@pytest_twisted.ensureDeferred
async def test_a_node_listens_again_after_losing_its_connection(postgres_database):
    writer, listener = pg_store(postgres_database), pg_store(postgres_database)
    await writer.start()
    await listener.start()
    try:
        await until(listener.engine._listener.listening.is_set)
        with psycopg.connect(postgres_database.dsn, autocommit=True) as conn:
            def listening() -> set[int]:
                return {pid for (pid,) in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND query LIKE 'LISTEN%%'")}

            ended = listening()
            assert len(ended) == 2  # the writer's and the listener's
            conn.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid",
                         (sorted(ended),))
            # Not listening while it waits to try again (2 s), then listening anew.
            await until(lambda: not listener.engine._listener.listening.is_set())
            await until(lambda: len(listening() - ended) == 2, timeout=30)
        await until(listener.engine._listener.listening.is_set)
        heard: list = []
        listener.events.subscribe(lambda events: heard.append(list(events)))
        async with writer.transaction("t", write=True) as txn:
            context = await txn.create_context("acme")
        await until(lambda: heard)
        assert heard == [[DirectoryChanged(context.id)]]
    finally:
        await writer.stop()
        await listener.stop()


def test_long_event_lists_are_split_into_payloads_of_whole_events():
    events = [ObjectChanged(1, 20, f"{n:04}-{'x' * 60}.ics", False, n) for n in range(500)]
    parts = payloads("node1", events)
    assert len(parts) > 1 and all(len(p.encode()) <= MAX_PAYLOAD for p in parts)
    assert all(p.startswith("node1 ") for p in parts)
    assert [e for p in parts for e in decode(p.removeprefix("node1 "))] == events


def test_an_event_too_long_for_a_payload_names_its_folder_only():
    huge = ObjectChanged(1, 20, "x" * 9000, False, 5)
    small = ObjectChanged(1, 21, "a.ics", True, 6)
    parts = payloads("n", [huge, small])
    assert [e for p in parts for e in decode(p.removeprefix("n "))] == [
        FolderChanged(1, 20), small]


@pytest_twisted.ensureDeferred
async def test_a_name_with_a_nul_character_names_nothing(postgres_database):
    from oxdav.store import NotFound

    store = pg_store(postgres_database)
    await store.start()
    try:
        context_id, alice_id, calendar_id = await tenant(store)
        async with store.transaction("t", write=True) as txn:
            collection = await (await txn.home(context_id, alice_id)).collection(calendar_id)
            with pytest.raises(NotFound, match="NUL"):
                await collection.put("a\x00.ics", b"x", ObjectIndex("u", "VEVENT"))
            with pytest.raises(NotFound):
                await txn.user_by_login(context_id, "al\x00ice")
            await collection.put("a.ics", b"x", ObjectIndex("u", "VEVENT"))  # goes on
        async with store.transaction("r") as txn:
            collection = await (await txn.home(context_id, alice_id)).collection(calendar_id)
            with pytest.raises(NotFound):
                await collection.get("a\x00.ics")
            assert [m.name for m in await collection.list()] == ["a.ics"]
    finally:
        await store.stop()


@pytest_twisted.ensureDeferred
async def test_a_write_whose_transaction_failed_is_never_reported_committed(
        postgres_database):
    """A statement that fails outside a call's savepoint (a read call whose error the
    caller caught) leaves PostgreSQL rolling back whatever COMMIT says: the end of the
    transaction raises instead of letting the writes look committed."""
    store = pg_store(postgres_database)
    await store.start()
    try:
        with pytest.raises(StoreError, match="rolled back"):
            async with store.transaction("t", write=True) as txn:
                await txn.create_context("lost")
                with pytest.raises(psycopg.errors.DivisionByZero):
                    await txn.call(lambda rows: rows.conn.execute("SELECT 1/0"))
        async with store.transaction("r") as txn:
            assert await txn.contexts() == []
    finally:
        await store.stop()
