"""iTIP messages that arrive from outside the context (RFC 5546 through iMIP, RFC 6047):
applied to the right user's calendar by :func:`apply_itip`.

The caller (the iMIP reply listener) has already decided that the message answers an
invitation this server sent, and who sent it; this module checks the rest against the
calendar: a REPLY changes the organizer's copy only for an attendee listed there; a
REQUEST or CANCEL changes an attendee's copy only when it comes from the ORGANIZER that
copy already has (or creates one for a new REQUEST).
"""

from __future__ import annotations

from icalendar import Calendar

from oxdav.scheduling import itip
from oxdav.scheduling.delivery import (
    DELIVERED,
    NO_AUTHORITY,
    NO_SUPPORT,
    NOT_DELIVERED,
    Colleagues,
    component_type,
    copy_name,
)
from oxdav.scheduling.implicit import addresses_of, apply_reply
from oxdav.store.interfaces import Store, Transaction
from oxdav.work import INLINE, Work

METHODS = ("REQUEST", "CANCEL", "REPLY")


class BadMessage(ValueError):
    """Not an iTIP message this server takes (RFC 5546 §3)."""


async def apply_itip(txn: Transaction, context_id: int, user_id: int, message: bytes,
                     sender: str, *, work: Work = INLINE) -> str:
    """Apply an iTIP message from ``sender`` to user ``user_id``'s calendar, in ``txn``
    (a write transaction), and leave it in their inbox.

    Args:
        txn: the write transaction it happens in.
        context_id: the recipient's context.
        user_id: the recipient: the organizer for a REPLY, an attendee for a REQUEST
            or CANCEL.
        message: the text/calendar body (METHOD REQUEST, CANCEL or REPLY).
        sender: the sender's calendar user address (``mailto:`` optional), as verified
            by the caller: for a REPLY the attendee, else the organizer.
        work: where indexing of a changed copy runs.

    Returns:
        A status code (RFC 6638 §3.2.9): ``1.2`` applied, ``3.8`` refused (the sender
        has no say over that object), ``5.1`` nothing to apply it to, ``5.3`` the user
        has no calendar for it.

    Raises:
        BadMessage: no iCalendar, an unknown METHOD or no UID.
    """
    try:
        calendar = Calendar.from_ical(message)
    except ValueError as exc:
        raise BadMessage(f"not iCalendar: {exc}") from None
    method = str(calendar.get("METHOD", "")).upper()
    uid = next((str(c["UID"]) for c in itip.scheduled(calendar) if "UID" in c), None)
    if method not in METHODS or uid is None:
        raise BadMessage(f"an iTIP {'/'.join(METHODS)} with a UID is required")
    who = itip.address(sender)
    colleagues = Colleagues(txn, context_id, work)
    user = await colleagues.user(user_id)
    if method == "REPLY":
        return await apply_reply(colleagues, user, who, message, uid)
    if itip.organizer(calendar) != who:
        return NO_AUTHORITY
    kind = component_type(calendar)
    found = await colleagues.find_copy(user, uid, kind)
    theirs = Calendar.from_ical(found[2]) if found is not None else None
    if theirs is not None and itip.organizer(theirs) != who:
        return NO_AUTHORITY
    mine = addresses_of(user)
    if not any(a in mine for a in itip.all_attendees(calendar)):
        return NO_AUTHORITY
    if method == "CANCEL":
        if found is None:
            return NOT_DELIVERED
        cancelled = {itip.rid(c) for c in itip.scheduled(calendar)}
        if "" in cancelled:
            await found[0].delete(found[1])
        else:
            _cancel_instances(theirs, calendar)  # type: ignore[arg-type]
            await colleagues.write(found[0], found[1], theirs, user.id)  # type: ignore[arg-type]
    else:
        view = itip.copy(calendar)
        view.pop("METHOD", None)
        copy = itip.keep_personal(view, theirs)
        if found is not None:
            await colleagues.write(found[0], found[1], copy, user.id)
        else:
            collection = await colleagues.default_collection(user, kind)
            if collection is None:
                return NO_SUPPORT
            await colleagues.write(collection, copy_name(uid), copy, user.id)
    await colleagues.to_inbox(user, message)
    return DELIVERED


def _cancel_instances(calendar: Calendar, message: Calendar) -> None:
    """Mark the instances a CANCEL names as cancelled in an attendee's copy."""
    components = itip.by_rid(calendar)
    for cancelled in itip.scheduled(message):
        key = itip.rid(cancelled)
        target = components.get(key)
        if target is None:
            master = components.get("")
            if master is None:
                continue
            master.add("EXDATE", cancelled["RECURRENCE-ID"].dt)
            continue
        target.pop("STATUS", None)
        target.add("STATUS", "CANCELLED")



async def apply_mailed_reply(store: Store, context_id: int, organizer_id: int,
                             message: bytes, *, work: Work = INLINE) -> str:
    """Apply an iTIP REPLY that came back by mail (RFC 6047 §3) to the organizer's copy,
    in a write transaction of its own. The mail listener has checked it: it answers an
    invitation this server sent, from the attendee it went to, about its UID.

    Returns: the status code of :func:`apply_itip`.

    Raises:
        BadMessage: not a REPLY naming exactly one attendee (RFC 5546 §3.2.3).
    """
    try:
        calendar = Calendar.from_ical(message)
    except ValueError as exc:
        raise BadMessage(f"not iCalendar: {exc}") from None
    replying = set(itip.all_attendees(calendar))
    if str(calendar.get("METHOD", "")).upper() != "REPLY" or len(replying) != 1:
        raise BadMessage("a mailed reply is an iTIP REPLY from one attendee")
    async with store.transaction("iMIP reply", write=True) as txn:
        return await apply_itip(txn, context_id, organizer_id, message, replying.pop(),
                                work=work)
