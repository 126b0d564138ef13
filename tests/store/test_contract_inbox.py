"""Contract: users' scheduling inboxes (RFC 6638 §2.2): ``Content.inbox_items``,
``inbox_item``, ``deliver_to_inbox``, ``delete_inbox_item``."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import NotFound


@pytest_twisted.ensureDeferred
async def test_a_delivered_item_is_listed_read_and_deleted(store, world):
    ctx = world.context.id
    async with store.transaction("deliver", write=True) as txn:
        item = await txn.deliver_to_inbox(ctx, world.bob.id, "a.ics", b"BEGIN:VCALENDAR")
        assert item.name == "a.ics" and item.etag
    async with store.transaction("r") as txn:
        listed = await txn.inbox_items(ctx, world.bob.id)
        assert [(i.name, i.data) for i in listed] == [("a.ics", b"BEGIN:VCALENDAR")]
        assert (await txn.inbox_item(ctx, world.bob.id, "a.ics")).etag == item.etag
        assert await txn.inbox_items(ctx, world.alice.id) == []
        with pytest.raises(NotFound):
            await txn.inbox_item(ctx, world.alice.id, "a.ics")
    async with store.transaction("delete", write=True) as txn:
        await txn.delete_inbox_item(ctx, world.bob.id, "a.ics")
        with pytest.raises(NotFound):
            await txn.delete_inbox_item(ctx, world.bob.id, "a.ics")
    async with store.transaction("r") as txn:
        assert await txn.inbox_items(ctx, world.bob.id) == []


@pytest_twisted.ensureDeferred
async def test_a_second_delivery_under_one_name_replaces_the_first(store, world):
    ctx = world.context.id
    async with store.transaction("deliver", write=True) as txn:
        first = await txn.deliver_to_inbox(ctx, world.bob.id, "a.ics", b"one")
        second = await txn.deliver_to_inbox(ctx, world.bob.id, "a.ics", b"two")
    assert first.etag != second.etag
    async with store.transaction("r") as txn:
        assert [i.data for i in await txn.inbox_items(ctx, world.bob.id)] == [b"two"]


@pytest_twisted.ensureDeferred
async def test_delivery_to_no_user_or_under_a_bad_name_is_refused(store, world):
    async with store.transaction("deliver", write=True) as txn:
        with pytest.raises(NotFound):
            await txn.deliver_to_inbox(world.context.id, 99999, "a.ics", b"x")
        with pytest.raises(ValueError):
            await txn.deliver_to_inbox(world.context.id, world.bob.id, "a/b", b"x")
        with pytest.raises(ValueError):
            await txn.deliver_to_inbox(world.context.id, world.bob.id, "", b"x")


@pytest_twisted.ensureDeferred
async def test_an_inbox_goes_with_its_user(store, world):
    ctx = world.context.id
    async with store.transaction("deliver", write=True) as txn:
        await txn.deliver_to_inbox(ctx, world.carol.id, "a.ics", b"x")
        await txn.delete_user(ctx, world.carol.id)
    async with store.transaction("r") as txn:
        assert await txn.inbox_items(ctx, world.carol.id) == []
