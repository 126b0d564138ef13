"""The one thing the directory needs from a clock."""

from __future__ import annotations

from typing import Protocol


class TimeSource(Protocol):
    """Anything with ``seconds()``: the reactor (``IReactorTime``) or ``task.Clock``."""

    def seconds(self) -> float:
        """The current time in seconds."""
        ...
