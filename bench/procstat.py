"""CPU time and peak RSS of a process, per phase, from Linux ``/proc``.

CPU time is ``utime + stime`` of all threads (``/proc/PID/stat`` fields 14–15, plus the
waited-for children's 16–17). Peak RSS per phase: writing ``5`` to
``/proc/PID/clear_refs`` resets ``VmHWM`` (Linux ≥ 4.0, proc(5)), so ``VmHWM`` read at
the end of a phase is the peak during that phase. Where the reset is not allowed, the
value is the peak since start, and :attr:`Sampler.peak_is_phase` says so.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

__all__ = ["Usage", "Sampler", "cpu_seconds", "peak_rss_mb", "own_cpu_seconds"]

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (all threads, and reaped children)."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        text = handle.read().decode()
    fields = text[text.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): utime is field 14 → index 11.
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / _TICK


def peak_rss_mb(pid: int) -> float:
    """``VmHWM`` of ``pid`` in MiB."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def own_cpu_seconds() -> float:
    """CPU seconds used by this (load generator) process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Usage:
    """What one phase cost.

    Attributes:
        server_cpu_s: server CPU seconds during the phase.
        server_peak_rss_mb: server peak RSS during the phase (MiB).
        client_cpu_s: load generator CPU seconds during the phase.
    """

    server_cpu_s: float
    server_peak_rss_mb: float
    client_cpu_s: float


class Sampler:
    """Measure a server's processes over one phase: ``start()`` … ``stop()``. With
    several (the nodes of one store), CPU and peak RSS are their sums."""

    def __init__(self, pids: list[int]) -> None:
        self.pids: list[int] | None = list(pids) or None
        self.peak_is_phase = True
        self._cpu = 0.0
        self._own = 0.0

    def start(self) -> None:
        """Reset the peaks and remember the CPU counters."""
        if self.pids is not None:
            self.peak_is_phase = all([_reset_peak(pid) for pid in self.pids])
            try:
                self._cpu = sum(cpu_seconds(pid) for pid in self.pids)
            except OSError:  # a server is gone; stop() reports NaN
                self.pids = None
        self._own = own_cpu_seconds()

    def stop(self) -> Usage:
        """The usage since :meth:`start` (NaN for the server when it is gone)."""
        own = own_cpu_seconds() - self._own
        if self.pids is None:
            return Usage(float("nan"), float("nan"), own)
        try:
            return Usage(sum(cpu_seconds(pid) for pid in self.pids) - self._cpu,
                         sum(peak_rss_mb(pid) for pid in self.pids), own)
        except OSError:
            return Usage(float("nan"), float("nan"), own)
