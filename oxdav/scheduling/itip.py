"""iTIP (RFC 5546) over iCalendar objects: who organizes and attends, what each attendee
sees, what changed for them, and the REQUEST, CANCEL and REPLY messages.

Protocol-free: plain ``icalendar`` objects in, objects or bytes out; no store, no HTTP.
An instance is named by its RECURRENCE-ID in UTC text (``rid``); the master is ``""``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from copy import deepcopy
from datetime import UTC, date, datetime
from typing import Any

from icalendar import Calendar, Component
from icalendar.parser import Contentlines
from icalendar.prop import vCalAddress

from oxdav.itip_terms import SCHEDULED, address

#: Parameters only the server sets or reads (RFC 6638 §3.2.9, §3.2.10).
SERVER_PARAMETERS = ("SCHEDULE-STATUS", "SCHEDULE-FORCE-SEND")
#: What a calendar user changes for themselves: never a reason to tell anyone
#: (RFC 6638 §3.2.10 "significant" changes).
_PERSONAL_PROPERTIES = ("DTSTAMP", "LAST-MODIFIED", "CREATED", "SEQUENCE", "TRANSP")
_PERSONAL_PARAMETERS = ("PARTSTAT", "RSVP", *SERVER_PARAMETERS)
PRODID = "-//oxdav//scheduling//EN"


def is_mailto(value: Any) -> bool:
    """Whether a calendar user address is a ``mailto:`` one (the only kind delivered)."""
    return str(value).strip().lower().startswith("mailto:") and "@" in str(value)


def scheduled(calendar: Component) -> list[Component]:
    """The VEVENT/VTODO components of an object (master and overridden instances)."""
    return [c for c in calendar.subcomponents if c.name in SCHEDULED]


def rid(component: Component) -> str:
    """The instance a component stands for: its RECURRENCE-ID in UTC text, ``""`` for
    the master."""
    value = component.get("RECURRENCE-ID")
    return "" if value is None else _instant(value.dt)


def _instant(value: date | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%Y%m%dT%H%M%S")
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")


def by_rid(calendar: Component) -> dict[str, Component]:
    return {rid(c): c for c in scheduled(calendar)}


def organizer(calendar: Component) -> str | None:
    """The organizer's address (RFC 5545 §3.8.4.3), from the first component with one."""
    for component in scheduled(calendar):
        value = component.get("ORGANIZER")
        if value is not None:
            return address(value)
    return None


def attendees(component: Component) -> list[vCalAddress]:
    found = component.get("ATTENDEE")
    if found is None:
        return []
    return list(found) if isinstance(found, list) else [found]


def attendee(component: Component, who: str) -> vCalAddress | None:
    """The ATTENDEE property of ``who`` in ``component``."""
    for value in attendees(component):
        if address(value) == who:
            return value
    return None


def all_attendees(calendar: Component) -> dict[str, vCalAddress]:
    """Every attendee of every instance, by address (first occurrence)."""
    found: dict[str, vCalAddress] = {}
    for component in scheduled(calendar):
        for value in attendees(component):
            found.setdefault(address(value), value)
    return found


def schedule_agent(value: vCalAddress) -> str:
    """SCHEDULE-AGENT of an ATTENDEE or ORGANIZER (RFC 6638 §7.1; SERVER by default)."""
    return str(value.params.get("SCHEDULE-AGENT", "SERVER")).upper()


def force_send(calendar: Component) -> dict[str, str]:
    """SCHEDULE-FORCE-SEND (RFC 6638 §7.2) by address: REQUEST or REPLY."""
    found: dict[str, str] = {}
    for component in scheduled(calendar):
        for value in [*attendees(component), component.get("ORGANIZER")]:
            if value is not None and "SCHEDULE-FORCE-SEND" in value.params:
                found[address(value)] = str(value.params["SCHEDULE-FORCE-SEND"]).upper()
    return found


def copy(component: Component) -> Any:
    """A deep copy of a component or calendar (several times cheaper than writing and
    parsing it again)."""
    return deepcopy(component)


def _clean(component: Component, *, alarms: bool = False) -> Component:
    """Drop server-only parameters (and the VALARMs, unless ``alarms``)."""
    if not alarms:
        component.subcomponents = [c for c in component.subcomponents if c.name != "VALARM"]
    for value in [*attendees(component), component.get("ORGANIZER")]:
        if value is not None:
            for name in SERVER_PARAMETERS:
                value.params.pop(name, None)
    return component


