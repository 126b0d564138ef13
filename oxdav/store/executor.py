"""Named database thread pools (OPS.md §B10).

The store never uses the reactor's shared thread pool (name resolution and WSGI live
there); it owns its pools, started and stopped with it, and hops onto them with
``deferToThreadPool``. The reactor is passed in, never imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

from .errors import StoreNotRunning

_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of one pool, for gauges (``oxdav_store_pool_*``)."""

    name: str
    max_threads: int
    threads: int
    working: int
    queued: int


class DBExecutor:
    """A set of named, fixed-size thread pools for blocking database work.

    Args:
        reactor: the reactor the results are delivered on.
        pools: pool name → number of threads.
        prefix: prefix of the thread names (``PoolThread-<prefix>-<name>-N``).
    """

    log = Logger()

    def __init__(self, reactor: IReactorFromThreads, pools: Mapping[str, int],
                 *, prefix: str = "oxdav-db") -> None:
        self._reactor = reactor
        self._pools = {
            name: ThreadPool(minthreads=size, maxthreads=size, name=f"{prefix}-{name}")
            for name, size in pools.items()
        }
        self._running = False

    @property
    def running(self) -> bool:
        """Whether the pools accept work."""
        return self._running

    def start(self) -> None:
        """Start every pool's threads."""
        for pool in self._pools.values():
            pool.start()
        self._running = True

    def stop(self) -> None:
        """Stop every pool, waiting for the threads to finish their current work."""
        self._running = False
        for name, pool in self._pools.items():
            pool.stop()
            self.log.debug("stopped database pool {pool}", pool=name)

    def run(self, pool: str, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
            ) -> Any:
        """Run ``fn(*args, **kwargs)`` on a thread of ``pool``.

        Returns:
            A Deferred firing with the result (or failing with its exception).

        Raises:
            StoreNotRunning: the executor is not started.
            KeyError: no pool of that name.
        """
        if not self._running:
            raise StoreNotRunning("database executor is not running")
        return deferToThreadPool(self._reactor, self._pools[pool], fn, *args, **kwargs)

    def stats(self) -> list[PoolStats]:
        """Current size and load of each pool."""
        return [
            PoolStats(name=name, max_threads=pool.max, threads=pool.workers,
                      working=len(pool.working), queued=pool._queue.qsize())
            for name, pool in self._pools.items()
        ]
