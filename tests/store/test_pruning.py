"""Scheduled pruning of tombstones and expired locks (oxdav.store.pruning) against every
backend."""

from __future__ import annotations

import time

import pytest
import pytest_twisted
from twisted.internet.task import Clock
from twisted.logger import capturedLogs

from oxdav.store import InvalidSyncToken, ObjectIndex
from oxdav.store.pruning import TombstonePruner

DAY = 86400.0


def clock_at(seconds: float) -> Clock:
    clock = Clock()
    clock.advance(seconds)
    return clock


async def deleted_object(store, world) -> tuple[int, int]:
    """A calendar with one deleted object; returns (folder id, sync revision before it)."""
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        calendar = await home.collection((await home.create_folder("calendar", "C")).id)
        await calendar.put("a.ics", b"x", ObjectIndex("uid-a", "VEVENT"))
        token = calendar.folder.revision
        await calendar.delete("a.ics")
        return calendar.folder.id, token


async def changes_since(store, world, folder_id: int, token: int):
    async with store.transaction("t") as txn:
        home = await txn.home(world.context.id, world.alice.id)
        return await (await home.collection(folder_id)).changes(token)


@pytest_twisted.ensureDeferred
async def test_tombstones_older_than_the_retention_are_pruned_and_old_tokens_refused(
        store, world):
    folder_id, token = await deleted_object(store, world)
    pruner = TombstonePruner(store, clock_at(time.time() + 31 * DAY), DAY, lambda: 30 * DAY)
    assert await pruner.prune() == 1
    with pytest.raises(InvalidSyncToken):
        await changes_since(store, world, folder_id, token)


@pytest_twisted.ensureDeferred
async def test_tombstones_within_the_retention_are_kept(store, world):
    folder_id, token = await deleted_object(store, world)
    pruner = TombstonePruner(store, clock_at(time.time() + 29 * DAY), DAY, lambda: 30 * DAY)
    assert await pruner.prune() == 0
    assert (await changes_since(store, world, folder_id, token)).deleted == ["a.ics"]


@pytest_twisted.ensureDeferred
async def test_the_run_deletes_the_locks_expired_by_its_clock(store, world):
    now = time.time()
    async with store.transaction("t", write=True) as txn:
        home = await txn.home(world.context.id, world.alice.id)
        calendar = await home.collection((await home.create_folder("calendar", "C")).id)
        await calendar.lock("a.ics", exclusive=True, owner=None, timeout=60, now=now)
        await calendar.lock("b.ics", exclusive=True, owner=None, timeout=600, now=now)
    pruner = TombstonePruner(store, clock_at(now + 120), DAY, lambda: 30 * DAY)
    await pruner.prune()
    async with store.transaction("t") as txn:
        home = await txn.home(world.context.id, world.alice.id)
        left = await (await home.collection(calendar.folder.id)).locks(now=now)
    assert [lock.name for lock in left] == ["b.ics"]  # a.ics is gone, not just expired


@pytest_twisted.ensureDeferred
async def test_retention_is_read_at_every_run(store, world):
    folder_id, token = await deleted_object(store, world)
    retention = [30 * DAY]
    pruner = TombstonePruner(store, clock_at(time.time() + 2 * DAY), DAY, lambda: retention[0])
    assert await pruner.prune() == 0
    retention[0] = DAY
    assert await pruner.prune() == 1


@pytest_twisted.ensureDeferred
async def test_start_runs_at_once_then_every_interval_until_stopped(store, world):
    await deleted_object(store, world)
    clock = clock_at(time.time() + 31 * DAY)
    pruner = TombstonePruner(store, clock, DAY, lambda: 30 * DAY)
    pruner.start()
    first = pruner.last_run
    assert first is not None and pruner.running
    await first
    assert [call.getTime() for call in clock.getDelayedCalls()] == [clock.seconds() + DAY]
    clock.advance(DAY)
    assert pruner.last_run is not first
    await pruner.last_run
    pruner.stop()
    assert not pruner.running and clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_a_failed_run_is_logged_and_the_schedule_goes_on(store, world):
    clock = clock_at(time.time())

    def broken() -> float:
        raise RuntimeError("retention unreadable")

    pruner = TombstonePruner(store, clock, DAY, broken)
    with capturedLogs() as events:
        pruner.start()
        await pruner.last_run
    assert any("log_failure" in event for event in events)
    assert pruner.running and len(clock.getDelayedCalls()) == 1
    pruner.stop()


@pytest_twisted.ensureDeferred
async def test_the_run_drops_the_failed_login_counts_that_no_longer_matter(store):
    now = time.time()
    async with store.transaction("t", write=True) as txn:
        await txn.record_login_failures({"login old": 0.0}, now - 1000)
        await txn.record_login_failures({"login new": 0.0}, now - 100)
    pruner = TombstonePruner(store, clock_at(now), DAY, lambda: 30 * DAY, lambda: 900.0)
    await pruner.prune()
    async with store.transaction("t") as txn:
        assert set(await txn.login_failures(["login old", "login new"])) == {"login new"}
