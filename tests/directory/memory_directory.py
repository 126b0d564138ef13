"""An in-memory directory for tests: contexts and users behind the UserLookup protocol.

A test fixture, not a storage backend: it implements exactly the read methods the
authenticator uses, with the store's semantics (``NotFound`` when nothing matches).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache

from oxdav.directory.passwords import hash_password


class NotFound(Exception):
    """No such context or user (deliberately not a LookupError)."""


@dataclass(frozen=True)
class Context:
    id: int
    name: str
    mappings: tuple[str, ...]
    taxonomy_types: tuple[str, ...] = ()
    config: Mapping[str, str] = field(default_factory=dict)
    enabled: bool = True
    version: str = "0"


@dataclass(frozen=True)
class User:
    context_id: int
    id: int
    login: str
    email: str
    password_hash: str
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""
    aliases: tuple[str, ...] = ()
    permissions: frozenset[str] = frozenset()
    config: Mapping[str, str] = field(default_factory=dict)
    enabled: bool = True


@dataclass(frozen=True)
class Counted:
    failures: int
    last: float


@cache
def hashed(password: str) -> str:
    """Argon2 hash of ``password``, computed once per test session."""
    return hash_password(password)


class MemoryDirectory:
    """Contexts and users held in dicts; ``transaction()`` is the lookup factory."""

    def __init__(self) -> None:
        self.contexts: dict[int, Context] = {}
        self.users: dict[tuple[int, int], User] = {}
        self.transactions_opened = 0
        #: Failed logins by key, and how often they were read.
        self.failures: dict[str, Counted] = {}
        self.failure_reads = 0
        #: Counting failures raises (a store that is down).
        self.failing = False

    def add_context(self, context: Context) -> Context:
        self.contexts[context.id] = context
        return context

    def add_user(self, user: User) -> User:
        self.users[(user.context_id, user.id)] = user
        return user

    def change_user(self, user: User, **changes: object) -> User:
        """Replace ``user`` by a copy with ``changes`` applied; its context's version
        moves, as the store's triggers move it."""
        context = self.contexts[user.context_id]
        moved = str(int(context.version) + 1)
        self.contexts[context.id] = dataclasses.replace(context, version=moved)
        return self.add_user(dataclasses.replace(user, **changes))  # type: ignore[arg-type]

    def is_current(self, context: Context) -> bool:
        """Whether ``context.version`` is still the directory's (the store's
        ``transaction(confirm=...)`` check)."""
        now = self.contexts.get(context.id)
        return now is not None and now.version == context.version

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryDirectory]:
        self.transactions_opened += 1
        yield self

    async def context_by_mapping(self, mapping: str) -> Context:
        # As the store: surrounding space ignored, case-insensitive.
        wanted = mapping.strip().casefold()
        for context in self.contexts.values():
            if wanted in (m.casefold() for m in context.mappings):
                return context
        raise NotFound(mapping)

    async def context(self, id: int) -> Context:  # noqa: A002
        try:
            return self.contexts[id]
        except KeyError:
            raise NotFound(id) from None

    async def user_by_login(self, context_id: int, login: str) -> User:
        for user in self.users.values():
            if user.context_id == context_id and user.login.casefold() == login.casefold():
                return user
        raise NotFound(login)

    async def user_by_email(self, email: str) -> User:
        wanted = email.casefold()
        for user in self.users.values():
            addresses = (user.email, *user.aliases)
            if any(a.casefold() == wanted for a in addresses):
                return user
        raise NotFound(email)

    async def login_in_mapping(self, mapping: str, login: str) -> tuple[Context, User]:
        context = await self.context_by_mapping(mapping)
        return context, await self.user_by_login(context.id, login)

    async def login_by_email(self, email: str) -> tuple[Context, User]:
        user = await self.user_by_email(email)
        return await self.context(user.context_id), user

    # Failed logins shared by every authenticator on this directory, with the store's
    # semantics (``Directory.record_login_failures`` and its siblings).

    async def login_failures(self, keys: Iterable[str]) -> dict[str, Counted]:
        self.failure_reads += 1
        return {k: self.failures[k] for k in keys if k in self.failures}

    async def record_login_failures(self, keys: Mapping[str, float], now: float
                                    ) -> dict[str, Counted]:
        if self.failing:
            raise RuntimeError("the store is down")
        for key, restart_before in keys.items():
            old = self.failures.get(key)
            count = 1 if old is None or old.last <= restart_before else old.failures + 1
            self.failures[key] = Counted(count, max(now, old.last if old else now))
        return {k: self.failures[k] for k in keys}

    async def take_back_login_failures(self, keys: Iterable[str], count: int
                                       ) -> dict[str, Counted]:
        for key in keys:
            old = self.failures.get(key)
            if old is not None and old.failures > count:
                self.failures[key] = Counted(old.failures - count, old.last)
            else:
                self.failures.pop(key, None)
        return {k: self.failures[k] for k in keys if k in self.failures}

    async def forget_login_failures(self, keys: Iterable[str]) -> dict[str, Counted]:
        if self.failing:
            raise RuntimeError("the store is down")
        return {k: self.failures.pop(k) for k in list(keys) if k in self.failures}


PASSWORDS = {
    "alice": "alice-secret",
    "bob": "bob-secret",
    "carol": "carol-secret",
    "dave": "dave-secret",
    "a@b": "ab-secret",
}


def example_directory(*, with_default_context: bool = True) -> MemoryDirectory:
    """A directory with three contexts and a few users (passwords in ``PASSWORDS``).

    * context 1 ``default`` (mapping ``defaultcontext``): dave
    * context 10 ``example`` (``example.com``, ``example.net``): alice, bob, ``a@b``
    * context 20 ``other`` (``other.org``): carol
    """
    directory = MemoryDirectory()
    if with_default_context:
        directory.add_context(Context(1, "default", ("defaultcontext",)))
        directory.add_user(_user(1, 5, "dave", "dave@default.test"))
    directory.add_context(
        Context(10, "example", ("example.com", "example.net"), taxonomy_types=("premium",))
    )
    directory.add_context(Context(20, "other", ("other.org",)))
    directory.add_user(
        _user(
            10,
            3,
            "alice",
            "alice@example.com",
            aliases=("a.smith@example.net",),
            permissions=frozenset({"calendar", "contacts", "tasks", "infostore"}),
        )
    )
    directory.add_user(_user(10, 4, "bob", "bob@example.com"))
    directory.add_user(_user(10, 6, "a@b", "ab@example.com"))
    directory.add_user(_user(20, 3, "carol", "carol@other.org"))
    return directory


def _user(context_id: int, user_id: int, login: str, email: str, **extra: object) -> User:
    return User(
        context_id,
        user_id,
        login,
        email,
        hashed(PASSWORDS[login]),
        **extra,  # type: ignore[arg-type]
    )
