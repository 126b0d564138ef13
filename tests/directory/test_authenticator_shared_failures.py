"""Failed logins counted in the store that several nodes share: two authenticators on one
directory stand for two nodes behind a round-robin balancer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from oxdav.directory.authenticator import Authenticator
from oxdav.directory.results import Authenticated, Throttled, Unauthorized
from tests.directory.auth_fixtures import (
    ACCOUNT_POLICY,
    ADDRESS_POLICY,
    CountingVerifier,
    InterfaceSwitch,
    make_authenticator,
)
from tests.directory.memory_directory import MemoryDirectory

ADDRESS = "192.0.2.1"


@pytest.fixture
def nodes(directory: MemoryDirectory, clock: Clock, verifier: CountingVerifier,
          interfaces: InterfaceSwitch) -> Iterator[list[Authenticator]]:
    pair = [make_authenticator(directory, clock, verifier, interfaces, shared=True)
            for _ in range(2)]
    for node in pair:
        node.startService()
    yield pair
    for node in pair:
        node.stopService()


async def attempt(node: Authenticator, login: str, password: str, address: str = ADDRESS):
    return await node.authenticate(login, password, address, "caldav")


@pytest_twisted.ensureDeferred
async def test_guesses_spread_over_two_nodes_are_throttled_after_the_same_count(
        nodes, verifier: CountingVerifier) -> None:
    for n in range(ACCOUNT_POLICY.threshold):
        node = nodes[n % 2]
        assert await attempt(node, "bob@example.com", f"guess{n}", f"198.51.100.{n}"
                             ) == Unauthorized()
    calls = verifier.calls
    for node in nodes:
        assert isinstance(await attempt(node, "bob@example.com", "bob-secret", "203.0.113.9"),
                          Throttled)
    assert verifier.calls == calls


@pytest_twisted.ensureDeferred
async def test_guesses_from_one_address_over_two_nodes_block_it_after_the_same_count(
        nodes) -> None:
    for n in range(ADDRESS_POLICY.threshold):
        assert await attempt(nodes[n % 2], f"user{n}@example.com", "guess") == Unauthorized()
    for node in nodes:
        assert isinstance(await attempt(node, "alice@example.com", "alice-secret"), Throttled)


@pytest_twisted.ensureDeferred
async def test_a_remembered_login_or_a_cached_credential_reads_no_counts(
        nodes, directory: MemoryDirectory) -> None:
    node = nodes[0]
    assert isinstance(await attempt(node, "alice@example.com", "alice-secret"), Authenticated)
    reads = directory.failure_reads
    assert reads == 1  # where the password work started
    remembered = await attempt(node, "alice@example.com", "alice-secret")
    assert isinstance(remembered, Authenticated) and remembered.remembered
    cached = await node.authenticate("alice@example.com", "alice-secret", ADDRESS, "caldav",
                                     fresh=True)
    assert isinstance(cached, Authenticated) and not cached.remembered
    assert directory.failure_reads == reads
    assert directory.failures == {}  # and a success with nothing to take back wrote nothing


@pytest_twisted.ensureDeferred
async def test_a_success_on_one_node_takes_back_its_own_failures_on_both(nodes) -> None:
    for n in range(ACCOUNT_POLICY.threshold - 1):
        assert await attempt(nodes[n % 2], "bob@example.com", "typo") == Unauthorized()
    assert isinstance(await attempt(nodes[1], "bob@example.com", "bob-secret"), Authenticated)
    for n in range(ACCOUNT_POLICY.threshold - 1):
        assert await attempt(nodes[n % 2], "bob@example.com", "typo") == Unauthorized()
    assert await attempt(nodes[0], "bob@example.com", "typo") == Unauthorized()
    assert isinstance(await attempt(nodes[1], "bob@example.com", "typo"), Throttled)


@pytest_twisted.ensureDeferred
async def test_a_success_takes_back_nothing_another_address_counted(nodes) -> None:
    for n in range(ACCOUNT_POLICY.threshold - 1):
        assert await attempt(nodes[n % 2], "bob@example.com", "guess", "203.0.113.7"
                             ) == Unauthorized()
    assert isinstance(await attempt(nodes[0], "bob@example.com", "bob-secret"), Authenticated)
    assert await attempt(nodes[1], "bob@example.com", "guess", "203.0.113.7") == Unauthorized()
    assert isinstance(await attempt(nodes[0], "bob@example.com", "guess", "203.0.113.8"),
                      Throttled)


@pytest_twisted.ensureDeferred
async def test_a_failure_the_store_cannot_count_fails_the_attempt_a_success_still_passes(
        nodes, directory: MemoryDirectory) -> None:
    assert await attempt(nodes[0], "bob@example.com", "typo") == Unauthorized()
    directory.failing = True
    with pytest.raises(RuntimeError, match="the store is down"):
        await attempt(nodes[0], "bob@example.com", "guess")
    assert isinstance(await attempt(nodes[1], "bob@example.com", "bob-secret"), Authenticated)
