"""Finding the context and user a login names (OX login forms, DESIGN.md §2).

Accepted forms, tried in this order (surrounding white space ignored):

1. ``user@mapping``: split at the *last* ``@``; the mapping selects the context
   and ``user`` is a login name within it.
2. an e-mail address, primary or alias, of any user (which fixes the context).
3. a bare ``user`` without ``@``: a login in the context mapped as
   ``defaultcontext``, if there is one.

Every resolution also says what the login's failed attempts are counted under
(:attr:`Resolution.key`): the account it names, so that every spelling of one
account shares one budget; or, naming nobody, the name it claims within the context
its mapping selects, so that the spellings that would name one account if it existed
share one budget too, and sharing tells nothing about which accounts exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from oxdav.directory.lookup import (
    DEFAULT_CONTEXT_MAPPING,
    ContextRecord,
    UserLookup,
    UserRecord,
)

NotFoundTypes = tuple[type[BaseException], ...]


@dataclass(frozen=True, repr=False)
class Resolution:
    """What one login names.

    Attributes:
        account: ``(context, user)`` with ``user.context_id == context.id``, or None
            when the login names nobody.
        key: What failed attempts with this login are counted under.
    """

    account: tuple[ContextRecord, UserRecord] | None
    key: str

    def __repr__(self) -> str:
        # Never let a log line carry the user record (it holds the password hash).
        return f"Resolution(key={self.key!r})"


def account_key(context: ContextRecord, user: UserRecord) -> str:
    """The throttling key of one account."""
    return f"context {context.id} user {user.id}"


def normalised(login: str) -> str:
    """A login as the throttle compares it: without surrounding space, case-folded."""
    return login.strip().casefold()


async def resolve_login(lookup: UserLookup, login: str, not_found: NotFoundTypes
                        ) -> Resolution:
    """What ``login`` names.

    Args:
        lookup: Read access to contexts and users.
        login: What the client typed as user name.
        not_found: The exception type(s) ``lookup`` raises for "no such record".
    """
    login = login.strip()
    if "@" in login:
        local, mapping = (part.strip() for part in login.rsplit("@", 1))
    else:
        local, mapping = login, DEFAULT_CONTEXT_MAPPING
    found = None
    if local and mapping:
        found = await _by_mapping(lookup, mapping, local, not_found)
    if found is None and "@" in login:
        found = await _by_email(lookup, login, not_found)
    if found is not None:
        return Resolution(found, account_key(*found))
    # Only now, so that a login that names someone costs no extra call.
    if local and mapping:
        try:
            context = await lookup.context_by_mapping(mapping)
        except not_found:
            pass
        else:
            return Resolution(None, f"context {context.id} name {normalised(local)}")
    return Resolution(None, f"name {normalised(login)}")


async def _by_mapping(
    lookup: UserLookup, mapping: str, name: str, not_found: NotFoundTypes
) -> tuple[ContextRecord, UserRecord] | None:
    try:
        context, user = await lookup.login_in_mapping(mapping, name)
    except not_found:
        return None
    # The lookup is scoped to the context already; checked again so that a user of
    # another context can never log in through this context's mapping.
    return (context, user) if user.context_id == context.id else None


async def _by_email(
    lookup: UserLookup, address: str, not_found: NotFoundTypes
) -> tuple[ContextRecord, UserRecord] | None:
    try:
        context, user = await lookup.login_by_email(address)
    except not_found:
        return None
    return (context, user) if context.id == user.context_id else None
