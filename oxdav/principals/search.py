"""Principal search for ``principal-property-search`` (RFC 3744 §9.4): users and groups of
the requester's context, by display name or e-mail address (caseless substring)."""

from __future__ import annotations

from collections.abc import Sequence

from oxdav.dav.namespaces import CALDAV_NS, CALENDARSERVER_NS, DAV_NS, clark
from oxdav.dav.resource import DAVResource
from oxdav.principals.listing import group_principals, user_principals
from oxdav.principals.resources import GroupPrincipal, PrincipalDirectory, UserPrincipal
from oxdav.store.interfaces import Transaction

_DISPLAYNAME = clark(DAV_NS, "displayname")
_ADDRESS_PROPERTIES = (clark(CALDAV_NS, "calendar-user-address-set"),
                       clark(CALENDARSERVER_NS, "email-address-set"))


def _values(principal: UserPrincipal | GroupPrincipal, name: str) -> list[str]:
    if name == _DISPLAYNAME:
        return [principal.displayname]
    if name in _ADDRESS_PROPERTIES:
        return list(principal.addresses)
    return []


def _matches(principal: UserPrincipal | GroupPrincipal, name: str, text: str) -> bool:
    needle = text.strip().lower()
    if needle.startswith("mailto:"):
        needle = needle[len("mailto:"):]
    return any(needle in value.lower() for value in _values(principal, name))


async def search_principals(directory: PrincipalDirectory, txn: Transaction, context_id: int,
                            criteria: Sequence[tuple[str, str]], *,
                            match_all: bool) -> list[DAVResource]:
    """Principals of the context matching ``criteria`` (all of them, or any)."""
    candidates: list[UserPrincipal | GroupPrincipal] = [
        *await user_principals(directory, txn, context_id),
        *await group_principals(directory, txn, context_id)]
    combine = all if match_all else any
    return [p for p in candidates
            if combine(_matches(p, name, text) for name, text in criteria)]
