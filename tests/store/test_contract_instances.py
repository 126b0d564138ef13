"""Contract: the instance index (``ObjectIndex.instances``) of recurring objects.

A listing with ``spans`` and a range inside an object's window keeps the object only
when an indexed instance lies near the range, with those instances as its exact spans;
a range outside the window lists it by its envelope, as before. The index follows
every write, reindex and deletion, and stays behind the folder's walls.
"""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import FolderPermission, InstanceSpans, NotFound, ObjectIndex
from oxdav.store.core.objects import near_spans

DAY = 86_400
#: A weekly series without end, indexed from day 100 to day 500.
WEEKLY = InstanceSpans(100 * DAY, 500 * DAY,
                       tuple((d * DAY, d * DAY + 3600) for d in range(100, 500, 7)))
#: Spans of more than a week (long ones are searched differently).
LONG = InstanceSpans(100 * DAY, 500 * DAY, ((150 * DAY, 170 * DAY), (300 * DAY, 320 * DAY)),
                     floating=True)


def series(uid: str, instances: InstanceSpans | None) -> ObjectIndex:
    return ObjectIndex(uid, "VEVENT", 0, None, True, instances=instances)


async def calendar_of(txn, world):
    home = await txn.home(world.context.id, world.alice.id)
    folder = await home.create_folder("calendar", "Calendar")
    return await home.collection(folder.id)


async def listed(calendar, start: int, end: int) -> dict[str, object]:
    return {m.name: (m.exact_spans, m.floating_spans)
            for m in await calendar.candidates(time_range=(start, end))}


