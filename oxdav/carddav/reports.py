"""The CardDAV REPORTs: addressbook-multiget (RFC 6352 §8.7) and addressbook-query
(§8.6), streamed as multistatus like ``sync-collection``.

``CARDDAV:address-data`` in the property list is not a registry property: it depends
on the request's address-data element (§10.4: version and property selection), so the
other properties are evaluated through the registry and address-data is added here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from copy import deepcopy
from dataclasses import dataclass
from typing import Final

from lxml import etree

from oxdav.carddav.addressdata import AddressDataRequest, parse_address_data
from oxdav.carddav.collection import AddressObject, CardLookup
from oxdav.carddav.errors import CardDAVPreconditionError, FilterError
from oxdav.carddav.filters import Filter, parse_filter
from oxdav.carddav.names import ADDRESS_DATA, ADDRESSBOOK
from oxdav.carddav.validation import off_reactor
from oxdav.dav.errors import DAVError
from oxdav.dav.multistatus import ResponseEntry, aiter_multistatus
from oxdav.dav.namespaces import CARDDAV_NS, DAV_NS, clark
from oxdav.dav.paths import PathError, basename, parent_path, same_path
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.propfind import PropFindRequest, PropFindType, parse_property_selection
from oxdav.dav.reports import Report
from oxdav.dav.resource import DAVResource, Depth, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import child_elements, element_text, find_child
from oxdav.store.models import StoredObject

ADDRESSBOOK_MULTIGET: Final = clark(CARDDAV_NS, "addressbook-multiget")
ADDRESSBOOK_QUERY: Final = clark(CARDDAV_NS, "addressbook-query")
NUMBER_OF_MATCHES_WITHIN_LIMITS: Final = clark(DAV_NS, "number-of-matches-within-limits")
_HREF: Final = clark(DAV_NS, "href")
_FILTER: Final = clark(CARDDAV_NS, "filter")
_LIMIT: Final = clark(CARDDAV_NS, "limit")
_NRESULTS: Final = clark(CARDDAV_NS, "nresults")
#: Cards read per store query while a multiget or an addressbook-query runs.
QUERY_BATCH: Final = 100


@dataclass(frozen=True)
class CardProperties:
    """The property part of a CardDAV REPORT: registry properties plus address-data."""

    others: PropFindRequest
    address_data: AddressDataRequest | None

    @property
    def whole_cards(self) -> bool:
        """Whether whole cards are returned, which the stored alternates may serve."""
        return self.address_data is not None and self.address_data.properties is None


def parse_card_properties(root: etree._Element) -> CardProperties:
    """Split the DAV:prop of a report body into address-data and the rest.

    Raises:
        DAVError: 400 without a property selection; 403 ``supported-address-data``
            for an address-data request in an unsupported type or version (§8.6).
    """
    selection = parse_property_selection(root, required=True)
    assert selection is not None
    element = next((p for prop in child_elements(root) if prop.tag == clark(DAV_NS, "prop")
                    for p in child_elements(prop) if p.tag == ADDRESS_DATA), None)
    if selection.type is not PropFindType.PROP or element is None:
        return CardProperties(selection, None)
    try:
        wanted = parse_address_data(element)
    except CardDAVPreconditionError as error:
        raise DAVError(403, error.clark_name, error.message) from None
    others = PropFindRequest.prop([n for n in selection.names if n != ADDRESS_DATA])
    return CardProperties(others, wanted)


async def card_entry(ctx: RequestContext, properties: PropertyRegistry,
                     wanted: CardProperties, member: DAVResource) -> ResponseEntry:
    """One member's response: registry properties, then the rendered address-data."""
    result = await properties.evaluate(ctx, member, wanted.others)
    if wanted.address_data is not None and isinstance(member, AddressObject):
        try:
            text = await _address_data(member, wanted.address_data)
        except CardDAVPreconditionError as error:
            # §5.1.1: a conversion failure is that resource's, not the report's.
            result.set_status(ADDRESS_DATA, 403, error.clark_name)
        else:
            # As text: a card XML cannot carry (stored before PUT checked) answers 500.
            result.set(ADDRESS_DATA, text.decode("utf-8", "surrogateescape"))
    return result.to_entry()


async def _address_data(member: AddressObject, wanted: AddressDataRequest) -> bytes:
    """The whole card from stored bytes in either version; a selection of properties
    (§10.4.2) parses the card."""
    if wanted.properties is None:
        return await member.in_version(wanted.version)
    data = await member.read()
    return await off_reactor(len(data), wanted.render, data)


