"""Failed logins counted per key (database-thread functions).

The counts are kept in the store so that every process on it sees the same ones: a
guesser behind a round-robin balancer meets the thresholds after as many guesses as on
one node. The keys and what a count means (thresholds, back-off) are the directory's
(``oxdav.directory.throttle``); the rows hold a number and the time of the last failure
in microseconds, and each count is one atomic statement of the engine. Rows are
taken in the order the caller gives the keys: processes that count under overlapping
keys at once give them in one order, so that they never wait for each other in a
circle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..models import MAX_LOGIN_FAILURE_KEY, LoginFailures
from .rows import Rows


def _us(seconds: float) -> int:
    return round(seconds * 1_000_000)


def _model(counted: tuple[int, int]) -> LoginFailures:
    failures, last_us = counted
    return LoginFailures(failures, last_us / 1_000_000)


def _checked(keys: Sequence[str]) -> list[str]:
    """The distinct keys in the order given (the order their rows are taken in);
    ValueError for one over the bound."""
    for key in keys:
        if len(key) > MAX_LOGIN_FAILURE_KEY:
            raise ValueError(f"a login failure key has at most {MAX_LOGIN_FAILURE_KEY}"
                             " characters")
    return list(dict.fromkeys(keys))


def login_failures(rows: Rows, keys: Sequence[str]) -> dict[str, LoginFailures]:
    """The counts of those ``keys`` that have any."""
    wanted = _checked(keys)
    if not wanted:
        return {}
    return {key: _model(counted) for key, counted in rows.login_failures(wanted).items()}


def record_login_failures(rows: Rows, keys: Mapping[str, float], now: float
                          ) -> dict[str, LoginFailures]:
    """Count one failure at ``now`` under each key; one whose last failure came at or
    before the time ``keys`` gives it starts over."""
    return {key: _model(rows.add_login_failure(key, _us(now), _us(keys[key])))
            for key in _checked(list(keys))}


def take_back_login_failures(rows: Rows, keys: Sequence[str], count: int
                             ) -> dict[str, LoginFailures]:
    """Take ``count`` back from each key; what remains."""
    if count <= 0:
        return login_failures(rows, keys)
    left: dict[str, LoginFailures] = {}
    for key in _checked(keys):
        counted = rows.take_back_login_failures(key, count)
        if counted is not None:
            left[key] = _model(counted)
    return left


def forget_login_failures(rows: Rows, keys: Sequence[str]) -> dict[str, LoginFailures]:
    """Forget the keys; what they were."""
    wanted = _checked(keys)
    if not wanted:
        return {}
    return {key: _model(counted)
            for key, counted in rows.delete_login_failures(wanted).items()}


def prune_login_failures(rows: Rows, older_than: float) -> int:
    """Forget the keys whose last failure came before ``older_than``."""
    return rows.prune_login_failures(_us(older_than))
