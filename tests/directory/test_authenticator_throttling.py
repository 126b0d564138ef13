"""Slowing down repeated failures per account and per client address: counted by one
process alone, and counted in the store that several share (every test runs both
ways)."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.task import Clock
from twisted.logger import LogEvent, formatEvent, globalLogPublisher

from oxdav.directory.authenticator import Authenticator
from oxdav.directory.results import Authenticated, Throttled, Unauthorized
from tests.directory.auth_fixtures import (
    ACCOUNT_POLICY,
    ADDRESS_POLICY,
    CACHE_TTL,
    CountingVerifier,
    InterfaceSwitch,
    make_authenticator,
)
from tests.directory.memory_directory import MemoryDirectory

ADDRESS = "192.0.2.1"


async def attempt(auth: Authenticator, login: str, password: str, address: str = ADDRESS):
    return await auth.authenticate(login, password, address, "caldav")


async def fail_login(auth: Authenticator, times: int, login: str = "bob@example.com") -> None:
    for n in range(times):
        # A fresh address each time, so only the login's counter grows.
        assert await attempt(auth, login, "guess", f"198.51.100.{n}") == Unauthorized()


@pytest.fixture(params=["alone", "shared"])
def authenticator(request, directory: MemoryDirectory, clock: Clock,
                  verifier: CountingVerifier, interfaces: InterfaceSwitch):
    auth = make_authenticator(directory, clock, verifier, interfaces,
                              shared=request.param == "shared")
    auth.startService()
    yield auth
    auth.stopService()


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
    await fail_login(authenticator, ACCOUNT_POLICY.threshold - 1)
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)


@pytest_twisted.ensureDeferred
async def test_login_is_throttled_after_threshold_failures_without_running_the_kdf(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    await fail_login(authenticator, ACCOUNT_POLICY.threshold)
    calls = verifier.calls
    result = await attempt(authenticator, "bob@example.com", "bob-secret", "203.0.113.9")
    assert result == Throttled(ACCOUNT_POLICY.base_delay)
    assert verifier.calls == calls


@pytest_twisted.ensureDeferred
async def test_throttled_login_may_try_again_after_the_delay(
    authenticator: Authenticator, clock: Clock
) -> None:
    await fail_login(authenticator, ACCOUNT_POLICY.threshold)
    clock.advance(ACCOUNT_POLICY.base_delay)
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)


@pytest_twisted.ensureDeferred
async def test_each_further_failure_doubles_the_delay(
    authenticator: Authenticator, clock: Clock
) -> None:
    await fail_login(authenticator, ACCOUNT_POLICY.threshold)
    clock.advance(ACCOUNT_POLICY.base_delay)
    assert await attempt(authenticator, "bob@example.com", "guess") == Unauthorized()
    assert await attempt(authenticator, "bob@example.com", "x") == Throttled(
        2 * ACCOUNT_POLICY.base_delay
    )


@pytest_twisted.ensureDeferred
async def test_login_throttle_ignores_case(authenticator: Authenticator) -> None:
    await fail_login(authenticator, ACCOUNT_POLICY.threshold)
    assert isinstance(await attempt(authenticator, "BOB@example.com", "guess"), Throttled)


@pytest_twisted.ensureDeferred
async def test_unknown_logins_are_throttled_like_known_ones(
    authenticator: Authenticator,
) -> None:
    await fail_login(authenticator, ACCOUNT_POLICY.threshold, "nobody@example.com")
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
async def test_a_success_takes_back_the_failures_of_its_own_address(
    authenticator: Authenticator,
) -> None:
    for _ in range(ACCOUNT_POLICY.threshold - 1):
        assert await attempt(authenticator, "bob@example.com", "typo") == Unauthorized()
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)
    for _ in range(ACCOUNT_POLICY.threshold - 1):
        assert await attempt(authenticator, "bob@example.com", "typo") == Unauthorized()
    assert await attempt(authenticator, "bob@example.com", "typo") == Unauthorized()


@pytest_twisted.ensureDeferred
async def test_a_success_clears_its_addresses_failures_on_that_account_only(
    authenticator: Authenticator,
) -> None:
    for login in ["bob@example.com", "bob@example.com", "alice@example.com"]:
        assert await attempt(authenticator, login, "typo") == Unauthorized()
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)
    # One failure (alice's) is left of three; the address blocks at its threshold.
    for n in range(ADDRESS_POLICY.threshold - 2):
        assert await attempt(authenticator, f"user{n}@example.com", "guess") == Unauthorized()
    assert authenticator.address_throttle.blocked(ADDRESS) is None
    assert await attempt(authenticator, "user@example.com", "guess") == Unauthorized()
    assert authenticator.address_throttle.blocked(ADDRESS) is not None


@pytest_twisted.ensureDeferred
async def test_a_success_leaves_the_failures_of_other_addresses(
    authenticator: Authenticator,
) -> None:
    await fail_login(authenticator, ACCOUNT_POLICY.threshold - 1)
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)
    assert await attempt(authenticator, "bob@example.com", "guess", "203.0.113.9") == Unauthorized()
    result = await attempt(authenticator, "bob@example.com", "guess", "203.0.113.9")
    assert isinstance(result, Throttled)


@pytest_twisted.ensureDeferred
async def test_a_cached_password_takes_back_nothing(
    authenticator: Authenticator, clock: Clock
) -> None:
    # Else a guesser at the owner's address would get a fresh budget each time the
    # owner's client polls with its cached password.
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)
    for _ in range(ACCOUNT_POLICY.threshold - 1):
        await attempt(authenticator, "bob@example.com", "guess")
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret", "203.0.113.9"),
                      Authenticated)
    assert await attempt(authenticator, "bob@example.com", "guess") == Unauthorized()
    assert isinstance(await attempt(authenticator, "bob@example.com", "guess"), Throttled)


@pytest_twisted.ensureDeferred
async def test_a_password_verified_before_passes_a_blocked_account(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)
    for n in range(2 * ACCOUNT_POLICY.threshold):
        await attempt(authenticator, "bob@example.com", "guess", f"198.51.100.{n}")
    calls = verifier.calls
    remembered = await attempt(authenticator, "bob@example.com", "bob-secret")
    cached = await attempt(authenticator, " BOB@example.net", "bob-secret", "203.0.113.9")
    assert isinstance(remembered, Authenticated) and remembered.remembered
    assert isinstance(cached, Authenticated) and not cached.remembered
    assert verifier.calls == calls


@pytest_twisted.ensureDeferred
async def test_a_blocked_account_refuses_a_password_never_verified_without_the_kdf(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    await fail_login(authenticator, ACCOUNT_POLICY.threshold)
    calls = verifier.calls
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Throttled)
    assert verifier.calls == calls


@pytest_twisted.ensureDeferred
async def test_every_spelling_of_an_account_shares_one_budget(
    authenticator: Authenticator,
) -> None:
    # Both mappings of context 10, the e-mail address, case and space.
    spellings = ["bob@example.com  ", "BOB@example.net", " Bob@Example.com", "bob@EXAMPLE.NET"]
    for n, login in enumerate(spellings[:ACCOUNT_POLICY.threshold]):
        assert await attempt(authenticator, login, "guess", f"198.51.100.{n}") == Unauthorized()
    result = await attempt(authenticator, spellings[-1], "guess", "203.0.113.9")
    assert isinstance(result, Throttled)


@pytest_twisted.ensureDeferred
async def test_a_bare_login_shares_the_budget_of_its_default_context_spelling(
    authenticator: Authenticator,
) -> None:
    for n, login in enumerate(["dave", "DAVE@defaultcontext", "dave@default.test"]):
        assert await attempt(authenticator, login, "guess", f"198.51.100.{n}") == Unauthorized()
    assert isinstance(await attempt(authenticator, " dave ", "guess", "203.0.113.9"), Throttled)
    for n, login in enumerate(["nobody", "NOBODY@defaultcontext", "nobody "]):
        assert await attempt(authenticator, login, "guess", f"198.51.100.{n}") == Unauthorized()
    assert isinstance(await attempt(authenticator, "nobody@defaultcontext", "guess",
                                    "203.0.113.9"), Throttled)


@pytest_twisted.ensureDeferred
async def test_spellings_of_an_unknown_name_share_one_budget_too(
    authenticator: Authenticator,
) -> None:
    # As for an existing account, so that sharing tells nothing about existence.
    spellings = ["nobody@example.com", " NOBODY@example.net", "nobody@example.com  "]
    for n, login in enumerate(spellings[:ACCOUNT_POLICY.threshold]):
        assert await attempt(authenticator, login, "guess", f"198.51.100.{n}") == Unauthorized()
    result = await attempt(authenticator, "Nobody@Example.NET", "guess", "203.0.113.9")
    assert isinstance(result, Throttled)


@pytest_twisted.ensureDeferred
async def test_one_name_in_two_contexts_are_two_budgets(authenticator: Authenticator) -> None:
    await fail_login(authenticator, ACCOUNT_POLICY.threshold, "carol@example.com")
    result = await attempt(authenticator, "carol@other.org", "carol-secret", "203.0.113.9")
    assert isinstance(result, Authenticated)


@pytest_twisted.ensureDeferred
async def test_attempts_refused_on_a_blocked_account_cost_their_address(
    authenticator: Authenticator,
) -> None:
    # Else one address could try passwords against the credential cache at will.
    for _ in range(ADDRESS_POLICY.threshold):
        await attempt(authenticator, "bob@example.com", "guess")
    assert authenticator.address_throttle.blocked(ADDRESS) is not None
    result = await attempt(authenticator, "alice@example.com", "alice-secret")
    assert isinstance(result, Throttled)


@pytest_twisted.ensureDeferred
async def test_thresholds_can_be_changed_while_running(authenticator: Authenticator) -> None:
    authenticator.set_thresholds(account=ACCOUNT_POLICY.threshold + 2,
                                 address=ADDRESS_POLICY.threshold)
    await fail_login(authenticator, ACCOUNT_POLICY.threshold + 1)
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)


@pytest_twisted.ensureDeferred
async def test_throttling_is_logged_without_the_password(
    authenticator: Authenticator, log_lines: list[str]
) -> None:
    for _ in range(ACCOUNT_POLICY.threshold):
        await attempt(authenticator, "bob@example.com", "hunter2-guess")
    engaged = [line for line in log_lines if "Throttling login" in line]
    assert engaged and "context 10 user 4" in engaged[0]
    assert any("bob@example.com" in line for line in log_lines)
    assert not any("hunter2" in line for line in log_lines)


@pytest_twisted.ensureDeferred
async def test_parallel_guesses_beyond_the_in_flight_cap_are_throttled(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    from twisted.internet.defer import Deferred, gatherResults

    cap = ACCOUNT_POLICY.max_in_flight
    guesses = [
        Deferred.fromCoroutine(
            attempt(authenticator, "bob@example.com", f"guess{n}", f"198.51.100.{n}")
        )
        for n in range(cap + 2)
    ]
    results = await gatherResults(guesses)
    assert sum(isinstance(r, Throttled) for r in results) == 2
    assert verifier.calls == cap


@pytest_twisted.ensureDeferred
async def test_a_verified_password_passes_a_blocked_account_after_its_cache_entry_expired(
    authenticator: Authenticator, verifier: CountingVerifier, clock: Clock
) -> None:
    # A guesser can keep the account blocked far longer than the cache lasts.
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)
    clock.advance(CACHE_TTL)
    for n in range(ACCOUNT_POLICY.threshold + 1):
        await attempt(authenticator, "bob@example.com", "guess", f"198.51.100.{n}")
    assert authenticator.account_throttle.blocked("context 10 user 4") is not None
    calls = verifier.calls
    assert isinstance(await attempt(authenticator, "bob@example.com", "bob-secret"), Authenticated)
    assert verifier.calls == calls + 1
    assert isinstance(await attempt(authenticator, "bob@example.com", "other"), Throttled)
