"""A whole calendar as one iCalendar file, and an iCalendar file as calendar objects.

Export (GET of a calendar collection, ``oxdav-admin folder export``): one VCALENDAR
with oxdav's PRODID holding every object's components as stored, byte for byte, each
VTIMEZONE once (the first definition of a TZID wins), placed before the first
component that comes with it (RFC 5545 §3.6 leaves the order of components free).

Import (``oxdav-admin folder import``): the components of a file grouped by UID (a
series with its overrides, RFC 4791 §4.1), each group with the VTIMEZONEs it names
(RFC 4791 §4.1: one per TZID used), under the file's VERSION, PRODID and CALSCALE: one
calendar object resource per UID, which the PUT path then validates whole.

Both only frame the text: components are found by their ``BEGIN:``/``END:`` lines and
copied with their own bytes (folding and line ends kept), so an object exported and
imported again comes back as it was stored when it has that shape: the file's
calendar properties, its VTIMEZONEs before its other components in the order they are
first named, and no VTIMEZONE another object defined differently. Properties are read
(UID, TZID) with icalendar's content-line parser; the PUT path parses the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import icalendar
from icalendar.parser import Contentline

from oxdav.caldav.freebusy import PRODID
from oxdav.folders.whole import FileObject

#: The media type of a whole calendar (RFC 5545 §8.1).
CALENDAR_FILE_TYPE = "text/calendar; charset=utf-8"
CALENDAR_BEGIN = b"BEGIN:VCALENDAR\r\n"
CALENDAR_END = b"END:VCALENDAR\r\n"
#: Calendar properties an imported object keeps from its file (not METHOD: RFC 4791 §4.1).
KEPT_CALENDAR_PROPERTIES = ("VERSION", "PRODID", "CALSCALE")
_TZID_PARAMETER = re.compile(r";\s*TZID\s*=", re.IGNORECASE)


class CalendarFileError(ValueError):
    """The file is no iCalendar text (its components do not nest)."""


@dataclass
class Block:
    """One top-level component of a VCALENDAR: its name and its physical lines."""

    name: str
    lines: list[bytes] = field(default_factory=list)

    def logical_lines(self) -> Iterator[tuple[int, str]]:
        """Unfolded lines (RFC 5545 §3.1) with their nesting depth (1: the component's
        own properties), BEGIN and END lines left out."""
        depth = 0
        for line in unfold(self.lines):
            upper = line[:6].upper()
            if upper.startswith("BEGIN:"):
                depth += 1
            elif upper.startswith("END:"):
                depth -= 1
            else:
                yield depth, line

    def own_value(self, name: str) -> str | None:
        """The value of the component's own property ``name`` (first one)."""
        for depth, line in self.logical_lines():
            if depth == 1 and property_name(line) == name:
                return property_value(line)
        return None

    def tzids_named(self) -> list[str]:
        """The TZID parameters of its properties (nested ones too), first use first."""
        found: list[str] = []
        for _, line in self.logical_lines():
            if _TZID_PARAMETER.search(line.split(":", 1)[0]):
                try:
                    tzid = Contentline(line).parts()[1].get("TZID")
                except ValueError:
                    continue
                if tzid and tzid not in found:
                    found.append(str(tzid))
        return found

    @property
    def data(self) -> bytes:
        return b"".join(self.lines)


def unfold(lines: list[bytes]) -> Iterator[str]:
    """Logical lines of physical ones (a line starting with a space or tab continues
    the one before)."""
    current: str | None = None
    for raw in lines:
        line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
        if current is not None and line[:1] in (" ", "\t"):
            current += line[1:]
            continue
        if current is not None:
            yield current
        current = line
    if current is not None:
        yield current


def property_name(line: str) -> str:
    """The name of a content line, upper case."""
    return re.split(r"[;:]", line, maxsplit=1)[0].strip().upper()


def property_value(line: str) -> str:
    """The value of a content line (icalendar's parser, which knows quoted parameters)."""
    try:
        return str(Contentline(line).parts()[2])
    except ValueError:
        return line.split(":", 1)[-1]


