"""Generic live properties: RFC 4918, RFC 6578, RFC 5397, RFC 4331, CalendarServer.

One small class per property; :func:`generic_properties` is the visible list the
composition root registers (followed by the CalDAV/CardDAV/principal lists). The
RFC 3744 access-control properties live in :mod:`oxdav.dav.acl_properties`, the lock
properties (``supportedlock``, ``lockdiscovery``) beside LOCK in
:mod:`oxdav.dav.methods.lock`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from oxdav.dav.acl_properties import acl_properties
from oxdav.dav.namespaces import CALENDARSERVER_NS, DAV_NS, clark
from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.reports import ReportRegistry
from oxdav.dav.resource import COLLECTION, DAVResource, RequestContext


def _dav(local: str) -> str:
    return clark(DAV_NS, local)


def http_date(moment: datetime) -> str:
    """RFC 1123 date for ``getlastmodified`` (RFC 4918 §15.7)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def rfc3339_date(moment: datetime) -> str:
    """RFC 3339 date-time for ``creationdate`` (RFC 4918 §15.1)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ResourceTypeProperty(LiveProperty):
    """``DAV:resourcetype`` (RFC 4918 §15.9); ``collection`` first, then sorted."""

    name = _dav("resourcetype")
    in_allprop = True

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        types = sorted(resource.resource_types, key=lambda t: (t != COLLECTION, t))
        return [etree.Element(t) for t in types]


class DisplayNameProperty(LiveProperty):
    """``DAV:displayname`` (RFC 4918 §15.2); writable where the resource allows it."""

    name = _dav("displayname")
    in_allprop = True

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return resource.displayname


class GetETagProperty(LiveProperty):
    """``DAV:getetag`` (RFC 4918 §15.6): the same strong ETag as GET and PUT."""

    name = _dav("getetag")
    in_allprop = True

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return resource.etag


class GetContentTypeProperty(LiveProperty):
    """``DAV:getcontenttype`` (RFC 4918 §15.5)."""

    name = _dav("getcontenttype")
    in_allprop = True

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return resource.content_type


class GetContentLengthProperty(LiveProperty):
    """``DAV:getcontentlength`` (RFC 4918 §15.4)."""

    name = _dav("getcontentlength")
    in_allprop = True

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        length = resource.content_length
        return None if length is None else str(length)


class GetLastModifiedProperty(LiveProperty):
    """``DAV:getlastmodified`` (RFC 4918 §15.7), an RFC 1123 date."""

    name = _dav("getlastmodified")
    in_allprop = True

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        moment = resource.last_modified
        return None if moment is None else http_date(moment)


class CreationDateProperty(LiveProperty):
    """``DAV:creationdate`` (RFC 4918 §15.1), an RFC 3339 date-time."""

    name = _dav("creationdate")
    in_allprop = True

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        moment = resource.creation_date
        return None if moment is None else rfc3339_date(moment)


class SyncTokenProperty(LiveProperty):
    """``DAV:sync-token`` (RFC 6578 §4): on collections that support sync; not allprop."""

    name = _dav("sync-token")

    def applies_to(self, resource: DAVResource) -> bool:
        return resource.is_collection and resource.sync_token is not None

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return resource.sync_token


class GetCTagProperty(LiveProperty):
    """CalendarServer ``getctag``: changes whenever a member changes."""

    name = clark(CALENDARSERVER_NS, "getctag")

    def applies_to(self, resource: DAVResource) -> bool:
        return resource.is_collection and resource.ctag is not None

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return resource.ctag


class SupportedReportSetProperty(LiveProperty):
    """``DAV:supported-report-set`` (RFC 3253 §3.1.5), derived from the report registry."""

    name = _dav("supported-report-set")

    def __init__(self, reports: ReportRegistry) -> None:
        self._reports = reports

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        values = []
        for report_name in self._reports.supported_for(resource):
            supported = etree.Element(_dav("supported-report"))
            etree.SubElement(etree.SubElement(supported, _dav("report")), report_name)
            values.append(supported)
        return values


class CurrentUserPrincipalProperty(LiveProperty):
    """``DAV:current-user-principal`` (RFC 5397 §3): href, or ``unauthenticated``."""

    name = _dav("current-user-principal")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        if ctx.principal is None:
            return etree.Element(_dav("unauthenticated"))
        href = etree.Element(_dav("href"))
        href.text = ctx.href(ctx.principal.path, collection=True)
        return href


class QuotaAvailableBytesProperty(LiveProperty):
    """``DAV:quota-available-bytes`` (RFC 4331 §3); not allprop."""

    name = _dav("quota-available-bytes")

    def applies_to(self, resource: DAVResource) -> bool:
        return resource.is_collection

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        quota = await resource.quota()
        return None if quota is None else str(quota[1])


class QuotaUsedBytesProperty(LiveProperty):
    """``DAV:quota-used-bytes`` (RFC 4331 §4); not allprop."""

    name = _dav("quota-used-bytes")

    def applies_to(self, resource: DAVResource) -> bool:
        return resource.is_collection

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        quota = await resource.quota()
        return None if quota is None else str(quota[0])


def generic_properties(reports: ReportRegistry) -> list[LiveProperty]:
    """The generic live properties, in the order PROPFIND lists them."""
    return [
        ResourceTypeProperty(),
        DisplayNameProperty(),
        GetETagProperty(),
        GetContentTypeProperty(),
        GetContentLengthProperty(),
        GetLastModifiedProperty(),
        CreationDateProperty(),
        SyncTokenProperty(),
        GetCTagProperty(),
        SupportedReportSetProperty(reports),
        CurrentUserPrincipalProperty(),
        QuotaAvailableBytesProperty(),
        QuotaUsedBytesProperty(),
        *acl_properties(),
    ]
