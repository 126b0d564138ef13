"""Where CPU-heavy request work runs: worker processes, a thread pool, or inline.

The reactor thread serves every user's requests; work whose cost grows with the input
(a large iCalendar or vCard body, a series with thousands of instances, a report over
many objects) runs elsewhere, so that another user's GET is answered meanwhile.

* :meth:`Work.process` runs a pure function (picklable arguments and result) in a
  worker process: it has its own interpreter lock and its own garbage collector, runs
  at a lower scheduling priority and under a memory limit, so nothing it does —
  C code that holds the lock for a long regex, a long collection — reaches the
  process that serves the requests.
* :meth:`Work.run` runs on a thread of the daemon, for work on objects that cannot
  leave the process (lxml trees). Threads share the interpreter lock: the reactor
  thread gets it back every switch interval, so this buys fairness for work that is
  bounded small.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ParamSpec, TypeVar

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: Name of the pool's threads (``PoolThread-oxdav-work-N``).
POOL_NAME = "oxdav-work"
#: Inputs up to this many bytes are handled inline by :meth:`Work.sized`: parsing one
#: costs well under a millisecond, less than the hop to a thread and back.
INLINE_BYTES = 16 * 1024


#: Modules a worker process imports before its first task (the pure functions it runs).
WORKER_MODULES = ("oxdav.caldav.tasks", "oxdav.carddav.tasks", "oxdav.scheduling.tasks")
#: Address space a worker process may use; a task beyond it fails with MemoryError.
WORKER_MEMORY_BYTES = 2 * 1024**3
#: How much lower a worker process's scheduling priority is than the daemon's.
WORKER_NICENESS = 10

log = Logger()


class WorkerLost(Exception):
    """A worker process died during a task (the pool is made anew for the next one)."""


class Work:
    """Where CPU-heavy request work runs; :class:`WorkPool` in the daemon, :class:`Inline`
    where nobody else is served (tests, command-line tools)."""

    async def run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``fn(*args, **kwargs)`` on a thread of the daemon; its result or exception."""
        raise NotImplementedError

    async def process(self, fn: Callable[_P, _T], *args: _P.args) -> _T:
        """``fn(*args)`` in a worker process: ``fn`` a module-level function, arguments
        and result picklable. Raises: what ``fn`` raised; WorkerLost."""
        raise NotImplementedError

    async def sized_process(self, size: int, fn: Callable[_P, _T], *args: _P.args,
                            inline: int = INLINE_BYTES) -> _T:
        """Like :meth:`process`, but inline when the input is ``size`` or less (bytes:
        :data:`INLINE_BYTES` by default): cheaper than the trip to a worker and back."""
        if size <= inline:
            return fn(*args)
        return await self.process(fn, *args)

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

    async def process(self, fn: Callable[_P, _T], *args: _P.args) -> _T:
        return fn(*args)


#: The shared :class:`Inline` instance.
INLINE = Inline()


def _start_worker(memory_bytes: int, niceness: int) -> None:
    """Run in each worker process before its first task: a lower priority, so that the
    daemon's own threads win the processor, and a memory limit."""
    try:
        os.nice(niceness)
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (OSError, ValueError):  # not permitted here: the worker runs without
        pass
    gc.freeze()  # the imported modules stay for the process's life (oxdav.service)


class WorkPool(Work, Service):
    """Worker processes and a small thread pool that CPU-heavy request work is handed to.

    Args:
        reactor: delivers the results.
        threads: thread pool size; one or two is right on a GIL interpreter (more only
            fight for the interpreter).
        processes: worker processes, started when first needed (``forkserver``: each
            is forked from a clean process that has imported :data:`WORKER_MODULES`).
    """

    def __init__(self, reactor: Any, threads: int = 2, processes: int = 2) -> None:
        if threads < 1 or processes < 1:
            raise ValueError("a work pool needs at least one thread and one process")
        self._reactor = reactor
        self._pool = ThreadPool(minthreads=0, maxthreads=threads, name=POOL_NAME)
        self._processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def startService(self) -> None:
        super().startService()  # type: ignore[no-untyped-call]
        self._pool.start()

    def stopService(self) -> None:
        super().stopService()  # type: ignore[no-untyped-call]
        self._pool.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _workers(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(WORKER_MODULES))
            self._executor = ProcessPoolExecutor(
                self._processes, mp_context=context, initializer=_start_worker,
                initargs=(WORKER_MEMORY_BYTES, WORKER_NICENESS))
        return self._executor

    async def process(self, fn: Callable[_P, _T], *args: _P.args) -> _T:
        """``fn(*args)`` in a worker process (see :meth:`Work.process`)."""
        executor = self._workers()
        done: Deferred[_T] = Deferred()

        def settle(future: Future[_T]) -> None:  # on an executor thread
            self._reactor.callFromThread(_settle, done, future)

        executor.submit(fn, *args).add_done_callback(settle)
        try:
            return await done
        except BrokenProcessPool as lost:
            log.error("a worker process died running {task}; starting new ones",
                      task=getattr(fn, "__qualname__", fn))
            if self._executor is executor:
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
            raise WorkerLost(str(lost)) from None

    async def run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``fn(*args, **kwargs)`` on a pool thread."""
        result: _T = await deferToThreadPool(self._reactor, self._pool, fn, *args, **kwargs)
        return result



def _settle(done: Deferred[_T], future: Future[_T]) -> None:
    """Hand a finished task's outcome to ``done`` (on the reactor thread)."""
    error = future.exception()
    if error is not None:
        done.errback(error)
    else:
        done.callback(future.result())


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
