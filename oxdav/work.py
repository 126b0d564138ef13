"""A thread pool for CPU-heavy request work (parsing, recurrence expansion, rendering).

The reactor thread serves every user's requests; work whose cost grows with the input
(a large iCalendar body, a series with thousands of instances, a report over many
objects) runs here instead, so that another user's GET is answered meanwhile. Python
threads share the GIL, so this buys fairness, not parallelism: the reactor thread gets
the interpreter back every switch interval (``sys.getswitchinterval``). The pool is
separate from the store's and from the reactor's shared pool (name resolution).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: Name of the pool's threads (``PoolThread-oxdav-work-N``).
POOL_NAME = "oxdav-work"
#: Inputs up to this many bytes are handled inline by :meth:`Work.sized`: parsing one
#: costs well under a millisecond, less than the hop to a thread and back.
INLINE_BYTES = 16 * 1024


class Work:
    """Where CPU-heavy request work runs; :class:`WorkPool` in the daemon, :class:`Inline`
    where nobody else is served (tests, command-line tools)."""

    async def run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``fn(*args, **kwargs)`` where heavy work belongs; its result or its exception."""
        raise NotImplementedError

    async def sized(self, size: int, fn: Callable[_P, _T], *args: _P.args,
                    **kwargs: _P.kwargs) -> _T:
        """Like :meth:`run`, but inline when the input is ``size`` bytes or fewer
        (:data:`INLINE_BYTES`) and its cost therefore small."""
        if size <= INLINE_BYTES:
            return fn(*args, **kwargs)
        return await self.run(fn, *args, **kwargs)


class Inline(Work):
    """Runs everything on the caller's thread."""

    async def run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return fn(*args, **kwargs)


#: The shared :class:`Inline` instance.
INLINE = Inline()


class WorkPool(Work, Service):
    """A fixed-size pool that CPU-heavy request work is handed to.

    Args:
        reactor: delivers the results.
        threads: pool size; one or two is right on a GIL interpreter (more only fight
            for the interpreter).
    """

    def __init__(self, reactor: Any, threads: int = 2) -> None:
        if threads < 1:
            raise ValueError("a work pool needs at least one thread")
        self._reactor = reactor
        self._pool = ThreadPool(minthreads=0, maxthreads=threads, name=POOL_NAME)

    def startService(self) -> None:
        super().startService()  # type: ignore[no-untyped-call]
        self._pool.start()

    def stopService(self) -> None:
        super().stopService()  # type: ignore[no-untyped-call]
        self._pool.stop()

    async def run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``fn(*args, **kwargs)`` on a pool thread."""
        result: _T = await deferToThreadPool(self._reactor, self._pool, fn, *args, **kwargs)
        return result



#: Longest stretch a loop on the reactor thread runs before :class:`Pacer` makes it
#: give way (a streamed listing writes a chunk at a time).
SLICE_SECONDS = 0.005


class Pacer:
    """Makes a long loop on the reactor thread give way to other requests.

    ``await pacer.breathe()`` between steps returns at once until ``slice_seconds`` have
    passed since the loop last gave way; then it waits one reactor turn, in which
    other connections are read and served.

    Args:
        reactor: the reactor (its ``callLater``).
        slice_seconds: see :data:`SLICE_SECONDS`.
    """

    def __init__(self, reactor: Any, slice_seconds: float = SLICE_SECONDS) -> None:
        self._reactor = reactor
        self._slice = slice_seconds
        self._since = time.monotonic()

    async def breathe(self) -> None:
        """Give way if this loop has had the reactor for a slice."""
        if time.monotonic() - self._since < self._slice:
            return
        turn: Deferred[None] = Deferred()
        self._reactor.callLater(0, turn.callback, None)
        await turn
        self._since = time.monotonic()
