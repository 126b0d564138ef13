"""Making calendars: MKCALENDAR (RFC 4791 §5.3.1) and extended MKCOL (RFC 5689 §3).

The calendar home is a :class:`CollectionMaker`: a new calendar is a new folder of
the user that takes the component types the body asks for, all of VEVENT, VTODO and
VJOURNAL when it asks for none (:func:`component_set`); its OX module is ``tasks``
for a task list (VTODO only), ``calendar`` for anything else. Folder ids
are numbers chosen by the store, so a client's own name for the new collection (a
UUID, as Apple and python-caldav send) is kept as the folder's *resource name* and
resolves to the same folder (:mod:`oxdav.folders.naming`); a numeric name asks
for that folder id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from oxdav.caldav.collection import ALL_COMPONENTS, CALENDAR_DESCRIPTION
from oxdav.dav.dispatch import DAVRequest, MethodHandler, StoreAccess
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.capabilities import CollectionMaker
from oxdav.dav.methods.mkcol import set_properties
from oxdav.dav.namespaces import APPLE_ICAL_NS, CALDAV_NS, DAV_NS, clark
from oxdav.dav.paths import basename, parent_path
from oxdav.dav.resource import RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.xml import child_elements, parse_body
from oxdav.folders.collection import store_value
from oxdav.folders.naming import needs_alias, remember_name, segment_id
from oxdav.folders.space import HomeCollection
from oxdav.store.errors import AlreadyExists, NotFound
from oxdav.store.models import FIRST_FOLDER_ID, MAX_CHOSEN_FOLDER_ID, Module

_MKCALENDAR = clark(CALDAV_NS, "mkcalendar")
_MKCOL = clark(DAV_NS, "mkcol")
_RESOURCETYPE = clark(DAV_NS, "resourcetype")
_DISPLAYNAME = clark(DAV_NS, "displayname")
_COLOR = clark(APPLE_ICAL_NS, "calendar-color")
_COMPONENT_SET = clark(CALDAV_NS, "supported-calendar-component-set")
_CALENDAR = clark(CALDAV_NS, "calendar")
_LOCATION_OK = clark(CALDAV_NS, "calendar-collection-location-ok")


def requested_properties(body: etree._Element | None, method: str) -> dict[str, etree._Element]:
    """The ``set`` properties of an MKCALENDAR or extended MKCOL body, by Clark name.

    Raises:
        DAVError: 400 for a wrong root; 403 for an extended MKCOL that is no calendar.
    """
    if body is None:
        if method == "MKCALENDAR":
            return {}
        raise DAVError(403, None, "plain collections cannot be made here")
    if body.tag != (_MKCALENDAR if method == "MKCALENDAR" else _MKCOL):
        raise DAVError(400, None, f"unexpected {body.tag} body for {method}")
    found = set_properties(body)
    if method != "MKCALENDAR":
        types = found.get(_RESOURCETYPE)
        if types is None or not any(t.tag == _CALENDAR for t in child_elements(types)):
            raise DAVError(403, clark(DAV_NS, "valid-resourcetype"),
                           "only calendar collections can be made here")
    return found


def component_set(props: Mapping[str, etree._Element]) -> tuple[Module, frozenset[str]]:
    """The OX module and the component types of a calendar made with ``props``.

    RFC 4791 §5.2.3, §5.3.1: without CALDAV:supported-calendar-component-set the
    calendar takes every type served (VEVENT, VTODO, VJOURNAL); with one, exactly
    those. VTIMEZONE is no calendar object type (every calendar takes it, §4.1).

    Raises:
        DAVError: 403 ``supported-calendar-component`` for a set naming a type not
            served, or none (§5.3.1.1).
    """
    element = props.get(_COMPONENT_SET)
    if element is None:
        return "calendar", ALL_COMPONENTS
    names = {(c.get("name") or "").strip().upper() for c in child_elements(element)
             if etree.QName(c).localname == "comp"} - {"VTIMEZONE"}
    unsupported = sorted(names - ALL_COMPONENTS)
    if not names or unsupported:
        served = ", ".join(sorted(ALL_COMPONENTS))
        what = f"{', '.join(unsupported)[:200]} cannot" if unsupported else "no type can"
        raise DAVError(403, clark(CALDAV_NS, "supported-calendar-component"),
                       f"{what} be stored here; calendars take {served}")
    return ("tasks" if names == {"VTODO"} else "calendar"), frozenset(names)


def _text(element: etree._Element | None) -> str | None:
    return None if element is None else ((element.text or "").strip() or None)


class CalendarHomeCollection(HomeCollection, CollectionMaker):
    """``/caldav/``: makes calendars (RFC 4791 §5.3.1, RFC 5689 §3)."""

    async def make_collection(self, ctx: RequestContext, name: str, method: str,
                              body: etree._Element | None) -> None:
        props = requested_properties(body, method)
        module, components = component_set(props)
        home = await self.tree.home()
        folder_id = segment_id(name)  # a numeric name becomes the folder id: reached there
        if folder_id is not None and not FIRST_FOLDER_ID <= folder_id <= MAX_CHOSEN_FOLDER_ID:
            raise DAVError(403, _LOCATION_OK, f"a calendar named by a number takes that "
                           f"folder id, from {FIRST_FOLDER_ID} to {MAX_CHOSEN_FOLDER_ID}")
        try:
            folder = await home.create_folder(
                module, _text(props.get(_DISPLAYNAME)) or name,
                color=_text(props.get(_COLOR)),
                description=_text(props.get(CALENDAR_DESCRIPTION)), folder_id=folder_id,
                components=components)
        except AlreadyExists:
            raise DAVError(403, _LOCATION_OK, f"{name} cannot be used") from None
        handled = {_RESOURCETYPE, _DISPLAYNAME, _COLOR, _COMPONENT_SET, CALENDAR_DESCRIPTION}
        # calendar-timezone, calendar-order and unknown properties: dead storage.
        dead = {k: store_value(v) for k, v in props.items() if k not in handled}
        store_collection = await home.collection(folder.id)
        if dead:
            await store_collection.set_dead_properties("", dead)
        if needs_alias(name):
            await remember_name(store_collection, name)


class MkcalendarMethod(MethodHandler):
    """MKCALENDAR (RFC 4791 §5.3.1): 201 on success, 405 on an existing resource."""

    name = "MKCALENDAR"
    access = StoreAccess.WRITE
    creates = True

    def allowed_on(self, resource: Any) -> bool:
        return resource is None

    async def handle(self, request: DAVRequest) -> DAVResponse:
        ctx = request.ctx
        parent = await request.tree.resolve(parent_path(ctx.path))
        if not isinstance(parent, CalendarHomeCollection):
            raise DAVError(403, _LOCATION_OK, "calendars are made in the calendar home")
        try:
            body = parse_body(request.body, request.env.limits)
            await parent.make_collection(ctx, basename(ctx.path), self.name, body)
        except NotFound:
            raise DAVError(409, None, "the calendar home is gone") from None
        return DAVResponse(201, {"Cache-Control": "no-cache"})
