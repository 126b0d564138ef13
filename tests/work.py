"""A :class:`oxdav.work.Work` for unit tests that records what was sent to the pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oxdav.work import Work


class RecordingWork(Work):
    """Runs inline, and notes the name of every function :meth:`run` was given (what
    the daemon's :class:`~oxdav.work.WorkPool` would have run off the reactor)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.sent.append(getattr(fn, "__name__", type(fn).__name__))
        return fn(*args, **kwargs)
