"""Contract: revisions, changes and tombstones (RFC 6578 sync-collection)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import pytest_twisted

from oxdav.store import InvalidSyncToken, ObjectIndex


def index(n: int) -> ObjectIndex:
    return ObjectIndex(f"uid-{n}", "VEVENT")


async def calendar_of(txn, world):
    home = await txn.home(world.context.id, world.alice.id)
    folder = await home.create_folder("calendar", "Calendar")
    return await home.collection(folder.id)


@pytest_twisted.ensureDeferred
async def test_initial_listing_has_every_object_and_the_current_revision(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        empty = await calendar.changes(None)
        assert (empty.revision, empty.changed, empty.deleted, empty.truncated) == (
            0, [], [], False)
        for n in range(3):
            await calendar.put(f"{n}.ics", b"x", index(n))
        await calendar.delete("1.ics")
        changes = await calendar.changes(None)
    assert changes.revision == 4
    assert [m.name for m in changes.changed] == ["0.ics", "2.ics"]
    assert changes.deleted == [] and not changes.truncated


@pytest_twisted.ensureDeferred
async def test_changes_since_report_updates_and_tombstones(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        for n in range(3):
            await calendar.put(f"{n}.ics", b"x", index(n))
        token = (await calendar.changes(None)).revision
        await calendar.put("0.ics", b"changed", index(0))
        await calendar.delete("1.ics")
        await calendar.put("new.ics", b"x", index(9))
        changes = await calendar.changes(token)
        assert [m.name for m in changes.changed] == ["0.ics", "new.ics"]
        assert changes.changed[0].etag == (await calendar.get("0.ics")).etag
        assert changes.deleted == ["1.ics"]
        assert changes.revision == calendar.folder.revision
        nothing = await calendar.changes(changes.revision)
        assert (nothing.changed, nothing.deleted, nothing.revision) == (
            [], [], changes.revision)


@pytest_twisted.ensureDeferred
async def test_recreated_name_is_a_change_not_a_tombstone(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        await calendar.put("a.ics", b"x", index(1))
        token = calendar.folder.revision
        await calendar.delete("a.ics")
        await calendar.put("a.ics", b"y", index(1))
        changes = await calendar.changes(token)
        assert [m.name for m in changes.changed] == ["a.ics"] and changes.deleted == []


@pytest_twisted.ensureDeferred
async def test_limit_truncates_and_continues_without_gaps(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        for n in range(5):
            await calendar.put(f"{n}.ics", b"x", index(n))
        await calendar.delete("0.ics")
        seen: list[str] = []
        token = 0
        pages = 0
        while True:
            page = await calendar.changes(token, limit=2)
            pages += 1
            seen += [m.name for m in page.changed] + [f"-{n}" for n in page.deleted]
            token = page.revision
            if not page.truncated:
                break
    assert pages == 3
    assert seen == ["1.ics", "2.ics", "3.ics", "4.ics", "-0.ics"]
    assert token == calendar.folder.revision


@pytest_twisted.ensureDeferred
async def test_initial_listing_with_limit_pages_through_objects(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        for n in range(3):
            await calendar.put(f"{n}.ics", b"x", index(n))
        first = await calendar.changes(None, limit=2)
        rest = await calendar.changes(first.revision, limit=2)
    assert first.truncated and [m.name for m in first.changed] == ["0.ics", "1.ics"]
    assert not rest.truncated and [m.name for m in rest.changed] == ["2.ics"]


@pytest_twisted.ensureDeferred
async def test_future_and_negative_revisions_are_invalid(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        await calendar.put("a.ics", b"x", index(1))
        with pytest.raises(InvalidSyncToken):
            await calendar.changes(calendar.folder.revision + 1)
        with pytest.raises(InvalidSyncToken):
            await calendar.changes(-1)


@pytest_twisted.ensureDeferred
async def test_pruned_tombstones_invalidate_older_revisions(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        await calendar.put("a.ics", b"x", index(1))
        old = calendar.folder.revision
        await calendar.delete("a.ics")
        after = calendar.folder.revision
        future = datetime.now(UTC) + timedelta(minutes=1)
        assert await txn.prune_tombstones(future) == 1
        with pytest.raises(InvalidSyncToken):
            await calendar.changes(old)
        changes = await calendar.changes(after)
        assert changes.deleted == [] and changes.changed == []


@pytest_twisted.ensureDeferred
async def test_recent_tombstones_survive_pruning(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        await calendar.put("a.ics", b"x", index(1))
        await calendar.delete("a.ics")
        past = datetime.now(UTC) - timedelta(days=1)
        assert await txn.prune_tombstones(past) == 0
        assert (await calendar.changes(1)).deleted == ["a.ics"]


@pytest_twisted.ensureDeferred
async def test_revision_is_visible_to_later_transactions(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        await calendar.put("a.ics", b"x", index(1))
    async with store.transaction("r") as txn:
        home = await txn.home(world.context.id, world.alice.id)
        folders = {f.id: f for f in await home.folders()}
        assert folders[calendar.folder.id].revision == 1
