"""CALDAV:expand from a rendering prepared when the object was written (RFC 4791 §9.6.5).

:func:`oxdav.caldav.expand.expand` parses a stored object, enumerates its
instances, renders each as a standalone component in UTC and serialises the
result: work a read path should not do (DESIGN.md §7). For a VEVENT
object whose instances are all known exactly
(:func:`oxdav.caldav.index.exact_event_spans`: a single event or a bounded
series, in zoned, UTC or all-day times, EXDATEs and overridden instances
applied), :func:`prepare_expansion` does that work once, on write, with the
same functions the parsing path uses (:func:`~oxdav.caldav.expand.expansion_frame`,
:func:`~oxdav.caldav.expand.instance_component`, icalendar's serialiser), and
keeps the text of the frame and of every instance, with the instance's §9.9
span, in start order, as the object's ``ObjectIndex.derived`` bytes.
:func:`expand_prepared` answers an expand by joining the frame with the
instances whose span overlaps the range, by the test
:meth:`~oxdav.caldav.filters.CalendarFilter.index_match` applies: the bytes
the parsing path returns (``tests/caldav/test_expand_prepared.py`` holds the
two together). Nothing is parsed or rewritten on the read path.

Declined, so left to the parsing path: objects without exact spans (floating
times, unbounded or long series, VTODO…), RDATE periods, EXRULE,
THISANDFUTURE overrides, two instances starting at the same moment (the
parsing path's order of those is the expansion library's), and objects stored
without derived bytes (``oxdav-admin object reindex`` prepares them).

The prepared bytes are zlib-compressed JSON: ``{"format": 1, "all_day": bool,
"head": text, "instances": [[start, end, text], ...]}``; ``head`` is the
serialised frame without its ``END:VCALENDAR`` line, ``start``/``end`` are UTC
epoch seconds (all-day: midnights as if in UTC, read in the query's zone).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from icalendar import Component
from twisted.logger import Logger

from oxdav.caldav.expand import (
    expansion_frame,
    instance_component,
    placed_properties,
    start_key,
)
from oxdav.caldav.filters import span_overlaps
from oxdav.caldav.ical import ParsedCalendarObject
from oxdav.caldav.index import exact_span
from oxdav.caldav.instances import Instance, top_level
from oxdav.caldav.timerange import TimeRange, instances_overlapping

log = Logger()

#: Version of the prepared bytes; others are ignored (parsing path).
FORMAT = 1
_END = "END:VCALENDAR\r\n"


def _unusual(events: list[Component]) -> bool:
    """Recurrence constructs left to the parsing path."""
    for event in events:
        if "EXRULE" in event:
            return True
        rid = event.get("RECURRENCE-ID")
        if rid is not None and "RANGE" in rid.params:
            return True
        rdates = event.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            if str(rdate.params.get("VALUE", "")).upper() == "PERIOD" or any(
                    isinstance(item.dt, tuple) for item in rdate.dts):
                return True
    return False


class _Template:
    """A series' generated instance rendered once (:func:`instance_component`), so the
    others only render the properties they have of their own (:func:`placed_properties`).

    Its folded content lines, and which of them the placed properties are;
    every other line of a generated instance is its master's, so a sibling's
    text is these lines with those replaced.
    """

    def __init__(self, component: Component, placed: Mapping[str, Any]) -> None:
        self.renderer = component
        self.lines = [line.to_ical() for line in component.content_lines(sorted=False) if line]
        own = [name for name, _ in component.property_items(recursive=False, sorted=False)]
        self.positions = {name: own.index(name) for name in placed if own.count(name) == 1}

    def text(self) -> bytes:
        """The rendered instance: what ``to_ical`` returns for it."""
        return b"\r\n".join(self.lines) + b"\r\n"

    def fill(self, placed: Mapping[str, Any]) -> bytes | None:
        """A sibling's text, from its placed properties; ``None`` if they differ in kind."""
        if placed.keys() != self.positions.keys():
            return None
        lines = list(self.lines)
        for name, prop in placed.items():
            lines[self.positions[name]] = self.renderer.content_line(
                name, prop, sorted=False).to_ical()
        return b"\r\n".join(lines) + b"\r\n"


