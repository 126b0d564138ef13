"""Principal live properties, one small class each (registered in :func:`principal_properties`)."""

from __future__ import annotations

from typing import ClassVar

from lxml import etree

from oxdav.dav.namespaces import CALDAV_NS, CALENDARSERVER_NS, CARDDAV_NS, DAV_NS, clark
from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext
from oxdav.principals.resources import (
    ADDRESSBOOK_HOME_PATH,
    CALENDAR_HOME_PATH,
    PRINCIPAL,
    PRINCIPALS_PATH,
    SCHEDULE_INBOX_PATH,
    SCHEDULE_OUTBOX_PATH,
    GroupPrincipal,
    UserPrincipal,
    group_principal_path,
    user_principal_path,
)

_PRINCIPALS = frozenset({PRINCIPAL})


def _href(ctx: RequestContext, path: str, *, collection: bool = True) -> etree._Element:
    element = etree.Element(clark(DAV_NS, "href"))
    element.text = ctx.href(path, collection=collection)
    return element


def _text_href(text: str) -> etree._Element:
    element = etree.Element(clark(DAV_NS, "href"))
    element.text = text
    return element


class PrincipalURLProperty(LiveProperty):
    """``DAV:principal-URL`` (RFC 3744 §4.2)."""

    name = clark(DAV_NS, "principal-URL")
    resource_types = _PRINCIPALS

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return _href(ctx, resource.path)


class PrincipalCollectionSetProperty(LiveProperty):
    """``DAV:principal-collection-set`` (RFC 3744 §5.8), on every resource."""

    name = clark(DAV_NS, "principal-collection-set")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return _href(ctx, PRINCIPALS_PATH)


class _UserHref(LiveProperty):
    """A user principal's pointer to one of the user's collections (``path``)."""

    path: ClassVar[str]

    def applies_to(self, resource: DAVResource) -> bool:
        return isinstance(resource, UserPrincipal)

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return _href(ctx, self.path)


class CalendarHomeSetProperty(_UserHref):
    """``C:calendar-home-set`` (RFC 4791 §6.2.1)."""

    name = clark(CALDAV_NS, "calendar-home-set")
    path = CALENDAR_HOME_PATH


class AddressbookHomeSetProperty(_UserHref):
    """``CR:addressbook-home-set`` (RFC 6352 §7.1.1)."""

    name = clark(CARDDAV_NS, "addressbook-home-set")
    path = ADDRESSBOOK_HOME_PATH


class CalendarUserAddressSetProperty(LiveProperty):
    """``C:calendar-user-address-set`` (RFC 6638 §2.4.1): mailto: addresses, primary first,
    then the principal URL."""

    name = clark(CALDAV_NS, "calendar-user-address-set")
    resource_types = _PRINCIPALS

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, UserPrincipal | GroupPrincipal)
        values = [_text_href(f"mailto:{address}") for address in resource.addresses]
        return [*values, _href(ctx, resource.path)]


class CalendarUserTypeProperty(LiveProperty):
    """``C:calendar-user-type`` (RFC 6638 §2.4.2)."""

    name = clark(CALDAV_NS, "calendar-user-type")
    resource_types = _PRINCIPALS

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return "GROUP" if isinstance(resource, GroupPrincipal) else "INDIVIDUAL"


class EmailAddressSetProperty(LiveProperty):
    """CalendarServer ``email-address-set``: the addresses without ``mailto:``."""

    name = clark(CALENDARSERVER_NS, "email-address-set")
    resource_types = _PRINCIPALS

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, UserPrincipal | GroupPrincipal)
        values = []
        for address in resource.addresses:
            element = etree.Element(clark(CALENDARSERVER_NS, "email-address"))
            element.text = address
            values.append(element)
        return values


class AlternateURISetProperty(LiveProperty):
    """``DAV:alternate-URI-set`` (RFC 3744 §4.1): the mailto: URIs."""

    name = clark(DAV_NS, "alternate-URI-set")
    resource_types = _PRINCIPALS

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        assert isinstance(resource, UserPrincipal | GroupPrincipal)
        return [_text_href(f"mailto:{address}") for address in resource.addresses]


class ScheduleInboxURLProperty(_UserHref):
    """``C:schedule-inbox-URL`` (RFC 6638 §2.2.1)."""

    name = clark(CALDAV_NS, "schedule-inbox-URL")
    path = SCHEDULE_INBOX_PATH


class ScheduleOutboxURLProperty(_UserHref):
    """``C:schedule-outbox-URL`` (RFC 6638 §2.1.1)."""

    name = clark(CALDAV_NS, "schedule-outbox-URL")
    path = SCHEDULE_OUTBOX_PATH


class GroupMemberSetProperty(LiveProperty):
    """``DAV:group-member-set`` (RFC 3744 §4.3); protected here (groups come from the
    directory)."""

    name = clark(DAV_NS, "group-member-set")
    resource_types = _PRINCIPALS

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        if not isinstance(resource, GroupPrincipal):
            return []
        return [_href(ctx, user_principal_path(uid)) for uid in sorted(resource.group.members)]


class GroupMembershipProperty(LiveProperty):
    """``DAV:group-membership`` (RFC 3744 §4.4)."""

    name = clark(DAV_NS, "group-membership")
    resource_types = _PRINCIPALS

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        if not isinstance(resource, UserPrincipal):
            return []
        return [_href(ctx, group_principal_path(g.id)) for g in await resource.member_of()]


def principal_properties() -> list[LiveProperty]:
    """The principal live properties, in listing order."""
    return [
        PrincipalURLProperty(),
        PrincipalCollectionSetProperty(),
        CalendarHomeSetProperty(),
        AddressbookHomeSetProperty(),
        CalendarUserAddressSetProperty(),
        CalendarUserTypeProperty(),
        EmailAddressSetProperty(),
        AlternateURISetProperty(),
        ScheduleInboxURLProperty(),
        ScheduleOutboxURLProperty(),
        GroupMemberSetProperty(),
        GroupMembershipProperty(),
    ]
