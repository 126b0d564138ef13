"""The store's time: microseconds since the epoch, as every engine stores it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    """Current time in microseconds since the epoch."""
    return time.time_ns() // 1000


def to_datetime(us: int) -> datetime:
    """Microseconds since the epoch → aware UTC datetime."""
    return _EPOCH + timedelta(0, 0, us)  # positional: a listing calls this twice a row


def from_datetime(value: datetime) -> int:
    """Aware datetime → microseconds since the epoch."""
    delta = value.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def seconds(now: float | None) -> float:
    """``now`` when given (tests pass it), else the wall clock in epoch seconds, the one
    time every node on a shared database agrees on (lock expiry)."""
    return time.time() if now is None else now
