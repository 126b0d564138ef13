"""Contract: dead properties (RFC 4918 §4) of collections and objects."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import FolderPermission, Forbidden, NotFound, ObjectIndex

DISPLAYNAME = "{DAV:}displayname"
ORDER = "{http://apple.com/ns/ical/}calendar-order"


async def shared_calendar(txn, world):
    home = await txn.home(world.context.id, world.alice.id)
    folder = await home.create_folder("calendar", "Calendar", permissions=[
        FolderPermission(entity=world.bob.id, read="all", write="own")])
    return await home.collection(folder.id)


@pytest_twisted.ensureDeferred
async def test_collection_properties_set_read_remove(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await shared_calendar(txn, world)
        assert await calendar.dead_properties("") == {}
        await calendar.set_dead_properties("", {DISPLAYNAME: "<x>Work</x>", ORDER: "1"})
        await calendar.set_dead_properties("", {ORDER: "2"}, remove=[DISPLAYNAME, "{x}none"])
        assert await calendar.dead_properties("") == {ORDER: "2"}


@pytest_twisted.ensureDeferred
async def test_object_properties_follow_the_object(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await shared_calendar(txn, world)
        await calendar.put("a.ics", b"x", ObjectIndex("u1", "VEVENT"))
        await calendar.set_dead_properties("a.ics", {"{x}p": "v"})
        await calendar.put("a.ics", b"y", ObjectIndex("u1", "VEVENT"))
        assert await calendar.dead_properties("a.ics") == {"{x}p": "v"}
        assert await calendar.dead_properties("") == {}
        await calendar.delete("a.ics")
        with pytest.raises(NotFound):
            await calendar.dead_properties("a.ics")
        await calendar.put("a.ics", b"z", ObjectIndex("u1", "VEVENT"))
        assert await calendar.dead_properties("a.ics") == {}


@pytest_twisted.ensureDeferred
async def test_properties_of_missing_object_are_not_found(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await shared_calendar(txn, world)
        with pytest.raises(NotFound):
            await calendar.set_dead_properties("missing.ics", {"{x}p": "v"})


@pytest_twisted.ensureDeferred
async def test_properties_are_per_collection(store, world):
    async with store.transaction("t", write=True) as txn:
        first = await shared_calendar(txn, world)
        second = await shared_calendar(txn, world)
        await first.set_dead_properties("", {"{x}p": "first"})
        assert await second.dead_properties("") == {}


@pytest_twisted.ensureDeferred
async def test_property_changes_need_admin_or_object_write(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await shared_calendar(txn, world)
        await calendar.put("alice.ics", b"x", ObjectIndex("u1", "VEVENT"))
        await calendar.set_dead_properties("", {"{x}p": "owner"})
        bob = await (await txn.home(world.context.id, world.bob.id)).collection(
            calendar.folder.id)
        assert await bob.dead_properties("") == {"{x}p": "owner"}
        with pytest.raises(Forbidden):
            await bob.set_dead_properties("", {"{x}p": "bob"})
        with pytest.raises(Forbidden):
            await bob.set_dead_properties("alice.ics", {"{x}p": "bob"})
        await bob.put("bob.ics", b"x", ObjectIndex("u2", "VEVENT"))
        await bob.set_dead_properties("bob.ics", {"{x}p": "bob"})
        assert await calendar.dead_properties("bob.ics") == {"{x}p": "bob"}
