"""Test doubles and a builder for an Authenticator over the in-memory directory."""

from __future__ import annotations

import threading
from typing import Any

from twisted.internet.task import Clock

from oxdav.directory.authenticator import Authenticator
from oxdav.directory.lookup import ContextRecord, UserRecord
from oxdav.directory.passwords import verify_password
from oxdav.directory.results import Interface
from oxdav.directory.throttle import ThrottlePolicy
from tests.directory.memory_directory import MemoryDirectory, NotFound

ACCOUNT_POLICY = ThrottlePolicy(threshold=3, base_delay=10, max_delay=80, forget_after=600)
ADDRESS_POLICY = ThrottlePolicy(threshold=6, base_delay=10, max_delay=80, forget_after=600)
CACHE_TTL = 300.0
REALM = "oxdav test"


class CountingVerifier:
    """The real Argon2 verification, counting how often it runs."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.calls += 1
        return verify_password(password_hash, password)


class InterfaceSwitch:
    """``interface_enabled`` stand-in: everything on unless switched off."""

    def __init__(self) -> None:
        self.disabled: set[tuple[int, int, str]] = set()
        self.asked: list[tuple[int, int, str]] = []

    def __call__(self, context: ContextRecord, user: UserRecord, interface: Interface) -> bool:
        self.asked.append((context.id, user.id, interface))
        return (context.id, user.id, interface) not in self.disabled


def make_authenticator(
    directory: MemoryDirectory,
    clock: Clock,
    verifier: CountingVerifier,
    interfaces: InterfaceSwitch,
    *,
    shared: bool = False,
) -> Authenticator:
    """An Authenticator on the global reactor's threads and ``clock``'s time (not
    started); ``shared``: counting failures in the directory, as nodes sharing a store
    do."""
    from twisted.internet import reactor

    reactor_: Any = reactor
    return Authenticator(
        directory.transaction,
        reactor_,
        interface_enabled=interfaces,
        cache_ttl=CACHE_TTL,
        cache_size=100,
        account_throttle=ACCOUNT_POLICY,
        address_throttle=ADDRESS_POLICY,
        not_found=(NotFound,),
        clock=clock,
        verify=verifier,
        shared_failures=directory.transaction if shared else None,
    )
