"""Slowing down repeated login failures per key (an account, a login, a client address).

After ``threshold`` failures a key is blocked for ``base_delay`` seconds, and each
further failure doubles the block, up to ``max_delay``. While blocked, attempts
are refused before any password work is done. A key that has not failed for
``forget_after`` seconds starts over. Memory is bounded: expired keys are purged
and at most ``max_entries`` are kept, the least recently failed going first.

The number of unfinished verifications per key is capped too, so a burst of
parallel guesses cannot all reach the KDF before the first failures count.

:class:`FailureSources` remembers which address each key's failures came from, so
that a success takes back only the failures its own client made (the owner's typos),
never those of someone else guessing from elsewhere.

Each process keeps these counts in memory. Where several share a store, the counts
every one of them sees are the store's (``failures``): what a process holds is then
its copy of them, refreshed from the store before any password work and after every
failure it counts (:meth:`FailureThrottle.learn`, :meth:`FailureSources.learn`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from twisted.logger import Logger

from oxdav.directory.clock import TimeSource

log = Logger()

#: Retry-After suggested when a key is refused for too many unfinished attempts.
IN_FLIGHT_RETRY_AFTER = 1.0


@dataclass(frozen=True)
class ThrottlePolicy:
    """Parameters of one :class:`FailureThrottle`.

    Attributes:
        threshold: Failures tolerated before attempts are delayed.
        base_delay: Seconds of the first block; doubled for every further failure.
        max_delay: Longest block, in seconds.
        forget_after: Seconds without a failure after which a key starts over;
            at least ``max_delay``.
        max_entries: Most keys remembered.
        max_in_flight: Most unfinished verifications per key at one time.
    """

    threshold: int = 5
    base_delay: float = 1.0
    max_delay: float = 300.0
    forget_after: float = 900.0
    max_entries: int = 100_000
    max_in_flight: int = 8

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.max_entries < 1 or self.max_in_flight < 1:
            raise ValueError("threshold, max_entries and max_in_flight must be positive")
        if not 0 < self.base_delay <= self.max_delay <= self.forget_after:
            raise ValueError("need 0 < base_delay <= max_delay <= forget_after")

    def block_seconds(self, failures: int) -> float:
        """How long a key with ``failures`` consecutive failures stays blocked."""
        if failures < self.threshold:
            return 0.0
        exponent = min(failures - self.threshold, 64)
        return float(min(self.base_delay * 2**exponent, self.max_delay))


@dataclass
class _Record:
    failures: int
    last_failure: float
    blocked_until: float


class FailureThrottle:
    """Failure counters with exponential back-off for one kind of key.

    Args:
        clock: Source of time (the reactor; ``task.Clock`` in tests).
        policy: Thresholds and delays.
        kind: What the keys are (``"login"``, ``"address"``), for the log.
    """

    def __init__(self, clock: TimeSource, policy: ThrottlePolicy, *, kind: str) -> None:
        self._clock = clock
        self.policy = policy
        self._kind = kind
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._in_flight: dict[str, int] = {}
        self._saturated: set[str] = set()

    def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None when it may try now."""
        return self._busy(key) or self.blocked(key)

    def _busy(self, key: str) -> float | None:
        if self._in_flight.get(key, 0) >= self.policy.max_in_flight:
            if key not in self._saturated:
                self._saturated.add(key)
                log.warn(
                    "Throttling {kind} {key!r}: {count} verifications already running",
                    kind=self._kind,
                    key=key,
                    count=self._in_flight[key],
                )
            return IN_FLIGHT_RETRY_AFTER
        return None

    def blocked(self, key: str) -> float | None:
        """Seconds ``key`` stays blocked for its failures, or None (running
        verifications not considered)."""
        record = self._records.get(key)
        if record is None:
            return None
        remaining = record.blocked_until - self._clock.seconds()
        return remaining if remaining > 0 else None

    def record_failure(self, key: str) -> float:
        """Count a failed attempt of ``key`` and block it when over the threshold.

        Returns:
            The seconds ``key`` is now blocked for (0 when under the threshold).
        """
        now = self._clock.seconds()
        self._purge(now)
        record = self._records.pop(key, None)
        if record is None or now - record.last_failure >= self.policy.forget_after:
            record = _Record(failures=0, last_failure=now, blocked_until=now)
        record.failures += 1
        record.last_failure = now
        delay = self.policy.block_seconds(record.failures)
        record.blocked_until = now + delay
        self._keep(key, record)
        if delay:
            self._log_block(key, delay, record.failures)
        return delay

    def learn(self, key: str, failures: int, last_failure: float, *,
              counted_now: bool = False) -> None:
        """Take the count of ``key`` that every process shares (the store's): it
        replaces what this one knew. ``failures`` 0 means none.

        Args:
            counted_now: the count includes a failure this process just counted (the
                block it starts is logged).
        """
        self._records.pop(key, None)
        now = self._clock.seconds()
        if failures <= 0 or now - last_failure >= self.policy.forget_after:
            return
        delay = self.policy.block_seconds(failures)
        self._keep(key, _Record(failures, last_failure, last_failure + delay))
        if counted_now and delay:
            self._log_block(key, delay, failures)

    def _keep(self, key: str, record: _Record) -> None:
        self._records[key] = record
        while len(self._records) > self.policy.max_entries:
            self._records.popitem(last=False)

    def _log_block(self, key: str, delay: float, failures: int) -> None:
        log.warn(
            "Throttling {kind} {key!r} for {delay}s after {failures} failed logins",
            kind=self._kind,
            key=key,
            delay=delay,
            failures=failures,
        )

    def forget(self, key: str) -> None:
        """Clear the failures of ``key``."""
        self._records.pop(key, None)

    def forgive(self, key: str, failures: int) -> None:
        """Take back ``failures`` of the failures of ``key``; its block shrinks to
        what the failures left call for (none below the threshold)."""
        record = self._records.get(key)
        if record is None or failures <= 0:
            return
        record.failures -= failures
        if record.failures <= 0:
            del self._records[key]
            return
        record.blocked_until = record.last_failure + self.policy.block_seconds(record.failures)

    def try_begin(self, key: str, *, even_if_blocked: bool = False) -> bool:
        """Start a verification for ``key`` unless it is blocked or too many are
        already running.

        Args:
            even_if_blocked: only the number running counts (the caller knows the
                attempt is no guess).

        Returns:
            True when the caller may run the verification (and must call
            :meth:`end` afterwards); False when it must refuse the attempt.
        """
        wait = self._busy(key) if even_if_blocked else self.retry_after(key)
        if wait is not None:
            return False
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        return True

    def end(self, key: str) -> None:
        """Note that a verification started by :meth:`try_begin` finished."""
        count = self._in_flight.get(key, 0) - 1
        if count > 0:
            self._in_flight[key] = count
        else:
            self._in_flight.pop(key, None)
        if count < self.policy.max_in_flight:
            self._saturated.discard(key)

    def __len__(self) -> int:
        """Number of keys with remembered failures."""
        return len(self._records)

    def _purge(self, now: float) -> None:
        # Records are ordered by last failure, so expired ones are at the front;
        # blocked_until <= last_failure + max_delay <= last_failure + forget_after.
        while self._records:
            key, record = next(iter(self._records.items()))
            if now - record.last_failure < self.policy.forget_after:
                return
            del self._records[key]


