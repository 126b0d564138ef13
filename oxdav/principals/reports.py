"""Principal reports: ``principal-property-search`` (RFC 3744 §9.4),
``principal-search-property-set`` (RFC 3744 §9.5) and ``expand-property`` (RFC 3253 §3.8).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.limits import NUMBER_OF_MATCHES_WITHIN_LIMITS
from oxdav.dav.multistatus import (
    ResponseEntry,
    ResponseItem,
    multistatus_answer,
    render_multistatus,
)
from oxdav.dav.namespaces import CALDAV_NS, CALENDARSERVER_NS, DAV_NS, RESPONSE_NSMAP, clark
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.property_results import PropFindRequest, prop_names
from oxdav.dav.reports import Report
from oxdav.dav.resource import DAVResource, Depth, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import child_elements, element_text, find_child, serialize
from oxdav.principals.resources import GROUPS_PATH, InTree
from oxdav.principals.search import MAX_MATCHES
from oxdav.store.models import SEARCH_MATCHES, SearchField, SearchMatch, SearchTerm

#: Searchable properties (RFC 3744 §9.5): what each compares, and its description.
SEARCHABLE: dict[str, tuple[SearchField, str]] = {
    clark(DAV_NS, "displayname"): ("name", "Display name"),
    clark(CALDAV_NS, "calendar-user-address-set"): ("address", "Calendar user address"),
    clark(CALENDARSERVER_NS, "email-address-set"): ("address", "E-mail address"),
    clark(DAV_NS, "alternate-URI-set"): ("address", "E-mail address (mailto: URI)"),
}

#: Most ``property-search`` elements in one search (each is one database condition).
MAX_PROPERTY_SEARCHES: Final = 32

#: CalendarServer's extension: ``<D:match match-type="starts-with">``; absent or
#: unknown, a match is a substring (RFC 3744 §9.4).
_MATCH_TYPE = "match-type"
_MAILTO = "mailto:"


def _dav(local: str) -> str:
    return clark(DAV_NS, local)


#: The elements of a ``principal-property-search`` body that name no property.
_STRUCTURE = frozenset({_dav("property-search"), _dav("prop"),
                        _dav("apply-to-principal-collection-set")})


@dataclass(frozen=True)
class PrincipalQuery:
    """A parsed ``principal-property-search``.

    Attributes:
        terms: one per ``property-search`` that can match anything.
        any_term: ``test="anyof"``.
        hopeless: no principal can match (a condition on a property that is not
            searchable, RFC 3744 §9.5 says which are): nothing needs to be looked up.
        wanted: the properties to return.
    """

    terms: tuple[SearchTerm, ...]
    any_term: bool
    hopeless: bool
    wanted: tuple[str, ...]


def _term(search: etree._Element) -> SearchTerm | None:
    """The condition of one ``property-search``; None when none of its properties is
    searchable (it then matches no principal).

    Raises:
        DAVError: 400 without ``prop`` and ``match``.
    """
    prop, match = find_child(search, _dav("prop")), find_child(search, _dav("match"))
    if prop is None or match is None:
        raise DAVError(400, None, "property-search needs prop and match")
    fields = tuple(dict.fromkeys(SEARCHABLE[name][0] for name in prop_names(prop)
                                 if name in SEARCHABLE))
    if not fields:
        return None
    text = element_text(match)
    if "address" in fields and text[:len(_MAILTO)].lower() == _MAILTO:
        text = text[len(_MAILTO):]  # addresses are compared without the URI scheme
    how = match.get(_MATCH_TYPE, "contains")
    kind: SearchMatch = how if how in SEARCH_MATCHES else "contains"  # type: ignore[assignment]
    return SearchTerm(fields, text, kind)


def parse_query(body: etree._Element) -> PrincipalQuery:
    """Read a ``principal-property-search`` body (RFC 3744 §9.4).

    With no ``property-search`` at all it lists every principal (python clients list
    principals that way). The properties to return are those in ``DAV:prop`` and,
    leniently, property elements put beside it (python-caldav sends an empty
    ``DAV:prop`` followed by the properties it wants).

    Raises:
        DAVError: 400 for a ``property-search`` without ``prop`` or ``match``, or more
            than :data:`MAX_PROPERTY_SEARCHES` of them.
    """
    searches = list(body.iterchildren(_dav("property-search")))
    if len(searches) > MAX_PROPERTY_SEARCHES:
        raise DAVError(400, None, f"at most {MAX_PROPERTY_SEARCHES} property-search elements")
    any_term = body.get("test", "allof") == "anyof"
    found = [_term(search) for search in searches]
    terms = tuple(term for term in found if term is not None)
    # allof: an unsearchable condition is never met; anyof: it adds nothing.
    hopeless = bool(searches) and (not terms if any_term else None in found)
    prop = find_child(body, _dav("prop"))
    wanted = (*(prop_names(prop) if prop is not None else ()),
              *(str(e.tag) for e in child_elements(body) if e.tag not in _STRUCTURE))
    return PrincipalQuery(terms, any_term, hopeless, tuple(dict.fromkeys(wanted)))


def searches_groups(resource: DAVResource) -> bool:
    """Whether a search sent to ``resource`` looks for groups: sent to
    ``principals/groups/`` or below (RFC 3744 §9.4: the request-URI's members)."""
    return resource.path == GROUPS_PATH or resource.path.startswith(GROUPS_PATH + "/")


class PrincipalPropertySearchReport(Report):
    """Search the principals of the requester's context by display name or address
    (caseless), on any resource of the tree, bounded (:data:`MAX_MATCHES`).

    Every URL a client holds searches the user principals of the context, as if
    ``apply-to-principal-collection-set`` were given (RFC 3744 §9.4): clients send the
    search to the server root, the DAV root or a calendar. Groups, which have neither
    a calendar home nor an address to invite, are searched at ``principals/groups/``
    only (python-caldav, for one, takes every match for a user with a calendar home).
    """

    name = _dav("principal-property-search")

    def __init__(self, properties: PropertyRegistry) -> None:
        self._properties = properties

    def supported_by(self, resource: DAVResource) -> bool:
        return isinstance(resource, InTree)

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        assert isinstance(resource, InTree)
        query = parse_query(body)
        request = PropFindRequest.prop(query.wanted)
        principals: Sequence[DAVResource] = ()
        truncated = False
        if not query.hopeless:
            found = await resource.tree.search_principals(
                query.terms, any_term=query.any_term, groups=searches_groups(resource))
            principals, truncated = found.principals, found.truncated

        async def entries() -> AsyncIterator[ResponseItem]:
            for principal in principals:
                yield await self._properties.respond(ctx, principal, request)
            if truncated:  # RFC 3744 §9.4 DAV:number-of-matches-within-limits
                yield ResponseEntry(
                    ctx.href(ctx.path, collection=ctx.trailing_slash), status=507,
                    error=NUMBER_OF_MATCHES_WITHIN_LIMITS,
                    description=f"more than {MAX_MATCHES} principals match")

        return multistatus_answer(ctx, entries())


class PrincipalSearchPropertySetReport(Report):
    """Which properties :class:`PrincipalPropertySearchReport` searches."""

    name = _dav("principal-search-property-set")

    def supported_by(self, resource: DAVResource) -> bool:
        return isinstance(resource, InTree)

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        if depth is not Depth.ZERO:
            raise DAVError(400, None, "Depth must be 0")
        root = etree.Element(_dav("principal-search-property-set"), nsmap=RESPONSE_NSMAP)
        for name, (_, description) in SEARCHABLE.items():
            entry = etree.SubElement(root, _dav("principal-search-property"))
            etree.SubElement(etree.SubElement(entry, _dav("prop")), name)
            text = etree.SubElement(entry, _dav("description"))
            text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
            text.text = description
        return DAVResponse(200, {"Content-Type": "application/xml; charset=utf-8"},
                           serialize(root))


class ExpandPropertyReport(Report):
    """Replace hrefs in the named properties by the responses of the resources they name."""

    name = _dav("expand-property")
    max_depth = 3

    def __init__(self, properties: PropertyRegistry) -> None:
        self._properties = properties

    def supported_by(self, resource: DAVResource) -> bool:
        return isinstance(resource, InTree)

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        entry = await self._expand(ctx, resource, body, 0)
        return DAVResponse.multistatus(render_multistatus([entry], minimal=ctx.minimal))

    async def _expand(self, ctx: RequestContext, resource: DAVResource,
                      spec: etree._Element, level: int):  # type: ignore[no-untyped-def]
        wanted: dict[str, etree._Element] = {}
        for prop in spec.iterchildren(_dav("property")):
            name = clark(prop.get("namespace", DAV_NS), prop.get("name", ""))
            wanted[name] = prop
        result = await self._properties.evaluate(
            ctx, resource, PropFindRequest.prop(tuple(wanted)))
        for name, prop in wanted.items():
            value = result.value_of(name)
            if value is None or level >= self.max_depth or not list(child_elements(prop)):
                continue
            expanded = etree.Element(name)
            for href in value.iter(_dav("href")):
                path = ctx.paths.dav_path_of_href(element_text(href))
                target = (await resource.tree.resolve(path)
                          if path is not None and isinstance(resource, InTree) else None)
                if target is None:
                    expanded.append(etree.fromstring(etree.tostring(href)))
                    continue
                sub = await self._expand(ctx, target, prop, level + 1)
                expanded.append(_response_element(sub))
            result.set(name, expanded)
        return result.to_entry()


def _response_element(entry) -> etree._Element:  # type: ignore[no-untyped-def]
    """A ``DAV:response`` element for nesting inside an expanded property."""
    document = etree.fromstring(render_multistatus([entry]))
    return next(iter(document))


def principal_reports(properties: PropertyRegistry) -> list[Report]:
    """The principal reports, for the composition's report list."""
    return [
        PrincipalPropertySearchReport(properties),
        PrincipalSearchPropertySetReport(),
        ExpandPropertyReport(properties),
    ]