def frame(data: bytes) -> tuple[list[bytes], list[Block]]:
    """The calendar property lines of the first VCALENDAR in ``data`` and the top-level
    components of all of them (an iCalendar stream may hold several, RFC 5545 §3.4).

    Raises:
        CalendarFileError: text outside a VCALENDAR, or components that do not nest.
    """
    properties: list[bytes] = []
    blocks: list[Block] = []
    current: Block | None = None
    depth = 0
    calendars = 0
    for number, line in enumerate(data.splitlines(keepends=True), 1):
        if not line.endswith((b"\n", b"\r")):
            line += b"\r\n"
        bare = line.rstrip(b"\r\n")
        if not bare.strip():
            continue
        upper = bare[:6].upper()
        if upper.startswith(b"BEGIN:"):
            name = bare[6:].strip().upper().decode("ascii", "replace")
            if depth == 0:
                if name != "VCALENDAR":
                    raise CalendarFileError(f"line {number}: {name} outside a VCALENDAR")
                depth = 1
                continue
            if depth == 1:
                current = Block(name)
            depth += 1
        elif upper.startswith(b"END:"):
            if depth <= 1:
                if depth == 0:
                    raise CalendarFileError(f"line {number}: END without BEGIN")
                depth, calendars = 0, calendars + 1
                continue
            depth -= 1
        elif depth == 0:
            raise CalendarFileError(f"line {number}: text outside a VCALENDAR")
        elif depth == 1:
            if calendars == 0:
                properties.append(line)
            continue
        assert current is not None
        current.lines.append(line)
        if depth == 1:
            blocks.append(current)
            current = None
    if depth:
        raise CalendarFileError("the file ends inside a component")
    if not calendars:
        raise CalendarFileError("no VCALENDAR in the file")
    return properties, blocks


# -- export ------------------------------------------------------------------------------

def calendar_header(name: str | None) -> bytes:
    """BEGIN:VCALENDAR with VERSION, oxdav's PRODID and the calendar's name
    (``X-WR-CALNAME``, which CalendarServer and most clients read)."""
    calendar = icalendar.Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    if name:
        calendar.add("X-WR-CALNAME", icalendar.vText(name))
    text = calendar.to_ical()
    assert text.endswith(CALENDAR_END)
    return text[:-len(CALENDAR_END)]


def timezone_id(block: Block) -> str:
    """The TZID of a VTIMEZONE (empty when it has none)."""
    return block.own_value("TZID") or ""


def calendar_chunk(objects: list[bytes], seen: frozenset[str]
                   ) -> tuple[bytes, list[str], list[int]]:
    """The components of ``objects`` for the whole calendar: a pure function, run in a
    worker process for a large batch.

    Args:
        objects: stored calendar objects.
        seen: TZIDs whose VTIMEZONE an earlier chunk carried.

    Returns:
        The chunk, the TZIDs it added, and the positions of objects that could not be
        framed (left out; the stored bytes were validated on PUT, so none should be).
    """
    out: list[bytes] = []
    added: list[str] = []
    broken: list[int] = []
    for position, data in enumerate(objects):
        try:
            _, blocks = frame(data)
        except CalendarFileError:
            broken.append(position)
            continue
        for block in blocks:
            if block.name == "VTIMEZONE":
                tzid = timezone_id(block)
                if tzid in seen or tzid in added:
                    continue
                added.append(tzid)
            out.append(block.data)
    return b"".join(out), added, broken


# -- import ------------------------------------------------------------------------------

def calendar_objects(data: bytes) -> list[FileObject]:
    """The calendar objects of a file, one per UID in the order first met; a component
    without UID is an object of its own (which the PUT path refuses).

    Raises:
        CalendarFileError: the file does not frame as iCalendar.
    """
    properties, blocks = frame(data)
    header = _kept_properties(properties)
    timezones: dict[str, Block] = {}
    groups: dict[object, list[Block]] = {}
    for position, block in enumerate(blocks):
        if block.name == "VTIMEZONE":
            timezones.setdefault(timezone_id(block), block)
            continue
        uid = block.own_value("UID")
        groups.setdefault(uid if uid is not None else ("no-uid", position), []).append(block)
    objects: list[FileObject] = []
    for key, members in groups.items():
        named: list[str] = []
        for block in members:
            named += [tzid for tzid in block.tzids_named() if tzid not in named]
        used = [timezones[tzid].data for tzid in named if tzid in timezones]
        body = b"".join([CALENDAR_BEGIN, header, *used, *(b.data for b in members),
                         CALENDAR_END])
        objects.append(FileObject(key if isinstance(key, str) else None, body))
    return objects


def _kept_properties(lines: list[bytes]) -> bytes:
    """The physical lines of the calendar properties an object keeps."""
    kept: list[bytes] = []
    keep = False
    for line in lines:
        if line[:1] not in (b" ", b"\t"):
            keep = property_name(line.decode("utf-8", "replace")) in KEPT_CALENDAR_PROPERTIES
        if keep:
            kept.append(line)
    return b"".join(kept)
