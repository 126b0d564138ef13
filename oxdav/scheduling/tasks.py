"""The iCalendar work of scheduling as pure functions, for a worker process
(:meth:`oxdav.work.Work.process`): bytes and plain data in, bytes and plain data out.

Scheduling one change reads the store between two steps of this work, so it comes in
two: :func:`plan_change` parses the old and new object once and says who is told what
(RFC 6638 §3.2); the store is then asked who those addresses are and what copies they
hold; :func:`settle` makes the colleagues' copies, takes a reply into the organizer's
copy and writes each SCHEDULE-STATUS (§3.2.9) into the object. The reactor thread only
makes the store calls, however many attendees a meeting has.
"""

from __future__ import annotations

from dataclasses import dataclass

from icalendar import Calendar

from oxdav.caldav.collection import stored_object_index
from oxdav.itip_terms import DELIVERED, NO_AUTHORITY, NO_SUPPORT, NOT_DELIVERED
from oxdav.scheduling import itip
from oxdav.scheduling.errors import OrganizerChanged, TooManyAttendees
from oxdav.store.models import ObjectIndex

ORGANIZER = "organizer"
ATTENDEE = "attendee"


@dataclass(frozen=True)
class Notice:
    """What one calendar user is told about a change: ``messages`` as (METHOD, bytes)."""

    address: str
    mailto: bool
    messages: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class Plan:
    """Who is told what about a change (:func:`plan_change`).

    ``role`` is the owner's part (None: no scheduling object, nothing to do) and ``me``
    the owner's address as the object names it; ``calendar`` the new object with the
    attendees' answers kept and SCHEDULE-FORCE-SEND gone, before any SCHEDULE-STATUS
    (None for a removal).
    """

    role: str | None
    me: str = ""
    uid: str = ""
    component: str = "VEVENT"
    calendar: bytes | None = None
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Held:
    """What a colleague holds of the object: their copy's bytes (None: none) and
    whether they have a default calendar to take a new one; ``addresses`` are theirs."""

    copy: bytes | None
    has_default: bool
    addresses: frozenset[str]


@dataclass(frozen=True)
class CopyChange:
    """What scheduling does to a colleague: ``data`` (with its index and Schedule-Tag)
    replaces or makes their copy, ``removed`` takes it away, neither leaves it as it
    is; ``inbox`` are the messages left in their inbox."""

    address: str
    inbox: tuple[bytes, ...]
    data: bytes | None = None
    index: ObjectIndex | None = None
    tag: str = ""
    removed: bool = False


@dataclass(frozen=True)
class Settled:
    """The outcome of :func:`settle`: the object to store (None for a removal) with its
    Schedule-Tag, and each colleague's changed copy."""

    calendar: bytes | None
    tag: str
    changes: tuple[CopyChange, ...]
    statuses: tuple[tuple[str, str], ...]


def _parse(data: bytes | None) -> Calendar | None:
    return None if data is None else Calendar.from_ical(data)


def role_of(calendar: Calendar | None, mine: frozenset[str]) -> tuple[str | None, str]:
    """RFC 6638 §3.1: (organizer, address) when the ORGANIZER is one of ``mine``,
    (attendee, address) when one of the ATTENDEEs is, else (None, "")."""
    if calendar is None:
        return None, ""
    organizer = itip.organizer(calendar)
    if organizer is None:
        return None, ""
    if organizer in mine:
        return ORGANIZER, organizer
    for address in itip.all_attendees(calendar):
        if address in mine:
            return ATTENDEE, address
    return None, ""


def plan_change(old: bytes | None, new: bytes | None, mine: frozenset[str],
                max_attendees: int, reply: bool = True) -> Plan:
    """Who is told what when the owner (addresses ``mine``) writes ``new`` over ``old``
    (None: created), or removes ``old`` (``new`` None; ``reply`` False for
    ``Schedule-Reply: F``, RFC 6638 §8.1).

    Raises:
        TooManyAttendees: more attendees than allowed (RFC 4791 §5.2.9).
        OrganizerChanged: the ORGANIZER of a scheduling object changed (§3.2.4.2).
    """
    before, after = _parse(old), _parse(new)
    if after is None:
        return _plan_removal(before, mine, reply)  # type: ignore[arg-type]
    kind, me = role_of(after, mine)
    if before is not None and role_of(before, mine)[0] is not None and (
            itip.organizer(before) != itip.organizer(after)):
        raise OrganizerChanged(itip.organizer(before) or "", itip.organizer(after) or "")
    if kind is None:
        return Plan(None)
    if len(itip.all_attendees(after)) > max_attendees:
        raise TooManyAttendees(max_attendees)
    if kind == ORGANIZER:
        notices = _organize(mine, before, after)
    else:
        notices = _answer(me, before, after)
    itip.drop_force_send(after)
    return Plan(kind, me, _uid(after), _component(after), bytes(after.to_ical()), notices)


