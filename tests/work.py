"""A :class:`oxdav.work.Work` for unit tests that records what was sent to the pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oxdav.work import Work


class RecordingWork(Work):
    """Runs inline, and notes the name of every function :meth:`run` or :meth:`process`
    was given (what the daemon's :class:`~oxdav.work.WorkPool` would have run off the
    reactor)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.sent.append(getattr(fn, "__name__", type(fn).__name__))
        return fn(*args, **kwargs)

    async def process(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.sent.append(getattr(fn, "__name__", type(fn).__name__))
        return fn(*args)


def power(base: int, exponent: int) -> int:
    """A task for worker processes (module level: a worker imports it by name)."""
    return int(base**exponent)


def refuse(message: str) -> None:
    """A task that fails."""
    raise ValueError(message)


def die() -> None:
    """A task whose worker process ends without a word."""
    import os

    os._exit(3)


def worker_state() -> tuple[int, int, int]:
    """The process id, niceness and address-space limit a task runs with."""
    import os
    import resource

    return os.getpid(), os.nice(0), resource.getrlimit(resource.RLIMIT_AS)[0]
