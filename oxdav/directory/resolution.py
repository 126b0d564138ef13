"""Finding the context and user a login names (OX login forms, DESIGN.md §2).

Accepted forms, tried in this order:

1. ``user@mapping``: split at the *last* ``@``; the mapping selects the context
   and ``user`` is a login name within it.
2. an e-mail address, primary or alias, of any user (which fixes the context).
3. a bare ``user`` without ``@``: a login in the context mapped as
   ``defaultcontext``, if there is one.
"""

from __future__ import annotations

from oxdav.directory.lookup import (
    DEFAULT_CONTEXT_MAPPING,
    ContextRecord,
    UserLookup,
    UserRecord,
)

NotFoundTypes = tuple[type[BaseException], ...]


async def resolve_login(
    lookup: UserLookup, login: str, not_found: NotFoundTypes
) -> tuple[ContextRecord, UserRecord] | None:
    """The context and user ``login`` names, or None when it names nobody.

    Args:
        lookup: Read access to contexts and users.
        login: What the client typed as user name.
        not_found: The exception type(s) ``lookup`` raises for "no such record".

    Returns:
        ``(context, user)`` with ``user.context_id == context.id``, or None.
    """
    if "@" not in login:
        return await _by_mapping(lookup, DEFAULT_CONTEXT_MAPPING, login, not_found)
    local, mapping = login.rsplit("@", 1)
    if local and mapping:
        found = await _by_mapping(lookup, mapping, local, not_found)
        if found is not None:
            return found
    return await _by_email(lookup, login, not_found)


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
