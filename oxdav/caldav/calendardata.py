"""The CALDAV:calendar-data request element and what it asks of the response (§9.6).

:func:`parse_calendar_data_request` reads the element of a REPORT's DAV:prop;
:func:`render_calendar_data` applies it to a stored object. A bare
``<C:calendar-data/>`` asks for the object as stored, so the stored bytes are
returned untouched and unparsed; only partial retrieval (comp/prop selection),
``expand``, ``limit-recurrence-set`` and ``limit-freebusy-set`` parse.

A ``comp`` element with neither prop/allprop nor comp/allcomp children selects
everything in that component (as CalendarServer does); with only one kind given,
nothing of the other kind is returned, as the RFC 4791 §9.6.1 grammar says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from icalendar import Calendar, Component
from icalendar.prop import vText
from lxml import etree

from oxdav.caldav.errors import CALDAV_NS, CalendarDataRequestError
from oxdav.caldav.expand import expand, limit_freebusy_set, limit_recurrence_set
from oxdav.caldav.ical import load_calendar
from oxdav.caldav.timerange import TimeRange


@dataclass(frozen=True)
class PropSelection:
    """CALDAV:prop (§9.6.4): a property to return, optionally without its value."""

    name: str
    novalue: bool = False


@dataclass(frozen=True)
class CompSelection:
    """CALDAV:comp (§9.6.1): what to return of one component type."""

    name: str
    all_props: bool = True
    props: tuple[PropSelection, ...] = ()
    all_comps: bool = True
    comps: tuple[CompSelection, ...] = ()


@dataclass(frozen=True)
class CalendarDataRequest:
    """A parsed CALDAV:calendar-data request element (§9.6).

    Attributes:
        comp: The VCALENDAR selection, ``None`` for everything.
        expand: Range of §9.6.5 expansion, if asked for.
        limit_recurrence_set: Range of §9.6.6, if asked for.
        limit_freebusy_set: Range of §9.6.7, if asked for.
    """

    comp: CompSelection | None = None
    expand: TimeRange | None = None
    limit_recurrence_set: TimeRange | None = None
    limit_freebusy_set: TimeRange | None = None

    @property
    def whole(self) -> bool:
        """Whether the stored object is wanted unchanged."""
        return (
            self.comp is None
            and self.expand is None
            and self.limit_recurrence_set is None
            and self.limit_freebusy_set is None
        )

    @property
    def expand_only(self) -> TimeRange | None:
        """The expand range, when expanding is all that is asked (no comp selection,
        no limit-freebusy-set): what a prepared expansion can answer alone."""
        if self.comp is not None or self.limit_freebusy_set is not None:
            return None
        return self.expand


def _bad(message: str) -> CalendarDataRequestError:
    return CalendarDataRequestError(None, message)


def _children(element: Any) -> list[tuple[str, Any]]:
    return [
        (str(etree.QName(c).localname), c)
        for c in element
        if isinstance(c.tag, str) and c.tag.startswith(f"{{{CALDAV_NS}}}")
    ]


def _name(element: Any) -> str:
    name = (element.get("name") or "").strip()
    if not name:
        raise _bad(f"{etree.QName(element).localname} needs a name attribute")
    return name.upper()


def _range(element: Any) -> TimeRange:
    return TimeRange.from_attributes(
        element.get("start"),
        element.get("end"),
        error=CalendarDataRequestError,
        precondition=None,
        require_both=True,
    )


def parse_comp(element: Any) -> CompSelection:
    """Parse CALDAV:comp (§9.6.1) with its allprop/prop/allcomp/comp children."""
    kinds: dict[str, list[Any]] = {}
    for local, child in _children(element):
        if local not in ("allprop", "prop", "allcomp", "comp"):
            raise _bad(f"{local} is not allowed in comp")
        kinds.setdefault(local, []).append(child)
    if "allprop" in kinds and "prop" in kinds:
        raise _bad("allprop and prop cannot be combined")
    if "allcomp" in kinds and "comp" in kinds:
        raise _bad("allcomp and comp cannot be combined")
    nothing = not kinds
    props = []
    for prop in kinds.get("prop", []):
        novalue = (prop.get("novalue") or "no").strip().lower()
        if novalue not in ("yes", "no"):
            raise _bad(f"novalue must be yes or no, not {novalue!r}")
        props.append(PropSelection(_name(prop), novalue == "yes"))
    return CompSelection(
        _name(element),
        all_props=nothing or "allprop" in kinds,
        props=tuple(props),
        all_comps=nothing or "allcomp" in kinds,
        comps=tuple(parse_comp(c) for c in kinds.get("comp", [])),
    )


def parse_calendar_data_request(element: Any) -> CalendarDataRequest:
    """Parse a CALDAV:calendar-data element from a REPORT's DAV:prop (§9.6).

    Raises:
        CalendarDataRequestError: ``supported-calendar-data`` for a media type
            other than text/calendar 2.0; a plain 400 (precondition ``None``)
            for malformed content, e.g. expand without UTC start and end, or
            expand together with limit-recurrence-set.
    """
    content_type = (element.get("content-type") or "text/calendar").strip().lower()
    version = (element.get("version") or "2.0").strip()
    if content_type != "text/calendar" or version != "2.0":
        raise CalendarDataRequestError(
            "supported-calendar-data", f"{content_type} version {version} is not supported"
        )
    found: dict[str, Any] = {}
    for local, child in _children(element):
        if local not in ("comp", "expand", "limit-recurrence-set", "limit-freebusy-set"):
            raise _bad(f"{local} is not allowed in calendar-data")
        if local in found:
            raise _bad(f"calendar-data has more than one {local}")
        found[local] = child
    if "expand" in found and "limit-recurrence-set" in found:
        raise _bad("expand and limit-recurrence-set cannot be combined")
    comp = parse_comp(found["comp"]) if "comp" in found else None
    if comp is not None and comp.name != "VCALENDAR":
        raise _bad("the outermost comp must be VCALENDAR")
    return CalendarDataRequest(
        comp=comp,
        expand=_range(found["expand"]) if "expand" in found else None,
        limit_recurrence_set=(
            _range(found["limit-recurrence-set"]) if "limit-recurrence-set" in found else None
        ),
        limit_freebusy_set=(
            _range(found["limit-freebusy-set"]) if "limit-freebusy-set" in found else None
        ),
    )


def _without_value(prop: Any) -> vText:
    empty = vText("")
    for key, value in getattr(prop, "params", {}).items():
        empty.params[key] = value
    return empty


def select(selection: CompSelection, component: Component) -> Component:
    """The part of ``component`` that ``selection`` asks for (§9.6.1–§9.6.4)."""
    result = type(component)()
    if result.name != component.name:  # a generic Component names itself per instance
        result.name = component.name  # type: ignore[misc]
    if selection.all_props:
        for name, value in component.items():
            result[name] = value
    else:
        for wanted in selection.props:
            found = component.get(wanted.name)
            if found is None:
                continue
            for prop in found if isinstance(found, list) else [found]:
                result.add(wanted.name, _without_value(prop) if wanted.novalue else prop)
    if selection.all_comps:
        for sub in component.subcomponents:
            result.add_component(sub)
    else:
        wanted_comps = {c.name: c for c in selection.comps}
        for sub in component.subcomponents:
            sub_selection = wanted_comps.get(str(sub.name).upper())
            if sub_selection is not None:
                result.add_component(select(sub_selection, sub))
    return result


def apply_calendar_data(
    calendar: Calendar, request: CalendarDataRequest, tz: tzinfo = UTC
) -> Component:
    """Apply expand / limit-* and then the comp selection to ``calendar``."""
    result: Component = calendar
    if request.expand is not None:
        result = expand(calendar, request.expand, tz)
    elif request.limit_recurrence_set is not None:
        result = limit_recurrence_set(calendar, request.limit_recurrence_set, tz)
    if request.limit_freebusy_set is not None:
        result = limit_freebusy_set(result, request.limit_freebusy_set)
    if request.comp is not None:
        result = select(request.comp, result)
    return result


def render_calendar_data(
    data: bytes, request: CalendarDataRequest | None, tz: tzinfo = UTC
) -> bytes:
    """The calendar-data to return for a stored object.

    Args:
        data: The stored object, as :func:`~oxdav.caldav.ical.parse_calendar_object`
            accepted it.
        request: The parsed request element; ``None`` or a bare element return
            ``data`` unchanged (byte for byte, so it matches GET and the ETag).
        tz: Zone for floating times and dates in expand and limit ranges.
    """
    if request is None or request.whole:
        return data
    result = apply_calendar_data(load_calendar(data), request, tz)
    ical: bytes = result.to_ical(sorted=False)
    return ical

