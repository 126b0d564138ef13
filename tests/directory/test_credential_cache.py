"""CredentialCache: keyed hashing, TTL and size bound, driven by a Clock."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from oxdav.directory.credential_cache import CredentialCache


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(clock: Clock) -> CredentialCache:
    return CredentialCache(clock, ttl=60, max_size=3)


def test_added_key_is_contained(cache: CredentialCache) -> None:
    key = cache.key_for("10/3", "pw", "$argon2id$h")
    cache.add(key)
    assert key in cache


def test_key_depends_on_password_hash_and_identity(cache: CredentialCache) -> None:
    keys = {
        cache.key_for("10/3", "pw", "h1"),
        cache.key_for("10/3", "pw2", "h1"),
        cache.key_for("10/3", "pw", "h2"),
        cache.key_for("10/4", "pw", "h1"),
    }
    assert len(keys) == 4


def test_field_boundaries_cannot_be_shifted(cache: CredentialCache) -> None:
    assert cache.key_for("1", "0/3pw", "h") != cache.key_for("10/3", "pw", "h")
    assert cache.key_for("u", "ab", "c") != cache.key_for("u", "a", "bc")


def test_keys_differ_between_processes(clock: Clock) -> None:
    one = CredentialCache(clock, ttl=60, max_size=3)
    two = CredentialCache(clock, ttl=60, max_size=3)
    assert one.key_for("10/3", "pw", "h") != two.key_for("10/3", "pw", "h")


def test_key_does_not_contain_the_password(cache: CredentialCache) -> None:
    assert b"secret-pw" not in cache.key_for("10/3", "secret-pw", "h")


def test_entry_expires_after_ttl(cache: CredentialCache, clock: Clock) -> None:
    cache.add(b"k")
    clock.advance(59)
    assert b"k" in cache
    clock.advance(1)
    assert b"k" not in cache
    assert len(cache) == 0


def test_hit_does_not_extend_the_lifetime(cache: CredentialCache, clock: Clock) -> None:
    cache.add(b"k")
    clock.advance(30)
    assert b"k" in cache
    clock.advance(30)
    assert b"k" not in cache


def test_oldest_entry_is_evicted_when_full(cache: CredentialCache, clock: Clock) -> None:
    for key in (b"a", b"b", b"c", b"d"):
        cache.add(key)
        clock.advance(1)
    assert b"a" not in cache
    assert all(k in cache for k in (b"b", b"c", b"d"))


def test_expired_entries_make_room_first(cache: CredentialCache, clock: Clock) -> None:
    cache.add(b"a")
    clock.advance(60)
    cache.add(b"b")
    assert len(cache) == 1


def test_zero_ttl_disables_the_cache(clock: Clock) -> None:
    cache = CredentialCache(clock, ttl=0, max_size=3)
    cache.add(b"k")
    assert b"k" not in cache


def test_clear_forgets_everything(cache: CredentialCache) -> None:
    cache.add(b"k")
    cache.clear()
    assert b"k" not in cache
