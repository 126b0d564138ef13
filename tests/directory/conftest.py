"""Fixtures for directory tests: an example directory and an authenticator over it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from twisted.internet.task import Clock

from oxdav.directory.authenticator import Authenticator
from oxdav.directory.lookup import ContextRecord, UserRecord
from oxdav.directory.passwords import verify_password
from oxdav.directory.results import Interface
from oxdav.directory.throttle import ThrottlePolicy
from tests.directory.memory_directory import MemoryDirectory, NotFound, example_directory

LOGIN_POLICY = ThrottlePolicy(threshold=3, base_delay=10, max_delay=80, forget_after=600)
ADDRESS_POLICY = ThrottlePolicy(threshold=6, base_delay=10, max_delay=80, forget_after=600)
CACHE_TTL = 300.0


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


@pytest.fixture
def directory() -> MemoryDirectory:
    return example_directory()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier() -> CountingVerifier:
    return CountingVerifier()


@pytest.fixture
def interfaces() -> InterfaceSwitch:
    return InterfaceSwitch()


@pytest.fixture
def authenticator(
    directory: MemoryDirectory,
    clock: Clock,
    verifier: CountingVerifier,
    interfaces: InterfaceSwitch,
) -> Iterator[Authenticator]:
    from twisted.internet import reactor

    auth = Authenticator(
        directory.transaction,
        reactor,
        realm="oxdav test",
        interface_enabled=interfaces,
        cache_ttl=CACHE_TTL,
        cache_size=100,
        login_throttle=LOGIN_POLICY,
        address_throttle=ADDRESS_POLICY,
        not_found=(NotFound,),
        clock=clock,
        verify=verifier,
    )
    auth.startService()
    yield auth
    auth.stopService()