def _plan_removal(old: Calendar, mine: frozenset[str], reply: bool) -> Plan:
    """The organizer cancels for everyone (RFC 6638 §3.2.1.3); an attendee declines
    (§3.2.2.3) unless told not to."""
    kind, me = role_of(old, mine)
    uid, component = _uid(old), _component(old)
    if kind == ORGANIZER:
        return Plan(kind, me, uid, component, None, _organize(mine, old, None))
    if kind != ATTENDEE or not reply:
        return Plan(None)
    org = next((c.get("ORGANIZER") for c in itip.scheduled(old)
                if c.get("ORGANIZER") is not None), None)
    if org is None or itip.schedule_agent(org) != "SERVER":
        return Plan(None)
    message = itip.reply(old, me, None, partstat="DECLINED")
    return Plan(kind, me, uid, component, None,
                (Notice(itip.address(org), True, (("REPLY", message),)),))


def _organize(mine: frozenset[str], old: Calendar | None, new: Calendar | None
              ) -> tuple[Notice, ...]:
    """The organizer's notices (RFC 6638 §3.2.1): each attendee the change matters to.
    Attendees of the same instances see the same views, so views and messages are made
    once per set of instances (a meeting of a hundred costs about what one of one does).
    """
    if old is not None and new is not None:
        itip.keep_answers(new, old, mine)
    force = itip.force_send(new) if new is not None else {}
    everyone = {**(itip.all_attendees(old) if old is not None else {}),
                **(itip.all_attendees(new) if new is not None else {})}
    attended_before = itip.attendance(old) if old is not None else {}
    attended_after = itip.attendance(new) if new is not None else {}
    made: dict[tuple[frozenset[str], frozenset[str], bool], tuple[tuple[str, bytes], ...]] = {}
    notices = []
    for address, prop in everyone.items():
        if address in mine or itip.schedule_agent(prop) != "SERVER":
            continue
        key = (attended_before.get(address, frozenset()),
               attended_after.get(address, frozenset()), force.get(address) == "REQUEST")
        if key not in made:
            before = itip.view_of(old, key[0]) if old is not None else None
            after = itip.view_of(new, key[1]) if new is not None else None
            made[key] = tuple(_organizer_messages(before, after, key[2]))
        if made[key]:
            notices.append(Notice(address, itip.is_mailto(prop), made[key]))
    return tuple(notices)


def _answer(me: str, old: Calendar | None, new: Calendar) -> tuple[Notice, ...]:
    """An attendee's REPLY to the organizer for the instances they answered anew
    (RFC 6638 §3.2.2)."""
    org = next((c["ORGANIZER"] for c in itip.scheduled(new) if "ORGANIZER" in c), None)
    if org is None or itip.schedule_agent(org) != "SERVER":
        return ()
    changed = itip.changed_replies(old, new, me)
    if itip.force_send(new).get(itip.address(org)) == "REPLY":
        changed = sorted(itip.partstats(new, me))
    if not changed:
        return ()
    return (Notice(itip.address(org), True, (("REPLY", itip.reply(new, me, changed)),)),)


def _organizer_messages(before: Calendar | None, after: Calendar | None,
                        forced: bool) -> list[tuple[str, bytes]]:
    """What one attendee is sent for a change from ``before`` to ``after`` (their
    views; RFC 6638 §3.2.1.1-3): REQUEST for a new or changed meeting, CANCEL of the
    whole or of instances, nothing for changes that do not matter to them."""
    if after is None:
        return [] if before is None else [("CANCEL", itip.cancel(before))]
    if before is None:
        return [("REQUEST", itip.request(after))]
    gone = itip.cancelled(before, after)
    messages: list[tuple[str, bytes]] = []
    if gone:
        messages.append(("CANCEL", itip.cancel(after, gone)))
    rest_changed = itip.significant(itip.without(before, gone)) != itip.significant(
        itip.without(after, gone))
    if rest_changed or forced:
        messages.append(("REQUEST", itip.request(after)))
    return messages


