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

from oxdav.caldav.collection import RECURRENCE_MARKERS
from oxdav.itip_terms import INVALID_USER, NOT_DELIVERED
from oxdav.scheduling import itip, tasks
from oxdav.scheduling.delivery import (
    SCHEDULE_TAG_PROPERTY,
    Colleagues,
    ExternalDelivery,
    copy_name,
)
from oxdav.scheduling.tasks import ORGANIZER, Held, Plan, Settled
from oxdav.store.interfaces import Collection, Transaction
from oxdav.store.models import User
from oxdav.work import Work

#: A size beyond any inline limit.
INFINITE = 2**62

__all__ = ["SCHEDULE_TAG_PROPERTY", "ImplicitScheduler", "addresses_of", "work_size"]


def addresses_of(user: User) -> frozenset[str]:
    """The user's calendar user addresses, compared form (RFC 6638 §2.4.1)."""
    return frozenset(itip.address(a) for a in (user.email, *user.aliases) if a)


def work_size(objects: list[bytes | None], people: int, *, indexes: bool = False) -> int:
    """What the iCalendar work on ``objects`` for ``people`` calendar users weighs, in
    the bytes :meth:`Work.sized_process` compares: every attendee's view and message
    costs about one more pass over the object. Indexing a recurring copy (``indexes``)
    may cost up to max-instances steps, as a PUT's does: always a worker's."""
    present = [data for data in objects if data]
    if indexes and any(marker in data for data in present for marker in RECURRENCE_MARKERS):
        return INFINITE
    return sum(len(data) for data in present) * (1 + people)


def _attendee_count(data: bytes | None) -> int:
    return 0 if data is None else data.count(b"ATTENDEE")


class ImplicitScheduler:
    """The scheduling work of one write transaction: the iCalendar work runs in
    :mod:`oxdav.scheduling.tasks` (a worker process, unless small), the store calls here.

    Args:
        txn: the write transaction.
        context_id: the context of the calendar written.
        work: where the iCalendar work runs.
        external: the way out for everyone not of this context.
        max_attendees: most attendees one object may list (RFC 4791 §5.2.9).
    """

    def __init__(self, txn: Transaction, context_id: int, work: Work,
                 external: ExternalDelivery, max_attendees: int) -> None:
        self.txn = txn
        self.context_id = context_id
        self.work = work
        self.colleagues = Colleagues(txn, context_id)
        self.external = external
        self.max_attendees = max_attendees

    # -- entry points ------------------------------------------------------------------

    async def written(self, owner_id: int, old: bytes | None, new: bytes) -> Settled | None:
        """Schedule for ``new`` replacing ``old`` (None: created) in a calendar of
        ``owner_id``. Returns what to store instead of ``new`` (SCHEDULE-STATUS written,
        answers kept) with its Schedule-Tag, or None when ``new`` is no scheduling
        object resource (RFC 6638 §3.1).

        Raises:
            TooManyAttendees: more attendees than allowed.
            OrganizerChanged: the ORGANIZER of a scheduling object changed (§3.2.4.2).
        """
        owner = await self.colleagues.user(owner_id)
        mine = addresses_of(owner)
        plan = await self.work.sized_process(
            work_size([old, new], max(_attendee_count(old), _attendee_count(new))),
            tasks.plan_change, old, new, mine, self.max_attendees, True)
        if plan.role is None:
            return None
        return await self._carry_out(owner, mine, plan)

    async def removed(self, owner_id: int, old: bytes, *, reply: bool = True) -> None:
        """Schedule for the removal of ``old`` from a calendar of ``owner_id``: the
        organizer cancels for everyone (RFC 6638 §3.2.1.3); an attendee declines
        (§3.2.2.3), unless ``reply`` is False (``Schedule-Reply: F``, §8.1)."""
        owner = await self.colleagues.user(owner_id)
        mine = addresses_of(owner)
        plan = await self.work.sized_process(
            work_size([old], _attendee_count(old)),
            tasks.plan_change, old, None, mine, self.max_attendees, reply)
        if plan.role is not None:
            await self._carry_out(owner, mine, plan)

    # -- delivery ----------------------------------------------------------------------

    async def _carry_out(self, owner: User, mine: frozenset[str], plan: Plan) -> Settled:
        """Deliver ``plan``'s notices: external ones to the way out, colleagues' by
        changing their copies and inboxes; the object gets each one's status."""
        statuses: dict[str, str] = {}
        held: dict[str, Held] = {}
        places: dict[str, tuple[User, Collection | None, str]] = {}
        for notice in plan.notices:
            if not notice.mailto:
                statuses[notice.address] = INVALID_USER
                continue
            recipient = await self.colleagues.recipient(notice.address)
            if recipient.user is None:
                statuses[notice.address] = await self._queue(owner, notice, plan.uid)
                continue
            user = recipient.user
            found = await self.colleagues.find_copy(user, plan.uid, plan.component)
            if found is not None:
                places[notice.address] = (user, found[0], found[1])
                held[notice.address] = Held(found[2], True, addresses_of(user))
                continue
            default = None
            if plan.role == ORGANIZER:
                default = await self.colleagues.default_collection(user, plan.component)
            places[notice.address] = (user, default, copy_name(plan.uid))
            held[notice.address] = Held(None, default is not None, addresses_of(user))
        size = work_size([plan.calendar, *(h.copy for h in held.values())], len(held),
                         indexes=bool(held))
        settled = await self.work.sized_process(size, tasks.settle, plan, mine, held,
                                                statuses)
        for change in settled.changes:
            user, collection, name = places[change.address]
            if collection is not None:  # else: no copy, nowhere to make one
                await self.colleagues.apply(collection, name, change, user.id,
                                            had_copy=held[change.address].copy is not None)
            for message in change.inbox:
                await self.colleagues.to_inbox(user, message)
        return settled

    async def _queue(self, owner: User, notice: tasks.Notice, uid: str) -> str:
        status = NOT_DELIVERED
        for method, message in notice.messages:
            status = await self.external.queue(
                self.txn, context_id=self.context_id, sender=owner,
                recipient=notice.address, method=method, message=message, uid=uid)
        return status