class AddressbookMultigetReport(Report):
    """CARDDAV:addressbook-multiget (§8.7): the named members, 404 for the others."""

    name = ADDRESSBOOK_MULTIGET
    resource_types = frozenset({ADDRESSBOOK})

    def __init__(self, properties: PropertyRegistry) -> None:
        self._properties = properties

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        wanted = parse_card_properties(body)
        hrefs = [element_text(h) for h in child_elements(body) if h.tag == _HREF]
        if not hrefs:
            raise DAVError(400, None, "addressbook-multiget names no DAV:href")

        async def entries() -> AsyncIterator[ResponseEntry]:
            for first in range(0, len(hrefs), QUERY_BATCH):
                chunk = hrefs[first:first + QUERY_BATCH]
                members = await self._members(ctx, resource, chunk, wanted.whole_cards)
                for href in chunk:
                    member = members.get(href)
                    if member is None:
                        yield ResponseEntry(href, status=404)
                    else:
                        yield await card_entry(ctx, self._properties, wanted, member)

        return DAVResponse.multistatus(aiter_multistatus(entries(), minimal=ctx.minimal),
                                       minimal_applied=ctx.prefer_minimal)

    @staticmethod
    async def _members(ctx: RequestContext, resource: DAVResource, hrefs: list[str],
                       alternate: bool) -> dict[str, AddressObject]:
        """The members ``hrefs`` name, by href, read in one store call per folder."""
        if not isinstance(resource, CardLookup):
            return {}
        names: dict[str, str] = {}
        for href in hrefs:
            try:
                path = ctx.paths.dav_path_of_href(href)
            except PathError:
                continue
            if path is not None and same_path(parent_path(path), resource.path):
                names[href] = basename(path)
        if not names:
            return {}
        found = await resource.cards_named(list(dict.fromkeys(names.values())),
                                           alternate=alternate)
        return {href: found[name] for href, name in names.items() if name in found}


def _parse_limit(root: etree._Element) -> int | None:
    """CARDDAV:limit/nresults (§10.6)."""
    limit = find_child(root, _LIMIT)
    if limit is None:
        return None
    text = element_text(find_child(limit, _NRESULTS))
    # ASCII digits only (str.isdigit takes "²"), and few enough for int() to be cheap.
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < 1:
        raise DAVError(400, None, f"invalid CARDDAV:nresults {text!r}")
    return int(text)


def _parse_query_filter(root: etree._Element) -> Filter:
    element = find_child(root, _FILTER)
    if element is None:
        raise DAVError(400, None, "addressbook-query needs a CARDDAV:filter")  # §10.3
    try:
        return parse_filter(element)
    except FilterError as error:
        condition: etree._Element = etree.Element(error.clark_name)
        if error.offending is not None:
            condition.append(deepcopy(error.offending))
        raise DAVError(403, condition, error.message) from None


async def with_data(members: AsyncIterator[DAVResource], batch: int | None = None, *,
                    alternate: bool = False) -> AsyncIterator[AddressObject]:
    """The address objects among ``members``, each with its bytes (and its stored
    alternate when ``alternate``), read ``batch`` (by default :data:`QUERY_BATCH`) at a
    time per folder (``get_many``) rather than one query per card; members removed
    meanwhile are left out."""
    batch = batch or QUERY_BATCH
    pending: list[AddressObject] = []

    async def flush() -> AsyncIterator[AddressObject]:
        by_folder: dict[int, list[AddressObject]] = {}
        for member in pending:
            by_folder.setdefault(id(member.collection), []).append(member)
        read: dict[tuple[int, str], StoredObject] = {}
        for group in by_folder.values():
            stored = await group[0].collection.get_many([m.meta.name for m in group],
                                                        derived=alternate)
            read.update({(id(group[0].collection), s.name): s for s in stored})
        for member in pending:
            found = read.get((id(member.collection), member.meta.name))
            if found is not None:
                yield AddressObject(member.parent, member.collection, found.meta, found,
                                    alternate_read=alternate)
        pending.clear()

    async for member in members:
        if isinstance(member, AddressObject):
            pending.append(member)
            if len(pending) >= batch:
                async for item in flush():
                    yield item
    async for item in flush():
        yield item


class AddressbookQueryReport(Report):
    """CARDDAV:addressbook-query (§8.6): the members whose card matches the filter.

    Depth 0 (the default, §8.6) on a collection asks about the collection itself, which
    holds no card: an empty result. With ``limit`` exceeded the result is cut there and
    a 507 response for the request URI says so (§8.6.1).
    """

    name = ADDRESSBOOK_QUERY
    resource_types = frozenset({ADDRESSBOOK})
    default_depth = Depth.ZERO

    def __init__(self, properties: PropertyRegistry) -> None:
        self._properties = properties

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        wanted = parse_card_properties(body)
        query = _parse_query_filter(body)
        limit = _parse_limit(body)

        async def entries() -> AsyncIterator[ResponseEntry]:
            if depth is Depth.ZERO:
                return
            count = 0
            async for member in with_data(resource.children(), alternate=wanted.whole_cards):
                data = await member.read()
                if not await off_reactor(len(data), query.matches_data, data):
                    continue
                if limit is not None and count >= limit:
                    yield ResponseEntry(ctx.href(resource.path, collection=True), status=507,
                                        error=NUMBER_OF_MATCHES_WITHIN_LIMITS)
                    return
                count += 1
                yield await card_entry(ctx, self._properties, wanted, member)

        return DAVResponse.multistatus(aiter_multistatus(entries(), minimal=ctx.minimal),
                                       minimal_applied=ctx.prefer_minimal)


def carddav_reports(properties: PropertyRegistry) -> list[Report]:
    """The CardDAV reports."""
    return [AddressbookMultigetReport(properties), AddressbookQueryReport(properties)]
