"""Contract: folders, the global address list, visibility and permissions."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import (
    ALL_USERS_GROUP,
    FIRST_FOLDER_ID,
    GAL_FOLDER_ID,
    MAX_CHOSEN_FOLDER_ID,
    MAX_ID,
    AlreadyExists,
    FolderPermission,
    Forbidden,
    NotFound,
)


def reader(entity: int, is_group: bool = False) -> FolderPermission:
    return FolderPermission(entity=entity, is_group=is_group, read="all")


@pytest_twisted.ensureDeferred
async def test_every_context_has_the_gal_as_folder_6(store):
    async with store.transaction("t", write=True) as txn:
        one = await txn.create_context("one")
        two = await txn.create_context("two")
        for context in (one, two):
            (gal,) = await txn.folders(context.id)
            assert (gal.id, gal.module, gal.owner_id) == (GAL_FOLDER_ID, "contacts", None)
            assert gal.name == "Global Address Book"
            assert gal.permissions == (FolderPermission(
                entity=ALL_USERS_GROUP, is_group=True, read="all", write="own",
                delete="none"),)


@pytest_twisted.ensureDeferred
async def test_every_user_sees_the_gal(store, world):
    async with store.transaction("r") as txn:
        home = await txn.home(world.context.id, world.carol.id)
        assert [f.id for f in await home.folders()] == [GAL_FOLDER_ID]
        gal = await home.collection(GAL_FOLDER_ID)
    assert (gal.rights.read, gal.rights.write, gal.rights.delete) == ("all", "own", "none")
    assert not gal.rights.admin


@pytest_twisted.ensureDeferred
async def test_create_folder_returns_it_with_owner_and_fresh_id(store, world):
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        folder = await home.create_folder("calendar", "Work", color="#ff0000",
                                          description="d", is_default=True)
        second = await home.create_folder("tasks", "Todo")
    assert folder.id >= FIRST_FOLDER_ID and second.id > folder.id
    assert (folder.module, folder.owner_id, folder.name) == ("calendar", world.alice.id, "Work")
    assert (folder.color, folder.description, folder.is_default) == ("#ff0000", "d", True)
    assert folder.revision == 0 and folder.permissions == ()


@pytest_twisted.ensureDeferred
async def test_folder_ids_are_per_context(store):
    async with store.transaction("t", write=True) as txn:
        ids = []
        for name in ("one", "two"):
            context = await txn.create_context(name)
            user = await txn.create_user(context.id, "u", display_name="U")
            home = await txn.home(context.id, user.id)
            ids.append((await home.create_folder("calendar", "C")).id)
    assert ids[0] == ids[1]


@pytest_twisted.ensureDeferred
async def test_one_default_folder_per_module_and_owner(store, world):
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        await home.create_folder("calendar", "Calendar", is_default=True)
        await home.create_folder("contacts", "Contacts", is_default=True)
        with pytest.raises(AlreadyExists):
            await home.create_folder("calendar", "Other", is_default=True)
        with pytest.raises(ValueError):
            await home.create_folder("mail", "Inbox")


@pytest_twisted.ensureDeferred
async def test_a_chosen_folder_id_is_free_and_in_the_user_range(store, world):
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        made = await home.create_folder("calendar", "Chosen", folder_id=MAX_CHOSEN_FOLDER_ID)
        assert made.id == MAX_CHOSEN_FOLDER_ID
        with pytest.raises(AlreadyExists):
            await home.create_folder("calendar", "Clash", folder_id=MAX_CHOSEN_FOLDER_ID)
        for reserved in (GAL_FOLDER_ID, 0, FIRST_FOLDER_ID - 1):  # the system's ids
            with pytest.raises(ValueError):
                await home.create_folder("calendar", "Clash", folder_id=reserved)
        # A choice near the end of the id range would leave the context's counter none.
        for too_big in (MAX_CHOSEN_FOLDER_ID + 1, MAX_ID - 1, MAX_ID + 1):
            with pytest.raises(ValueError):
                await home.create_folder("calendar", "Greedy", folder_id=too_big)
        bob = await txn.home(world.context.id, world.bob.id)
        assert (await bob.create_folder("calendar", "Next")).id == MAX_CHOSEN_FOLDER_ID + 1



@pytest_twisted.ensureDeferred
async def test_a_folder_keeps_the_component_types_it_was_made_for(store, world):
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        mixed = await home.create_folder("calendar", "Mixed",
                                         components=["VTODO", "VEVENT", "VJOURNAL", "VTODO"])
        plain = await home.create_folder("calendar", "Plain")
    assert mixed.components == ("VEVENT", "VJOURNAL", "VTODO")  # sorted, once each
    assert plain.components == ()  # its module's types
    async with store.transaction("r") as txn:
        home = await txn.home(world.context.id, world.alice.id)
        listed = {f.id: f.components for f in await home.folders("calendar")}
        opened = (await home.collection(mixed.id)).folder.components
    assert listed == {mixed.id: mixed.components, plain.id: ()}
    assert opened == mixed.components


@pytest_twisted.ensureDeferred
async def test_component_types_are_checked(store, world):
    refused = [("contacts", ["VEVENT"]), ("calendar", ["vevent"]), ("calendar", [""]),
               ("calendar", ["VEVENT<x/>"]), ("calendar", [f"X-{n}" for n in range(9)])]
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        for module, components in refused:
            with pytest.raises(ValueError):
                await home.create_folder(module, "Wrong", components=components)
        assert [f.id for f in await home.folders()] == [GAL_FOLDER_ID]  # none was made

@pytest_twisted.ensureDeferred
async def test_unshared_folder_is_invisible_to_others(store, world):
    async with store.transaction("t", write=True) as txn:
        folder = await (await txn.home(world.context.id, world.alice.id)).create_folder(
            "calendar", "Private")
        bob = await txn.home(world.context.id, world.bob.id)
        assert folder.id not in [f.id for f in await bob.folders()]
        with pytest.raises(NotFound):
            await bob.collection(folder.id)


@pytest_twisted.ensureDeferred
async def test_folder_shared_to_user_is_visible_with_their_rights(store, world):
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        folder = await alice.create_folder("calendar", "Shared", permissions=[
            FolderPermission(entity=world.carol.id, read="all", write="own")])
        carol = await txn.home(world.context.id, world.carol.id)
        assert folder.id in [f.id for f in await carol.folders("calendar")]
        assert await carol.folders("tasks") == []
        collection = await carol.collection(folder.id)
    assert (collection.rights.read, collection.rights.write) == ("all", "own")
    assert collection.rights.delete == "none" and not collection.rights.admin


@pytest_twisted.ensureDeferred
async def test_folder_shared_to_group_is_visible_to_members_only(store, world):
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        folder = await alice.create_folder("contacts", "Team", permissions=[
            reader(world.team.id, is_group=True)])
        bob = await txn.home(world.context.id, world.bob.id)
        carol = await txn.home(world.context.id, world.carol.id)
        assert folder.id in [f.id for f in await bob.folders()]
        assert folder.id not in [f.id for f in await carol.folders()]
        with pytest.raises(NotFound):
            await carol.collection(folder.id)


@pytest_twisted.ensureDeferred
async def test_rights_are_the_union_of_user_and_group_entries(store, world):
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        folder = await alice.create_folder("calendar", "Mixed", permissions=[
            FolderPermission(entity=world.bob.id, read="own", write="all"),
            FolderPermission(entity=world.team.id, is_group=True, read="all", delete="own"),
        ])
        bob = await (await txn.home(world.context.id, world.bob.id)).collection(folder.id)
    assert (bob.rights.read, bob.rights.write, bob.rights.delete) == ("all", "all", "own")


@pytest_twisted.ensureDeferred
async def test_permission_without_read_does_not_show_folder(store, world):
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        folder = await alice.create_folder("calendar", "Drop box", permissions=[
            FolderPermission(entity=world.bob.id, write="own")])
        bob = await txn.home(world.context.id, world.bob.id)
        assert folder.id not in [f.id for f in await bob.folders()]


@pytest_twisted.ensureDeferred
async def test_permissions_must_name_existing_users_and_groups(store, world):
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        with pytest.raises(NotFound):
            await alice.create_folder("calendar", "X", permissions=[reader(9999)])
        with pytest.raises(NotFound):
            await alice.create_folder("calendar", "X", permissions=[reader(9999, True)])
        assert [f.id for f in await alice.folders()] == [GAL_FOLDER_ID]


@pytest_twisted.ensureDeferred
async def test_foreign_context_folder_is_not_found(store, world):
    async with store.transaction("t", write=True) as txn:
        folder = await (await txn.home(world.context.id, world.alice.id)).create_folder(
            "calendar", "Mine")
        other = await txn.create_context("other")
        stranger = await txn.create_user(other.id, "alice", display_name="Alice")
        home = await txn.home(other.id, stranger.id)
        with pytest.raises(NotFound):
            await home.collection(folder.id)
        assert [f.id for f in await home.folders()] == [GAL_FOLDER_ID]


@pytest_twisted.ensureDeferred
async def test_home_of_unknown_user_is_not_found(store, world):
    async with store.transaction("r") as txn:
        with pytest.raises(NotFound):
            await (await txn.home(world.context.id, 9999)).folders()


@pytest_twisted.ensureDeferred
async def test_owner_updates_folder_and_permissions(store, world):
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        folder = await alice.create_folder("calendar", "Old", color="#000")
        collection = await alice.collection(folder.id)
        assert collection.rights.admin
        updated = await collection.update_folder(name="New", description="text",
                                                 permissions=[reader(world.carol.id)])
        assert (updated.name, updated.color, updated.description) == ("New", "#000", "text")
        assert collection.folder == updated
        carol = await txn.home(world.context.id, world.carol.id)
        assert folder.id in [f.id for f in await carol.folders()]


@pytest_twisted.ensureDeferred
async def test_non_admin_cannot_update_or_delete_folder(store, world):
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        folder = await alice.create_folder("calendar", "Shared", permissions=[
            FolderPermission(entity=world.carol.id, read="all", write="all", delete="all")])
        carol = await (await txn.home(world.context.id, world.carol.id)).collection(folder.id)
        with pytest.raises(Forbidden):
            await carol.update_folder(name="Mine now")
        with pytest.raises(Forbidden):
            await carol.delete_folder()


@pytest_twisted.ensureDeferred
async def test_delete_folder_removes_it_with_objects(store, world):
    from oxdav.store import ObjectIndex

    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        folder = await alice.create_folder("calendar", "Gone")
        collection = await alice.collection(folder.id)
        await collection.put("a.ics", b"x", ObjectIndex("u1", "VEVENT"))
        await collection.delete_folder()
        with pytest.raises(NotFound):
            await alice.collection(folder.id)
        assert folder.id not in [f.id for f in await txn.folders(world.context.id)]


@pytest_twisted.ensureDeferred
async def test_system_and_default_folders_cannot_be_deleted_by_users(store, world):
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        default = await alice.create_folder("calendar", "Calendar", is_default=True)
        with pytest.raises(Forbidden):
            await (await alice.collection(default.id)).delete_folder()
        with pytest.raises(Forbidden):
            await (await alice.collection(GAL_FOLDER_ID)).delete_folder()
        gal = await txn.system_collection(world.context.id, GAL_FOLDER_ID)
        assert gal.rights.admin


@pytest_twisted.ensureDeferred
async def test_deleting_user_removes_their_folders_and_entries(store, world):
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        own = await alice.create_folder("calendar", "Alice's")
        shared = await (await txn.home(world.context.id, world.bob.id)).create_folder(
            "calendar", "Bob's", permissions=[reader(world.alice.id)])
        await txn.delete_user(world.context.id, world.alice.id)
        folders = {f.id: f for f in await txn.folders(world.context.id)}
        assert own.id not in folders
        assert folders[shared.id].permissions == ()


@pytest_twisted.ensureDeferred
async def test_deleting_group_removes_its_entries(store, world):
    async with store.transaction("t", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        folder = await alice.create_folder("calendar", "Team", permissions=[
            reader(world.team.id, is_group=True)])
        await txn.delete_group(world.context.id, world.team.id)
        bob = await txn.home(world.context.id, world.bob.id)
        assert folder.id not in [f.id for f in await bob.folders()]
