"""Free/busy requests and replies (RFC 6638 §5, RFC 5546 §3.3): the iCalendar side.

Protocol-free: bytes in, values and bytes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar

from oxdav.scheduling import itip


class BadFreeBusyRequest(ValueError):
    """The body is no VFREEBUSY REQUEST (RFC 6638 §5 CALDAV:valid-scheduling-message)."""


@dataclass(frozen=True)
class FreeBusyRequest:
    """What a VFREEBUSY REQUEST asks: from whom, of whom, when."""

    organizer: str
    organizer_value: str
    attendees: tuple[tuple[str, str], ...]
    """(compared address, address as sent) of each recipient."""
    start: datetime
    end: datetime
    uid: str | None


def parse_request(body: bytes) -> FreeBusyRequest:
    """Raises: BadFreeBusyRequest."""
    try:
        calendar = Calendar.from_ical(body.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadFreeBusyRequest(f"not iCalendar: {exc}") from None
    if str(calendar.get("METHOD", "")).upper() != "REQUEST":
        raise BadFreeBusyRequest("METHOD:REQUEST is required")
    found = [c for c in calendar.subcomponents if c.name == "VFREEBUSY"]
    if len(found) != 1:
        raise BadFreeBusyRequest("exactly one VFREEBUSY is required")
    component = found[0]
    organizer = component.get("ORGANIZER")
    start, end = component.get("DTSTART"), component.get("DTEND")
    attendees = itip.attendees(component)
    if organizer is None or start is None or end is None or not attendees:
        raise BadFreeBusyRequest("ORGANIZER, ATTENDEE, DTSTART and DTEND are required")
    begin, finish = _utc(start.dt), _utc(end.dt)
    if finish <= begin:
        raise BadFreeBusyRequest("DTEND must be after DTSTART")
    uid = component.get("UID")
    return FreeBusyRequest(itip.address(organizer), str(organizer),
                           tuple((itip.address(a), str(a)) for a in attendees),
                           begin, finish, None if uid is None else str(uid))


def _utc(value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise BadFreeBusyRequest("DTSTART and DTEND must be UTC date-times")
    return value.astimezone(UTC)


def reply(freebusy: bytes, request: FreeBusyRequest, attendee: str) -> bytes:
    """A VFREEBUSY REPLY (RFC 5546 §3.3.2) from the VFREEBUSY ``freebusy`` of one
    attendee's calendars."""
    source = Calendar.from_ical(freebusy)
    message = Calendar()
    message.add("VERSION", "2.0")
    message.add("PRODID", itip.PRODID)
    message.add("METHOD", "REPLY")
    for component in source.subcomponents:
        if component.name != "VFREEBUSY":
            continue
        component.add("ORGANIZER", request.organizer_value)
        component.add("ATTENDEE", attendee)
        if request.uid is not None:
            component.add("UID", request.uid)
        message.add_component(component)
    return bytes(message.to_ical())