def settle(plan: Plan, mine: frozenset[str], held: dict[str, Held],
           statuses: dict[str, str]) -> Settled:
    """Carry out ``plan`` for the colleagues in ``held`` (by address) and write every
    notice's SCHEDULE-STATUS into the object: ``statuses`` those already known (external
    and unreachable addresses), the colleagues' found here.

    Args:
        plan: from :func:`plan_change`.
        mine: the owner's addresses.
    """
    calendar = _parse(plan.calendar)
    found = dict(statuses)
    changes = []
    copies = _Copies(calendar)
    for notice in plan.notices:
        colleague = held.get(notice.address)
        if colleague is None:
            continue
        if plan.role == ORGANIZER:
            status, change = copies.for_attendee(mine, notice, colleague)
        else:
            status, change = take_reply(colleague.copy, notice.messages[0][1], plan.me,
                                        colleague.addresses, notice.address)
        found[notice.address] = status
        if change is not None:
            changes.append(change)
    if calendar is None:
        return Settled(None, "", tuple(changes), tuple(sorted(found.items())))
    itip.set_statuses(calendar, found, organizer_side=plan.role == ORGANIZER)
    return Settled(bytes(calendar.to_ical()), itip.schedule_tag(calendar), tuple(changes),
                   tuple(sorted(found.items())))


class _Copies:
    """The colleagues' copies of an organizer's object (RFC 6638 §3.2.2.1, §4.1), made
    once per set of instances attended; a copy with alarms or transparency of its
    owner's (:func:`itip.keep_personal`) is made on its own."""

    def __init__(self, calendar: Calendar | None) -> None:
        self.calendar = calendar
        self.attended = itip.attendance(calendar) if calendar is not None else {}
        self.made: dict[frozenset[str], tuple[Calendar, bytes, ObjectIndex, str]] = {}

    def _plain(self, taking: frozenset[str]) -> tuple[Calendar, bytes, ObjectIndex, str]:
        if taking not in self.made:
            assert self.calendar is not None  # a removal has no copies to make
            view = itip.view_of(self.calendar, taking)
            assert view is not None  # taking is never empty here
            data = bytes(view.to_ical())
            self.made[taking] = (view, data, stored_object_index(data),
                                 itip.schedule_tag(view))
        return self.made[taking]

    def for_attendee(self, mine: frozenset[str], notice: Notice, colleague: Held
                     ) -> tuple[str, CopyChange | None]:
        """A colleague's copy after the organizer's change: a copy of that UID under
        another organizer is never touched."""
        inbox = tuple(message for _, message in notice.messages)
        theirs = None
        if colleague.copy is not None:
            # A copy with nothing of its owner's that names only this organizer needs
            # no parse: it is replaced by the view as it is.
            named = itip.named_organizers(colleague.copy)
            if not named or not named <= mine:
                return NO_AUTHORITY, None
            if len(named) > 1 or itip.may_have_personal(colleague.copy):
                theirs = Calendar.from_ical(colleague.copy)
                if itip.organizer(theirs) not in mine:
                    return NO_AUTHORITY, None
        taking = self.attended.get(notice.address, frozenset())
        if not taking:
            return DELIVERED, CopyChange(notice.address, inbox, removed=True)
        if colleague.copy is None and not colleague.has_default:
            return NO_SUPPORT, None
        view, data, index, tag = self._plain(taking)
        if theirs is not None and itip.has_personal(theirs):
            data = bytes(itip.keep_personal(itip.copy(view), theirs).to_ical())
            index = stored_object_index(data)  # the tag leaves personal things out
        return DELIVERED, CopyChange(notice.address, inbox, data, index, tag)


