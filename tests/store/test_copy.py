"""Copying a whole store into an empty one (``oxdav-admin store copy``): SQLite into
PostgreSQL, every row as it was, sync tokens still answered; a target that holds
anything is refused, and a copy that fails leaves it empty."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_twisted

from oxdav.store import (
    ALL_USERS_GROUP,
    CopyProgress,
    FolderPermission,
    InstanceSpans,
    InvalidSyncToken,
    ObjectIndex,
    Store,
    StoreError,
    TargetNotEmpty,
    copy_store,
    open_store,
)
from oxdav.store.core.tables import TABLES


def _reactor():
    from twisted.internet import reactor

    return reactor


@pytest_twisted.async_yield_fixture()
async def sqlite(tmp_path) -> AsyncIterator[Store]:
    store = open_store("sqlite:source.sqlite3", tmp_path, _reactor())
    await store.start()
    yield store
    await store.stop()


@pytest_twisted.async_yield_fixture()
async def postgres(tmp_path, postgres_database) -> AsyncIterator[Store]:
    store = open_store(postgres_database.url, tmp_path, _reactor(),
                       password_file=postgres_database.password_file)
    await store.start()
    yield store
    await store.stop()


async def fill(store: Store) -> dict[str, Any]:
    """A store with a row in every table; returns ids to look at."""
    async with store.transaction("fill", write=True) as txn:
        old = await txn.create_context("gone", ["gone.example"], context_id=40)
        await txn.delete_context(old.id)  # its id is not handed out again
        context = await txn.create_context("acme", ["acme.example", "ACME.test"],
                                           ["premium"], {"k": "v"}, context_id=7)
        alice = await txn.create_user(context.id, "alice", display_name="Alice Größer",
                                      email="alice@acme.example", aliases=["a@acme.test"],
                                      phones=["+49 30 1"], password_hash="$argon2id$x",
                                      permissions=["calendar", "contacts"],
                                      config={"oxdav.quota.bytes": "5M"})
        bob = await txn.create_user(context.id, "bob", display_name="Bob", enabled=False)
        team = await txn.create_group(context.id, "team", display_name="The Team",
                                      members=[alice.id, bob.id])
        home = await txn.home(context.id, alice.id)
        calendar = await home.create_folder(
            "calendar", "Work", color="#3a87ad", description="d", components=["VEVENT"],
            permissions=[FolderPermission(bob.id, False, "all", "own", "none", False),
                         FolderPermission(ALL_USERS_GROUP, True, "all", "none", "none",
                                          False),
                         FolderPermission(team.id, True, "own", "own", "own", True)])
        work = await home.collection(calendar.id)
        for n in range(5):
            await work.put(f"e{n}.ics", f"event {n}".encode(), ObjectIndex(
                f"uid-{n}", "VEVENT", first_start=1000 * n, last_end=1000 * n + 60,
                recurring=n == 2, exact_spans=((1000 * n, 1000 * n + 60),) if n else None,
                floating_spans=n == 3, derived=b"prepared" if n == 1 else None,
                instances=InstanceSpans(0, 10_000, ((2000, 2060), (3000, 3600 + 8 * 86_400)),
                                        floating=True) if n == 2 else None))
        await work.delete("e4.ics")
        await work.set_dead_properties("", {"{urn:x}color": "<x:color>red</x:color>"})
        await work.set_dead_properties("e0.ics", {"{urn:x}p": "value"})
        await work.lock("e1.ics", exclusive=True, owner="<D:href>me</D:href>",
                        timeout=3600)
        bobs = await (await txn.home(context.id, bob.id)).collection(calendar.id)
        await bobs.set_own_name("Alice's work")
        await (await txn.home(context.id, bob.id)).reply_to_share(calendar.id, "accepted")
        await txn.deliver_to_inbox(context.id, bob.id, "invite.ics", b"BEGIN:VCALENDAR\r\n")
        await txn.register_push(context.id, alice.id, "7/all", [calendar.id],
                                endpoint="https://push.example/x", public_key="PK",
                                auth_secret="AS", expires=2**40)
        mail = await txn.enqueue_mail(context.id, alice.id, "guest@outside.example",
                                      "REQUEST", "uid-0", b"BEGIN:VCALENDAR\r\n")
    return {"mail": mail.id, "token": mail.token, "context": context.id, "alice": alice.id,
            "bob": bob.id, "folder": calendar.id, "revision": work.folder.revision}


async def everything(store: Store) -> dict[str, list[tuple]]:
    """Every row of every copied table, as the copy sees them."""
    from oxdav.store.core.transfer import _export

    rows: dict[str, list[tuple]] = {}
    async with store.transaction("read all") as txn:
        for table in TABLES:
            # Sorted here: each engine orders case-insensitive keys its own way.
            rows[table.name] = sorted(await txn.call(_export, table, None, 10_000, 1 << 40),
                                      key=repr)
    return rows


@pytest_twisted.ensureDeferred
async def test_every_row_is_copied_as_it_was(sqlite, postgres) -> None:
    ids = await fill(sqlite)
    seen: list[CopyProgress] = []
    copied = await copy_store(sqlite, postgres, progress=seen.append, batch_rows=2)
    before, after = await everything(sqlite), await everything(postgres)
    assert {name: len(rows) for name, rows in before.items()} == copied
    assert all(copied[table.name] for table in TABLES), copied
    assert after == before
    objects = [p for p in seen if p.table == "objects"]
    assert [p.done for p in objects] == [2, 4] and objects[-1].total == 4

    # The copy serves as the original did: logins, rights, objects, changes, ids.
    async with postgres.transaction("check", write=True) as txn:
        context, alice = await txn.login_by_email("A@ACME.TEST")
        assert (context.id, alice.id, alice.password_hash) == (ids["context"], ids["alice"],
                                                              "$argon2id$x")
        assert [u.id for u in await txn.find_users(context.id, [], limit=5)] == [ids["alice"]]
        bobs = await (await txn.home(context.id, ids["bob"])).collection(ids["folder"])
        assert bobs.own_name == "Alice's work"
        work = await (await txn.home(context.id, ids["alice"])).collection(ids["folder"])
        assert work.folder.revision == ids["revision"]
        answers = [await work.changes(since) for since in range(work.folder.revision + 1)]
        got = await work.get("e1.ics", derived=True)
        assert (got.data, got.derived) == (b"event 1", b"prepared")
        assert [lock.name for lock in await work.locks()] == ["e1.ics"]
        assert (await txn.create_context("new")).id == 41
        assert (await txn.create_user(context.id, "carol", display_name="C")).id == 3
        created = await (await txn.home(context.id, ids["alice"])).create_folder("tasks", "T")
        assert created.id == ids["folder"] + 1
        # Queued mail and its reply token move along; new mail gets the next id.
        assert (await txn.mail_by_token(ids["token"])).id == ids["mail"]
        later = await txn.enqueue_mail(context.id, ids["alice"], "g@x.example", "CANCEL",
                                       "uid-0", b"BEGIN:VCALENDAR\r\n")
        assert later.id == ids["mail"] + 1
    async with sqlite.transaction("check") as txn:
        work = await (await txn.home(context.id, ids["alice"])).collection(ids["folder"])
        assert [await work.changes(since) for since in range(ids["revision"] + 1)] == answers
    assert [(sorted(m.name for m in a.changed), a.deleted) for a in answers[-4:]] == [
        (["e3.ics"], ["e4.ics"]), ([], ["e4.ics"]), ([], ["e4.ics"]), ([], [])]


@pytest_twisted.ensureDeferred
async def test_a_target_that_holds_anything_is_refused(sqlite, postgres) -> None:
    await fill(sqlite)
    async with postgres.transaction("something", write=True) as txn:
        await txn.create_context("there")
    with pytest.raises(TargetNotEmpty, match="contexts"):
        await copy_store(sqlite, postgres)
    async with postgres.transaction("check") as txn:
        assert [c.name for c in await txn.contexts()] == ["there"]


@pytest_twisted.ensureDeferred
async def test_a_copy_that_fails_leaves_the_target_empty(sqlite, postgres) -> None:
    await fill(sqlite)
    async with sqlite.transaction("bad", write=True) as txn:
        context = await txn.create_context("zzz")
        user = await txn.create_user(context.id, "u", display_name="U")
        home = await txn.home(context.id, user.id)
        folder = await home.create_folder("contacts", "C")
        # SQLite stores a NUL in a name; PostgreSQL text cannot hold one.
        await (await home.collection(folder.id)).put("a\x00b.vcf", b"card",
                                                     ObjectIndex("u", "VCARD"))
    with pytest.raises(StoreError, match="copying objects"):
        await copy_store(sqlite, postgres)
    assert not any((await everything(postgres)).values())


@pytest_twisted.ensureDeferred
async def test_the_copy_goes_back_too(sqlite, postgres, tmp_path) -> None:
    ids = await fill(sqlite)
    await copy_store(sqlite, postgres)
    back = open_store("sqlite:back.sqlite3", tmp_path, _reactor())
    await back.start()
    try:
        await copy_store(postgres, back)
        assert await everything(back) == await everything(sqlite)
        async with back.transaction("check", write=True) as txn:
            assert (await txn.create_context("new")).id == 41
            context = await txn.context(ids["context"])
            assert context.mappings == ("acme.example", "ACME.test")
    finally:
        await back.stop()


@pytest_twisted.ensureDeferred
async def test_tombstones_pruned_before_the_copy_stay_pruned(sqlite, postgres) -> None:
    ids = await fill(sqlite)
    async with sqlite.transaction("prune", write=True) as txn:
        await txn.prune_tombstones(datetime.now(UTC) + timedelta(seconds=1))
    await copy_store(sqlite, postgres)
    async with postgres.transaction("check") as txn:
        work = await (await txn.home(ids["context"], ids["alice"])).collection(ids["folder"])
        with pytest.raises(InvalidSyncToken):
            await work.changes(1)


#: What the copy leaves out: the engines' own bookkeeping, the context versions their
#: triggers set, failed-login counts, and the columns PostgreSQL derives for searches.
NOT_COPIED = {"schema_version", "login_names", "version_clock", "login_failures",
              "contexts.version", "users.display_name_folded",
              "groups.display_name_folded", "user_addresses.address_folded"}


def copied_columns() -> set[str]:
    return {f"{table.name}.{column}" for table in TABLES for column in table.names}


@pytest_twisted.ensureDeferred
async def test_the_copy_knows_every_column_of_both_schemas(sqlite, postgres,
                                                           postgres_database) -> None:
    import psycopg

    async with sqlite.transaction("schema") as txn:
        names = await txn.call(lambda rows: [r[0] for r in rows.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%'")])
        columns = await txn.call(lambda rows: {
            f"{name}.{c[1]}" for name in names
            for c in rows.conn.execute(f"PRAGMA table_info({name})")})
    in_sqlite = {c for c in columns if c.split(".")[0] not in NOT_COPIED}
    assert in_sqlite - NOT_COPIED == copied_columns()
    with psycopg.connect(postgres_database.dsn) as conn:
        in_postgres = {f"{t}.{c}" for t, c in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'")}
    assert {c for c in in_postgres if c.split(".")[0] not in NOT_COPIED} - NOT_COPIED == \
        copied_columns()


@pytest_twisted.ensureDeferred
async def test_a_copy_into_postgresql_leaves_its_tables_analysed(sqlite, postgres,
                                                                 postgres_database) -> None:
    import psycopg

    await fill(sqlite)
    await copy_store(sqlite, postgres)
    with psycopg.connect(postgres_database.dsn) as conn:
        unanalysed = {name for name, when in conn.execute(
            "SELECT relname, last_analyze FROM pg_stat_user_tables") if when is None}
    assert not unanalysed & {"objects", "changes", "folders", "users"}, unanalysed
