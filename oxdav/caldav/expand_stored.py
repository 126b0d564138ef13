"""CALDAV:expand of a simple stored object without parsing it (RFC 4791 §9.6.5, issue 7).

:func:`oxdav.caldav.expand.expand` parses the object, rewrites every zoned
DATE-TIME in UTC, drops the VTIMEZONEs and serialises again. For an object
indexed with one exact span (:func:`oxdav.caldav.index.exact_event_spans`: one
non-recurring VEVENT in UTC or zoned time, or all-day) the same answer comes
from the stored text: its VTIMEZONE blocks left out and its ``DTSTART;TZID=…``
/ ``DTEND;TZID=…`` lines rewritten to the UTC instants the index already
holds. Anything else in the text that the parse would change (another zoned
value, recurrence properties, parameters besides TZID) makes
:func:`expand_stored` decline, and the caller takes the parsing path.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from oxdav.caldav.filters import span_overlaps
from oxdav.caldav.timerange import TimeRange
from oxdav.store.models import StoredObject

_ZONED = re.compile(r'^(DTSTART|DTEND);TZID=(?:"[^"]*"|[^;:"]*):\d{8}T\d{6}$', re.IGNORECASE)
_RECURRENCE = ("RRULE", "RDATE", "EXDATE", "EXRULE")


def _logical_lines(text: str) -> list[list[str]]:
    """Physical lines (with their line ends) grouped into unfolded content lines."""
    groups: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        if line[:1] in (" ", "\t") and groups:
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _utc_text(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%dT%H%M%SZ")


def expand_stored(stored: StoredObject, rng: TimeRange, tz: tzinfo = UTC) -> bytes | None:
    """The §9.6.5 expansion of ``stored`` over ``rng`` from its text and index, if simple.

    Returns:
        The calendar-data, or ``None`` when the object needs
        :func:`oxdav.caldav.expand.expand` (more than one instance, an instance
        outside ``rng``, or text the parse would rewrite otherwise).
    """
    meta = stored.meta
    if meta.component != "VEVENT" or meta.exact_spans is None or len(meta.exact_spans) != 1:
        return None
    start, end = meta.exact_spans[0]
    if not span_overlaps(rng, start, end, meta.floating_spans, tz):
        return None
    try:
        text = stored.data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.startswith("\ufeff"):
        return None
    out: list[str] = []
    in_timezone = False
    events = 0
    for group in _logical_lines(text):
        raw = "".join(group)
        line = "".join(part.rstrip("\r\n").lstrip(" \t") if n else part.rstrip("\r\n")
                       for n, part in enumerate(group))
        upper = line.upper()
        if upper == "BEGIN:VTIMEZONE":
            in_timezone = True
        if in_timezone:
            in_timezone = upper != "END:VTIMEZONE"
            continue
        events += upper == "BEGIN:VEVENT"
        if upper.split(";", 1)[0].split(":", 1)[0] in _RECURRENCE:
            return None
        if "TZID" not in upper:
            out.append(raw)
            continue
        zoned = _ZONED.match(line)
        if zoned is None or meta.floating_spans:
            return None
        name = zoned.group(1).upper()
        if name == "DTEND" and start == end:
            return None  # an end before its start was clamped; let the parse say
        ending = raw[len(raw.rstrip("\r\n")):]
        out.append(f"{name}:{_utc_text(start if name == 'DTSTART' else end)}{ending}")
    if events != 1 or in_timezone:
        return None
    return "".join(out).encode("utf-8")
