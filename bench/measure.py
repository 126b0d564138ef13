"""Timing and bookkeeping for one phase: latencies, errors, requests/s, CPU and RSS."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from bench.client import Result
from bench.procstat import Sampler

__all__ = ["Recorder", "PhaseResult", "run_phase", "pool", "repeat", "percentile", "summary"]

T = TypeVar("T")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summary(seconds: Sequence[float]) -> dict[str, float]:
    """Count, p50, p95, p99 and max of latencies in seconds, as milliseconds."""
    return {"count": len(seconds),
            **{f"p{name}_ms": percentile(seconds, q) * 1000
               for name, q in (("50", 0.5), ("95", 0.95), ("99", 0.99))},
            "max_ms": max(seconds) * 1000 if seconds else float("nan")}


class Recorder:
    """Collects the timed requests of a phase."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.untimed_errors = 0
        self.samples: list[str] = []
        self.notes: dict[str, Any] = {}

    def add(self, result: Result, *, ok: bool | None = None) -> Result:
        """Record a timed request; ``ok`` overrides the status check (e.g. a short
        multistatus)."""
        self.latencies.append(result.seconds)
        good = result.ok if ok is None else ok
        if not good:
            self.errors += 1
            self._sample(result)
        return result

    def add_untimed(self, result: Result) -> Result:
        """Record a preparatory request (e.g. the changes before a sync): only errors."""
        if not result.ok:
            self.untimed_errors += 1
            self._sample(result)
        return result

    def fail(self, message: str) -> None:
        """Count an error that is not a single request (e.g. a missing prerequisite)."""
        self.errors += 1
        if len(self.samples) < 3:
            self.samples.append(message)

    def _sample(self, result: Result) -> None:
        if len(self.samples) < 3:
            self.samples.append(f"{result.status} {result.body[:160]!r}")


@dataclass
class PhaseResult:
    """What one phase measured against one server (all times in ms, CPU in s)."""

    phase: str
    requests: int
    errors: int
    median_ms: float
    p95_ms: float
    req_per_s: float
    wall_s: float
    server_cpu_s: float
    server_peak_rss_mb: float
    client_cpu_s: float
    client_cpu_pct: float
    error_samples: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    p99_ms: float = float("nan")
    max_ms: float = float("nan")

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


async def run_phase(name: str, pids: list[int],
                    body: Callable[[Recorder], Awaitable[None]]) -> PhaseResult:
    """Run ``body`` as phase ``name``; an exception in it becomes an error, never a crash."""
    recorder = Recorder()
    sampler = Sampler(pids)
    sampler.start()
    start = time.perf_counter()
    try:
        await body(recorder)
    except Exception as error:  # noqa: BLE001 - a failing server must not end the run
        recorder.fail(f"phase aborted: {error!r}")
    wall = time.perf_counter() - start
    usage = sampler.stop()
    if not sampler.peak_is_phase:
        recorder.notes["peak_rss"] = "since server start"
    count = len(recorder.latencies)
    return PhaseResult(
        phase=name, requests=count, errors=recorder.errors + recorder.untimed_errors,
        median_ms=statistics.median(recorder.latencies) * 1000 if count else float("nan"),
        p95_ms=percentile(recorder.latencies, 0.95) * 1000,
        req_per_s=count / wall if wall > 0 else float("nan"), wall_s=wall,
        server_cpu_s=usage.server_cpu_s, server_peak_rss_mb=usage.server_peak_rss_mb,
        client_cpu_s=usage.client_cpu_s,
        client_cpu_pct=100 * usage.client_cpu_s / wall if wall > 0 else float("nan"),
        error_samples=recorder.samples, notes=recorder.notes,
        p99_ms=percentile(recorder.latencies, 0.99) * 1000,
        max_ms=max(recorder.latencies) * 1000 if count else float("nan"))


async def pool(workers: int, items: Sequence[T], work: Callable[[T], Awaitable[Any]]) -> None:
    """Run ``work`` over ``items`` with ``workers`` concurrent workers."""
    position = 0

    async def worker() -> None:
        nonlocal position
        while position < len(items):
            item = items[position]
            position += 1
            await work(item)

    await asyncio.gather(*(worker() for _ in range(workers)))


async def repeat(work: Callable[[], Awaitable[Any]], times: int, budget_s: float) -> int:
    """Run ``work`` up to ``times`` times, stopping early once ``budget_s`` is spent
    (always at least once). Returns how many runs were done."""
    start = time.perf_counter()
    done = 0
    while done < times:
        await work()
        done += 1
        if time.perf_counter() - start > budget_s:
            break
    return done