class FailureSources:
    """How many failures of each key came from each client address.

    Entries are forgotten ``forget_after`` seconds after their last failure, like a
    throttle's records; at most ``max_entries`` are kept, the least recently failed
    going first (their failures then simply can no longer be taken back).

    Args:
        clock: Source of time.
        forget_after: Seconds without a failure after which a pair starts over.
        max_entries: Most (address, key) pairs remembered.
    """

    def __init__(self, clock: TimeSource, *, forget_after: float, max_entries: int) -> None:
        self._clock = clock
        self.forget_after = forget_after
        self._max_entries = max_entries
        self._counts: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()

    def record(self, address: str, key: str) -> None:
        """Count one failure of ``key`` from ``address``."""
        now = self._clock.seconds()
        self._purge(now)
        count, last = self._counts.pop((address, key), (0, now))
        self._counts[(address, key)] = (count + 1, now)
        while len(self._counts) > self._max_entries:
            self._counts.popitem(last=False)

    def pop(self, address: str, key: str) -> int:
        """The failures of ``key`` from ``address``, forgetting them."""
        count, last = self._counts.pop((address, key), (0, 0.0))
        return self.counted(count, last)

    def get(self, address: str, key: str) -> int:
        """The failures of ``key`` from ``address`` (kept)."""
        return self.counted(*self._counts.get((address, key), (0, 0.0)))

    def counted(self, count: int, last: float) -> int:
        """``count`` failures, the last at ``last``, as they count now (none once
        ``forget_after`` has passed)."""
        return count if self._clock.seconds() - last < self.forget_after else 0

    def learn(self, address: str, key: str, count: int, last: float) -> None:
        """Take the count every process shares (the store's) for the pair; 0: none."""
        self._counts.pop((address, key), None)
        if self.counted(count, last):
            self._counts[(address, key)] = (count, last)
            while len(self._counts) > self._max_entries:
                self._counts.popitem(last=False)

    def __len__(self) -> int:
        """Number of pairs remembered."""
        return len(self._counts)

    def _purge(self, now: float) -> None:
        while self._counts:
            pair, (_, last) = next(iter(self._counts.items()))
            if now - last < self.forget_after:
                return
            del self._counts[pair]
