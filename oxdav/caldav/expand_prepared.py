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
epoch seconds (all-day: midnights as if in UTC, read in the query's zone). An
indexed series' (:func:`prepare_series_expansion`) are a template and its spans, laid
out as :data:`SERIES_FORMAT` says.
"""

from __future__ import annotations

import bisect
import json
import operator
import struct
import sys
import zlib
from array import array
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any

from icalendar import Component
from twisted.logger import Logger

from oxdav.caldav.budget import charge
from oxdav.caldav.expand import (
    expansion_frame,
    instance_component,
    placed_properties,
    start_key,
)
from oxdav.caldav.filters import span_overlaps
from oxdav.caldav.freebusy import busy_type, clip
from oxdav.caldav.ical import ParsedCalendarObject
from oxdav.caldav.index import exact_span
from oxdav.caldav.instance_index import series_master, span_of, unusual
from oxdav.caldav.instances import Instance, top_level
from oxdav.caldav.timerange import TimeRange, instances_overlapping, to_utc
from oxdav.store.models import InstanceSpans

log = Logger()

#: Version of the prepared bytes; others are ignored (parsing path).
FORMAT = 1
_END = "END:VCALENDAR\r\n"


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
    if unusual(top_level(calendar, "VEVENT")):
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
    document = _load(prepared)
    if document is None:
        log.warn("Unreadable prepared expansion; parsing the object instead")
        return None
    if "starts" in document:
        return _expand_series(document, rng, tz)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    all_day = bool(document["all_day"])
    parts = [document["head"]]
    parts.extend(text for start, end, text in document["instances"]
                 if span_overlaps(rng, start, end, all_day, tz))
    parts.append(_END)
    return "".join(parts).encode("utf-8")


#: Version of the prepared bytes of an indexed series (:func:`prepare_series_expansion`):
#: 2 is one zlib JSON document with the generated spans as a flat list (still read),
#: 3 the same document without them, followed by them as two arrays (:func:`_load`).
SERIES_FORMAT = 3
#: Starts format 3: no zlib stream starts with a zero byte. Then ``<II``: the length of
#: the zlib JSON header and the number of generated instances; the header; their starts
#: (from the header's ``base``) and their lengths, each an array of the header's
#: ``type`` (``i`` or ``q``), little-endian. Reading them is a copy, not a JSON parse
#: of every instance in the window (that was half of an expand).
_SERIES_MAGIC = b"\x00OX3"
_SERIES_COUNTS = struct.Struct("<II")
#: Seconds a floating or all-day span's instant lies at most from its wall-clock value.
_WALL_SLACK = 86_400
_WALL_EPOCH = datetime(1970, 1, 1)
_SLOT_NAMES = {"DTSTART": 0, "DTEND": 1, "RECURRENCE-ID": 0}


def _value(epoch: int, kind: str) -> str:
    """A span's DTSTART/DTEND/RECURRENCE-ID value: ``%Y%m%dT%H%M%SZ`` (zoned, in UTC),
    ``%Y%m%dT%H%M%S`` (floating) or ``%Y%m%d`` (all-day) of the epoch read as UTC,
    from cached texts of the day and of the clock (one strftime per value was half
    the work of an expand)."""
    day, second = divmod(epoch, 86_400)
    if kind == "all-day":
        return _day_text(day)
    clock = _clock_text(second)
    return f"{_day_text(day)}T{clock}Z" if kind == "zoned" else f"{_day_text(day)}T{clock}"


@lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return (_WALL_EPOCH + timedelta(days=day)).strftime("%Y%m%d")


@lru_cache(maxsize=4096)
def _clock_text(second: int) -> str:
    return f"{second // 3600:02d}{second // 60 % 60:02d}{second % 60:02d}"


def _slots(template: _Template, span: tuple[int, int], kind: str
           ) -> list[list[Any]] | None:
    """Where a generated instance's own lines go in the template: ``[position, text
    before the value, 0 for its start or 1 for its end]``; ``None`` when its lines are
    not the template's value at a fixed place (then it is left to the parsing path)."""
    slots = []
    for name, position in template.positions.items():
        which = _SLOT_NAMES.get(name)
        if which is None:
            return None
        line = template.lines[position].decode("utf-8")
        value = _value(span[which], kind)
        if not line.endswith(value) or "\r\n" in line:
            return None
        slots.append([position, line[:-len(value)], which])
    return slots


