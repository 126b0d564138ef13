"""FailureThrottle: thresholds, back-off, expiry and bounds, driven by a Clock."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from oxdav.directory.throttle import (
    IN_FLIGHT_RETRY_AFTER,
    FailureSources,
    FailureThrottle,
    ThrottlePolicy,
)

POLICY = ThrottlePolicy(
    threshold=3, base_delay=5, max_delay=40, forget_after=100, max_entries=4, max_in_flight=2
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(clock: Clock) -> FailureThrottle:
    return FailureThrottle(clock, POLICY, kind="login")


def fail(throttle: FailureThrottle, key: str, times: int) -> float:
    delay = 0.0
    for _ in range(times):
        delay = throttle.record_failure(key)
    return delay


def test_unknown_key_may_try(throttle: FailureThrottle) -> None:
    assert throttle.retry_after("k") is None


def test_failures_below_threshold_do_not_block(throttle: FailureThrottle) -> None:
    assert fail(throttle, "k", POLICY.threshold - 1) == 0
    assert throttle.retry_after("k") is None


def test_threshold_failure_blocks_for_base_delay(throttle: FailureThrottle) -> None:
    assert fail(throttle, "k", POLICY.threshold) == POLICY.base_delay
    assert throttle.retry_after("k") == POLICY.base_delay


def test_block_lifts_when_its_time_has_passed(throttle: FailureThrottle, clock: Clock) -> None:
    fail(throttle, "k", POLICY.threshold)
    clock.advance(POLICY.base_delay - 1)
    assert throttle.retry_after("k") == 1
    clock.advance(1)
    assert throttle.retry_after("k") is None


def test_delay_doubles_per_failure_up_to_the_maximum(throttle: FailureThrottle) -> None:
    delays = [throttle.record_failure("k") for _ in range(POLICY.threshold + 5)]
    assert delays[POLICY.threshold - 1 :] == [5, 10, 20, 40, 40, 40]


def test_huge_failure_counts_do_not_overflow() -> None:
    assert POLICY.block_seconds(10_000) == POLICY.max_delay


def test_failures_are_forgotten_after_a_quiet_period(
    throttle: FailureThrottle, clock: Clock
) -> None:
    fail(throttle, "k", POLICY.threshold)
    clock.advance(POLICY.forget_after)
    assert throttle.record_failure("k") == 0


def test_forget_clears_a_key(throttle: FailureThrottle) -> None:
    fail(throttle, "k", POLICY.threshold)
    throttle.forget("k")
    assert throttle.retry_after("k") is None


def test_keys_are_independent(throttle: FailureThrottle) -> None:
    fail(throttle, "a", POLICY.threshold)
    assert throttle.retry_after("b") is None


def test_expired_keys_are_purged(throttle: FailureThrottle, clock: Clock) -> None:
    fail(throttle, "a", 1)
    fail(throttle, "b", 1)
    clock.advance(POLICY.forget_after)
    throttle.record_failure("c")
    assert len(throttle) == 1


def test_memory_is_bounded_by_max_entries(throttle: FailureThrottle) -> None:
    for n in range(POLICY.max_entries * 3):
        throttle.record_failure(f"k{n}")
    assert len(throttle) == POLICY.max_entries


def test_least_recently_failed_key_is_evicted_first(throttle: FailureThrottle) -> None:
    fail(throttle, "old", POLICY.threshold)
    for n in range(POLICY.max_entries):
        throttle.record_failure(f"k{n}")
    assert throttle.retry_after("old") is None


def test_in_flight_cap_refuses_further_attempts(throttle: FailureThrottle) -> None:
    assert throttle.try_begin("k") and throttle.try_begin("k")
    assert not throttle.try_begin("k")
    assert throttle.retry_after("k") == IN_FLIGHT_RETRY_AFTER
    throttle.end("k")
    assert throttle.try_begin("k")


def test_blocked_key_cannot_begin(throttle: FailureThrottle) -> None:
    fail(throttle, "k", POLICY.threshold)
    assert not throttle.try_begin("k")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 0},
        {"base_delay": 0},
        {"base_delay": 10, "max_delay": 5},
        {"max_delay": 100, "forget_after": 50},
        {"max_entries": 0},
        {"max_in_flight": 0},
    ],
)
def test_inconsistent_policies_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(**kwargs)  # type: ignore[arg-type]


def test_forgiving_failures_lifts_a_block_they_caused(throttle: FailureThrottle) -> None:
    fail(throttle, "a", POLICY.threshold + 1)
    throttle.forgive("a", 2)
    assert throttle.blocked("a") is None
    assert throttle.record_failure("a") == POLICY.base_delay


def test_forgiving_keeps_the_failures_not_taken_back(throttle: FailureThrottle) -> None:
    fail(throttle, "a", POLICY.threshold + 2)
    throttle.forgive("a", 1)
    assert throttle.blocked("a") == 2 * POLICY.base_delay


def test_forgiving_more_failures_than_counted_forgets_the_key(
    throttle: FailureThrottle,
) -> None:
    fail(throttle, "a", 2)
    throttle.forgive("a", 5)
    assert len(throttle) == 0


def test_failure_sources_give_back_what_one_address_did(clock: Clock) -> None:
    sources = FailureSources(clock, forget_after=100, max_entries=10)
    for address in ("x", "x", "y"):
        sources.record(address, "acct")
    assert sources.pop("x", "acct") == 2
    assert sources.pop("x", "acct") == 0
    assert sources.pop("y", "acct") == 1


def test_failure_sources_forget_after_a_quiet_period(clock: Clock) -> None:
    sources = FailureSources(clock, forget_after=100, max_entries=10)
    sources.record("x", "acct")
    clock.advance(100)
    assert sources.pop("x", "acct") == 0
    sources.record("x", "a")
    clock.advance(100)
    sources.record("y", "b")
    assert len(sources) == 1


def test_failure_sources_are_bounded(clock: Clock) -> None:
    sources = FailureSources(clock, forget_after=100, max_entries=2)
    for key in ("a", "b", "c"):
        sources.record("x", key)
    assert len(sources) == 2 and sources.pop("x", "a") == 0


def test_a_blocked_key_may_begin_when_told_it_is_no_guess(throttle: FailureThrottle) -> None:
    fail(throttle, "a", POLICY.threshold)
    assert throttle.try_begin("a", even_if_blocked=True)
    assert throttle.try_begin("a", even_if_blocked=True)
    assert not throttle.try_begin("a", even_if_blocked=True)  # max_in_flight
