"""Transaction events: what a committed transaction changed reaches subscribers after
commit, and nothing else does (DESIGN.md §7)."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import ETagMismatch, FolderPermission, ObjectIndex
from oxdav.store.core.events import (
    DirectoryChanged,
    FolderChanged,
    ObjectChanged,
    decode,
    encode,
)
from tests.store.conftest import alice_folder


def heard(store) -> list:
    told: list = []
    store.events.subscribe(lambda events: told.append(list(events)))
    return told


@pytest_twisted.ensureDeferred
async def test_object_writes_are_told_after_commit_with_the_new_revision(store, world):
    told = heard(store)
    async with store.transaction("t", write=True) as txn:
        _, calendar = await alice_folder(txn, world, "calendar")
        meta, _ = await calendar.put("a.ics", b"x", ObjectIndex("u-a", "VEVENT"))
        await calendar.delete("a.ics")
        revision = calendar.folder.revision
        assert told == []  # nothing before the commit
    folder = calendar.folder.id
    assert told == [[FolderChanged(world.context.id, folder, permissions=True),
                     ObjectChanged(world.context.id, folder, "a.ics", False, meta.modseq),
                     ObjectChanged(world.context.id, folder, "a.ics", True, revision)]]


@pytest_twisted.ensureDeferred
async def test_a_rolled_back_transaction_and_a_failed_call_tell_nothing(store, world):
    async with store.transaction("setup", write=True) as txn:
        _, calendar = await alice_folder(txn, world, "calendar")
    told = heard(store)
    with pytest.raises(RuntimeError):
        async with store.transaction("t", write=True) as txn:
            home = await txn.home(world.context.id, world.alice.id)
            collection = await home.collection(calendar.folder.id)
            await collection.put("a.ics", b"x", ObjectIndex("u-a", "VEVENT"))
            raise RuntimeError("client went away")
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        collection = await home.collection(calendar.folder.id)
        with pytest.raises(ETagMismatch):
            await collection.put("b.ics", b"x", ObjectIndex("u-b", "VEVENT"), if_etag="nope")
    assert told == []


@pytest_twisted.ensureDeferred
async def test_permission_and_directory_changes_are_told(store, world):
    async with store.transaction("setup", write=True) as txn:
        _, calendar = await alice_folder(txn, world, "calendar")
    told = heard(store)
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        collection = await home.collection(calendar.folder.id)
        await collection.update_folder(permissions=[FolderPermission(world.bob.id)])
        await collection.update_folder(name="Renamed")
        await txn.update_user(world.context.id, world.bob.id, display_name="Robert")
    folder = calendar.folder.id
    assert told == [[FolderChanged(world.context.id, folder, permissions=True),
                     FolderChanged(world.context.id, folder, permissions=False),
                     DirectoryChanged(world.context.id)]]


@pytest_twisted.ensureDeferred
async def test_a_read_transaction_tells_nothing(store, world):
    told = heard(store)
    async with store.transaction("read") as txn:
        await txn.users(world.context.id)
    assert told == []


def test_events_survive_their_encoding_for_other_nodes():
    events = [ObjectChanged(1, 20, "a b.ics", True, 7), FolderChanged(1, 20, deleted=True),
              DirectoryChanged(3)]
    assert decode(encode(events)) == events
    with pytest.raises(ValueError):
        decode('[["nothing", {}]]')
