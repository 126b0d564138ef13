"""Scheduled pruning of sync tombstones (RFC 6578 §3.2) and expired locks.

Every deletion leaves a tombstone so that ``sync-collection`` can report it; without
pruning they grow for ever. :class:`TombstonePruner` drops the ones older than the
retention at a fixed interval (a ``twisted.internet.task.LoopingCall``); a client whose
sync token predates a dropped tombstone then gets ``InvalidSyncToken`` (403
``DAV:valid-sync-token``) and syncs from scratch. The same run deletes the locks that
have expired (RFC 4918 §6.6): they have no effect any more, only their rows remain,
and the failed-login counts nobody reckons with any more.
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
    """Prunes tombstones and expired locks every ``interval`` seconds, once at
    :meth:`start`.

    Args:
        store: the started store.
        clock: an ``IReactorTime`` (the reactor; ``task.Clock`` in tests).
        interval: seconds between runs.
        retention: returns the retention in seconds, read at each run (so a reload of
            the configuration applies to the next run).
        failure_retention: returns the seconds a failed-login count matters; older
            ones are dropped (None: none are).
    """

    log = Logger()

    def __init__(self, store: Store, clock: Any, interval: float,
                 retention: Callable[[], float],
                 failure_retention: Callable[[], float] | None = None) -> None:
        self.store = store
        self.failure_retention = failure_retention
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
        """Drop tombstones older than the retention and the locks expired by now;
        return how many tombstones were dropped."""
        now = self.clock.seconds()
        horizon = datetime.fromtimestamp(now, UTC) - timedelta(seconds=self.retention())
        async with self.store.transaction("prune tombstones and locks", write=True) as txn:
            removed = await txn.prune_tombstones(horizon)
            locks = await txn.prune_locks(now)
            pushes = await txn.prune_push(now)
            failures = 0
            if self.failure_retention is not None:
                failures = await txn.prune_login_failures(now - self.failure_retention())
        self.log.info("pruned {removed} tombstones older than {horizon}, {locks} expired "
                      "locks, {pushes} expired push subscriptions and {failures} "
                      "failed-login counts", removed=removed, horizon=horizon.isoformat(),
                      locks=locks, pushes=pushes, failures=failures)
        return removed

    def _run(self) -> Deferred[Any]:
        # A failed run is logged and the schedule goes on (LoopingCall would stop).
        self.last_run = ensureDeferred(self.prune()).addErrback(self._failed)
        return self.last_run

    def _failed(self, failure: Any) -> None:
        self.log.failure("pruning tombstones failed", failure)
