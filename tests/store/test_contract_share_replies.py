"""Contract: sharees' replies to folders shared with them (``Home.share_replies``,
``Home.reply_to_share``, ``Collection.share_replies``), and when the store drops them."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import GAL_FOLDER_ID, FolderPermission, NotFound


async def shared_calendar(store, world) -> int:
    """Alice's calendar, readable by bob and by the group team (= {bob})."""
    async with store.transaction("share", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        folder = await alice.create_folder("calendar", "Calendar", permissions=[
            FolderPermission(entity=world.bob.id, read="all"),
            FolderPermission(entity=world.team.id, is_group=True, read="all")])
    return folder.id


async def replies(store, world, folder_id):
    async with store.transaction("r") as txn:
        bob = await txn.home(world.context.id, world.bob.id)
        alice = await txn.home(world.context.id, world.alice.id)
        return (await bob.share_replies(),
                await (await alice.collection(folder_id)).share_replies())


@pytest_twisted.ensureDeferred
async def test_a_sharee_accepts_and_the_owner_sees_it(store, world):
    folder_id = await shared_calendar(store, world)
    assert await replies(store, world, folder_id) == ({}, {})
    async with store.transaction("accept", write=True) as txn:
        bob = await txn.home(world.context.id, world.bob.id)
        folder = await bob.reply_to_share(folder_id, "accepted")
        assert folder.id == folder_id
    assert await replies(store, world, folder_id) == ({folder_id: "accepted"},
                                                      {world.bob.id: "accepted"})
    async with store.transaction("decline", write=True) as txn:
        await (await txn.home(world.context.id, world.bob.id)).reply_to_share(
            folder_id, "declined")
    assert await replies(store, world, folder_id) == ({folder_id: "declined"},
                                                      {world.bob.id: "declined"})
    async with store.transaction("take back", write=True) as txn:
        await (await txn.home(world.context.id, world.bob.id)).reply_to_share(folder_id, None)
    assert await replies(store, world, folder_id) == ({}, {})


@pytest_twisted.ensureDeferred
async def test_only_a_folder_of_someone_else_the_user_reads_takes_a_reply(store, world):
    folder_id = await shared_calendar(store, world)
    async with store.transaction("replies", write=True) as txn:
        carol = await txn.home(world.context.id, world.carol.id)
        with pytest.raises(NotFound):
            await carol.reply_to_share(folder_id, "accepted")
        alice = await txn.home(world.context.id, world.alice.id)
        with pytest.raises(ValueError):
            await alice.reply_to_share(folder_id, "accepted")
        bob = await txn.home(world.context.id, world.bob.id)
        with pytest.raises(ValueError):
            await bob.reply_to_share(GAL_FOLDER_ID, "accepted")
        with pytest.raises(ValueError):
            await bob.reply_to_share(folder_id, "maybe")
        with pytest.raises(NotFound):
            await bob.reply_to_share(999_999, "accepted")
    assert await replies(store, world, folder_id) == ({}, {})


async def reply_then_share(store, world, folder_id, permissions):
    async with store.transaction("accept", write=True) as txn:
        await (await txn.home(world.context.id, world.bob.id)).reply_to_share(
            folder_id, "accepted")
    async with store.transaction("share again", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        await (await alice.collection(folder_id)).update_folder(permissions=permissions)
    return await replies(store, world, folder_id)


@pytest_twisted.ensureDeferred
async def test_a_changed_access_keeps_the_reply(store, world):
    folder_id = await shared_calendar(store, world)
    assert await reply_then_share(store, world, folder_id, [
        FolderPermission(entity=world.bob.id, read="all", write="all")]) == (
        {folder_id: "accepted"}, {world.bob.id: "accepted"})


@pytest_twisted.ensureDeferred
async def test_a_revoked_sharee_loses_the_reply(store, world):
    folder_id = await shared_calendar(store, world)
    assert await reply_then_share(store, world, folder_id, []) == ({}, {})


@pytest_twisted.ensureDeferred
async def test_a_sharee_named_afresh_is_asked_again(store, world):
    folder_id = await shared_calendar(store, world)
    async with store.transaction("group only", write=True) as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        await (await alice.collection(folder_id)).update_folder(permissions=[
            FolderPermission(entity=world.team.id, is_group=True, read="all")])
    # still reading through the group: the reply stays until bob is named again
    assert await reply_then_share(store, world, folder_id, [
        FolderPermission(entity=world.team.id, is_group=True, read="all"),
        FolderPermission(entity=world.bob.id, read="all")]) == ({}, {})


@pytest_twisted.ensureDeferred
async def test_replies_go_with_their_folder_and_user(store, world):
    folder_id = await shared_calendar(store, world)
    async with store.transaction("accept", write=True) as txn:
        await (await txn.home(world.context.id, world.bob.id)).reply_to_share(
            folder_id, "declined")
    async with store.transaction("delete", write=True) as txn:
        await txn.delete_user(world.context.id, world.bob.id)
    async with store.transaction("r") as txn:
        alice = await txn.home(world.context.id, world.alice.id)
        assert await (await alice.collection(folder_id)).share_replies() == {}