def take_reply(organizers_copy: bytes | None, message: bytes, sender: str,
               organizer: frozenset[str], address: str = ""
               ) -> tuple[str, CopyChange | None]:
    """A REPLY of attendee ``sender`` taken into the organizer's copy (RFC 6638
    §3.2.2.3, RFC 5546 §3.2.3); only that copy changes (nobody else is re-invited). Only
    a listed attendee of an object organized by one of ``organizer`` (the organizer's
    addresses) is heard: anything else is refused (``3.8``) and changes nothing."""
    if organizers_copy is None:
        return NOT_DELIVERED, None
    theirs = Calendar.from_ical(organizers_copy)
    if itip.organizer(theirs) not in organizer or sender not in itip.all_attendees(theirs):
        return NO_AUTHORITY, None
    if not itip.apply_reply(theirs, Calendar.from_ical(message), sender):
        return DELIVERED, CopyChange(address, (message,))
    data = bytes(theirs.to_ical())
    return DELIVERED, CopyChange(address, (message,), data, stored_object_index(data),
                                 itip.schedule_tag(theirs))


class BadMessage(ValueError):
    """Not an iTIP message this server takes (RFC 5546 §3)."""


#: The iTIP methods taken from outside (RFC 5546 §1.4).
INCOMING_METHODS = ("REQUEST", "CANCEL", "REPLY")


@dataclass(frozen=True)
class Incoming:
    """What an iTIP message from outside says of itself: its METHOD, the object's UID
    and component, the ORGANIZER and the attendees (compared addresses)."""

    method: str
    uid: str
    component: str
    organizer: str | None
    attendees: frozenset[str]


def read_itip(message: bytes) -> Incoming:
    """Read an iTIP message from outside.

    Raises:
        BadMessage: no iCalendar, an unknown METHOD or no UID.
    """
    try:
        calendar = Calendar.from_ical(message)
    except ValueError as exc:
        raise BadMessage(f"not iCalendar: {exc}") from None
    method = str(calendar.get("METHOD", "")).upper()
    uid = _uid(calendar)
    if method not in INCOMING_METHODS or not uid:
        raise BadMessage(f"an iTIP {'/'.join(INCOMING_METHODS)} with a UID is required")
    return Incoming(method, uid, _component(calendar), itip.organizer(calendar),
                    frozenset(itip.all_attendees(calendar)))


def take_itip(message: bytes, organizer: str, copy: bytes | None, has_default: bool
              ) -> tuple[str, CopyChange | None]:
    """A REQUEST or CANCEL of ``organizer`` taken into an attendee's ``copy`` (None:
    they have none; ``has_default``: a calendar to make one in). Only the organizer that
    copy already has is heard (``3.8``)."""
    calendar = Calendar.from_ical(message)
    theirs = _parse(copy)
    if theirs is not None and itip.organizer(theirs) != organizer:
        return NO_AUTHORITY, None
    inbox = (message,)
    if str(calendar.get("METHOD", "")).upper() == "CANCEL":
        if theirs is None:
            return NOT_DELIVERED, None
        if "" in {itip.rid(c) for c in itip.scheduled(calendar)}:
            return DELIVERED, CopyChange("", inbox, removed=True)
        _cancel_instances(theirs, calendar)
        made = theirs
    else:
        if theirs is None and not has_default:
            return NO_SUPPORT, None
        view = itip.copy(calendar)
        view.pop("METHOD", None)
        made = itip.keep_personal(view, theirs)
    data = bytes(made.to_ical())
    return DELIVERED, CopyChange("", inbox, data, stored_object_index(data),
                                 itip.schedule_tag(made))


def _cancel_instances(calendar: Calendar, message: Calendar) -> None:
    """Mark the instances a CANCEL names as cancelled in an attendee's copy."""
    components = itip.by_rid(calendar)
    for cancelled in itip.scheduled(message):
        target = components.get(itip.rid(cancelled))
        if target is None:
            master = components.get("")
            if master is not None:
                master.add("EXDATE", cancelled["RECURRENCE-ID"].dt)
            continue
        target.pop("STATUS", None)
        target.add("STATUS", "CANCELLED")


def _uid(calendar: Calendar) -> str:
    for component in itip.scheduled(calendar):
        if "UID" in component:
            return str(component["UID"])
    return ""


def _component(calendar: Calendar) -> str:
    found = itip.scheduled(calendar)
    return found[0].name if found else "VEVENT"
