"""Failed logins counted where every node of a deployment sees them.

Behind a round-robin balancer a guesser's attempts are spread over the nodes; counted
by each node alone, they would get the budget once per node. Where a store is shared
(``shared`` given), the counts live in it (``Directory.record_login_failures`` and its
siblings) and each node's throttles (``throttle``) hold a copy of them:

* refreshed from the store where password work would start: an attempt that is neither
  a remembered login nor a cached credential, which is where every guess goes. The
  read runs in the read transaction that resolved the login (:meth:`refresh`);
* replaced by what the store answers after every failure the node counts.

A remembered login or a cached credential (every request of a syncing client) reads
nothing: that path pays no database call. The policy (thresholds, back-off, when counts
start over) stays in the directory; the store keeps numbers and times.

The keys in the store are ``source <address> <key>`` (one address's failures on one
account: what a success from there takes back), ``address <address>`` and
``login <key>``; every transaction that writes several gives them in that order (the
store takes rows in the order given), so two nodes never wait for each other in a
circle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from twisted.logger import Logger

from oxdav.directory.clock import TimeSource
from oxdav.directory.throttle import FailureSources, FailureThrottle, ThrottlePolicy

log = Logger()


class CountRecord(Protocol):
    """The failures counted under one key (the store's ``LoginFailures``)."""

    @property
    def failures(self) -> int: ...

    @property
    def last(self) -> float:
        """Epoch seconds of the last one."""
        ...


class FailureReader(Protocol):
    """Reads the shared counts (a store transaction; the authenticator's lookup)."""

    async def login_failures(self, keys: Iterable[str]) -> Mapping[str, CountRecord]: ...


class FailureCounter(FailureReader, Protocol):
    """Writes the shared counts (a store write transaction)."""

    async def record_login_failures(self, keys: Mapping[str, float], now: float
                                    ) -> Mapping[str, CountRecord]: ...

    async def take_back_login_failures(self, keys: Iterable[str], count: int
                                       ) -> Mapping[str, CountRecord]: ...

    async def forget_login_failures(self, keys: Iterable[str]) -> Mapping[str, CountRecord]: ...


#: Opens a transaction that may write the shared counts, for one change of them.
CounterFactory = Callable[[], AbstractAsyncContextManager[FailureCounter]]


def source_key(address: str, key: str) -> str:
    return f"source {address} {key}"


def address_key(address: str) -> str:
    return f"address {address}"


def login_key(key: str) -> str:
    return f"login {key}"


class FailureLedger:
    """The failure counts of one authenticator: per account (``key``), per client
    address, and per address on an account (``sources``).

    Args:
        clock: time source (the reactor; ``task.Clock`` in tests).
        account_policy: thresholds per account (or name claimed).
        address_policy: thresholds per client address.
        shared: opens a store write transaction for the counts every node shares;
            None: this process alone counts (kept in memory).
    """

    def __init__(self, clock: TimeSource, account_policy: ThrottlePolicy,
                 address_policy: ThrottlePolicy, shared: CounterFactory | None = None) -> None:
        self._clock = clock
        self.account = FailureThrottle(clock, account_policy, kind="login")
        self.address = FailureThrottle(clock, address_policy, kind="address")
        self.sources = FailureSources(
            clock, forget_after=max(account_policy.forget_after, address_policy.forget_after),
            max_entries=address_policy.max_entries)
        self.shared = shared

    @property
    def forget_after(self) -> float:
        """Seconds after which no count matters any more (the store may drop it)."""
        return self.sources.forget_after

    async def refresh(self, reader: FailureReader, key: str, address: str) -> None:
        """Before password work: take the shared counts of the account, the address
        and the pair (nothing to do when not shared)."""
        if self.shared is None:
            return
        keys = [source_key(address, key), address_key(address), login_key(key)]
        self._learn(await reader.login_failures(keys), key, address, keys)

    async def failed(self, key: str, address: str) -> None:
        """Count a failed attempt on account ``key`` from ``address``."""
        now = self._clock.seconds()
        counts = {source_key(address, key): now - self.sources.forget_after,
                  address_key(address): now - self.address.policy.forget_after,
                  login_key(key): now - self.account.policy.forget_after}
        if not await self._record(counts, now, key, address):
            self.account.record_failure(key)
            self.address.record_failure(address)
            self.sources.record(address, key)

    async def refused(self, key: str, address: str) -> None:
        """Count an attempt refused unchecked (its account was blocked): a guess all
        the same, it costs its address."""
        now = self._clock.seconds()
        counts = {source_key(address, key): now - self.sources.forget_after,
                  address_key(address): now - self.address.policy.forget_after}
        if not await self._record(counts, now, key, address):
            self.address.record_failure(address)
            self.sources.record(address, key)

    async def succeeded(self, key: str, address: str) -> None:
        """The password was proven from ``address``: the failures it made on ``key``
        were the owner's own, and no longer count for either."""
        if self.shared is None or not self.sources.get(address, key):
            # Nothing is taken back that no read showed (a success costs no write).
            failures = self.sources.pop(address, key)
            self.account.forgive(key, failures)
            self.address.forgive(address, failures)
            return
        pair, keys = source_key(address, key), [address_key(address), login_key(key)]
        try:
            async with self.shared() as counter:
                gone = (await counter.forget_login_failures([pair])).get(pair)
                taken = 0 if gone is None else self.sources.counted(gone.failures, gone.last)
                left = await counter.take_back_login_failures(keys, taken)
        except Exception:
            log.failure("taking back failed logins in the store failed")
            return
        self.sources.learn(address, key, 0, 0.0)
        self._learn(left, key, address, keys)

    async def _record(self, counts: dict[str, float], now: float, key: str,
                      address: str) -> bool:
        """Count in the store; False when not shared. A store that cannot count raises:
        the attempt then fails with the store's error rather than pass uncounted (a
        count kept here alone would be replaced by the store's at the next read)."""
        if self.shared is None:
            return False
        async with self.shared() as counter:
            found = await counter.record_login_failures(counts, now)
        self._learn(found, key, address, list(counts), counted_now=True)
        return True

    def _learn(self, found: Mapping[str, CountRecord], key: str, address: str,
               asked: list[str], *, counted_now: bool = False) -> None:
        """Take the store's counts of the keys ``asked`` (one absent from ``found``
        has none)."""
        for shared_key in asked:
            record = found.get(shared_key)
            failures, last = (record.failures, record.last) if record else (0, 0.0)
            if shared_key == login_key(key):
                self.account.learn(key, failures, last, counted_now=counted_now)
            elif shared_key == address_key(address):
                self.address.learn(address, failures, last, counted_now=counted_now)
            else:
                self.sources.learn(address, key, failures, last)
