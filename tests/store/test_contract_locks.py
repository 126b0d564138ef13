"""Contract: write locks (RFC 4918 §6-§7) belong to a folder's member and to its creator.

The time is passed as ``now`` (epoch seconds), never slept through.
"""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import (
    GAL_FOLDER_ID,
    FolderPermission,
    Forbidden,
    Locked,
    LockLimitExceeded,
    NotFound,
    ObjectIndex,
    ReadOnlyTransaction,
    Store,
)
from tests.store.conftest import World

T0 = 1_000_000.0


async def shared_calendar(txn, world: World, *, bob: dict[str, object] | None = None,
                          carol: dict[str, object] | None = None):
    """alice's calendar holding a.ics, shared to bob and carol with the given rights;
    returns the collection as alice, bob, carol (None where it is invisible)."""
    alice = await txn.home(world.context.id, world.alice.id)
    permissions = [FolderPermission(entity=user.id, **rights)  # type: ignore[arg-type]
                   for user, rights in ((world.bob, bob), (world.carol, carol)) if rights]
    folder = await alice.create_folder("calendar", "Work", permissions=permissions)
    calendar = await alice.collection(folder.id)
    await calendar.put("a.ics", b"A", ObjectIndex("uid-a", "VEVENT"))
    views = [calendar]
    for user in (world.bob, world.carol):
        try:
            views.append(await (await txn.home(world.context.id, user.id)).collection(folder.id))
        except NotFound:
            views.append(None)
    return views


def lock_args(**overrides):
    args = dict(exclusive=True, owner=None, timeout=60, now=T0)
    args.update(overrides)
    return args


