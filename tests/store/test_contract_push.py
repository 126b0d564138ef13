"""Contract: WebDAV-Push subscriptions belong to one user, watch folders that user reads,
and last until they expire. The time is passed as ``now`` (epoch seconds)."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import (
    FolderPermission,
    Forbidden,
    PushLimitExceeded,
)
from tests.store.conftest import World

T0 = 1_000_000.0
DAY = 86_400


def keys(**overrides):
    args = dict(endpoint="https://push.example/a", public_key="PK", auth_secret="AS",
                expires=int(T0) + 3 * DAY, now=T0)
    args.update(overrides)
    return args


async def shared_book(txn, world: World, **bob_rights):
    """alice's address book, shared to bob with ``bob_rights`` (none: not shared)."""
    home = await txn.home(world.context.id, world.alice.id)
    permissions = [FolderPermission(entity=world.bob.id, **bob_rights)] if bob_rights else []
    return await home.create_folder("contacts", "Book", permissions=permissions)


@pytest_twisted.ensureDeferred
async def test_a_registration_is_found_by_its_user_and_renewed_in_place(store, world) -> None:
    c = world.context.id
    async with store.transaction("t", write=True) as txn:
        book = await shared_book(txn, world)
        first = await txn.register_push(c, world.alice.id, "1/b", [book.id], **keys())
        assert (first.user_id, first.folder_ids, first.endpoint, first.expires) == (
            world.alice.id, (book.id,), "https://push.example/a", int(T0) + 3 * DAY)
        assert len(first.id) >= 24
        again = await txn.register_push(c, world.alice.id, "1/b", [book.id],
                                        **keys(public_key="PK2", expires=int(T0) + 5 * DAY))
        assert again.id == first.id
        found = await txn.push_subscription(c, world.alice.id, first.id, now=T0)
        assert (found.public_key, found.expires) == ("PK2", int(T0) + 5 * DAY)
        other = await txn.register_push(c, world.alice.id, "1/b", [book.id],
                                        **keys(endpoint="https://push.example/b"))
        assert other.id != first.id


@pytest_twisted.ensureDeferred
async def test_nobody_registers_on_a_folder_they_cannot_read(store, world) -> None:
    c = world.context.id
    async with store.transaction("t", write=True) as txn:
        book = await shared_book(txn, world)
        with pytest.raises(Forbidden):
            await txn.register_push(c, world.bob.id, "1/b", [book.id], **keys())
        with pytest.raises(ValueError):
            await txn.register_push(c, world.alice.id, "1/b", [], **keys())
        with pytest.raises(ValueError):
            await txn.register_push(c, world.alice.id, "1/b", [book.id],
                                    **keys(expires=int(T0)))


@pytest_twisted.ensureDeferred
async def test_only_its_user_sees_or_removes_a_subscription(store, world) -> None:
    c = world.context.id
    async with store.transaction("t", write=True) as txn:
        book = await shared_book(txn, world, read="all")
        mine = await txn.register_push(c, world.alice.id, "1/b", [book.id], **keys())
        assert await txn.push_subscription(c, world.bob.id, mine.id, now=T0) is None
        assert not await txn.unregister_push(c, world.bob.id, mine.id, now=T0)
        other = await txn.create_context("other", ["other.example"])
        assert await txn.push_subscription(other.id, world.alice.id, mine.id, now=T0) is None
        assert await txn.unregister_push(c, world.alice.id, mine.id, now=T0)
        assert await txn.push_subscription(c, world.alice.id, mine.id, now=T0) is None
        assert not await txn.unregister_push(c, world.alice.id, mine.id, now=T0)


@pytest_twisted.ensureDeferred
async def test_watchers_are_those_who_still_read_the_changed_folder(store, world) -> None:
    c = world.context.id
    async with store.transaction("t", write=True) as txn:
        book = await shared_book(txn, world, read="all")
        home = await txn.home(c, world.alice.id)
        own = await home.create_folder("contacts", "Own")
        alice = await txn.register_push(c, world.alice.id, "all", [book.id, own.id], **keys())
        bob = await txn.register_push(c, world.bob.id, "1/b", [book.id], **keys())
        found = await txn.push_watchers(c, [book.id], now=T0)
        assert {s.id for s in found} == {alice.id, bob.id}
        assert [s.id for s in await txn.push_watchers(c, [own.id], now=T0)] == [alice.id]
        assert await txn.push_watchers(c + 1000, [book.id], now=T0) == []
        # The share is revoked: bob is told nothing more.
        collection = await home.collection(book.id)
        await collection.update_folder(permissions=[])
        assert [s.id for s in await txn.push_watchers(c, [book.id], now=T0)] == [alice.id]
        # Expired ones are never told.
        assert await txn.push_watchers(c, [book.id], now=T0 + 3 * DAY) == []


@pytest_twisted.ensureDeferred
async def test_expired_and_dropped_subscriptions_go(store, world) -> None:
    c = world.context.id
    async with store.transaction("t", write=True) as txn:
        book = await shared_book(txn, world)
        short = await txn.register_push(c, world.alice.id, "1/b", [book.id],
                                        **keys(expires=int(T0) + 10))
        long = await txn.register_push(c, world.alice.id, "1/b", [book.id],
                                       **keys(endpoint="https://push.example/b"))
        gone = await txn.register_push(c, world.alice.id, "1/b", [book.id],
                                       **keys(endpoint="https://push.example/c"))
        assert await txn.push_subscription(c, world.alice.id, short.id, now=T0 + 10) is None
        assert await txn.prune_push(now=T0 + 10) == 1
        assert await txn.drop_push([gone.id]) == 1
        assert [s.id for s in await txn.push_watchers(c, [book.id], now=T0)] == [long.id]


@pytest_twisted.ensureDeferred
async def test_a_user_holds_at_most_the_limit(store, world) -> None:
    c = world.context.id
    async with store.transaction("t", write=True) as txn:
        book = await shared_book(txn, world)
        for n in range(2):
            await txn.register_push(c, world.alice.id, "1/b", [book.id], limit=2,
                                    **keys(endpoint=f"https://push.example/{n}"))
        with pytest.raises(PushLimitExceeded):
            await txn.register_push(c, world.alice.id, "1/b", [book.id], limit=2,
                                    **keys(endpoint="https://push.example/x"))
        # Renewing one is no new one.
        await txn.register_push(c, world.alice.id, "1/b", [book.id], limit=2,
                                **keys(endpoint="https://push.example/0"))


@pytest_twisted.ensureDeferred
async def test_a_deleted_folder_takes_its_watches_and_a_user_their_subscriptions(
        store, world) -> None:
    c = world.context.id
    async with store.transaction("t", write=True) as txn:
        book = await shared_book(txn, world, read="all")
        home = await txn.home(c, world.alice.id)
        await txn.register_push(c, world.alice.id, "1/b", [book.id], **keys())
        bob = await txn.register_push(c, world.bob.id, "1/b", [book.id], **keys())
        await txn.delete_user(c, world.bob.id)
        assert await txn.drop_push([bob.id]) == 0
        await (await home.collection(book.id)).delete_folder()
        assert await txn.push_watchers(c, [book.id], now=T0) == []
