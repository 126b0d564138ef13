"""Implicit scheduling (RFC 6638 §3.2): what a write or removal of a calendar object
means for the other calendar users, done in the writer's store transaction.

Why in the transaction and not after commit: the organizer's object must carry each
attendee's SCHEDULE-STATUS when the PUT is answered (§3.2.9), and a colleague's copy and
inbox item are rows of the same database. Writing them in the same transaction makes
the change and its deliveries one: never an invitation without its event or the
reverse, never a delivery lost to a crash between commit and an after-commit job, and
the same on every node (there is no node-local work to hand over). Mail to external
attendees is queued in the same transaction too (:class:`ExternalDelivery`) and sent by
its owner after commit.

The calendar user is the owner of the calendar written (a sharee with write rights
acts for the owner, RFC 6638 §3.2.1), never the requester.
"""

from __future__ import annotations

from dataclasses import dataclass

from icalendar import Calendar

from oxdav.scheduling import itip
from oxdav.scheduling.delivery import (
    DELIVERED,
    INVALID_USER,
    NO_AUTHORITY,
    NO_SUPPORT,
    NOT_DELIVERED,
    SCHEDULE_TAG_PROPERTY,
    Colleagues,
    ExternalDelivery,
    copy_name,
)
from oxdav.scheduling.errors import OrganizerChanged, TooManyAttendees
from oxdav.store.interfaces import Transaction
from oxdav.store.models import User
from oxdav.work import Work

__all__ = ["SCHEDULE_TAG_PROPERTY", "ImplicitScheduler", "apply_reply"]



def addresses_of(user: User) -> frozenset[str]:
    """The user's calendar user addresses, compared form (RFC 6638 §2.4.1)."""
    return frozenset(itip.address(a) for a in (user.email, *user.aliases) if a)


@dataclass
class Role:
    """The calendar owner's part in an object: ``organizer`` or ``attendee`` (with the
    owner's address as it appears there), or neither."""

    kind: str | None
    me: str = ""


def role_of(calendar: Calendar | None, mine: frozenset[str]) -> Role:
    """RFC 6638 §3.1: organizer when the ORGANIZER is the owner's address, attendee
    when one of the ATTENDEEs is."""
    if calendar is None:
        return Role(None)
    organizer = itip.organizer(calendar)
    if organizer is None:
        return Role(None)
    if organizer in mine:
        return Role("organizer", organizer)
    for address in itip.all_attendees(calendar):
        if address in mine:
            return Role("attendee", address)
    return Role(None)


