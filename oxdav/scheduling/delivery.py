"""Where an iTIP message goes: to a colleague (a user of the same context) by writing
their calendar and inbox in the same store transaction, or to anyone else through
:class:`ExternalDelivery`.

Status codes are RFC 6638 §3.2.9's (RFC 5546 §3.6 REQUEST-STATUS codes, code only).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Protocol

from icalendar import Calendar
from twisted.logger import Logger

from oxdav.caldav.collection import stored_object_index
from oxdav.scheduling import itip
from oxdav.store.errors import NotFound
from oxdav.store.interfaces import Collection, Transaction
from oxdav.store.models import Folder, Module, User
from oxdav.work import INLINE_BYTES, Work

log = Logger()

#: Dead property of an object holding its Schedule-Tag (RFC 6638 §3.2.10), unquoted.
SCHEDULE_TAG_PROPERTY = "{urn:oxdav}schedule-tag"

#: The message was delivered (RFC 6638 §3.2.9, RFC 5546 §3.6 "1.2").
DELIVERED = "1.2"
#: Handed on for later delivery (pending).
PENDING = "1.0"
#: Not a calendar user the server can reach (no mailto: address).
INVALID_USER = "3.7"
#: Refused: the recipient holds that UID from another organizer.
NO_AUTHORITY = "3.8"
#: Could not be delivered (nobody to hand it to).
NOT_DELIVERED = "5.1"
#: The recipient has no calendar to take it (no scheduling support).
NO_SUPPORT = "5.3"


@dataclass(frozen=True)
class Recipient:
    """Whom a message is for: a colleague (``user`` set) or an external address."""

    address: str
    user: User | None


class ExternalDelivery(Protocol):
    """The way out for iTIP messages to anyone who is not a user of the sender's
    context (users of other contexts included: tenants are walls, DESIGN.md §9).

    ``queue`` is called inside the write transaction of the change that caused the
    message, so an implementation that records the message in the store (the iMIP
    mail queue) commits or rolls back with that change, and sends after commit.
    It must not block: no network inside it.
    """

    async def queue(self, txn: Transaction, *, context_id: int, sender: User,
                    recipient: str, method: str, message: bytes, uid: str) -> str:
        """Take one iTIP message for ``recipient`` and say what became of it.

        Args:
            txn: the write transaction of the change.
            context_id: the sender's context.
            sender: the organizer (REQUEST/CANCEL) or the attendee (REPLY).
            recipient: the recipient's address, without ``mailto:``, lower case.
            method: ``REQUEST``, ``CANCEL`` or ``REPLY``.
            message: the iTIP message, a text/calendar body with that METHOD.
            uid: the object's UID.

        Returns:
            The SCHEDULE-STATUS code to record (RFC 6638 §3.2.9): ``1.0`` pending
            (queued), ``1.1``/``1.2`` sent or delivered, ``5.1`` not delivered.
        """
        ...


class UndeliveredExternally:
    """The default :class:`ExternalDelivery`: nothing leaves the server; each message is
    recorded as not delivered (``5.1``) and logged."""

    async def queue(self, txn: Transaction, *, context_id: int, sender: User,
                    recipient: str, method: str, message: bytes, uid: str) -> str:
        log.info("No external delivery: {method} for {uid} from context {context} "
                 "to an external address stays undelivered", method=method, uid=uid,
                 context=context_id)
        return NOT_DELIVERED


def copy_name(uid: str) -> str:
    """The resource name of a copy made by scheduling: the same for one UID."""
    return hashlib.blake2b(uid.encode("utf-8"), digest_size=12).hexdigest() + ".ics"


class Colleagues:
    """Users of one context as calendar users: addresses, calendars and inboxes, over
    the request's write transaction (unrestricted: scheduling decides who may write)."""

    def __init__(self, txn: Transaction, context_id: int, work: Work) -> None:
        self.txn = txn
        self.context_id = context_id
        self.work = work
        self._owned: dict[tuple[int, str], list[Folder]] = {}

    async def _folders(self, user: User, module: Module) -> list[Folder]:
        """The user's own folders of ``module`` (read once per module and transaction:
        scheduling makes no folders)."""
        if (user.id, module) not in self._owned:
            for folder in await self.txn.folders(self.context_id, module=module):
                if folder.owner_id is not None:
                    self._owned.setdefault((folder.owner_id, module), []).append(folder)
            self._owned.setdefault((user.id, module), [])
        return self._owned[(user.id, module)]

    async def recipient(self, address: str) -> Recipient:
        """Who ``address`` (no scheme, lower case) is: a colleague only when it is the
        primary address or an alias of an enabled user of this context."""
        try:
            user = await self.txn.user_by_email(address)
        except NotFound:
            return Recipient(address, None)
        if user.context_id != self.context_id or not user.enabled:
            return Recipient(address, None)
        return Recipient(address, user)

    async def user(self, user_id: int) -> User:
        return await self.txn.user(self.context_id, user_id)

    async def find_copy(self, user: User, uid: str, component: str
                        ) -> tuple[Collection, str, bytes] | None:
        """The user's own object holding ``uid``: (its collection, name, bytes)."""
        module: Module = "tasks" if component == "VTODO" else "calendar"
        for folder in await self._folders(user, module):
            collection = await self.txn.system_collection(self.context_id, folder.id)
            meta = await collection.by_uid(uid)
            if meta is not None:
                stored = await collection.get(meta.name)
                return collection, meta.name, stored.data
        return None

    async def default_collection(self, user: User, component: str) -> Collection | None:
        """The user's default calendar (RFC 6638 §9.2 schedule-default-calendar-URL)."""
        module: Module = "tasks" if component == "VTODO" else "calendar"
        for folder in await self._folders(user, module):
            if folder.is_default:
                return await self.txn.system_collection(self.context_id, folder.id)
        return None

    async def write(self, collection: Collection, name: str, calendar: Calendar,
                    created_by: int) -> None:
        """Write a copy scheduling made, with its Schedule-Tag."""
        data = bytes(calendar.to_ical())
        # As a PUT does: a small object without recurrence indexes inline, the rest in a
        # worker (its instances may take up to max-instances steps).
        cheap = len(data) <= INLINE_BYTES and b"RRULE" not in data and b"RDATE" not in data
        index = stored_object_index(data) if cheap else await self.work.process(
            stored_object_index, data)
        await collection.put(name, data, index, created_by=created_by)
        await collection.set_dead_properties(name, {
            SCHEDULE_TAG_PROPERTY: itip.schedule_tag(calendar)})

    async def to_inbox(self, user: User, message: bytes) -> None:
        """Leave an iTIP message in the user's inbox (RFC 6638 §4.1)."""
        await self.txn.deliver_to_inbox(self.context_id, user.id, f"{uuid.uuid4().hex}.ics",
                                        message)


def component_type(calendar: Calendar) -> str:
    found = itip.scheduled(calendar)
    return found[0].name if found else "VEVENT"
