"""Keeping the instance index ahead of the clock (:mod:`oxdav.caldav.instance_index`).

A series is expanded on write over a window around that moment; as days pass, its
window's end comes closer. :class:`InstanceHorizon` re-indexes, in the background,
every object whose window ends less than :data:`REFRESH_DAYS` before the end a write
now would give it: the objects are read in a read transaction, expanded in the work
pool (never on the reactor), and re-indexed with ``Collection.reindex`` under their
ETag, so an object written meanwhile keeps the index its PUT gave it. A query never
expands anything; a range beyond an object's window is answered by parsing it until
this has run.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from oxdav.caldav.instance_index import Window
from oxdav.caldav.tasks import stored_series_index
from oxdav.store.errors import NotFound
from oxdav.store.interfaces import Store
from oxdav.work import Work

#: A window is renewed once its end is this many days short of a fresh one's.
REFRESH_DAYS = 30
#: Objects read, expanded and re-indexed per transaction.
BATCH = 100
#: Most objects one run re-indexes; the next run takes the rest.
MOST_PER_RUN = 20_000
_DAY = 86_400


class InstanceHorizon:
    """Re-indexes aging instance windows every ``interval`` seconds.

    Args:
        store: the started store.
        work: the work pool the expansion runs in.
        clock: an ``IReactorTime``.
        interval: seconds between runs.
        days: returns ``(past days, future days)`` of the window, read at each run.
    """

    log = Logger()

    def __init__(self, store: Store, work: Work, clock: Any, interval: float,
                 days: Callable[[], tuple[int, int]]) -> None:
        self.store = store
        self.work = work
        self.clock = clock
        self.interval = interval
        self.days = days
        self.last_run: Deferred[Any] | None = None
        """The latest scheduled run (fires when it has finished)."""
        self._loop = LoopingCall(self._run)
        self._loop.clock = clock

    def start(self) -> None:
        """Run every ``interval`` seconds, the first time after one interval."""
        if not self._loop.running:
            self._loop.start(self.interval, now=False)

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()

    def _run(self) -> Deferred[Any]:
        self.last_run = ensureDeferred(self.run_once())
        self.last_run.addErrback(lambda failure: self.log.failure(
            "extending the instance index failed", failure))
        return self.last_run

    async def run_once(self, now: float | None = None) -> int:
        """Re-index every aging window once; returns how many objects were re-indexed."""
        past, future = self.days()
        window = Window.around(self.clock.seconds() if now is None else now, past, future)
        tried: set[tuple[int, int, str]] = set()
        done = 0
        while len(tried) < MOST_PER_RUN:
            async with self.store.transaction("instance horizon: find") as txn:
                found = await txn.aging_instance_indexes(window.end - REFRESH_DAYS * _DAY,
                                                         BATCH + len(tried))
            fresh = [key for key in found if key not in tried][:BATCH]
            if not fresh:
                break
            tried.update(fresh)
            for (context_id, folder_id), keys in groupby(sorted(fresh), lambda k: k[:2]):
                done += await self._reindex(context_id, folder_id,
                                            [name for _, _, name in keys], window)
        if done:
            self.log.info("extended the instance index of {count} objects to {until}",
                          count=done, until=window.end)
        return done

    async def _reindex(self, context_id: int, folder_id: int, names: list[str],
                       window: Window) -> int:
        try:
            async with self.store.transaction("instance horizon: read") as txn:
                stored = await (await txn.system_collection(context_id, folder_id)).get_many(
                    names)
        except NotFound:  # the folder went meanwhile
            return 0
        items = [(s.name, s.meta.etag, s.data) for s in stored]
        indexes = await self.work.process(_indexes, items, window)
        done = 0
        async with self.store.transaction("instance horizon: reindex", write=True) as txn:
            collection = await txn.system_collection(context_id, folder_id)
            for name, etag, index in indexes:
                done += await collection.reindex(name, index, if_etag=etag)
        return done


def _indexes(items: list[tuple[str, str, bytes]], window: Window) -> list[tuple[str, str, Any]]:
    """The new indexes of stored objects (work-pool function); unreadable ones are
    left as they are."""
    found = []
    for name, etag, data in items:
        index = stored_series_index(data, window)
        if index is not None:
            found.append((name, etag, index))
    return found
