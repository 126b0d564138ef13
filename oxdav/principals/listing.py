"""The principals of one context, for listings and searches (RFC 3744 §5.8, §9.4).

Only the requester's context is ever listed: tenants never see each other.
"""

from __future__ import annotations

from oxdav.principals.resources import GroupPrincipal, PrincipalDirectory, UserPrincipal
from oxdav.store.interfaces import Transaction


async def user_principals(directory: PrincipalDirectory, txn: Transaction,
                          context_id: int) -> list[UserPrincipal]:
    """The enabled users of the context, by id, each with their groups (two lookups)."""
    groups = await txn.groups(context_id)
    return [UserPrincipal(directory, user, [g for g in groups if user.id in g.members])
            for user in await txn.users(context_id) if user.enabled]


async def group_principals(directory: PrincipalDirectory, txn: Transaction,
                           context_id: int) -> list[GroupPrincipal]:
    """The groups of the context, by id."""
    return [GroupPrincipal(directory, group) for group in await txn.groups(context_id)]
