"""Fixtures for directory tests: an example directory and an authenticator over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twisted.internet.task import Clock

from oxdav.directory.authenticator import Authenticator
from tests.directory.auth_fixtures import CountingVerifier, InterfaceSwitch, make_authenticator
from tests.directory.memory_directory import MemoryDirectory, example_directory


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
    auth = make_authenticator(directory, clock, verifier, interfaces)
    auth.startService()
    yield auth
    auth.stopService()