def _calendar_like(source: Component, method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", source.get("PRODID", PRODID))
    if method:
        calendar.add("METHOD", method)
    for component in source.subcomponents:
        if component.name == "VTIMEZONE":
            calendar.add_component(copy(component))
    return calendar


def attendance(calendar: Component) -> dict[str, frozenset[str]]:
    """The instances (rids) each attendee attends, by address: one pass over the
    object, so that views are made per set of instances, not per attendee."""
    found: dict[str, set[str]] = {}
    for component in scheduled(calendar):
        key = rid(component)
        for value in attendees(component):
            found.setdefault(address(value), set()).add(key)
    return {who: frozenset(rids) for who, rids in found.items()}


def attendee_view(calendar: Component, who: str) -> Calendar | None:
    """What attendee ``who`` gets of the organizer's object (RFC 6638 §3.2.2.1); see
    :func:`view_of`."""
    return view_of(calendar, attendance(calendar).get(who, frozenset()))


def view_of(calendar: Component, taking: frozenset[str]) -> Calendar | None:
    """What an attendee of the instances ``taking`` gets of the organizer's object
    (RFC 6638 §3.2.2.1): those instances, the master's other overrides as EXDATEs (an
    attendee added to one instance only gets that instance), no alarms, no server
    parameters; None when they attend nothing. The same for every attendee of the
    same instances."""
    components = by_rid(calendar)
    master = components.get("")
    if not taking:
        return None
    view = _calendar_like(calendar)
    for key in sorted(taking):
        if key not in components:
            continue
        mine = _clean(copy(components[key]))
        if key == "" and master is not None:
            for other, override in components.items():
                if other and other not in taking:
                    mine.add("EXDATE", override.get("RECURRENCE-ID").dt)
        view.add_component(mine)
    return view


def significant(calendar: Component | None) -> bytes:
    """The object as far as it matters to others (RFC 6638 §3.2.10): without alarms,
    stamps, sequence, transparency and participation, in a stable order. Equal for two
    objects that differ only in what one calendar user changes for themselves."""
    if calendar is None:
        return b""
    lines: list[str] = []
    for component in sorted(scheduled(calendar), key=rid):
        mine = _clean(copy(component))
        for name in _PERSONAL_PROPERTIES:
            mine.pop(name, None)
        for key in list(mine.keys()):
            if key.startswith(("X-MOZ-", "X-APPLE-", "X-MICROSOFT-", "X-LIC-")):
                mine.pop(key)
        for value in [*attendees(mine), mine.get("ORGANIZER")]:
            if value is not None:
                for name in _PERSONAL_PARAMETERS:
                    value.params.pop(name, None)
        text = mine.to_ical().decode("utf-8").replace("\r\n ", "")
        lines.append("\n".join(sorted(text.split("\r\n"))))
    return "\n--\n".join(lines).encode("utf-8")


def schedule_tag(calendar: Component) -> str:
    """The Schedule-Tag (RFC 6638 §3.2.10) of a scheduling object: a hash of its
    significant content, so it changes exactly when that does. Unquoted."""
    return hashlib.blake2b(significant(calendar), digest_size=12).hexdigest()


def partstats(calendar: Component | None, who: str) -> dict[str, str]:
    """PARTSTAT of ``who`` per instance (NEEDS-ACTION when not given)."""
    if calendar is None:
        return {}
    found: dict[str, str] = {}
    for component in scheduled(calendar):
        value = attendee(component, who)
        if value is not None:
            found[rid(component)] = str(value.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
    return found


def changed_replies(old: Component | None, new: Component, who: str) -> list[str]:
    """The instances whose PARTSTAT ``who`` changed (RFC 6638 §3.2.2.3): a new override
    is compared with the master's answer."""
    before, after = partstats(old, who), partstats(new, who)
    changed = []
    for key, value in after.items():
        previous = before.get(key, before.get("", "NEEDS-ACTION"))
        if value != previous:
            changed.append(key)
    return sorted(changed)


def cancelled(old: Component | None, new: Component | None) -> list[str]:
    """Instances cancelled from ``old`` to ``new``: a new EXDATE of the master or a
    STATUS:CANCELLED override (RFC 5546 §3.2.5)."""
    if old is None or new is None:
        return []
    before, after = by_rid(old), by_rid(new)
    found = set(_exdates(after.get("")) - _exdates(before.get("")))
    for key, component in after.items():
        status = str(component.get("STATUS", "")).upper()
        was = str(before[key].get("STATUS", "")).upper() if key in before else ""
        if key and status == "CANCELLED" and was != "CANCELLED":
            found.add(key)
    return sorted(found)


def _exdates(master: Component | None) -> set[str]:
    if master is None:
        return set()
    values = master.get("EXDATE", [])
    found: set[str] = set()
    for entry in values if isinstance(values, list) else [values]:
        found.update(_instant(d.dt) for d in entry.dts)
    return found


def without(calendar: Component, rids: Iterable[str]) -> Any:
    """``calendar`` with the instances ``rids`` neither excluded nor overridden: so that
    comparing two versions shows whether anything besides those cancellations changed."""
    gone = set(rids)
    result = copy(calendar)
    result.subcomponents = [c for c in result.subcomponents
                            if c.name not in SCHEDULED or rid(c) not in gone]
    master = by_rid(result).get("")
    if master is not None and "EXDATE" in master:
        kept = [d.dt for d in _exdate_values(master) if _instant(d.dt) not in gone]
        master.pop("EXDATE")
        for value in kept:
            master.add("EXDATE", value)
    return result


def _exdate_values(master: Component) -> Iterator[Any]:
    values = master.get("EXDATE", [])
    for entry in values if isinstance(values, list) else [values]:
        yield from entry.dts


def _stamped(component: Component, now: datetime) -> Component:
    component.pop("DTSTAMP", None)
    component.add("DTSTAMP", now)
    return component


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def request(view: Component) -> bytes:
    """METHOD:REQUEST of an attendee's view (RFC 5546 §3.2.2)."""
    message = _calendar_like(view, "REQUEST")
    now = _now()
    for component in scheduled(view):
        message.add_component(_stamped(copy(component), now))
    return bytes(message.to_ical())


def cancel(view: Component, rids: Iterable[str] | None = None) -> bytes:
    """METHOD:CANCEL of the whole object (``rids`` None) or of some instances
    (RFC 5546 §3.2.5): STATUS:CANCELLED, a SEQUENCE one up."""
    message = _calendar_like(view, "CANCEL")
    now = _now()
    components = by_rid(view)
    master = components.get("")
    wanted = [""] if rids is None and master is not None else list(rids or components)
    for key in wanted:
        if key in components:
            component = copy(components[key])
        elif master is not None:
            component = _instance_of(master, key)
        else:
            continue
        component.subcomponents = []
        if key:
            for name in ("RRULE", "RDATE", "EXDATE"):
                component.pop(name, None)
        component.pop("STATUS", None)
        component.add("STATUS", "CANCELLED")
        sequence = int(component.get("SEQUENCE", 0))
        component.pop("SEQUENCE", None)
        component.add("SEQUENCE", sequence + 1)
        message.add_component(_stamped(component, now))
    return bytes(message.to_ical())


def reply(calendar: Component, who: str, rids: Iterable[str] | None = None,
          partstat: str | None = None) -> bytes:
    """METHOD:REPLY of attendee ``who`` for the instances ``rids`` (all when None;
    RFC 5546 §3.2.3): each component with only that attendee, ``partstat`` if given."""
    message = _calendar_like(calendar, "REPLY")
    now = _now()
    components = by_rid(calendar)
    for key in (sorted(components) if rids is None else rids):
        if key not in components:
            continue
        component = _clean(copy(components[key]))
        mine = attendee(component, who)
        if mine is None:
            continue
        component.pop("ATTENDEE")
        if partstat is not None:
            mine.params["PARTSTAT"] = partstat
        component.add("ATTENDEE", mine)
        message.add_component(_stamped(component, now))
    return bytes(message.to_ical())


def _instance_of(master: Component, key: str) -> Component:
    """An override of ``master`` for instance ``key`` at its unmoved time."""
    start = master["DTSTART"].dt
    when = _parse_instant(key, start)
    component = copy(master)
    for name in ("RRULE", "RDATE", "EXDATE", "DTSTART", "DTEND", "RECURRENCE-ID"):
        component.pop(name, None)
    component.add("RECURRENCE-ID", when)
    component.add("DTSTART", when)
    end = master.get("DTEND")
    if end is not None:
        component.add("DTEND", when + (end.dt - start))
    return component


def _parse_instant(key: str, like: date | datetime) -> date | datetime:
    if len(key) == 8:
        return datetime.strptime(key, "%Y%m%d").date()
    if key.endswith("Z"):
        value = datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if isinstance(like, datetime) and like.tzinfo is not None:
            return value.astimezone(like.tzinfo)
        return value
    return datetime.strptime(key, "%Y%m%dT%H%M%S")


def apply_reply(calendar: Component, message: Component, who: str) -> list[str]:
    """Take ``who``'s PARTSTAT from a REPLY into the organizer's object, in place
    (RFC 5546 §3.2.3, RFC 6638 §3.2.2.3): only for instances where ``who`` attends; an
    instance not yet overridden gets its own override. Returns the instances changed."""
    components = by_rid(calendar)
    changed = []
    for answer in scheduled(message):
        key = rid(answer)
        given = attendee(answer, who)
        if given is None:
            continue
        target = components.get(key)
        if target is None:
            master = components.get("")
            if master is None or attendee(master, who) is None or key in _exdates(master):
                continue
            target = _instance_of(master, key)
            calendar.add_component(target)
            components[key] = target
        mine = attendee(target, who)
        if mine is None:
            continue
        value = str(given.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
        if str(mine.params.get("PARTSTAT", "")).upper() != value:
            mine.params["PARTSTAT"] = value
            changed.append(key)
        mine.params.pop("SCHEDULE-STATUS", None)
    return changed


def keep_personal(new: Component, old: Component | None) -> Component:
    """An attendee's new copy with what they set for themselves kept from their old one
    (RFC 6638 §3.2.2.1): alarms and transparency, per instance."""
    if old is None:
        return new
    before = by_rid(old)
    for component in scheduled(new):
        previous = before.get(rid(component), before.get(""))
        if previous is None:
            continue
        for alarm in previous.subcomponents:
            if alarm.name == "VALARM":
                component.add_component(copy(alarm))
        if "TRANSP" in previous:
            component.pop("TRANSP", None)
            component.add("TRANSP", previous["TRANSP"])
    return new


def named_organizers(data: bytes) -> frozenset[str]:
    """Every ORGANIZER address in an object's text, read from its content lines without
    building the object (a fraction of the cost of parsing a large one)."""
    found = set()
    for line in Contentlines.from_ical(data):
        if line[:9].upper() == "ORGANIZER":
            name, _, value = line.parts()
            if name.upper() == "ORGANIZER":
                found.add(address(value))
    return frozenset(found)


def may_have_personal(data: bytes) -> bool:
    """Whether an object's text may hold what :func:`keep_personal` keeps (cheap, and
    never wrong when it says no)."""
    text = data.upper()
    return b"VALARM" in text or b"TRANSP" in text


def has_personal(calendar: Component) -> bool:
    """Whether an attendee's copy holds anything :func:`keep_personal` keeps."""
    return any("TRANSP" in c or any(a.name == "VALARM" for a in c.subcomponents)
               for c in scheduled(calendar))


def set_statuses(calendar: Component, statuses: dict[str, str], *,
                 organizer_side: bool) -> None:
    """Write SCHEDULE-STATUS (RFC 6638 §3.2.9, status code only) by address: on the
    ATTENDEEs (the organizer's object) or on the ORGANIZER (an attendee's object)."""
    for component in scheduled(calendar):
        values = attendees(component) if organizer_side else [component.get("ORGANIZER")]
        for value in values:
            if value is not None:
                status = statuses.get(address(value))
                if status is not None:
                    value.params["SCHEDULE-STATUS"] = status


def set_status(calendar: Component, who: str, status: str, *, organizer_side: bool) -> None:
    """:func:`set_statuses` for one address."""
    set_statuses(calendar, {who: status}, organizer_side=organizer_side)


def drop_force_send(calendar: Component) -> None:
    for component in scheduled(calendar):
        for value in [*attendees(component), component.get("ORGANIZER")]:
            if value is not None:
                value.params.pop("SCHEDULE-FORCE-SEND", None)


def timing(component: Component) -> tuple[Any, ...]:
    """When an instance happens: its start, end, duration and rules."""
    return tuple(str(component.get(name).to_ical()) if name in component else None
                 for name in ("DTSTART", "DTEND", "DUE", "DURATION", "RRULE", "RDATE"))



def keep_answers(new: Component, old: Component, mine: frozenset[str]) -> None:
    """Keep the attendees' answers of ``old`` in the organizer's ``new``, in place, for
    every instance whose time did not change: only an attendee answers for themselves
    (RFC 6638 §3.2.2.3), and an organizer's client that had not yet seen a reply must not
    undo it. A rescheduled instance takes what the organizer's client sent (typically
    NEEDS-ACTION, RFC 5546 §2.1.4)."""
    before = by_rid(old)
    for component in scheduled(new):
        key = rid(component)
        previous = before.get(key)
        if previous is None:
            continue
        if timing(previous) != timing(component):
            continue
        for value in attendees(component):
            who = address(value)
            if who in mine or schedule_agent(value) != "SERVER":
                continue
            answered = attendee(previous, who)
            if answered is not None and "PARTSTAT" in answered.params:
                value.params["PARTSTAT"] = answered.params["PARTSTAT"]
