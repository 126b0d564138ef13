"""Contract: transaction atomicity, isolation and serialised writers."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred, DeferredList, ensureDeferred

from oxdav.store import (
    ETagMismatch,
    NotFound,
    ObjectIndex,
    StoreNotRunning,
    TransactionClosed,
    UIDConflict,
)

from .conftest import BACKENDS

EVENT = ObjectIndex("uid-1", "VEVENT")


class Boom(Exception):
    pass


async def make_calendar(store, world) -> int:
    async with store.transaction("setup", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        return (await home.create_folder("calendar", "Calendar")).id


async def calendar_in(txn, world, folder_id):
    return await (await txn.home(world.context.id, world.alice.id)).collection(folder_id)


@pytest_twisted.ensureDeferred
async def test_exception_inside_transaction_leaves_nothing_behind(store, world):
    folder_id = await make_calendar(store, world)
    with pytest.raises(Boom):
        async with store.transaction("failing", write=True) as txn:
            context = await txn.create_context("doomed", ["doomed.example"])
            await txn.create_user(context.id, "x", display_name="X", email="x@doomed.example")
            calendar = await calendar_in(txn, world, folder_id)
            await calendar.put("a.ics", b"x", EVENT)
            raise Boom()
    async with store.transaction("check") as txn:
        assert [c.name for c in await txn.contexts()] == ["acme"]
        with pytest.raises(NotFound):
            await txn.user_by_email("x@doomed.example")
        calendar = await calendar_in(txn, world, folder_id)
        assert await calendar.list() == []
        assert calendar.folder.revision == 0


@pytest_twisted.ensureDeferred
async def test_failed_call_changes_nothing_and_transaction_goes_on(store, world):
    folder_id = await make_calendar(store, world)
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_in(txn, world, folder_id)
        await calendar.put("a.ics", b"x", EVENT)
        with pytest.raises(UIDConflict):
            await calendar.put("b.ics", b"y", EVENT)
        await calendar.put("c.ics", b"z", ObjectIndex("uid-3", "VEVENT"))
    async with store.transaction("check") as txn:
        calendar = await calendar_in(txn, world, folder_id)
        assert [m.name for m in await calendar.list()] == ["a.ics", "c.ics"]
        assert calendar.folder.revision == 2


@pytest_twisted.ensureDeferred
async def test_committed_writes_are_visible_to_later_transactions(store, world):
    async with store.transaction("r") as txn:
        assert (await txn.user_by_login(world.context.id, "alice")).id == world.alice.id


@pytest_twisted.ensureDeferred
async def test_transaction_cannot_be_used_after_it_ends(store, world):
    async with store.transaction("t", write=True) as txn:
        pass
    with pytest.raises(TransactionClosed):
        await txn.contexts()


@pytest_twisted.ensureDeferred
async def test_concurrent_conditional_writers_exactly_one_wins(store, world):
    folder_id = await make_calendar(store, world)
    async with store.transaction("seed", write=True) as txn:
        meta, _ = await (await calendar_in(txn, world, folder_id)).put("a.ics", b"v0", EVENT)

    async def update(data: bytes) -> None:
        async with store.transaction(f"update {data!r}", write=True) as txn:
            calendar = await calendar_in(txn, world, folder_id)
            await calendar.get("a.ics")
            await calendar.put("a.ics", data, EVENT, if_etag=meta.etag)

    results = await DeferredList(
        [ensureDeferred(update(b"v1")), ensureDeferred(update(b"v2"))], consumeErrors=True)
    outcomes = [ok for ok, _ in results]
    assert sorted(outcomes) == [False, True]
    failure = next(value for ok, value in results if not ok)
    assert failure.check(ETagMismatch)
    async with store.transaction("check") as txn:
        stored = await (await calendar_in(txn, world, folder_id)).get("a.ics")
    winner = b"v1" if outcomes[0] else b"v2"
    assert stored.data == winner


@pytest_twisted.ensureDeferred
async def test_write_transactions_never_interleave(store, world):
    events: list[str] = []
    release = Deferred()
    first_inside = Deferred()

    async def first() -> None:
        async with store.transaction("first", write=True) as txn:
            await txn.create_context("first")
            events.append("first wrote")
            first_inside.callback(None)
            await release
            events.append("first done")

    async def second() -> None:
        await first_inside
        async with store.transaction("second", write=True) as txn:
            events.append("second began")
            await txn.create_context("second")

    one, two = ensureDeferred(first()), ensureDeferred(second())
    await first_inside
    assert events == ["first wrote"]
    release.callback(None)
    await DeferredList([one, two], fireOnOneErrback=True)
    assert events == ["first wrote", "first done", "second began"]


@pytest_twisted.ensureDeferred
async def test_readers_do_not_wait_for_writer_and_see_committed_state(store, world):
    async with store.transaction("writer", write=True) as writer:
        await writer.create_context("uncommitted")
        async with store.transaction("reader") as reader:
            names = [c.name for c in await reader.contexts()]
        assert names == ["acme"]
    async with store.transaction("after") as reader:
        assert [c.name for c in await reader.contexts()] == ["acme", "uncommitted"]


@pytest_twisted.ensureDeferred
async def test_read_transaction_sees_one_snapshot(store, world):
    async with store.transaction("reader") as reader:
        before = [c.name for c in await reader.contexts()]
        async with store.transaction("writer", write=True) as writer:
            await writer.create_context("meanwhile")
        assert [c.name for c in await reader.contexts()] == before


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest_twisted.ensureDeferred
async def test_store_refuses_transactions_when_stopped(backend, tmp_path, request):
    store = BACKENDS[backend](tmp_path, request)
    with pytest.raises(StoreNotRunning):
        async with store.transaction("early"):
            pass
    await store.start()
    await store.stop()
    with pytest.raises(StoreNotRunning):
        async with store.transaction("late"):
            pass


@pytest_twisted.ensureDeferred
async def test_a_read_without_snapshot_sees_each_commit_in_its_next_call(store, world):
    async with store.transaction("lookups", snapshot=False) as reader:
        before = {c.name for c in await reader.contexts()}
        async with store.transaction("writer", write=True) as writer:
            await writer.create_context("meanwhile")
        after = {c.name for c in await reader.contexts()}
    assert "meanwhile" not in before and "meanwhile" in after


@pytest_twisted.ensureDeferred
async def test_a_snapshot_read_does_not_see_a_commit_made_during_it(store, world):
    async with store.transaction("snapshot") as reader:
        before = {c.name for c in await reader.contexts()}
        async with store.transaction("writer", write=True) as writer:
            await writer.create_context("meanwhile")
        assert {c.name for c in await reader.contexts()} == before


@pytest_twisted.ensureDeferred
async def test_a_write_transaction_always_has_a_snapshot(store, world):
    with pytest.raises(ValueError):
        async with store.transaction("w", write=True, snapshot=False):
            pass
    async with store.transaction("w", write=True) as txn:  # the writer was released
        await txn.create_context("after")


@pytest_twisted.ensureDeferred
async def test_a_prefetched_member_answers_get_until_the_transaction_writes(store, world):
    folder_id = await make_calendar(store, world)
    async with store.transaction("seed", write=True) as txn:
        await (await calendar_in(txn, world, folder_id)).put("a.ics", b"v1", EVENT)
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        calendar = await home.collection(folder_id, prefetch="a.ics")
        assert (await calendar.get("a.ics")).data == b"v1"
        other = await home.collection(folder_id)
        await other.put("a.ics", b"v2", EVENT)
        assert (await calendar.get("a.ics")).data == b"v2"
        missing = await home.collection(folder_id, prefetch="none.ics")
        with pytest.raises(NotFound):
            await missing.get("none.ics")
        await other.put("none.ics", b"new", ObjectIndex("uid-2", "VEVENT"))
        assert (await missing.get("none.ics")).data == b"new"


@pytest_twisted.ensureDeferred
async def test_prefetch_respects_read_rights(store, world):
    folder_id = await make_calendar(store, world)
    async with store.transaction("seed", write=True) as txn:
        await (await calendar_in(txn, world, folder_id)).put("a.ics", b"v1", EVENT)
    async with store.transaction("r") as txn:
        bob = await txn.home(world.context.id, world.bob.id)
        with pytest.raises(NotFound):
            await bob.collection(folder_id, prefetch="a.ics")


@pytest_twisted.ensureDeferred
async def test_prefetch_gives_what_get_gives_and_keeps_read_own_rights(store, world):
    from oxdav.store import FolderPermission

    folder_id = await make_calendar(store, world)
    async with store.transaction("seed", write=True) as txn:
        calendar = await calendar_in(txn, world, folder_id)
        await calendar.update_folder(permissions=[
            FolderPermission(entity=world.alice.id, is_group=False, read="all", write="all",
                             delete="all", admin=True),
            FolderPermission(entity=world.bob.id, is_group=False, read="own", write="own")])
        await calendar.put("alices.ics", b"alice's", EVENT)
        await calendar.set_dead_properties("alices.ics", {"{x:}secret": "s"})
        bobs = await (await txn.home(world.context.id, world.bob.id)).collection(folder_id)
        await bobs.put("bobs.ics", b"bob's", ObjectIndex("uid-b", "VEVENT"))
        elsewhere = await txn.create_context("elsewhere", ["elsewhere.example"])
        dave = await txn.create_user(elsewhere.id, "dave", display_name="Dave")
    for snapshot in (True, False):  # a GET reads without a snapshot
        async with store.transaction("r", snapshot=snapshot) as txn:
            bob = await txn.home(world.context.id, world.bob.id)
            own = await bob.collection(folder_id, prefetch="bobs.ics")
            other = await bob.collection(folder_id, prefetch="alices.ics",
                                         prefetch_properties=True)
            got = await own.get("bobs.ics")
            with pytest.raises(NotFound):
                await other.get("alices.ics")
            with pytest.raises(NotFound):  # nor its properties, read along or not
                await other.dead_properties("alices.ics")
            with pytest.raises(NotFound):  # another context's user opens nothing
                await (await txn.home(elsewhere.id, dave.id)).collection(
                    folder_id, prefetch="alices.ics", prefetch_properties=True)
        async with store.transaction("r2") as txn:
            alice = await txn.home(world.context.id, world.alice.id)
            plain = await (await alice.collection(folder_id)).get_many(["bobs.ics"])
        assert (got.meta, got.data, got.derived) == (plain[0].meta, plain[0].data, None)


@pytest_twisted.ensureDeferred
async def test_prefetched_properties_come_from_the_same_read_until_the_transaction_writes(
        store, world):
    folder_id = await make_calendar(store, world)
    async with store.transaction("seed", write=True) as txn:
        calendar = await calendar_in(txn, world, folder_id)
        await calendar.put("a.ics", b"v1", EVENT)
        await calendar.set_dead_properties("a.ics", {"{x:}tag": "1"})
    # Without a snapshot every call sees the latest commit: the prefetched properties
    # still show what the opening call read, so they came with it.
    async with store.transaction("r", snapshot=False) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        prefetched = await home.collection(folder_id, prefetch="a.ics",
                                           prefetch_properties=True)
        plain = await home.collection(folder_id, prefetch="a.ics")
        async with store.transaction("w", write=True) as writer:
            await (await calendar_in(writer, world, folder_id)).set_dead_properties(
                "a.ics", {"{x:}tag": "2"})
        assert await prefetched.dead_properties("a.ics") == {"{x:}tag": "1"}
        assert await plain.dead_properties("a.ics") == {"{x:}tag": "2"}  # read now
        assert await prefetched.dead_properties("") == {}  # the folder's: read now
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        calendar = await home.collection(folder_id, prefetch="a.ics", prefetch_properties=True)
        await calendar.set_dead_properties("a.ics", {"{x:}tag": "3"})
        assert await calendar.dead_properties("a.ics") == {"{x:}tag": "3"}  # stale: read
        missing = await home.collection(folder_id, prefetch="none.ics",
                                        prefetch_properties=True)
        with pytest.raises(NotFound):
            await missing.dead_properties("none.ics")