def _render(instance: Instance, templates: dict[int, _Template]) -> tuple[datetime, bytes]:
    """An instance's text as the parsing path renders it, and its place in the order."""
    placed = placed_properties(instance)
    template = templates.get(id(instance.component)) if placed else None
    text = None if template is None else template.fill(placed)
    if text is not None:
        return start_key(placed), text
    component = instance_component(instance)
    if not placed:
        return start_key(component), component.to_ical(sorted=False)
    template = templates[id(instance.component)] = _Template(component, placed)
    return start_key(component), template.text()


def _rendered_instances(parsed: ParsedCalendarObject
                        ) -> list[tuple[datetime, tuple[int, int], str]] | None:
    """Every instance as the parsing path renders it, with its span, in start order."""
    spans, all_day = parsed.exact_spans, parsed.all_day_spans
    if spans is None or parsed.first_start is None or parsed.last_end is None:
        return None
    # The index envelope holds every instance; one second more keeps a moment at its end.
    start = datetime.fromtimestamp(parsed.first_start, UTC)
    end = datetime.fromtimestamp(parsed.last_end + 1, UTC)
    found = []
    templates: dict[int, _Template] = {}
    for instance in instances_overlapping(parsed.calendar, start, end, component="VEVENT"):
        span = exact_span(instance, all_day)
        if span is None:
            return None
        key, text = _render(instance, templates)
        found.append((key, span, text))
    if sorted(span for _, span, _ in found) != sorted(spans):
        return None  # not the instances the index holds: leave it to the parse
    if len({key for key, _, _ in found}) != len(found):
        return None
    found.sort(key=lambda item: item[0])
    return [(key, span, text.decode("utf-8")) for key, span, text in found]


def prepare_expansion(parsed: ParsedCalendarObject) -> bytes | None:
    """The expansion of a just-parsed object, rendered for :func:`expand_prepared`.

    Returns:
        The bytes to keep as ``ObjectIndex.derived``, or ``None`` when the object
        is left to the parsing path (see the module docstring).
    """
    if parsed.component_type != "VEVENT" or parsed.exact_spans is None:
        return None
    calendar = parsed.calendar
    if _unusual(top_level(calendar, "VEVENT")):
        return None
    try:
        instances = _rendered_instances(parsed)
        head = expansion_frame(calendar).to_ical(sorted=False).decode("utf-8")
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        log.debug("No prepared expansion for {uid}: {error}", uid=parsed.uid, error=error)
        return None
    if instances is None or not head.endswith(_END):
        return None
    document = {"format": FORMAT, "all_day": parsed.all_day_spans,
                "head": head[:-len(_END)],
                "instances": [[start, end, text] for _, (start, end), text in instances]}
    return zlib.compress(json.dumps(document, separators=(",", ":")).encode("utf-8"))


def expand_prepared(prepared: bytes | None, rng: TimeRange, tz: tzinfo = UTC) -> bytes | None:
    """The §9.6.5 expansion over ``rng`` from :func:`prepare_expansion`'s bytes.

    Args:
        prepared: The object's derived bytes (``StoredObject.derived``).
        rng: The expand range.
        tz: Zone all-day instances are read in (RFC 4791 §7.3).

    Returns:
        The calendar-data, byte for byte what :func:`oxdav.caldav.expand.expand`
        serialises, or ``None`` when there is nothing prepared (parsing path).
    """
    if prepared is None:
        return None
    try:
        document = json.loads(zlib.decompress(prepared))
    except (zlib.error, ValueError):
        log.warn("Unreadable prepared expansion; parsing the object instead")
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    all_day = bool(document["all_day"])
    parts = [document["head"]]
    parts.extend(text for start, end, text in document["instances"]
                 if span_overlaps(rng, start, end, all_day, tz))
    parts.append(_END)
    return "".join(parts).encode("utf-8")
