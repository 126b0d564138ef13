"""Scheduled pruning of sync tombstones (RFC 6578 §3.2).

Every deletion leaves a tombstone so that ``sync-collection`` can report it; without
pruning they grow for ever. :class:`TombstonePruner` drops the ones older than the
retention at a fixed interval (a ``twisted.internet.task.LoopingCall``); a client whose
sync token predates a dropped tombstone then gets ``InvalidSyncToken`` (403
``DAV:valid-sync-token``) and syncs from scratch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from .interfaces import Store


class TombstonePruner:
    """Prunes tombstones every ``interval`` seconds, once at :meth:`start`.

    Args:
        store: the started store.
        clock: an ``IReactorTime`` (the reactor; ``task.Clock`` in tests).
        interval: seconds between runs.
        retention: returns the retention in seconds, read at each run (so a reload of
            the configuration applies to the next run).
    """

    log = Logger()

    def __init__(self, store: Store, clock: Any, interval: float,
                 retention: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock
        self.interval = interval
        self.retention = retention
        self.last_run: Deferred[Any] | None = None
        """The latest scheduled run (fires when it has finished)."""
        self._loop = LoopingCall(self._run)
        self._loop.clock = clock

    @property
    def running(self) -> bool:
        """Whether runs are scheduled."""
        return bool(self._loop.running)

    def start(self) -> None:
        """Run now, then every ``interval`` seconds."""
        self._loop.start(self.interval, now=True)

    def stop(self) -> None:
        """Schedule no further runs (one in flight finishes inside its transaction)."""
        if self._loop.running:
            self._loop.stop()

    async def prune(self) -> int:
        """Drop tombstones older than the retention; return how many were dropped."""
        horizon = datetime.fromtimestamp(self.clock.seconds(), UTC) - timedelta(
            seconds=self.retention())
        async with self.store.transaction("prune tombstones", write=True) as txn:
            removed = await txn.prune_tombstones(horizon)
        self.log.info("pruned {removed} tombstones older than {horizon}", removed=removed,
                      horizon=horizon.isoformat())
        return removed

    def _run(self) -> Deferred[Any]:
        # A failed run is logged and the schedule goes on (LoopingCall would stop).
        self.last_run = ensureDeferred(self.prune()).addErrback(self._failed)
        return self.last_run

    def _failed(self, failure: Any) -> None:
        self.log.failure("pruning tombstones failed", failure)