def _fill(lines: list[str], slots: list[list[Any]], start: int, end: int, kind: str) -> str:
    filled = list(lines)
    for position, before, which in slots:
        filled[position] = before + _value(end if which else start, kind)
    return "\r\n".join(filled) + "\r\n"


def prepare_series_expansion(parsed: ParsedCalendarObject, index: InstanceSpans,
                             instances: list[Instance]) -> bytes | None:
    """The expansion of an indexed series (:mod:`oxdav.caldav.instance_index`) over its
    window, for :func:`expand_prepared`: the frame, one rendered generated instance as
    a template whose DTSTART, DTEND and RECURRENCE-ID lines are filled from each span,
    and the overridden instances as text. Each generated instance's text is checked
    against the parsing path's rendering of it while preparing a few; any difference,
    and two instances at one start, leave the object to the parsing path (``None``).
    """
    kind = "zoned" if not index.floating else (
        "floating" if instances and isinstance(instances[0].start, datetime) else "all-day")
    try:
        head = expansion_frame(parsed.calendar).to_ical(sorted=False).decode("utf-8")
        generated: list[tuple[int, int]] = []
        overrides: list[list[Any]] = []
        template: _Template | None = None
        slots: list[list[Any]] | None = None
        lines: list[str] = []
        for instance in instances:
            span = span_of(instance, kind)
            placed = placed_properties(instance)
            if span is None:
                return None
            if not placed:
                overrides.append([*span, instance_component(instance).to_ical(
                    sorted=False).decode("utf-8"), busy_type(instance.component)])
                continue
            if template is None:
                template = _Template(instance_component(instance), placed)
                slots = _slots(template, span, kind)
                if slots is None or len(slots) != len(placed):
                    return None
                lines = [line.decode("utf-8") for line in template.lines]
            generated.append(span)
        generated.sort()
        starts = [span[0] for span in generated] + [o[0] for o in overrides]
        if len(set(starts)) != len(starts) or not head.endswith(_END):
            return None
        assert slots is not None or not generated
        for position in {0, len(generated) // 2, len(generated) - 1} if generated else ():
            instance = next(i for i in instances
                            if placed_properties(i) and span_of(i, kind) == generated[position])
            assert template is not None and slots is not None
            expected = template.fill(placed_properties(instance))
            if expected is None or expected.decode("utf-8") != _fill(
                    lines, slots, *generated[position], kind):
                return None
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        log.debug("No prepared expansion for {uid}: {error}", uid=parsed.uid, error=error)
        return None
    base = generated[0][0] if generated else 0
    starts = [start - base for start, _ in generated]
    lengths = [end - start for start, end in generated]
    typecode = "i" if max(starts[-1:] + lengths, default=0) < 2**31 else "q"
    document = {"format": SERIES_FORMAT, "kind": kind, "head": head[:-len(_END)],
                "from": index.indexed_from, "until": index.indexed_until,
                "lines": lines, "slots": slots or [],
                "longest": max(lengths, default=0), "base": base, "type": typecode,
                "busy": busy_type(master) if (master := series_master(parsed.calendar))
                is not None else None,
                "overrides": overrides}
    header = zlib.compress(json.dumps(document, separators=(",", ":")).encode("utf-8"))
    return b"".join([_SERIES_MAGIC, _SERIES_COUNTS.pack(len(header), len(generated)), header,
                     _little_endian(array(typecode, starts)),
                     _little_endian(array(typecode, lengths))])


def _little_endian(values: array[int]) -> bytes:
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def _load(prepared: bytes) -> dict[str, Any] | None:
    """The document of prepared bytes, or ``None`` when they do not read. A series'
    (format 2 or 3) has its generated spans as ``starts`` from ``base`` and
    ``lengths``."""
    try:
        if not prepared.startswith(_SERIES_MAGIC):
            document = json.loads(zlib.decompress(prepared))
            if isinstance(document, dict) and document.get("format") == 2:
                flat = document.pop("generated")
                starts = flat[0::2]
                document.update(base=0, starts=starts,
                                lengths=list(map(operator.sub, flat[1::2], starts)))
            return document if isinstance(document, dict) else None
        offset = len(_SERIES_MAGIC) + _SERIES_COUNTS.size
        header_length, count = _SERIES_COUNTS.unpack_from(prepared, len(_SERIES_MAGIC))
        document = json.loads(zlib.decompress(prepared[offset:offset + header_length]))
        offset += header_length
        for key in ("starts", "lengths"):
            values = array(document["type"])
            end = offset + count * values.itemsize
            values.frombytes(prepared[offset:end])
            if sys.byteorder == "big":
                values.byteswap()
            document[key], offset = values, end
    except (zlib.error, ValueError, TypeError, KeyError, struct.error):
        return None
    if not isinstance(document, dict) or offset != len(prepared):
        return None
    return document


def _expand_series(document: dict[str, Any], rng: TimeRange, tz: tzinfo) -> bytes | None:
    """:func:`expand_prepared` for a :func:`prepare_series_expansion` document: only
    inside the indexed window, else the parsing path (``None``)."""
    if rng.start is None or rng.end is None:
        return None
    low, high = int(rng.start.timestamp()) - _WALL_SLACK, int(rng.end.timestamp()) + _WALL_SLACK
    if low < document["from"] or high > document["until"]:
        return None
    kind = document["kind"]
    wall = kind != "zoned"
    base, starts, lengths = document["base"], document["starts"], document["lengths"]
    first = bisect.bisect_left(starts, low - document["longest"] - base)
    last = bisect.bisect_right(starts, high - base)
    found: list[tuple[int, str]] = []
    lines, slots = document["lines"], document["slots"]
    # More than a day inside the range, a span meets it in every zone (§9.9).
    inner_low, inner_high = low + 2 * _WALL_SLACK, high - 2 * _WALL_SLACK
    for number in range(first, last):
        start = base + starts[number]
        end = start + lengths[number]
        if inner_low < start and end < inner_high or span_overlaps(rng, start, end, wall, tz):
            found.append((start, _fill(lines, slots, start, end, kind)))
    found.extend((start, text) for start, end, text, _ in document["overrides"]
                 if span_overlaps(rng, start, end, wall, tz))
    found.sort(key=lambda item: item[0])
    charge(len(found))  # what the parsing path would have expanded, at least
    return "".join([document["head"], *(text for _, text in found), _END]).encode("utf-8")


def _instant(value: int, wall: bool, tz: tzinfo) -> datetime:
    if not wall:
        return datetime.fromtimestamp(value, UTC)
    return to_utc(_WALL_EPOCH + timedelta(seconds=value), tz)


def indexed_busy(prepared: bytes | None, rng: TimeRange, tz: tzinfo = UTC
                 ) -> list[tuple[str, tuple[datetime, datetime]]] | None:
    """The busy periods of an indexed series in ``rng`` (RFC 4791 §7.10), clipped, as
    :func:`oxdav.caldav.freebusy.busy_periods` finds them by parsing; ``None`` when the
    object has no :func:`prepare_series_expansion` bytes or ``rng`` leaves their window.
    """
    if prepared is None or rng.start is None or rng.end is None:
        return None
    document = _load(prepared)
    if document is None or "starts" not in document:
        return None
    low, high = int(rng.start.timestamp()) - _WALL_SLACK, int(rng.end.timestamp()) + _WALL_SLACK
    if low < document["from"] or high > document["until"]:
        return None
    wall = document["kind"] != "zoned"
    spans: list[tuple[int, int, str | None]] = []
    base, starts, lengths = document["base"], document["starts"], document["lengths"]
    busy = document["busy"]
    if busy is not None:
        first = bisect.bisect_left(starts, low - document["longest"] - base)
        for number in range(first, bisect.bisect_right(starts, high - base)):
            start = base + starts[number]
            spans.append((start, start + lengths[number], busy))
    spans.extend((start, end, kind) for start, end, _, kind in document["overrides"])
    found = []
    for start, end, kind in spans:
        if kind is None:
            continue
        period = clip(_instant(start, wall, tz), _instant(end, wall, tz), rng)
        if period is not None:
            found.append((kind, period))
    charge(len(found))
    return found
