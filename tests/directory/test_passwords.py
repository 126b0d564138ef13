"""Argon2 password hashing round trip and rehash detection."""

from __future__ import annotations

from argon2 import PasswordHasher

from oxdav.directory.passwords import hash_password, needs_rehash, verify_password


def test_hash_verifies_with_the_same_password() -> None:
    assert verify_password(hash_password("correct horse"), "correct horse")


def test_hash_refuses_another_password() -> None:
    assert not verify_password(hash_password("correct horse"), "battery staple")


def test_hash_is_argon2id_and_salted() -> None:
    one, two = hash_password("pw"), hash_password("pw")
    assert one.startswith("$argon2id$") and one != two


def test_non_ascii_password_round_trips() -> None:
    assert verify_password(hash_password("pässwörd ✓"), "pässwörd ✓")


def test_malformed_or_empty_hash_never_matches() -> None:
    assert not verify_password("", "")
    assert not verify_password("!locked", "pw")
    assert not verify_password("$argon2id$garbage", "pw")


def test_fresh_hash_needs_no_rehash() -> None:
    assert not needs_rehash(hash_password("pw"))


def test_weaker_hash_needs_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("pw")
    assert needs_rehash(weak)


def test_malformed_hash_needs_rehash() -> None:
    assert needs_rehash("not a hash")
