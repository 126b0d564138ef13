"""Helpers for CalDAV tests: fixture files and small iCalendar bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from oxdav.caldav.ical import ParsedCalendarObject, parse_calendar_object

DATA = Path(__file__).resolve().parent.parent / "data" / "ical"
RFC4791 = DATA / "rfc4791"

#: Everything the RFC 4791 Appendix B collection holds.
ANY_COMPONENT = frozenset({"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY", "VAVAILABILITY"})


def fixture_bytes(name: str) -> bytes:
    """A file under tests/data/ical (e.g. ``"rfc4791/abcd1.ics"``)."""
    return (DATA / name).read_bytes()


def calendar_bytes(*lines: str, version: bool = True) -> bytes:
    """A VCALENDAR around ``lines`` (content lines or whole components), CRLF-terminated."""
    head = ["BEGIN:VCALENDAR"]
    if version:
        head += ["VERSION:2.0", "PRODID:-//oxdav//tests//EN"]
    text = "\n".join([*head, *lines, "END:VCALENDAR"]) + "\n"
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def event(*lines: str, uid: str = "event-1") -> str:
    """A VEVENT with a UID and a DTSTAMP around ``lines``."""
    stamp = "DTSTAMP:20240101T000000Z"
    return "\n".join(["BEGIN:VEVENT", f"UID:{uid}", stamp, *lines, "END:VEVENT"])


def todo(*lines: str, uid: str = "todo-1") -> str:
    """A VTODO with a UID and a DTSTAMP around ``lines``."""
    return "\n".join(["BEGIN:VTODO", f"UID:{uid}", "DTSTAMP:20240101T000000Z", *lines, "END:VTODO"])


def parse(data: bytes, allowed: frozenset[str] = ANY_COMPONENT) -> ParsedCalendarObject:
    """:func:`parse_calendar_object` with generous limits."""
    return parse_calendar_object(data, allowed_components=allowed, max_size=1_000_000)


def utc(text: str) -> datetime:
    """``"20060104T000000Z"`` as an aware datetime."""
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def epoch(text: str) -> int:
    """``"20060104T000000Z"`` as UTC epoch seconds."""
    return int(utc(text).timestamp())
