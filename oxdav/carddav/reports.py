"""The CardDAV REPORTs: addressbook-multiget (RFC 6352 §8.7) and addressbook-query
(§8.6), streamed as multistatus like ``sync-collection``.

``CARDDAV:address-data`` in the property list is not a registry property: it depends
on the request's address-data element (§10.4: version and property selection), so the
other properties are evaluated through the registry and address-data is added here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree

from oxdav.carddav.addressdata import AddressDataRequest, parse_address_data
from oxdav.carddav.collection import AddressObject, CardLookup
from oxdav.carddav.errors import CardDAVPreconditionError
from oxdav.carddav.filters import Filter, parse_filter
from oxdav.carddav.names import ADDRESS_DATA, ADDRESSBOOK
from oxdav.carddav.tasks import Rendered, matching, selections
from oxdav.dav.errors import DAVError
from oxdav.dav.limits import NUMBER_OF_MATCHES_WITHIN_LIMITS
from oxdav.dav.multiget import read_multiget
from oxdav.dav.multistatus import ResponseEntry, multistatus_answer
from oxdav.dav.namespaces import CARDDAV_NS, DAV_NS, clark
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.property_results import PropFindRequest, PropFindType, parse_property_selection
from oxdav.dav.reports import Report
from oxdav.dav.resource import DAVResource, Depth, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import child_elements, element_text, find_child
from oxdav.folders.base import TreeResource
from oxdav.store.models import StoredObject
from oxdav.work import INLINE, Work

ADDRESSBOOK_MULTIGET: Final = clark(CARDDAV_NS, "addressbook-multiget")
ADDRESSBOOK_QUERY: Final = clark(CARDDAV_NS, "addressbook-query")
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
    wanted = parse_address_data(element)
    others = PropFindRequest.prop([n for n in selection.names if n != ADDRESS_DATA])
    return CardProperties(others, wanted)


async def card_entry(ctx: RequestContext, properties: PropertyRegistry,
                     wanted: CardProperties, member: DAVResource,
                     rendered: Rendered | None = None) -> ResponseEntry:
    """One member's response: registry properties, then its address-data (``rendered``
    by :func:`render_batch`, or read now)."""
    result = await properties.evaluate(ctx, member, wanted.others)
    if wanted.address_data is not None and isinstance(member, AddressObject):
        if rendered is None:
            rendered = await _whole_card(member, wanted.address_data)
        if isinstance(rendered, CardDAVPreconditionError):
            # §5.1.1: a conversion failure is that resource's, not the report's.
            result.set_status(ADDRESS_DATA, 403, rendered.clark_name)
        else:
            # As text: a card XML cannot carry (stored before PUT checked) answers 500.
            result.set(ADDRESS_DATA, rendered.decode("utf-8", "surrogateescape"))
    return result.to_entry()


async def _whole_card(member: AddressObject, wanted: AddressDataRequest) -> Rendered:
    """The whole card in the version asked for: stored bytes in either version, else
    converted (in a worker process when large)."""
    try:
        return await member.in_version(wanted.version)
    except CardDAVPreconditionError as error:
        return error


async def render_batch(work: Work, wanted: CardProperties, members: Sequence[AddressObject]
                       ) -> list[Rendered | None]:
    """The address-data of ``members`` that has to be made by parsing, made in a worker
    process (:func:`oxdav.carddav.tasks.selections`); None where :func:`card_entry`
    reads stored bytes instead."""
    request = wanted.address_data
    if request is None or request.properties is None:
        return [None] * len(members)
    cards = [await member.read() for member in members]
    rendered = await work.sized_process(sum(map(len, cards)), selections, request, cards)
    return list(rendered)


class AddressbookMultigetReport(Report):
    """CARDDAV:addressbook-multiget (§8.7): the named members, 404 for the others."""

    name = ADDRESSBOOK_MULTIGET
    resource_types = frozenset({ADDRESSBOOK})

    def __init__(self, properties: PropertyRegistry) -> None:
        self._properties = properties

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        wanted = parse_card_properties(body)
        multiget = await read_multiget(work_of(resource), ctx.limits, ctx.paths, resource.path,
                                       body)
        hrefs = multiget.hrefs

        async def entries() -> AsyncIterator[ResponseEntry]:
            for first in range(0, len(hrefs), QUERY_BATCH):
                chunk = hrefs[first:first + QUERY_BATCH]
                members = await self._members(resource, chunk, multiget.names,
                                              wanted.whole_cards)
                present = [members[h] for h in chunk if h in members]
                rendered = dict(zip(map(id, present), await render_batch(
                    work_of(resource), wanted, present), strict=True))
                for href in chunk:
                    member = members.get(href)
                    if member is None:
                        yield ResponseEntry(href, status=404)
                    else:
                        yield await card_entry(ctx, self._properties, wanted, member,
                                               rendered[id(member)])

        return multistatus_answer(ctx, entries())

    @staticmethod
    async def _members(resource: DAVResource, hrefs: list[str], all_names: dict[str, str],
                       alternate: bool) -> dict[str, AddressObject]:
        """The members ``hrefs`` name, by href, read in one store call per folder."""
        if not isinstance(resource, CardLookup):
            return {}
        names = {href: all_names[href] for href in hrefs if href in all_names}
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
    return parse_filter(element)


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
            by_folder.setdefault(id(member.store_collection), []).append(member)
        read: dict[tuple[int, str], StoredObject] = {}
        for group in by_folder.values():
            stored = await group[0].store_collection.get_many([m.meta.name for m in group],
                                                        derived=alternate)
            read.update({(id(group[0].store_collection), s.name): s for s in stored})
        for member in pending:
            found = read.get((id(member.store_collection), member.meta.name))
            if found is not None:
                yield AddressObject(member.parent, member.store_collection, found.meta, found,
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

        work = work_of(resource)

        async def entries() -> AsyncIterator[ResponseEntry]:
            if depth is Depth.ZERO:
                return
            count = 0
            members = with_data(resource.children(), alternate=wanted.whole_cards)
            async for batch in batches(members, QUERY_BATCH):
                cards = [await member.read() for member in batch]
                keep = await work.sized_process(sum(map(len, cards)), matching, query, cards)
                matched = [m for m, ok in zip(batch, keep, strict=True) if ok]
                if limit is not None:
                    matched = matched[:limit - count + 1]
                rendered = await render_batch(work, wanted, matched)
                for member, data in zip(matched, rendered, strict=True):
                    if limit is not None and count >= limit:
                        yield ResponseEntry(ctx.href(resource.path, collection=True),
                                            status=507, error=NUMBER_OF_MATCHES_WITHIN_LIMITS)
                        return
                    count += 1
                    yield await card_entry(ctx, self._properties, wanted, member, data)

        return multistatus_answer(ctx, entries())


def work_of(resource: DAVResource) -> Work:
    """Where the CPU-heavy part of a report on ``resource`` runs."""
    return resource.tree.work if isinstance(resource, TreeResource) else INLINE


async def batches(items: AsyncIterator[AddressObject], size: int
                  ) -> AsyncIterator[list[AddressObject]]:
    """``items`` in lists of up to ``size``."""
    batch: list[AddressObject] = []
    async for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def carddav_reports(properties: PropertyRegistry) -> list[Report]:
    """The CardDAV reports."""
    return [AddressbookMultigetReport(properties), AddressbookQueryReport(properties)]