class ImplicitScheduler:
    """The scheduling work of one write transaction.

    Args:
        txn: the write transaction.
        context_id: the context of the calendar written.
        work: where parsing and indexing of copies runs.
        external: the way out for everyone not of this context.
        max_attendees: most attendees one object may list (RFC 4791 §5.2.9).
    """

    def __init__(self, txn: Transaction, context_id: int, work: Work,
                 external: ExternalDelivery, max_attendees: int) -> None:
        self.txn = txn
        self.context_id = context_id
        self.colleagues = Colleagues(txn, context_id, work)
        self.external = external
        self.max_attendees = max_attendees

    # -- entry points ------------------------------------------------------------------

    async def written(self, owner_id: int, old: Calendar | None, new: Calendar) -> bool:
        """Schedule for ``new`` replacing ``old`` (None: created) in a calendar of
        ``owner_id``; ``new`` is changed in place (SCHEDULE-STATUS, answers kept).
        Returns whether it is a scheduling object resource (RFC 6638 §3.1).

        Raises:
            TooManyAttendees: more attendees than allowed.
            OrganizerChanged: the ORGANIZER of a scheduling object changed (§3.2.4.2).
        """
        owner = await self.colleagues.user(owner_id)
        mine = addresses_of(owner)
        before, role = role_of(old, mine), role_of(new, mine)
        if old is not None and before.kind is not None and (
                itip.organizer(old) != itip.organizer(new)):
            raise OrganizerChanged(itip.organizer(old) or "", itip.organizer(new) or "")
        if role.kind is None:
            return False
        if len(itip.all_attendees(new)) > self.max_attendees:
            raise TooManyAttendees(self.max_attendees)
        if role.kind == "organizer":
            await self._organize(owner, mine, old, new)
        else:
            await self._answer(owner, role.me, old, new)
        itip.drop_force_send(new)
        return True

    async def removed(self, owner_id: int, old: Calendar, *, reply: bool = True) -> None:
        """Schedule for the removal of ``old`` from a calendar of ``owner_id``: the
        organizer cancels for everyone (RFC 6638 §3.2.1.3); an attendee declines
        (§3.2.2.3), unless ``reply`` is False (``Schedule-Reply: F``, §8.1)."""
        owner = await self.colleagues.user(owner_id)
        mine = addresses_of(owner)
        role = role_of(old, mine)
        if role.kind == "organizer":
            await self._organize(owner, mine, old, None)
        elif role.kind == "attendee" and reply:
            organizer = itip.by_rid(old)
            org = next((c.get("ORGANIZER") for c in organizer.values()
                        if c.get("ORGANIZER") is not None), None)
            if org is None or itip.schedule_agent(org) != "SERVER":
                return
            message = itip.reply(old, role.me, None, partstat="DECLINED")
            await self._send_reply(owner, role.me, itip.address(org), message, old)

    # -- organizer (RFC 6638 §3.2.1) ---------------------------------------------------

    async def _organize(self, owner: User, mine: frozenset[str], old: Calendar | None,
                        new: Calendar | None) -> None:
        uid = _uid(new if new is not None else old)
        if old is not None and new is not None:
            itip.keep_answers(new, old, mine)
        force = itip.force_send(new) if new is not None else {}
        everyone = {**(itip.all_attendees(old) if old is not None else {}),
                    **(itip.all_attendees(new) if new is not None else {})}
        for address, prop in everyone.items():
            if address in mine or itip.schedule_agent(prop) != "SERVER":
                continue
            before = itip.attendee_view(old, address) if old is not None else None
            after = itip.attendee_view(new, address) if new is not None else None
            messages = _organizer_messages(before, after, force.get(address) == "REQUEST")
            if not messages:
                continue
            status = await self._deliver(owner, address, prop, before, after, messages, uid)
            if new is not None and after is not None:
                itip.set_status(new, address, status, organizer_side=True)

    async def _deliver(self, owner: User, address: str, prop: object,
                       before: Calendar | None, after: Calendar | None,
                       messages: list[tuple[str, bytes]], uid: str) -> str:
        if not itip.is_mailto(prop):
            return INVALID_USER
        recipient = await self.colleagues.recipient(address)
        if recipient.user is None:
            status = NOT_DELIVERED
            for method, message in messages:
                status = await self.external.queue(
                    self.txn, context_id=self.context_id, sender=owner, recipient=address,
                    method=method, message=message, uid=uid)
            return status
        return await self._to_attendee(recipient.user, owner, after, messages, uid)

    async def _to_attendee(self, user: User, organizer: User, view: Calendar | None,
                           messages: list[tuple[str, bytes]], uid: str) -> str:
        """Update a colleague's copy (RFC 6638 §3.2.2.1, §4.1) and leave the messages in
        their inbox. A copy of that UID under another organizer is never touched."""
        kind = _component(view) if view is not None else "VEVENT"
        found = await self.colleagues.find_copy(user, uid, kind)
        theirs = Calendar.from_ical(found[2]) if found is not None else None
        if theirs is not None and itip.organizer(theirs) not in addresses_of(organizer):
            return NO_AUTHORITY
        if view is None:
            if found is not None:
                await found[0].delete(found[1])
        else:
            copy = itip.keep_personal(itip.copy(view), theirs)
            if found is not None:
                await self.colleagues.write(found[0], found[1], copy, user.id)
            else:
                collection = await self.colleagues.default_collection(user, kind)
                if collection is None:
                    return NO_SUPPORT
                await self.colleagues.write(collection, copy_name(uid), copy, user.id)
        for _, message in messages:
            await self.colleagues.to_inbox(user, message)
        return DELIVERED

    # -- attendee (RFC 6638 §3.2.2) ----------------------------------------------------

    async def _answer(self, owner: User, me: str, old: Calendar | None,
                      new: Calendar) -> None:
        org = next((c["ORGANIZER"] for c in itip.scheduled(new) if "ORGANIZER" in c), None)
        if org is None or itip.schedule_agent(org) != "SERVER":
            return
        changed = itip.changed_replies(old, new, me)
        if itip.force_send(new).get(itip.address(org)) == "REPLY":
            changed = sorted(itip.partstats(new, me))
        if not changed:
            return
        message = itip.reply(new, me, changed)
        status = await self._send_reply(owner, me, itip.address(org), message, new)
        itip.set_status(new, itip.address(org), status, organizer_side=False)

    async def _send_reply(self, owner: User, me: str, organizer: str, message: bytes,
                          calendar: Calendar) -> str:
        uid = _uid(calendar)
        recipient = await self.colleagues.recipient(organizer)
        if recipient.user is None:
            return await self.external.queue(
                self.txn, context_id=self.context_id, sender=owner, recipient=organizer,
                method="REPLY", message=message, uid=uid)
        return await apply_reply(self.colleagues, recipient.user, me, message, uid)


async def apply_reply(colleagues: Colleagues, organizer: User, sender: str,
                      message: bytes, uid: str) -> str:
    """Take a REPLY of attendee ``sender`` into the organizer's copy (RFC 6638 §3.2.2.3,
    RFC 5546 §3.2.3) and leave it in their inbox; only the organizer's copy changes
    (nobody else is re-invited). Only a listed attendee of an object the organizer
    organizes is heard: anything else is refused (``3.8``) and changes nothing."""
    calendar = Calendar.from_ical(message)
    found = await colleagues.find_copy(organizer, uid, _component(calendar))
    if found is None:
        return NOT_DELIVERED
    collection, name, data = found
    theirs = Calendar.from_ical(data)
    if itip.organizer(theirs) not in addresses_of(organizer) or (
            sender not in itip.all_attendees(theirs)):
        return NO_AUTHORITY
    if itip.apply_reply(theirs, calendar, sender):
        await colleagues.write(collection, name, theirs, organizer.id)
    await colleagues.to_inbox(organizer, message)
    return DELIVERED


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


def _uid(calendar: Calendar | None) -> str:
    for component in itip.scheduled(calendar) if calendar is not None else []:
        if "UID" in component:
            return str(component["UID"])
    return ""


def _component(calendar: Calendar) -> str:
    found = itip.scheduled(calendar)
    return found[0].name if found else "VEVENT"
