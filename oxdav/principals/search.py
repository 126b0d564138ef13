"""The principals of the requester's context, found by the store and bounded: the
``principal-property-search`` report (RFC 3744 §9.4) and the Depth 1 listings of
``principals/users/`` and ``principals/groups/`` (RFC 3744 §5.8).

Only the requester's context is ever searched: tenants never see each other.
"""

from __future__ import annotations

from collections.abc import Sequence

from oxdav.dav.resource import DAVResource
from oxdav.principals.resources import (
    GroupPrincipal,
    Matches,
    PrincipalTree,
    UserPrincipal,
)
from oxdav.store.interfaces import Transaction
from oxdav.store.models import SearchTerm

#: Most principals one search or listing answers; beyond them the answer ends with a
#: 507 ``number-of-matches-within-limits`` response (RFC 3744 §9.4's postcondition).
MAX_MATCHES = 100


async def find_principals(tree: PrincipalTree, txn: Transaction, context_id: int,
                          terms: Sequence[SearchTerm] = (), *, any_term: bool = False,
                          users: bool = True, groups: bool = True,
                          limit: int = MAX_MATCHES) -> Matches:
    """Users, then groups, of the context meeting the terms (every one, or any one; no
    terms: all of them), at most ``limit``, each kind by id."""
    found: list[DAVResource] = []
    if users:
        found += [UserPrincipal(tree, user) for user in await txn.find_users(
            context_id, terms, any_term=any_term, limit=limit + 1)]
    if groups and len(found) <= limit:
        found += [GroupPrincipal(tree, group) for group in await txn.find_groups(
            context_id, terms, any_term=any_term, limit=limit + 1 - len(found))]
    return Matches(tuple(found[:limit]), truncated=len(found) > limit)
