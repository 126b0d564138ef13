"""What the directory needs from the store: read-only views of contexts and users
(and of the failed logins counted, ``failures``).

The store's own models and transactions satisfy these protocols structurally; the
directory never imports the store. DESIGN.md §2 describes the tenancy model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from oxdav.directory.failures import CountRecord

#: The login mapping whose context receives logins without ``@`` (OX convention).
DEFAULT_CONTEXT_MAPPING = "defaultcontext"


class ContextRecord(Protocol):
    """A tenant (DESIGN.md §2): id, name, login mappings, taxonomy tags, config."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def mappings(self) -> tuple[str, ...]: ...

    @property
    def taxonomy_types(self) -> tuple[str, ...]: ...

    @property
    def config(self) -> Mapping[str, str]: ...

    @property
    def enabled(self) -> bool: ...

    @property
    def version(self) -> str:
        """Changes whenever anything that decides its logins or what its users see
        changes (the store's ``Context.version``)."""
        ...


class UserRecord(Protocol):
    """A user of one context (DESIGN.md §2), as far as authentication needs it."""

    @property
    def context_id(self) -> int: ...

    @property
    def id(self) -> int: ...

    @property
    def login(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def aliases(self) -> tuple[str, ...]: ...

    @property
    def password_hash(self) -> str: ...

    @property
    def permissions(self) -> frozenset[str]: ...

    @property
    def config(self) -> Mapping[str, str]: ...

    @property
    def enabled(self) -> bool: ...


class UserLookup(Protocol):
    """Read access to contexts and users; a store transaction provides it.

    Every method raises the store's ``NotFound`` when nothing matches (the
    authenticator is told which exception type that is).
    """

    async def context_by_mapping(self, mapping: str) -> ContextRecord:
        """The context that owns login mapping ``mapping`` (e.g. ``example.com``)."""
        ...

    async def context(self, id: int) -> ContextRecord:  # noqa: A002 - store's name
        """The context with numeric id ``id``."""
        ...

    async def user_by_login(self, context_id: int, login: str) -> UserRecord:
        """The user of context ``context_id`` whose login name is ``login``."""
        ...

    async def user_by_email(self, email: str) -> UserRecord:
        """The user whose primary address or one of whose aliases is ``email``."""
        ...

    async def login_in_mapping(self, mapping: str, login: str
                               ) -> tuple[ContextRecord, UserRecord]:
        """``context_by_mapping`` and that context's ``user_by_login`` in one call."""
        ...

    async def login_by_email(self, email: str) -> tuple[ContextRecord, UserRecord]:
        """``user_by_email`` and that user's context in one call."""
        ...

    async def login_failures(self, keys: Iterable[str]) -> Mapping[str, CountRecord]:
        """The failed logins counted under ``keys`` (asked only where nodes share the
        counts, ``failures``)."""
        ...


#: Opens a (read-only) lookup, e.g. a store transaction, for one authentication.
LookupFactory = Callable[[], AbstractAsyncContextManager[UserLookup]]
