"""Contract: whose a folder is (``Folder.owner_name``) and the names users give folders
of others for themselves (``Collection.own_name``/``set_own_name``)."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import GAL_FOLDER_ID, FolderPermission


async def shared_calendar(store, world) -> int:
    """Alice's calendar "Calendar", readable by bob and carol."""
    async with store.transaction("share", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        folder = await alice.create_folder("calendar", "Calendar", permissions=[
            FolderPermission(entity=world.bob.id, read="all"),
            FolderPermission(entity=world.carol.id, read="all", write="all")])
    return folder.id


@pytest_twisted.ensureDeferred
async def test_a_folder_names_its_owner(store, world):
    folder_id = await shared_calendar(store, world)
    async with store.transaction("r") as txn:
        bob = await txn.home(world.context.id, world.bob.id)
        assert (await bob.collection(folder_id)).folder.owner_name == "Alice"
        listed = {c.folder.id: c.folder for c in await bob.collections()}
        assert listed[folder_id].owner_name == "Alice"
        assert listed[GAL_FOLDER_ID].owner_name is None
    async with store.transaction("rename", write=True) as txn:
        await txn.update_user(world.context.id, world.alice.id, display_name="Alice Ames")
    async with store.transaction("r") as txn:
        bob = await txn.home(world.context.id, world.bob.id)
        assert (await bob.collection(folder_id)).folder.owner_name == "Alice Ames"


@pytest_twisted.ensureDeferred
async def test_a_sharee_names_a_folder_for_themselves_only(store, world):
    folder_id = await shared_calendar(store, world)
    async with store.transaction("name", write=True) as txn:
        bob = await txn.home(world.context.id, world.bob.id)
        collection = await bob.collection(folder_id)
        assert collection.own_name is None
        await collection.set_own_name("Alice's days")
        assert collection.own_name == "Alice's days"
    async with store.transaction("r") as txn:
        bob = await txn.home(world.context.id, world.bob.id)
        assert (await bob.collection(folder_id)).own_name == "Alice's days"
        by_id = {c.folder.id: c for c in await bob.collections()}
        assert by_id[folder_id].own_name == "Alice's days"
        assert by_id[folder_id].folder.name == "Calendar"
        carol = await txn.home(world.context.id, world.carol.id)
        assert (await carol.collection(folder_id)).own_name is None
        alice = await txn.home(world.context.id, world.alice.id)
        mine = await alice.collection(folder_id)
        assert (mine.folder.name, mine.own_name) == ("Calendar", None)


@pytest_twisted.ensureDeferred
async def test_an_own_name_is_taken_back_with_none(store, world):
    folder_id = await shared_calendar(store, world)
    async with store.transaction("name", write=True) as txn:
        bob = await txn.home(world.context.id, world.bob.id)
        await (await bob.collection(folder_id)).set_own_name("Mine")
        await (await bob.collection(folder_id)).set_own_name(None)
        assert (await bob.collection(folder_id)).own_name is None


@pytest_twisted.ensureDeferred
async def test_only_folders_of_others_take_own_names(store, world):
    folder_id = await shared_calendar(store, world)
    async with store.transaction("name", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        with pytest.raises(ValueError):
            await (await alice.collection(folder_id)).set_own_name("x")
        bob = await txn.home(world.context.id, world.bob.id)
        with pytest.raises(ValueError):
            await (await bob.collection(GAL_FOLDER_ID)).set_own_name("x")
        with pytest.raises(ValueError):
            await (await bob.collection(folder_id)).set_own_name("  ")
        system = await txn.system_collection(world.context.id, folder_id)
        with pytest.raises(ValueError):
            await system.set_own_name("x")


@pytest_twisted.ensureDeferred
async def test_own_names_go_with_the_user_and_the_folder(store, world):
    folder_id = await shared_calendar(store, world)
    async with store.transaction("name", write=True) as txn:
        for user in (world.bob, world.carol):
            home = await txn.home(world.context.id, user.id)
            await (await home.collection(folder_id)).set_own_name(f"{user.login}'s")
        await txn.delete_user(world.context.id, world.bob.id)
        carol = await txn.home(world.context.id, world.carol.id)
        assert (await carol.collection(folder_id)).own_name == "carol's"
        await (await (await txn.home(world.context.id, world.alice.id)).collection(
            folder_id)).delete_folder()
