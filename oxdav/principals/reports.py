"""Principal reports: ``principal-property-search`` (RFC 3744 §9.4),
``principal-search-property-set`` (RFC 3744 §9.5) and ``expand-property`` (RFC 3253 §3.8).
"""

from __future__ import annotations

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.multistatus import multistatus_answer, render_multistatus
from oxdav.dav.namespaces import CALDAV_NS, CALENDARSERVER_NS, DAV_NS, RESPONSE_NSMAP, clark
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.propfind import PropFindRequest, prop_names
from oxdav.dav.reports import Report
from oxdav.dav.resource import DAVResource, Depth, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import child_elements, element_text, find_child, serialize
from oxdav.principals.resources import InDirectory

_DISPLAYNAME = clark(DAV_NS, "displayname")
_CUAS = clark(CALDAV_NS, "calendar-user-address-set")
_EMAILS = clark(CALENDARSERVER_NS, "email-address-set")

#: Searchable properties and their descriptions (RFC 3744 §9.5).
SEARCHABLE: dict[str, str] = {
    _DISPLAYNAME: "Display name",
    _CUAS: "Calendar user address",
    _EMAILS: "E-mail address",
}


def _dav(local: str) -> str:
    return clark(DAV_NS, local)


class PrincipalPropertySearchReport(Report):
    """Search the context's principals by display name or address (substring, caseless)."""

    name = _dav("principal-property-search")

    def __init__(self, properties: PropertyRegistry) -> None:
        self._properties = properties

    def supported_by(self, resource: DAVResource) -> bool:
        return isinstance(resource, InDirectory)

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        assert isinstance(resource, InDirectory)
        criteria: list[tuple[str, str]] = []
        for search in body.iterchildren(_dav("property-search")):
            prop, match = find_child(search, _dav("prop")), find_child(search, _dav("match"))
            if prop is None or match is None:
                raise DAVError(400, None, "property-search needs prop and match")
            for name in prop_names(prop):
                if name not in SEARCHABLE:
                    raise DAVError(403, None, f"{name} is not searchable")
                criteria.append((name, element_text(match)))
        if not criteria:
            raise DAVError(400, None, "no property-search")
        wanted = find_child(body, _dav("prop"))
        request = PropFindRequest.prop(prop_names(wanted) if wanted is not None else ())
        match_all = body.get("test", "allof") != "anyof"
        found = await resource.directory.search_principals(criteria, match_all=match_all)

        async def entries():  # type: ignore[no-untyped-def]
            for principal in found:
                yield (await self._properties.evaluate(ctx, principal, request)).to_entry()

        return multistatus_answer(ctx, entries())


class PrincipalSearchPropertySetReport(Report):
    """Which properties :class:`PrincipalPropertySearchReport` searches."""

    name = _dav("principal-search-property-set")

    def supported_by(self, resource: DAVResource) -> bool:
        return isinstance(resource, InDirectory)

    async def run(self, ctx: RequestContext, resource: DAVResource, body: etree._Element,
                  depth: Depth) -> DAVResponse:
        if depth is not Depth.ZERO:
            raise DAVError(400, None, "Depth must be 0")
        root = etree.Element(_dav("principal-search-property-set"), nsmap=RESPONSE_NSMAP)
        for name, description in SEARCHABLE.items():
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
        return isinstance(resource, InDirectory)

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
                target = (await resource.directory.resolve(path)
                          if path is not None and isinstance(resource, InDirectory) else None)
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
