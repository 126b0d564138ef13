"""Contract: racing writers on one database, through two stores (two nodes, or a daemon
and ``oxdav-admin``): exactly one of two writes whose conditions exclude each other
wins (If-None-Match, If-Match, the UID rule, the quota), whatever the engine lets run
at once. The second writer waits for the first to commit and then sees its write."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_twisted
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import deferLater

from oxdav.store import (
    AlreadyExists,
    ETagMismatch,
    Locked,
    ObjectIndex,
    QuotaExceeded,
    Store,
    UIDConflict,
)

from .conftest import BACKENDS, World

#: How long the first writer keeps its transaction open after its write.
HOLD = 0.3


def _reactor():
    from twisted.internet import reactor

    return reactor


@pytest_twisted.async_yield_fixture()
async def other_store(store, request, tmp_path) -> AsyncIterator[Store]:
    """A second store of the same backend on the same database."""
    other = BACKENDS[request.node.callspec.params["store"]](tmp_path, request)
    await other.start()
    yield other
    await other.stop()


async def folders(store: Store, world: World) -> tuple[int, int]:
    """Alice's calendar and address book, committed."""
    async with store.transaction("folders", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        calendar = await home.create_folder("calendar", "Calendar")
        contacts = await home.create_folder("contacts", "Contacts")
    return calendar.id, contacts.id


Write = Callable[[Any], Awaitable[object]]


async def race(first_store: Store, second_store: Store, world: World, folder_id: int,
               first: Write, second: Write, quota: int | None = None,
               second_folder: int | None = None) -> object:
    """Write with ``first`` in a transaction of ``first_store``; while it is open, start
    ``second`` in one of ``second_store``. Returns what ``second`` returned, or the
    exception it raised, after checking that it did not end before the first
    committed."""

    async def write(store: Store, label: str, folder: int, fn: Write) -> object:
        async with store.transaction(label, write=True) as txn:
            home = await txn.home(world.context.id, world.alice.id, quota=quota)
            return await fn(await home.collection(folder))

    async def second_outcome() -> object:
        try:
            return await write(second_store, "second", second_folder or folder_id, second)
        except Exception as e:
            return e

    async with first_store.transaction("first", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id, quota=quota)
        await first(await home.collection(folder_id))
        racing = ensureDeferred(second_outcome())
        await deferLater(_reactor(), HOLD)
        assert not racing.called, "the second writer did not wait for the first"
    return await racing


def put(name: str, data: bytes, uid: str, **conditions: Any) -> Write:
    return lambda collection: collection.put(name, data, ObjectIndex(uid, "VEVENT"),
                                             **conditions)


async def stored(store: Store, world: World, folder_id: int, name: str) -> bytes:
    async with store.transaction("read") as txn:
        home = await txn.home(world.context.id, world.alice.id)
        return (await (await home.collection(folder_id)).get(name)).data


@pytest_twisted.ensureDeferred
async def test_of_two_creators_of_one_name_one_wins(store, other_store, world):
    calendar, _ = await folders(store, world)
    outcome = await race(store, other_store, world, calendar,
                         put("a.ics", b"first", "u1", if_absent=True),
                         put("a.ics", b"second", "u2", if_absent=True))
    assert isinstance(outcome, AlreadyExists)
    assert await stored(other_store, world, calendar, "a.ics") == b"first"


@pytest_twisted.ensureDeferred
async def test_of_two_writers_of_one_etag_one_wins(store, other_store, world):
    calendar, _ = await folders(store, world)
    async with store.transaction("setup", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        meta, _ = await (await home.collection(calendar)).put(
            "a.ics", b"v1", ObjectIndex("u", "VEVENT"))
    outcome = await race(store, other_store, world, calendar,
                         put("a.ics", b"first", "u", if_etag=meta.etag),
                         put("a.ics", b"second", "u", if_etag=meta.etag))
    assert isinstance(outcome, ETagMismatch)
    assert await stored(other_store, world, calendar, "a.ics") == b"first"


@pytest_twisted.ensureDeferred
async def test_of_two_writers_of_one_uid_one_wins(store, other_store, world):
    calendar, _ = await folders(store, world)
    outcome = await race(store, other_store, world, calendar,
                         put("a.ics", b"first", "same"), put("b.ics", b"second", "same"))
    assert isinstance(outcome, UIDConflict)
    async with other_store.transaction("read") as txn:
        home = await txn.home(world.context.id, world.alice.id)
        names = [m.name for m in await (await home.collection(calendar)).list()]
    assert names == ["a.ics"]


@pytest_twisted.ensureDeferred
async def test_of_two_writers_in_two_folders_under_one_quota_one_wins(store, other_store,
                                                                       world):
    calendar, contacts = await folders(store, world)
    outcome = await race(store, other_store, world, calendar,
                         put("a.ics", b"x" * 10, "u1"), put("b.vcf", b"y" * 10, "u2"),
                         quota=15, second_folder=contacts)
    assert isinstance(outcome, QuotaExceeded)
    assert (outcome.used, outcome.requested) == (10, 10)


@pytest_twisted.ensureDeferred
async def test_of_two_lockers_of_one_name_one_wins(store, other_store, world):
    calendar, _ = await folders(store, world)
    outcome = await race(
        store, other_store, world, calendar,
        lambda c: c.lock("a.ics", exclusive=True, owner=None, timeout=60),
        lambda c: c.lock("a.ics", exclusive=True, owner=None, timeout=60))
    assert isinstance(outcome, Locked)



@pytest_twisted.ensureDeferred
async def test_writers_waiting_in_a_circle_end_one_with_a_write_conflict(store, world):
    """Two writers taking two folders in opposite order (two organizers inviting each
    other at once): at most one of them fails, with WriteConflict (nothing of it done),
    and the other commits. (With one writer at a time, as SQLite has, there is no
    circle: the second waits for the first.)"""
    from twisted.internet import defer, reactor

    from oxdav.store import ObjectIndex, WriteConflict

    ctx = world.context.id
    async with store.transaction("setup", write=True) as txn:
        first = await (await txn.home(ctx, world.alice.id)).create_folder("calendar", "A")
        second = await (await txn.home(ctx, world.bob.id)).create_folder("calendar", "B")
    began: list[defer.Deferred[None]] = [defer.Deferred(), defer.Deferred()]

    async def writer(mine: int, theirs: int, turn: int) -> str:
        uid = f"u{turn}"
        try:
            async with store.transaction(f"w{turn}", write=True) as txn:
                own = await txn.system_collection(ctx, mine)
                await own.put(f"{uid}.ics", b"x", ObjectIndex(uid=uid, component="VEVENT"))
                began[turn].callback(None)
                # Wait for the other to hold its folder (or a second, when it cannot).
                await defer.DeferredList([began[1 - turn], deferLater(reactor, 1.0)],
                                         fireOnOneCallback=True)
                other = await txn.system_collection(ctx, theirs)
                await other.put(f"{uid}.ics", b"y", ObjectIndex(uid=uid, component="VEVENT"))
            return "committed"
        except WriteConflict:
            return "conflict"

    outcomes = await defer.gatherResults([
        ensureDeferred(writer(first.id, second.id, 0)),
        ensureDeferred(writer(second.id, first.id, 1))])
    assert sorted(outcomes) in (["committed", "committed"], ["committed", "conflict"])
    async with store.transaction("look") as txn:
        names = {m.name for f in (first, second)
                 for m in await (await txn.system_collection(ctx, f.id)).list()}
    expected = {"u0.ics", "u1.ics"}
    assert names == expected or len(names) == 1 and names < expected
