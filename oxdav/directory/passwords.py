"""Password hashing with Argon2id (RFC 9106) through argon2-cffi.

Hashing and verifying are deliberately slow and block the calling thread: the
authenticator runs them on its own thread pool, never on the reactor thread.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults follow RFC 9106's second recommended profile (Argon2id,
# t=3, m=64 MiB, p=4); keeping them lets a library upgrade raise the cost, which
# needs_rehash then reports.
_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """Hash ``password`` into a self-describing PHC string (``$argon2id$...``).

    Args:
        password: The clear-text password.

    Returns:
        The encoded hash, salt and parameters included.
    """
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check ``password`` against ``password_hash`` in constant time.

    A malformed or empty stored hash (e.g. a locked account) never matches.

    Args:
        password_hash: The stored PHC string.
        password: The clear-text password the client sent.

    Returns:
        True only when the password matches.
    """
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether ``password_hash`` was made with other parameters than today's.

    Args:
        password_hash: The stored PHC string.

    Returns:
        True when the hash should be recomputed at the next successful login.
    """
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@cache
def decoy_password_hash() -> str:
    """A hash no client password is checked against for real.

    Verifying unknown logins against it makes "no such user" cost the same time as
    "wrong password", so response times do not reveal which logins exist.
    """
    return _HASHER.hash("oxdav decoy password, never valid")
