"""Slowing down repeated failures per login and per client address."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.task import Clock
from twisted.logger import LogEvent, formatEvent, globalLogPublisher

from oxdav.directory.authenticator import Authenticator
from oxdav.directory.results import Authenticated, Throttled, Unauthorized
from tests.directory.auth_fixtures import ADDRESS_POLICY, LOGIN_POLICY, CountingVerifier

ADDRESS = "192.0.2.1"


async def attempt(auth: Authenticator, login: str, password: str, address: str = ADDRESS):
    return await auth.authenticate(login, password, address, "caldav")


async def fail_login(auth: Authenticator, times: int, login: str = "bob@example.com") -> None:
    for n in range(times):
        # A fresh address each time, so only the login's counter grows.
        assert await attempt(auth, login, "guess", f"198.51.100.{n}") == Unauthorized()


@pytest.fixture
def log_lines() -> list[str]:
    lines: list[str] = []

    def observe(event: LogEvent) -> None:
        lines.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    yield lines
    globalLogPublisher.removeObserver(observe)


@pytest_twisted.ensureDeferred
async def test_failures_below_the_threshold_are_not_throttled(
    authenticator: Authenticator,
) -> None:
    await fail_login(authenticator, LOGIN_POLICY.threshold - 1)
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)


@pytest_twisted.ensureDeferred
async def test_login_is_throttled_after_threshold_failures_without_running_the_kdf(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    await fail_login(authenticator, LOGIN_POLICY.threshold)
    calls = verifier.calls
    result = await attempt(authenticator, "bob@example.com", "bob-secret", "203.0.113.9")
    assert result == Throttled(LOGIN_POLICY.base_delay)
    assert verifier.calls == calls


@pytest_twisted.ensureDeferred
async def test_throttled_login_may_try_again_after_the_delay(
    authenticator: Authenticator, clock: Clock
) -> None:
    await fail_login(authenticator, LOGIN_POLICY.threshold)
    clock.advance(LOGIN_POLICY.base_delay)
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)


@pytest_twisted.ensureDeferred
async def test_each_further_failure_doubles_the_delay(
    authenticator: Authenticator, clock: Clock
) -> None:
    await fail_login(authenticator, LOGIN_POLICY.threshold)
    clock.advance(LOGIN_POLICY.base_delay)
    assert await attempt(authenticator, "bob@example.com", "guess") == Unauthorized()
    assert await attempt(authenticator, "bob@example.com", "x") == Throttled(
        2 * LOGIN_POLICY.base_delay
    )


@pytest_twisted.ensureDeferred
async def test_login_throttle_ignores_case(authenticator: Authenticator) -> None:
    await fail_login(authenticator, LOGIN_POLICY.threshold)
    assert isinstance(await attempt(authenticator, "BOB@example.com", "guess"), Throttled)


@pytest_twisted.ensureDeferred
async def test_unknown_logins_are_throttled_like_known_ones(
    authenticator: Authenticator,
) -> None:
    await fail_login(authenticator, LOGIN_POLICY.threshold, "nobody@example.com")
    assert isinstance(await attempt(authenticator, "nobody@example.com", "guess"), Throttled)


@pytest_twisted.ensureDeferred
async def test_address_is_throttled_after_failures_across_logins(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    for n in range(ADDRESS_POLICY.threshold):
        assert await attempt(authenticator, f"user{n}@example.com", "guess") == Unauthorized()
    calls = verifier.calls
    result = await attempt(authenticator, "alice@example.com", "alice-secret")
    assert isinstance(result, Throttled)
    assert verifier.calls == calls


@pytest_twisted.ensureDeferred
async def test_other_addresses_are_not_throttled_by_one_address(
    authenticator: Authenticator,
) -> None:
    for n in range(ADDRESS_POLICY.threshold):
        await attempt(authenticator, f"user{n}@example.com", "guess")
    result = await attempt(authenticator, "alice@example.com", "alice-secret", "203.0.113.9")
    assert isinstance(result, Authenticated)


@pytest_twisted.ensureDeferred
async def test_success_clears_the_login_failures(authenticator: Authenticator) -> None:
    await fail_login(authenticator, LOGIN_POLICY.threshold - 1)
    await attempt(authenticator, "bob@example.com", "bob-secret", "203.0.113.9")
    await fail_login(authenticator, LOGIN_POLICY.threshold - 1)
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)


@pytest_twisted.ensureDeferred
async def test_throttled_login_is_refused_even_with_a_cached_credential(
    authenticator: Authenticator,
) -> None:
    await attempt(authenticator, "bob@example.com", "bob-secret")
    await fail_login(authenticator, LOGIN_POLICY.threshold)
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Throttled)


@pytest_twisted.ensureDeferred
async def test_throttling_is_logged_without_the_password(
    authenticator: Authenticator, log_lines: list[str]
) -> None:
    for _ in range(LOGIN_POLICY.threshold):
        await attempt(authenticator, "bob@example.com", "hunter2-guess")
    engaged = [line for line in log_lines if "Throttling login" in line]
    assert engaged and "bob@example.com" in engaged[0]
    assert not any("hunter2" in line for line in log_lines)


@pytest_twisted.ensureDeferred
async def test_parallel_guesses_beyond_the_in_flight_cap_are_throttled(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    from twisted.internet.defer import Deferred, gatherResults

    cap = LOGIN_POLICY.max_in_flight
    guesses = [
        Deferred.fromCoroutine(
            attempt(authenticator, "bob@example.com", f"guess{n}", f"198.51.100.{n}")
        )
        for n in range(cap + 2)
    ]
    results = await gatherResults(guesses)
    assert sum(isinstance(r, Throttled) for r in results) == 2
    assert verifier.calls == cap