@pytest_twisted.ensureDeferred
async def test_an_exclusive_lock_excludes_every_other_lock(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, _ = await shared_calendar(txn, world, bob=dict(read="all", write="all"))
        lock = await calendar.lock("a.ics", **lock_args(owner="<D:owner xmlns:D='DAV:'/>"))
        assert (lock.name, lock.creator_id, lock.exclusive, lock.timeout, lock.expires) == (
            "a.ics", world.alice.id, True, 60, int(T0) + 60)
        assert lock.token.startswith("urn:uuid:")
        for exclusive in (True, False):
            with pytest.raises(Locked):
                await bob.lock("a.ics", **lock_args(exclusive=exclusive))
            with pytest.raises(Locked):  # also for its own creator
                await calendar.lock("a.ics", **lock_args(exclusive=exclusive))
        assert await calendar.locks("a.ics", now=T0) == [lock]


@pytest_twisted.ensureDeferred
async def test_shared_locks_coexist_and_exclude_an_exclusive_one(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, _ = await shared_calendar(txn, world, bob=dict(read="all", write="all"))
        first = await calendar.lock("a.ics", **lock_args(exclusive=False))
        second = await bob.lock("a.ics", **lock_args(exclusive=False, now=T0 + 1))
        with pytest.raises(Locked):
            await bob.lock("a.ics", **lock_args(now=T0 + 2))
        assert [lock.creator_id for lock in await calendar.locks("a.ics", now=T0 + 2)] == [
            world.alice.id, world.bob.id]
        assert first.token != second.token


@pytest_twisted.ensureDeferred
async def test_token_and_owner_are_shown_to_the_creator_and_admins_only(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, carol = await shared_calendar(
            txn, world, bob=dict(read="all", write="all"),
            carol=dict(read="all", write="all", admin=True))
        owner = "<D:owner xmlns:D='DAV:'>bob</D:owner>"
        mine = await bob.lock("a.ics", **lock_args(owner=owner))
        assert await bob.locks("a.ics", now=T0) == [mine]
        for admin in (calendar, carol):  # the owner has every right, admin included
            assert [(lock.token, lock.owner) for lock in await admin.locks(now=T0)] == [
                (mine.token, owner)]
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        await (await alice.collection(calendar.folder.id)).update_folder(permissions=[
            FolderPermission(entity=world.bob.id, read="all", write="all"),
            FolderPermission(entity=world.carol.id, read="all")])
    async with store.transaction("t") as txn:
        reader = await (await txn.home(world.context.id, world.carol.id)).collection(
            calendar.folder.id)
        [seen] = await reader.locks("a.ics", now=T0)
    assert (seen.token, seen.owner, seen.creator_id, seen.exclusive) == (
        None, None, world.bob.id, True)


@pytest_twisted.ensureDeferred
async def test_a_lock_needs_the_right_to_write_the_name(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, carol = await shared_calendar(
            txn, world, bob=dict(read="all"), carol=dict(read="own", write="own"))
        for name in ("a.ics", "new.ics"):  # an object, and a name no object holds
            with pytest.raises(Forbidden):
                await bob.lock(name, **lock_args())
        await carol.put("c.ics", b"C", ObjectIndex("uid-c", "VEVENT"))
        with pytest.raises(Forbidden):  # alice's object: write=own does not reach it
            await carol.lock("a.ics", **lock_args())
        await carol.lock("c.ics", **lock_args())  # her own object
        await carol.lock("free.ics", **lock_args())  # creating is within write=own
        for viewer in (calendar, bob):
            assert [lock.name for lock in await viewer.locks(now=T0)] == ["c.ics", "free.ics"]


@pytest_twisted.ensureDeferred
async def test_a_free_name_where_users_create_nothing_cannot_be_locked(store, world) -> None:
    # The global address list takes no new object from a user (may_create_objects), so
    # neither a lock on a name no card holds (RFC 4918 §7.3: locking it needs bind).
    async with store.transaction("t", write=True) as txn:
        gal = await txn.system_collection(world.context.id, GAL_FOLDER_ID)
        await gal.put("alice.vcf", b"v1", ObjectIndex("card-alice", "VCARD"),
                      created_by=world.alice.id)
        alice = await (await txn.home(world.context.id, world.alice.id)).collection(
            GAL_FOLDER_ID)
        with pytest.raises(Forbidden) as caught:
            await alice.lock("new.vcf", **lock_args())
        assert caught.value.right == "create"
        await alice.lock("alice.vcf", **lock_args())  # her own card she may change
        assert [lock.name for lock in await gal.locks(now=T0)] == ["alice.vcf"]


@pytest_twisted.ensureDeferred
async def test_locks_on_objects_a_user_cannot_read_are_not_listed_to_them(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, _, carol = await shared_calendar(txn, world,
                                                   carol=dict(read="own", write="own"))
        await calendar.lock("a.ics", **lock_args())
        await calendar.lock("free.ics", **lock_args())
        # a.ics is alice's, invisible to carol (read=own); a free name is no one's.
        assert [lock.name for lock in await carol.locks(now=T0)] == ["free.ics"]
        assert await carol.locks("a.ics", now=T0) == []


@pytest_twisted.ensureDeferred
async def test_a_folder_invisible_to_a_user_offers_them_no_locks(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, _ = await shared_calendar(txn, world)
        assert bob is None  # not shared: the folder is NotFound for bob
        await calendar.lock("a.ics", **lock_args())


@pytest_twisted.ensureDeferred
async def test_refresh_extends_only_the_users_own_lock(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, _ = await shared_calendar(txn, world, bob=dict(read="all", write="all"))
        lock = await calendar.lock("a.ics", **lock_args())
        assert await bob.refresh_lock("a.ics", lock.token, 600, now=T0 + 30) is None
        assert await calendar.refresh_lock("b.ics", lock.token, 600, now=T0 + 30) is None
        assert await calendar.refresh_lock("a.ics", "urn:uuid:x", 600, now=T0 + 30) is None
        renewed = await calendar.refresh_lock("a.ics", lock.token, 600, now=T0 + 30)
        assert (renewed.token, renewed.timeout, renewed.expires) == (
            lock.token, 600, int(T0) + 630)
        [held] = await calendar.locks("a.ics", now=T0 + 100)
        assert held.expires == int(T0) + 630


@pytest_twisted.ensureDeferred
async def test_refresh_needs_the_write_right_still(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, _ = await shared_calendar(txn, world, bob=dict(read="all", write="all"))
        lock = await bob.lock("a.ics", **lock_args())
        await calendar.update_folder(permissions=[
            FolderPermission(entity=world.bob.id, read="all")])
        bob = await (await txn.home(world.context.id, world.bob.id)).collection(
            calendar.folder.id)
        with pytest.raises(Forbidden):
            await bob.refresh_lock("a.ics", lock.token, 60, now=T0)


@pytest_twisted.ensureDeferred
async def test_unlock_is_for_the_creator_or_an_admin(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, carol = await shared_calendar(
            txn, world, bob=dict(read="all", write="all"),
            carol=dict(read="all", write="all"))
        lock = await carol.lock("a.ics", **lock_args())
        with pytest.raises(Forbidden):
            await bob.unlock("a.ics", lock.token, now=T0)
        assert await carol.unlock("b.ics", lock.token, now=T0) is False  # other name
        assert await carol.unlock("a.ics", lock.token, now=T0) is True
        assert await carol.unlock("a.ics", lock.token, now=T0) is False  # gone
        other = await carol.lock("a.ics", **lock_args())
        assert await calendar.unlock("a.ics", other.token, now=T0) is True  # alice: admin
        assert await calendar.locks(now=T0) == []


@pytest_twisted.ensureDeferred
async def test_an_expired_lock_has_no_effect_and_goes_on_the_next_lock(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, _ = await shared_calendar(txn, world, bob=dict(read="all", write="all"))
        lock = await calendar.lock("a.ics", **lock_args(timeout=60))
        assert [held.token for held in await calendar.locks(now=T0 + 59)] == [lock.token]
        assert await calendar.locks(now=T0 + 60) == []
        assert await calendar.refresh_lock("a.ics", lock.token, 60, now=T0 + 60) is None
        assert await calendar.unlock("a.ics", lock.token, now=T0 + 60) is False
        taken = await bob.lock("a.ics", **lock_args(now=T0 + 61))
        # the expired row went with the new lock: even an earlier clock does not see it
        assert [held.creator_id for held in await calendar.locks(now=T0)] == [world.bob.id]
        assert taken.expires == int(T0) + 121


@pytest_twisted.ensureDeferred
async def test_prune_locks_drops_the_expired_ones(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, _, _ = await shared_calendar(txn, world)
        await calendar.lock("a.ics", **lock_args(timeout=10))
        await calendar.lock("b.ics", **lock_args(timeout=100))
    async with store.transaction("prune", write=True) as txn:
        assert await txn.prune_locks(T0 + 50) == 1
        assert await txn.prune_locks(T0 + 50) == 0
    async with store.transaction("t") as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        remaining = await (await alice.collection(calendar.folder.id)).locks(now=T0)
    assert [lock.name for lock in remaining] == ["b.ics"]


@pytest_twisted.ensureDeferred
async def test_the_cap_counts_a_users_unexpired_locks_in_the_context(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, _ = await shared_calendar(txn, world, bob=dict(read="all", write="all"))
        alice = await txn.home(world.context.id, world.alice.id)
        other = await alice.collection((await alice.create_folder("calendar", "Other")).id)
        await calendar.lock("a.ics", **lock_args(limit=2, timeout=10))
        await other.lock("b.ics", **lock_args(limit=2))
        with pytest.raises(LockLimitExceeded) as raised:
            await calendar.lock("c.ics", **lock_args(limit=2))
        assert raised.value.limit == 2
        await bob.lock("c.ics", **lock_args(limit=2))  # bob's count is his own
        await calendar.lock("d.ics", **lock_args(limit=2, now=T0 + 10))  # one expired
        await calendar.lock("e.ics", **lock_args(now=T0 + 10))  # no limit given


@pytest_twisted.ensureDeferred
async def test_the_same_name_in_two_contexts_is_two_resources(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, _, _ = await shared_calendar(txn, world)
        other = await txn.create_context("globex")
        olga = await txn.create_user(other.id, "olga", display_name="Olga")
        home = await txn.home(other.id, olga.id)
        await home.create_folder("calendar", "Work", folder_id=calendar.folder.id)
        theirs = await home.collection(calendar.folder.id)
        ours = await calendar.lock("a.ics", **lock_args())
        their_lock = await theirs.lock("a.ics", **lock_args())
        assert [lock.token for lock in await theirs.locks(now=T0)] == [their_lock.token]
        assert [lock.token for lock in await calendar.locks(now=T0)] == [ours.token]
        assert await theirs.unlock("a.ics", ours.token, now=T0) is False
        assert await theirs.refresh_lock("a.ics", ours.token, 60, now=T0) is None


@pytest_twisted.ensureDeferred
async def test_deleting_the_object_or_the_folder_drops_its_locks(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, _, _ = await shared_calendar(txn, world)
        await calendar.lock("a.ics", **lock_args())
        await calendar.lock("free.ics", **lock_args())
        await calendar.delete("a.ics")
        assert [lock.name for lock in await calendar.locks(now=T0)] == ["free.ics"]
        folder_id = calendar.folder.id
        await calendar.delete_folder()
        alice = await txn.home(world.context.id, world.alice.id)
        await alice.create_folder("calendar", "Again", folder_id=folder_id)
        assert await (await alice.collection(folder_id)).locks(now=T0) == []


@pytest_twisted.ensureDeferred
async def test_deleting_the_creator_drops_their_locks(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, bob, _ = await shared_calendar(txn, world, bob=dict(read="all", write="all"))
        await bob.lock("a.ics", **lock_args())
        await txn.delete_user(world.context.id, world.bob.id)
        assert await calendar.locks(now=T0) == []


@pytest_twisted.ensureDeferred
async def test_locks_never_move_the_contexts_version(store: Store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, _, _ = await shared_calendar(txn, world)
    async with store.transaction("t") as txn:
        before = (await txn.context(world.context.id)).version
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        calendar = await alice.collection(calendar.folder.id)
        lock = await calendar.lock("a.ics", **lock_args(timeout=10))
        await calendar.refresh_lock("a.ics", lock.token, 20, now=T0)
        await calendar.unlock("a.ics", lock.token, now=T0)
        await calendar.lock("a.ics", **lock_args(timeout=10))
        await txn.prune_locks(T0 + 100)
    async with store.transaction("t") as txn:
        assert (await txn.context(world.context.id)).version == before


@pytest_twisted.ensureDeferred
async def test_a_read_transaction_lists_locks_but_takes_none(store, world) -> None:
    async with store.transaction("t", write=True) as txn:
        calendar, _, _ = await shared_calendar(txn, world)
        await calendar.lock("a.ics", **lock_args())
    async with store.transaction("t") as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        calendar = await alice.collection(calendar.folder.id)
        assert len(await calendar.locks("a.ics", now=T0)) == 1
        with pytest.raises(ReadOnlyTransaction):
            await calendar.lock("b.ics", **lock_args())
