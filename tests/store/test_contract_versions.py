"""Context.version, ``transaction(confirm=...)`` and what a read sees after a change.

The version lets the daemon keep what it read from a context (a login's verdict, a
folder, a user's groups) and re-read only when it moved; so every change that decides
logins or visibility must move it, object writes must not, and a read must never see
what was kept from before a change.
"""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import ContextChanged, FolderPermission, Forbidden, NotFound, ObjectIndex, Store
from tests.store.conftest import World, alice_folder


async def version(store: Store, context_id: int) -> str:
    async with store.transaction("read") as txn:
        return (await txn.context(context_id)).version


async def moves(store: Store, world: World, change) -> bool:
    """Whether ``change(txn)`` (in a write transaction) moves acme's version."""
    before = await version(store, world.context.id)
    async with store.transaction("change", write=True) as txn:
        await change(txn)
    return await version(store, world.context.id) != before


@pytest_twisted.ensureDeferred
async def test_every_directory_change_moves_the_contexts_version(store, world) -> None:
    cid, alice, team = world.context.id, world.alice, world.team

    async def new_folder(txn):
        await (await txn.home(cid, alice.id)).create_folder("calendar", "Extra")

    async def folder_of(txn):
        home = await txn.home(cid, alice.id)
        return await home.collection(next(f.id for f in await home.folders("calendar")))

    async def rename(txn):
        await (await folder_of(txn)).update_folder(name="Renamed")

    async def share(txn):
        await (await folder_of(txn)).update_folder(permissions=[
            FolderPermission(entity=alice.id, is_group=False, read="all", write="all",
                             delete="all", admin=True),
            FolderPermission(entity=team.id, is_group=True, read="all")])

    async def drop(txn):
        await (await folder_of(txn)).delete_folder()

    changes = {
        "context disabled": lambda txn: txn.update_context(cid, enabled=False),
        "context config": lambda txn: txn.update_context(cid, config={"a": "b"}),
        "mapping added": lambda txn: txn.update_context(cid, mappings=["acme.example", "x.test"]),
        "user added": lambda txn: txn.create_user(cid, "dave", display_name="Dave"),
        "password changed": lambda txn: txn.update_user(cid, alice.id, password_hash="h"),
        "user disabled": lambda txn: txn.update_user(cid, alice.id, enabled=False),
        "address added": lambda txn: txn.update_user(cid, alice.id, aliases=["a@x.test"]),
        "group members": lambda txn: txn.update_group(cid, team.id, members=[alice.id]),
        "group added": lambda txn: txn.create_group(cid, "other"),
        "folder created": new_folder,
        "folder renamed": rename,
        "folder shared": share,
        "folder deleted": drop,
        "group deleted": lambda txn: txn.delete_group(cid, team.id),
        "user deleted": lambda txn: txn.delete_user(cid, world.carol.id),
    }
    unmoved = [name for name, change in changes.items()
               if not await moves(store, world, change)]
    assert unmoved == []


@pytest_twisted.ensureDeferred
async def test_a_new_login_name_anywhere_moves_every_contexts_version(store, world) -> None:
    # A login like bob@other.test may have resolved through an address in acme; a new
    # mapping "other.test" with a user bob would now take precedence (DESIGN.md §2).
    async with store.transaction("other", write=True) as txn:
        other = await txn.create_context("other")
    assert await moves(store, world, lambda txn: txn.update_context(other.id,
                                                                    mappings=["other.test"]))
    assert await moves(store, world, lambda txn: txn.create_user(other.id, "bob",
                                                                 display_name="Bob"))


@pytest_twisted.ensureDeferred
async def test_object_writes_leave_the_version_alone(store, world) -> None:
    async with store.transaction("setup", write=True) as txn:
        _, collection = await alice_folder(txn, world, "calendar")
        folder_id = collection.folder.id

    async def write_and_delete(txn):
        home = await txn.home(world.context.id, world.alice.id)
        collection = await home.collection(folder_id)
        await collection.put("a.ics", b"data", ObjectIndex("a", "VEVENT"))
        await collection.put("a.ics", b"data 2", ObjectIndex("a", "VEVENT"))
        await collection.delete("a.ics")

    assert not await moves(store, world, write_and_delete)


@pytest_twisted.ensureDeferred
async def test_a_confirmed_transaction_runs_while_the_version_is_current(store, world) -> None:
    async with store.transaction("read") as txn:
        context = await txn.context(world.context.id)
    for snapshot in (True, False):
        async with store.transaction("again", snapshot=snapshot, confirm=context) as txn:
            assert (await txn.user(world.context.id, world.alice.id)).login == "alice"
            await txn.confirmed()
    async with store.transaction("nothing", confirm=context) as txn:
        await txn.confirmed()  # no call made: confirmed() checks by itself


