"""Cache of recently verified credentials (DESIGN.md §7, auth cache).

DAV clients send HTTP Basic on every request; running the password KDF each time
would cap throughput. A verified credential is remembered only as an HMAC-SHA256,
under a random key that lives in this process's memory, of the user's identity,
the clear-text password and the *stored* password hash. Nothing in the cache can
be turned back into a password, and a changed password or a changed stored hash
(password reset, rehash) can never produce a hit for the old credential.
Entries live at most ``ttl`` seconds from the moment they were verified; at most
``max_size`` are kept, the oldest going first. An entry may carry a value: the
authenticator's second cache keeps, per login and password, the context and user they
named when last verified.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from typing import Any

from oxdav.directory.clock import TimeSource


def _framed(*fields: str) -> bytes:
    """Encode ``fields`` unambiguously: each as a 4-byte length + UTF-8 bytes."""
    out = bytearray()
    for field in fields:
        data = field.encode("utf-8", "surrogatepass")
        out += len(data).to_bytes(4, "big") + data
    return bytes(out)


class CredentialCache:
    """Keyed-hash set of verified credentials with a TTL and a size bound.

    Args:
        clock: Source of time (the reactor; ``task.Clock`` in tests).
        ttl: Seconds a verified credential is trusted without re-running the KDF.
        max_size: Most entries kept; the oldest are evicted first.
        secret: HMAC key; a fresh random 32-byte key when omitted (normal use).
    """

    def __init__(
        self,
        clock: TimeSource,
        *,
        ttl: float,
        max_size: int,
        secret: bytes | None = None,
    ) -> None:
        if ttl < 0 or max_size < 0:
            raise ValueError("ttl and max_size must not be negative")
        self._clock = clock
        self._ttl = ttl
        self._max_size = max_size
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        # key -> (expiry time, value); insertion order is expiry order (one TTL for all),
        # except for entries added with an earlier ``until``, which get() still expires.
        self._entries: OrderedDict[bytes, tuple[float, Any]] = OrderedDict()

    def key_for(self, identity: str, password: str, password_hash: str) -> bytes:
        """The cache key of one credential.

        Args:
            identity: Who the credential belongs to, e.g. ``"<context id>/<user id>"``.
            password: The clear-text password the client sent.
            password_hash: The stored hash the password is checked against.

        Returns:
            An HMAC-SHA256 digest; safe to keep in memory, useless to an attacker
            without the process's key.
        """
        message = _framed(identity, password, password_hash)
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def __contains__(self, key: bytes) -> bool:
        """Whether ``key`` was verified less than ``ttl`` seconds ago."""
        return self.get(key) is not None

    def get(self, key: bytes) -> Any:
        """The value ``key`` was added with less than ``ttl`` seconds ago, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock.seconds() >= entry[0]:
            del self._entries[key]
            return None
        return entry[1]

    def add(self, key: bytes, value: Any = True, *, until: float | None = None) -> None:
        """Remember ``key`` as verified now, for ``ttl`` seconds.

        Args:
            key: A digest from :meth:`key_for`.
            value: What :meth:`get` returns for it (not None).
            until: expire it then instead, if that is sooner (an entry that rests on
                another's verification ends with it).
        """
        if self._max_size == 0 or self._ttl == 0:
            return
        now = self._clock.seconds()
        self._entries.pop(key, None)
        self._purge_expired(now)
        while len(self._entries) >= self._max_size:
            self._entries.popitem(last=False)
        expires = now + self._ttl if until is None else min(until, now + self._ttl)
        self._entries[key] = (expires, value)

    def expires(self, key: bytes) -> float | None:
        """When ``key`` stops being trusted, or None if it is not (any longer)."""
        return self._entries[key][0] if self.get(key) is not None else None

    def discard(self, key: bytes) -> None:
        """Forget ``key`` if present."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget every verified credential (e.g. after a mass password reset)."""
        self._entries.clear()

    def __len__(self) -> int:
        """Number of entries held, expired ones not yet purged included."""
        return len(self._entries)

    def _purge_expired(self, now: float) -> None:
        while self._entries:
            key, (expires, _) = next(iter(self._entries.items()))
            if expires > now:
                return
            del self._entries[key]
