"""What the mail side reads of an iTIP message (RFC 5546): method, UID, the text
shown to people, the addresses, and whether the event is over.

Parsing is bounded by the size of what was queued or received; callers run it off
the reactor thread.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, date, datetime

import icalendar
import recurring_ical_events
from icalendar.prop import vCalAddress

from oxdav.itip_terms import SCHEDULED, address


@dataclass(frozen=True)
class Itip:
    """One iTIP message as the mail side sees it.

    Attributes:
        method: ``METHOD`` (upper case).
        uid: the UID every scheduled component shares.
        summary: the first component's SUMMARY ('' when none).
        location: its LOCATION ('' when none).
        start: its DTSTART (None when none).
        organizer: the ORGANIZER's address (bare, lower case), '' when none.
        attendees: every ATTENDEE's address (bare, lower case), in order.
        calendar: the parsed object.
    """

    method: str
    uid: str
    summary: str
    location: str
    start: datetime | date | None
    organizer: str
    attendees: tuple[str, ...]
    calendar: icalendar.Calendar


def read_itip(data: bytes) -> Itip:
    """Parse an iTIP message. Raises: ValueError (not iCalendar, no METHOD, no
    scheduled component, or components of several UIDs)."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as e:
        raise ValueError(f"not an iCalendar object: {e}") from e
    method = str(calendar.get("METHOD", "")).upper()
    if not method:
        raise ValueError("an iTIP message has a METHOD (RFC 5546 §1.4)")
    components = [c for c in calendar.subcomponents if c.name in SCHEDULED]
    if not components:
        raise ValueError("no VEVENT or VTODO")
    uids = {str(c.get("UID", "")) for c in components}
    if len(uids) != 1 or "" in uids:
        raise ValueError("an iTIP message schedules one UID (RFC 5546 §1.4)")
    first = components[0]
    attendees: list[str] = []
    for component in components:
        found = component.get("ATTENDEE", [])
        for value in found if isinstance(found, list) else [found]:
            if address(value) not in attendees:
                attendees.append(address(value))
    start = first.get("DTSTART")
    return Itip(method, uids.pop(), str(first.get("SUMMARY", "")),
                str(first.get("LOCATION", "")), None if start is None else start.dt,
                address(first.get("ORGANIZER", "")), tuple(attendees), calendar)


def is_over(itip: Itip, now: float) -> bool:
    """Whether every occurrence the message speaks of ended before ``now`` (epoch
    seconds): nothing about it is worth a mail any more. An open-ended series, or one
    that cannot be expanded, is not over."""
    moment = datetime.fromtimestamp(now, UTC)
    try:
        query = recurring_ical_events.of(itip.calendar, components=list(SCHEDULED))
        for _ in query.after(moment):
            return False
    except (recurring_ical_events.InvalidCalendar, ValueError, TypeError, OverflowError):
        return False
    return True


def with_organizer(itip: Itip, reply_to: str, name: str) -> bytes:
    """The message with ``reply_to`` as its ORGANIZER (the organizer's name kept as CN,
    or ``name``), so that the attendee's calendar program, which sends its REPLY to the
    ORGANIZER (RFC 5546 §3.2.3), answers the server. The message is not changed."""
    calendar = deepcopy(itip.calendar)
    for component in calendar.subcomponents:
        if component.name in SCHEDULED and "ORGANIZER" in component:
            was = component.pop("ORGANIZER")
            organizer = vCalAddress(f"mailto:{reply_to}")
            organizer.params["CN"] = was.params.get("CN") or name
            component.add("ORGANIZER", organizer)
    return bytes(calendar.to_ical())
