"""InstanceHorizon: aging instance windows are re-indexed over the window a write now
gives, in the background, and a rewrite meanwhile keeps its own index."""

from __future__ import annotations

from pathlib import Path

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.task import Clock

from oxdav.caldav.horizon import InstanceHorizon
from oxdav.caldav.instance_index import Window
from oxdav.caldav.tasks import stored_series_index
from oxdav.store import open_store
from oxdav.work import INLINE
from tests.caldav.ics import calendar_bytes, epoch, event

DAY = 86_400
WEEKLY = calendar_bytes(event("DTSTART:20200106T090000Z", "DTEND:20200106T100000Z",
                              "RRULE:FREQ=WEEKLY"))
SINGLE = calendar_bytes(event("DTSTART:20240110T100000Z", "DTEND:20240110T110000Z"))
THEN = epoch("20240101T000000Z")
LATER = THEN + 200 * DAY


async def filled(tmp_path: Path):
    store = open_store("sqlite:store.sqlite3", tmp_path, reactor)
    await store.start()
    try:
        return await _fill(store)
    except BaseException:
        await store.stop()
        raise


async def _fill(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme", ["acme.example"])
        user = await txn.create_user(context.id, "alice", display_name="Alice")
        home = await txn.home(context.id, user.id)
        folder = await home.create_folder("calendar", "Calendar")
        calendar = await home.collection(folder.id)
        old = Window.around(THEN, 30, 100)
        for name, data in (("a.ics", WEEKLY), ("b.ics", WEEKLY.replace(b"event-1", b"event-2")),
                           ("c.ics", SINGLE.replace(b"event-1", b"event-3"))):
            index = stored_series_index(data, old)
            assert index is not None
            await calendar.put(name, data, index)
    return store, context.id, folder.id


async def windows(store, context_id: int, folder_id: int, start: int, end: int):
    async with store.transaction("t") as txn:
        calendar = await txn.system_collection(context_id, folder_id)
        return {m.name: m.exact_spans is not None
                for m in await calendar.candidates(time_range=(start, end))}


@pytest_twisted.ensureDeferred
async def test_aging_windows_are_extended_and_fresh_ones_left_alone(tmp_path: Path) -> None:
    store, context_id, folder_id = await filled(tmp_path)
    try:
        horizon = InstanceHorizon(store, INLINE, Clock(), 3600, lambda: (30, 100))
        week = (LATER + 50 * DAY, LATER + 57 * DAY)
        before = await windows(store, context_id, folder_id, *week)
        assert await horizon.run_once(now=THEN) == 0  # not due yet
        assert await horizon.run_once(now=LATER) == 2
        after = await windows(store, context_id, folder_id, *week)
        assert await horizon.run_once(now=LATER) == 0  # nothing left to do
    finally:
        await store.stop()
    assert before == {"a.ics": False, "b.ics": False}  # past their windows: parsed
    assert after == {"a.ics": True, "b.ics": True}


@pytest_twisted.ensureDeferred
async def test_an_object_rewritten_meanwhile_keeps_its_own_index(tmp_path: Path) -> None:
    store, context_id, folder_id = await filled(tmp_path)
    try:
        async with store.transaction("t", write=True) as txn:
            calendar = await txn.system_collection(context_id, folder_id)
            index = stored_series_index(SINGLE, Window.around(LATER, 30, 100))
            assert index is not None
            await calendar.put("a.ics", SINGLE, index)
        horizon = InstanceHorizon(store, INLINE, Clock(), 3600, lambda: (30, 100))
        assert await horizon.run_once(now=LATER) == 1
    finally:
        await store.stop()