@pytest_twisted.ensureDeferred
async def test_a_confirmed_transaction_of_a_changed_context_does_nothing(store, world) -> None:
    stale = world.context  # read before its users and group were made
    for kind in ("read", "read without snapshot", "no call", "write"):
        with pytest.raises(ContextChanged):
            async with store.transaction(kind, write=kind == "write",
                                         snapshot=kind != "read without snapshot",
                                         confirm=stale) as txn:
                if kind == "write":
                    await txn.create_user(world.context.id, "eve", display_name="Eve")
                elif kind == "no call":
                    await txn.confirmed()
                else:
                    await txn.user(world.context.id, world.alice.id)
    async with store.transaction("check") as txn:
        assert [u.login for u in await txn.users(world.context.id)] == [
            "alice", "bob", "carol"]


@pytest_twisted.ensureDeferred
async def test_a_read_that_fails_on_a_changed_context_reports_the_change(store, world) -> None:
    # NotFound from the call itself would hide that the login is out of date.
    with pytest.raises(ContextChanged):
        async with store.transaction("read", confirm=world.context) as txn:
            await txn.user(world.context.id, 999)


@pytest_twisted.ensureDeferred
async def test_a_deleted_context_is_a_changed_one(store, world) -> None:
    async with store.transaction("read") as txn:
        context = await txn.context(world.context.id)
    async with store.transaction("delete", write=True) as txn:
        await txn.delete_context(world.context.id)
    with pytest.raises(ContextChanged):
        async with store.transaction("read", confirm=context) as txn:
            await txn.confirmed()


async def open_as(store: Store, world: World, user, folder_id: int, *, write: bool = False):
    """(folder name, folder revision) as ``user`` opens it, or the store error."""
    async with store.transaction("open", write=write) as txn:
        try:
            collection = await (await txn.home(world.context.id, user.id)).collection(folder_id)
        except (NotFound, Forbidden) as error:
            return type(error).__name__
        return collection.folder.name, collection.folder.revision


@pytest_twisted.ensureDeferred
async def test_reads_see_every_folder_change_at_once(store, world) -> None:
    async with store.transaction("setup", write=True) as txn:
        _, collection = await alice_folder(txn, world, "calendar")
        folder_id = collection.folder.id
    shared = [FolderPermission(entity=world.alice.id, is_group=False, read="all",
                               write="all", delete="all", admin=True),
              FolderPermission(entity=world.team.id, is_group=True, read="all")]

    async def change(fn):
        async with store.transaction("change", write=True) as txn:
            await fn(await (await txn.home(world.context.id, world.alice.id))
                     .collection(folder_id))

    seen = [await open_as(store, world, world.bob, folder_id)]
    await change(lambda c: c.update_folder(permissions=shared))
    seen.append(await open_as(store, world, world.bob, folder_id))
    await change(lambda c: c.update_folder(name="Work"))
    seen.append(await open_as(store, world, world.bob, folder_id))
    await change(lambda c: c.put("a.ics", b"x", ObjectIndex("a", "VEVENT")))
    seen.append(await open_as(store, world, world.bob, folder_id))
    async with store.transaction("leave", write=True) as txn:
        await txn.update_group(world.context.id, world.team.id, members=[])
    seen.append(await open_as(store, world, world.bob, folder_id))
    async with store.transaction("join", write=True) as txn:
        await txn.update_group(world.context.id, world.team.id, members=[world.bob.id])
    seen.append(await open_as(store, world, world.bob, folder_id, write=True))
    seen.append(await open_as(store, world, world.bob, folder_id))
    await change(lambda c: c.delete_folder())
    seen.append(await open_as(store, world, world.alice, folder_id))
    assert seen == ["NotFound", ("Calendar", 0), ("Work", 0), ("Work", 1), "NotFound",
                    ("Work", 1), ("Work", 1), "NotFound"]


@pytest_twisted.ensureDeferred
async def test_a_context_created_again_under_its_old_id_shows_nothing_kept(store, world) -> None:
    # oxdav-admin allows explicit ids: the new context's versions must never repeat the
    # old one's, or a folder kept from the old context would pass for the new one's.
    async def make(name: str) -> tuple[str, object]:
        async with store.transaction("make", write=True) as txn:
            await txn.create_context(name, context_id=77)
            user = await txn.create_user(77, "u", display_name="U", user_id=5)
            await (await txn.home(77, 5)).create_folder("calendar", name, folder_id=30)
        async with store.transaction("read") as txn:
            folder = (await (await txn.home(77, 5)).collection(30)).folder
            return (await txn.context(77)).version, (folder.name, folder.owner_id, user.id)

    old_version, old_folder = await make("first")
    async with store.transaction("drop", write=True) as txn:
        await txn.delete_context(77)
    new_version, new_folder = await make("second")
    assert new_version != old_version
    assert (old_folder, new_folder) == (("first", 5, 5), ("second", 5, 5))
