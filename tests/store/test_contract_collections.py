"""Contract: ``Home.collections`` opens every readable folder in one call."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import GAL_FOLDER_ID, FolderPermission, ObjectIndex, QuotaExceeded


async def shared_world(txn, world):
    """alice owns a calendar shared read-only to group team (bob) and contacts of her own."""
    alice = await txn.home(world.context.id, world.alice.id)
    calendar = await alice.create_folder("calendar", "Work", permissions=[
        FolderPermission(entity=world.team.id, is_group=True, read="all")])
    contacts = await alice.create_folder("contacts", "People")
    return calendar, contacts


@pytest_twisted.ensureDeferred
async def test_collections_match_folders_and_collection_one_by_one(store, world):
    async with store.transaction("t", write=True) as txn:
        await shared_world(txn, world)
        for user in (world.alice, world.bob, world.carol):
            home = await txn.home(world.context.id, user.id)
            expected = [await home.collection(f.id) for f in await home.folders()]
            opened = await home.collections()
            assert [(c.folder, c.rights, c.user_id) for c in opened] == [
                (c.folder, c.rights, c.user_id) for c in expected]


@pytest_twisted.ensureDeferred
async def test_collections_filter_by_module(store, world):
    async with store.transaction("t", write=True) as txn:
        _, contacts = await shared_world(txn, world)
        home = await txn.home(world.context.id, world.alice.id)
        ids = [c.folder.id for c in await home.collections("contacts")]
    assert sorted(ids) == sorted([GAL_FOLDER_ID, contacts.id])


@pytest_twisted.ensureDeferred
async def test_collections_are_usable_and_carry_the_home_quota(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar, _ = await shared_world(txn, world)
        home = await txn.home(world.context.id, world.alice.id, quota=3)
        [opened] = [c for c in await home.collections() if c.folder.id == calendar.id]
        await opened.put("a.ics", b"xyz", ObjectIndex("uid-a", "VEVENT"))
        with pytest.raises(QuotaExceeded):
            await opened.put("b.ics", b"x", ObjectIndex("uid-b", "VEVENT"))
        assert [m.name for m in await opened.list()] == ["a.ics"]


@pytest_twisted.ensureDeferred
async def test_folder_property_covers_exactly_the_readable_folders(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar, contacts = await shared_world(txn, world)
        alice = await txn.home(world.context.id, world.alice.id)
        for folder in (calendar, contacts):
            await (await alice.collection(folder.id)).set_dead_properties(
                "", {"{x:}name": f"v{folder.id}", "{x:}other": "o"})
        seen = {}
        for user in (world.alice, world.bob, world.carol):
            home = await txn.home(world.context.id, user.id)
            seen[user.login] = await home.folder_property("{x:}name")
    assert seen["alice"] == {calendar.id: f"v{calendar.id}", contacts.id: f"v{contacts.id}"}
    assert seen["bob"] == {calendar.id: f"v{calendar.id}"}  # shared read-only through team
    assert seen["carol"] == {}
