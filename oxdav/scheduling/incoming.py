"""iTIP messages that arrive from outside the context (RFC 5546 through iMIP, RFC 6047):
applied to the right user's calendar by :func:`apply_itip`.

The caller (the iMIP reply listener) has already decided that the message answers an
invitation this server sent, and who sent it; this module checks the rest against the
calendar: a REPLY changes the organizer's copy only for an attendee listed there; a
REQUEST or CANCEL changes an attendee's copy only when it comes from the ORGANIZER that
copy already has (or creates one for a new REQUEST).
"""

from __future__ import annotations

from oxdav.itip_terms import NO_AUTHORITY
from oxdav.scheduling import itip, tasks
from oxdav.scheduling.delivery import Colleagues, copy_name
from oxdav.scheduling.implicit import addresses_of, work_size
from oxdav.scheduling.tasks import BadMessage
from oxdav.store.interfaces import Store, Transaction
from oxdav.work import INLINE, Work

__all__ = ["BadMessage", "apply_itip", "apply_mailed_reply"]


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
        work: where the iCalendar work runs (:mod:`oxdav.scheduling.tasks`).

    Returns:
        A status code (RFC 6638 §3.2.9): ``1.2`` applied, ``3.8`` refused (the sender
        has no say over that object), ``5.1`` nothing to apply it to, ``5.3`` the user
        has no calendar for it.

    Raises:
        BadMessage: no iCalendar, an unknown METHOD or no UID.
    """
    read = await work.sized_process(len(message), tasks.read_itip, message)
    who = itip.address(sender)
    colleagues = Colleagues(txn, context_id)
    user = await colleagues.user(user_id)
    found = await colleagues.find_copy(user, read.uid, read.component)
    copy = None if found is None else found[2]
    place = None if found is None else (found[0], found[1])
    if read.method == "REPLY":
        status, change = await work.sized_process(
            work_size([message, copy], 1, indexes=True), tasks.take_reply, copy, message,
            who, addresses_of(user))
    else:
        if read.organizer != who or not read.attendees & addresses_of(user):
            return NO_AUTHORITY
        if place is None:
            default = await colleagues.default_collection(user, read.component)
            place = None if default is None else (default, copy_name(read.uid))
        status, change = await work.sized_process(
            work_size([message, copy], 1, indexes=True), tasks.take_itip, message, who,
            copy, place is not None)
    if change is not None and place is not None:
        await colleagues.apply(place[0], place[1], change, user.id, had_copy=copy is not None)
        for inbox in change.inbox:
            await colleagues.to_inbox(user, inbox)
    return status


async def apply_mailed_reply(store: Store, context_id: int, organizer_id: int,
                             message: bytes, *, work: Work = INLINE) -> str:
    """Apply an iTIP REPLY that came back by mail (RFC 6047 §3) to the organizer's copy,
    in a write transaction of its own. The mail listener has checked it: it answers an
    invitation this server sent, from the attendee it went to, about its UID.

    Returns: the status code of :func:`apply_itip`.

    Raises:
        BadMessage: not a REPLY naming exactly one attendee (RFC 5546 §3.2.3).
    """
    read = await work.sized_process(len(message), tasks.read_itip, message)
    if read.method != "REPLY" or len(read.attendees) != 1:
        raise BadMessage("a mailed reply is an iTIP REPLY from one attendee")
    async with store.transaction("iMIP reply", write=True) as txn:
        return await apply_itip(txn, context_id, organizer_id, message,
                                next(iter(read.attendees)), work=work)