@pytest_twisted.ensureDeferred
async def test_a_range_inside_the_window_lists_only_series_with_instances_near_it(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        await calendar.put("weekly.ics", b"w", series("w", WEEKLY))
        await calendar.put("long.ics", b"l", series("l", LONG))
        await calendar.put("plain.ics", b"p", series("p", None))
        inside = await listed(calendar, 198 * DAY + 1800, 198 * DAY + 1810)
        far = await listed(calendar, 400 * DAY + 5000, 400 * DAY + 6000)
        long_only = await listed(calendar, 160 * DAY, 160 * DAY + 1)
        outside = await listed(calendar, 600 * DAY, 601 * DAY)
        plain = [m.name for m in await calendar.list(time_range=(
            198 * DAY + 1800, 198 * DAY + 1810))]
    week = {(d * DAY, d * DAY + 3600) for d in range(100, 500, 7)}
    spans, floating = inside["weekly.ics"]
    assert set(spans) <= week and floating is False
    assert (198 * DAY, 198 * DAY + 3600) in spans  # within a day of the range: the caller tests
    assert list(spans) == sorted(spans)
    assert "long.ics" not in inside and inside["plain.ics"] == (None, False)
    assert far["weekly.ics"][0] == ((401 * DAY, 401 * DAY + 3600),)
    assert long_only["long.ics"] == (((150 * DAY, 170 * DAY),), True)
    assert "weekly.ics" not in long_only
    assert outside == {"weekly.ics": (None, False), "long.ics": (None, False),
                       "plain.ics": (None, False)}
    assert plain == ["long.ics", "plain.ics", "weekly.ics"]  # a listing is not narrowed


#: Daily two-hour spans, a monthly all-day one, and a few long ones, days 100 to 500.
DAILY = InstanceSpans(100 * DAY, 500 * DAY, tuple(
    (d * DAY + 7200, d * DAY + 14_400) for d in range(100, 500)))
MONTHLY = InstanceSpans(100 * DAY, 500 * DAY, tuple(
    (d * DAY, d * DAY + DAY) for d in range(100, 500, 30)), floating=True)
MIXED = InstanceSpans(100 * DAY, 500 * DAY, ((120 * DAY, 135 * DAY), (199 * DAY, 199 * DAY),
                                            (230 * DAY + 5, 260 * DAY), (401 * DAY, 402 * DAY)))


@pytest_twisted.ensureDeferred
async def test_a_span_well_inside_the_range_stands_for_the_rest(store, world):
    # A month meets ~30 daily spans: the first starting more than a day inside decides
    # (it meets the range in every zone), so it alone is handed out; ranges too short
    # for such a span get every span near them, as before.
    indexes = {"daily.ics": DAILY, "monthly.ics": MONTHLY, "weekly.ics": WEEKLY,
               "mixed.ics": MIXED}
    ranges = [(200 * DAY, 231 * DAY), (200 * DAY + 3600, 201 * DAY), (198 * DAY, 200 * DAY),
              (198 * DAY, 200 * DAY + 1), (119 * DAY, 140 * DAY), (228 * DAY, 232 * DAY),
              (230 * DAY, 230 * DAY + 10), (400 * DAY, 403 * DAY), (101 * DAY, 499 * DAY)]
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        for name, instances in indexes.items():
            await calendar.put(name, name.encode(), series(name, instances))
        answers = [await listed(calendar, start, end) for start, end in ranges]
    for (start, end), answer in zip(ranges, answers, strict=True):
        expected = {name: (near_spans(instances.spans, start, end), instances.floating)
                    for name, instances in indexes.items()
                    if near_spans(instances.spans, start, end)}
        assert answer == expected, (start // DAY, end // DAY)
    month = answers[0]
    assert month["daily.ics"] == (((201 * DAY + 7200, 201 * DAY + 14_400),), False)
    assert month["monthly.ics"] == (((220 * DAY, 221 * DAY),), True)
    assert len(answers[1]["daily.ics"][0]) == 3  # one day: the spans of the days around it


@pytest_twisted.ensureDeferred
async def test_the_index_follows_writes_reindexes_and_deletions(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        meta, _ = await calendar.put("s.ics", b"1", series("s", WEEKLY))
        first = await listed(calendar, 198 * DAY, 199 * DAY)
        meta, _ = await calendar.put("s.ics", b"2", series("s", LONG))
        rewritten = await listed(calendar, 198 * DAY, 199 * DAY)
        await calendar.reindex("s.ics", series("s", WEEKLY), if_etag=meta.etag)
        reindexed = await listed(calendar, 198 * DAY, 199 * DAY)
        await calendar.put("s.ics", b"3", series("s", None))
        unindexed = await listed(calendar, 198 * DAY, 199 * DAY)
        await calendar.put("t.ics", b"4", series("t", WEEKLY))
        await calendar.delete("t.ics")
        await calendar.put("t.ics", b"5", series("t", None))
        gone = await listed(calendar, 198 * DAY, 199 * DAY)
    assert first["s.ics"][0] and "s.ics" not in rewritten
    assert reindexed == first
    assert unindexed == {"s.ics": (None, False)}
    assert gone["t.ics"] == (None, False)


@pytest_twisted.ensureDeferred
async def test_the_index_stays_inside_its_folder_and_scope(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        await calendar.put("s.ics", b"s", series("s", WEEKLY))
        other = await calendar_of(txn, world)
        await other.put("o.ics", b"o", series("o", WEEKLY))
        await calendar.update_folder(permissions=[
            FolderPermission(world.alice.id, False, "all", "all", "all", True),
            FolderPermission(world.bob.id, False, "own", "own", "own", False)])
        folder_id = calendar.folder.id
    async with store.transaction("t", write=True) as txn:
        bobs = await (await txn.home(world.context.id, world.bob.id)).collection(folder_id)
        await bobs.put("b.ics", b"b", series("b", WEEKLY))
        seen = await listed(bobs, 198 * DAY, 199 * DAY)
        alices = await (await txn.home(world.context.id, world.alice.id)).collection(folder_id)
        mine = await listed(alices, 198 * DAY, 199 * DAY)
        elsewhere = await txn.create_context("elsewhere", ["elsewhere.example"])
        dave = await txn.create_user(elsewhere.id, "dave", display_name="Dave")
    async with store.transaction("t") as txn:
        with pytest.raises(NotFound):  # carol has no rights on the folder
            await (await txn.home(world.context.id, world.carol.id)).collection(folder_id)
        with pytest.raises(NotFound):  # another context's user opens nothing
            await (await txn.home(elsewhere.id, dave.id)).collection(folder_id)
    assert set(seen) == {"b.ics"}
    assert set(mine) == {"s.ics", "b.ics"}


@pytest_twisted.ensureDeferred
async def test_deleting_the_folder_drops_its_index(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        await calendar.put("s.ics", b"s", series("s", WEEKLY))
        await calendar.delete_folder()
        again = await calendar_of(txn, world)
        await again.put("s.ics", b"s", series("s", None))
        found = await listed(again, 198 * DAY, 199 * DAY)
    assert found == {"s.ics": (None, False)}


@pytest_twisted.ensureDeferred
async def test_aging_windows_are_found_soonest_first_in_every_context(store, world):
    async with store.transaction("t", write=True) as txn:
        calendar = await calendar_of(txn, world)
        other = await txn.create_context("other", ["other.example"])
        dave = await txn.create_user(other.id, "dave", display_name="Dave")
        elsewhere = await (await txn.home(other.id, dave.id)).create_folder("calendar", "C")
        theirs = await (await txn.home(other.id, dave.id)).collection(elsewhere.id)
        await calendar.put("late.ics", b"1", series("late", InstanceSpans(0, 900, ())))
        await calendar.put("early.ics", b"2", series("early", InstanceSpans(0, 300, ())))
        await theirs.put("middle.ics", b"3", series("middle", InstanceSpans(0, 600, ())))
        await calendar.put("none.ics", b"4", series("none", None))
        found = await txn.aging_instance_indexes(800, 10)
        first = await txn.aging_instance_indexes(800, 1)
    assert found == [(world.context.id, calendar.folder.id, "early.ics"),
                     (other.id, elsewhere.id, "middle.ics")]
    assert first == found[:1]
