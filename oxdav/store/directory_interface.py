"""The directory part of the storage contract: contexts, users, groups and logins
(see :mod:`oxdav.store.interfaces` for the rules every part keeps)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from .models import UNSET, Context, Group, LoginFailures, SearchTerm, Unset, User


class Directory(Protocol):
    """The directory part of a transaction: contexts, users, groups, logins. Every
    write method raises ``ReadOnlyTransaction`` in a read transaction."""

    # -- contexts ---------------------------------------------------------------------

    async def create_context(
        self,
        name: str,
        mappings: Iterable[str] = (),
        taxonomy_types: Iterable[str] = (),
        config: Mapping[str, str] | None = None,
        context_id: int | None = None,
        *,
        enabled: bool = True,
    ) -> Context:
        """Create a context and its global address list (folder ``GAL_FOLDER_ID``).

        Raises:
            AlreadyExists: name, a mapping or the explicit id is taken.
        """
        ...

    async def context(self, context_id: int) -> Context:
        """Raises: NotFound."""
        ...

    async def context_by_mapping(self, mapping: str) -> Context:
        """Look a context up by a login mapping (case-insensitive). Raises: NotFound."""
        ...

    async def contexts(self) -> list[Context]:
        """Every context, by id."""
        ...

    async def update_context(
        self,
        context_id: int,
        *,
        name: str | Unset = UNSET,
        mappings: Iterable[str] | Unset = UNSET,
        taxonomy_types: Iterable[str] | Unset = UNSET,
        config: Mapping[str, str] | Unset = UNSET,
        enabled: bool | Unset = UNSET,
    ) -> Context:
        """Change the given fields (``mappings``/``config`` are replaced whole).

        Raises: NotFound, AlreadyExists.
        """
        ...

    async def delete_context(self, context_id: int) -> None:
        """Delete a context with all its users, groups, folders and objects.

        Raises: NotFound.
        """

    # -- users ------------------------------------------------------------------------

    async def create_user(
        self,
        context_id: int,
        login: str,
        *,
        display_name: str,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        aliases: Iterable[str] = (),
        phones: Iterable[str] = (),
        password_hash: str | None = None,
        permissions: Iterable[str] = (),
        config: Mapping[str, str] | None = None,
        enabled: bool = True,
        user_id: int | None = None,
    ) -> User:
        """Create a user (no folders: the directory layer creates the defaults).

        Addresses and phone numbers are stripped; empty ones and duplicates dropped.

        Raises:
            NotFound: no such context.
            AlreadyExists: login taken in the context, an address taken anywhere, or
                the explicit id taken.
        """
        ...

    async def user(self, context_id: int, user_id: int) -> User:
        """Raises: NotFound."""
        ...

    async def user_by_login(self, context_id: int, login: str) -> User:
        """Case-insensitive. Raises: NotFound."""
        ...

    async def user_by_email(self, email: str) -> User:
        """Primary address or alias, in any context (case-insensitive). Raises: NotFound."""
        ...

    async def login_in_mapping(self, mapping: str, login: str) -> tuple[Context, User]:
        """``context_by_mapping(mapping)`` and that context's ``user_by_login(login)``
        in one call (a sign-in of the form ``login@mapping``). Raises: NotFound."""
        ...

    async def login_by_email(self, email: str) -> tuple[Context, User]:
        """``user_by_email(email)`` and that user's context in one call (a sign-in
        with an e-mail address). Raises: NotFound."""
        ...

    async def users(self, context_id: int) -> list[User]:
        """Every user of the context, by id. Raises: NotFound (no such context)."""
        ...

    async def users_and_groups(self, context_id: int, user_ids: Iterable[int],
                               group_ids: Iterable[int] = ()
                               ) -> tuple[dict[int, User], dict[int, Group]]:
        """The users and groups of the context among the ids, by id, in one call; ids
        naming no one of the context are left out (the caller bounds how many)."""
        ...

    async def find_users(self, context_id: int, terms: Sequence[SearchTerm] = (), *,
                         any_term: bool = False, limit: int) -> list[User]:
        """The context's enabled users meeting every term (``any_term``: one; no terms:
        all), by id, at most ``limit``: compared and bounded in the database, so a search
        reads no more users than that. Raises: NotFound (context), ValueError (limit < 1).
        """
        ...

    async def update_user(
        self,
        context_id: int,
        user_id: int,
        *,
        login: str | Unset = UNSET,
        display_name: str | Unset = UNSET,
        first_name: str | None | Unset = UNSET,
        last_name: str | None | Unset = UNSET,
        email: str | None | Unset = UNSET,
        aliases: Iterable[str] | Unset = UNSET,
        phones: Iterable[str] | Unset = UNSET,
        password_hash: str | None | Unset = UNSET,
        permissions: Iterable[str] | Unset = UNSET,
        config: Mapping[str, str] | Unset = UNSET,
        enabled: bool | Unset = UNSET,
    ) -> User:
        """Change the given fields; ``aliases`` and ``phones`` replace the whole list.

        Raises: NotFound, AlreadyExists.
        """
        ...

    async def delete_user(self, context_id: int, user_id: int) -> None:
        """Delete a user, their folders (with objects), group memberships and the
        permission entries naming them. Raises: NotFound."""

    # -- groups -----------------------------------------------------------------------

    async def create_group(
        self,
        context_id: int,
        name: str,
        *,
        display_name: str | None = None,
        members: Iterable[int] = (),
        group_id: int | None = None,
    ) -> Group:
        """Raises: NotFound (context or a member), AlreadyExists (name or id)."""
        ...

    async def group(self, context_id: int, group_id: int) -> Group:
        """Raises: NotFound."""
        ...

    async def groups(self, context_id: int, *, member: int | None = None) -> list[Group]:
        """The context's groups by id, or only those ``member`` belongs to."""
        ...

    async def find_groups(self, context_id: int, terms: Sequence[SearchTerm] = (), *,
                          any_term: bool = False, limit: int) -> list[Group]:
        """The context's groups meeting the terms as ``find_users`` (an ``address`` term
        is met by no group). Raises: NotFound (context), ValueError (limit < 1)."""
        ...

    async def update_group(
        self,
        context_id: int,
        group_id: int,
        *,
        name: str | Unset = UNSET,
        display_name: str | Unset = UNSET,
        members: Iterable[int] | Unset = UNSET,
    ) -> Group:
        """Change the given fields (``members`` replaced whole).

        Raises: NotFound (group or a member), AlreadyExists (name).
        """
        ...

    async def delete_group(self, context_id: int, group_id: int) -> None:
        """Delete a group and the permission entries naming it. Raises: NotFound."""

    # -- failed logins ----------------------------------------------------------------
    # Counted here so that every process on the store sees the same counts; the keys
    # (an account, a client address, …) and what the counts mean are the directory's.

    async def login_failures(self, keys: Iterable[str]) -> dict[str, LoginFailures]:
        """The failed logins counted under those of ``keys`` that have any."""
        ...

    async def record_login_failures(self, keys: Mapping[str, float], now: float
                                    ) -> dict[str, LoginFailures]:
        """Count one failed login at ``now`` (epoch seconds) under each key; a key whose
        last failure came at or before the time ``keys`` gives it starts over at one.
        Each count is one atomic step: failures counted at once by several processes all
        count. Returns the counts now. The keys are counted in the order given
        (``take_back_`` and ``forget_login_failures`` too): processes that count under
        overlapping keys at once give them in one order, or they may wait for each
        other in a circle until the database ends one of their transactions.

        Raises: ValueError (a key longer than ``MAX_LOGIN_FAILURE_KEY``).
        """
        ...

    async def take_back_login_failures(self, keys: Iterable[str], count: int
                                       ) -> dict[str, LoginFailures]:
        """Take ``count`` failures back from each key, keeping the time of the last; a
        key left with none is forgotten. Returns what remains."""
        ...

    async def forget_login_failures(self, keys: Iterable[str]) -> dict[str, LoginFailures]:
        """Forget the keys' failures; returns what they were."""
        ...

    async def prune_login_failures(self, older_than: float) -> int:
        """Forget every key whose last failure came before ``older_than`` (epoch
        seconds); returns how many."""
        ...
