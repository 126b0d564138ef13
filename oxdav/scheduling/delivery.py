"""Where an iTIP message goes: to a colleague (a user of the same context) by writing
their calendar and inbox in the same store transaction, or to anyone else through
:class:`ExternalDelivery`.

Status codes are in :mod:`oxdav.itip_terms`.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Protocol

from twisted.logger import Logger

from oxdav.itip_terms import NOT_DELIVERED
from oxdav.scheduling.tasks import CopyChange
from oxdav.store.errors import NotFound
from oxdav.store.interfaces import Collection, Transaction
from oxdav.store.models import Folder, Module, User

log = Logger()

#: Dead property of an object holding its Schedule-Tag (RFC 6638 §3.2.10), unquoted.
SCHEDULE_TAG_PROPERTY = "{urn:oxdav}schedule-tag"

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

    def __init__(self, txn: Transaction, context_id: int) -> None:
        self.txn = txn
        self.context_id = context_id
        self._owned: dict[tuple[int, str], list[Folder]] = {}

    async def _folders(self, user: User, module: Module) -> list[Folder]:
        """The user's own folders of ``module`` (read once per user, module and
        transaction: scheduling makes no folders)."""
        key = (user.id, module)
        if key not in self._owned:
            home = await self.txn.home(self.context_id, user.id)
            self._owned[key] = [f for f in await home.folders(module)
                                if f.owner_id == user.id]
        return self._owned[key]

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

    async def apply(self, collection: Collection, name: str, change: CopyChange,
                    created_by: int, *, had_copy: bool) -> None:
        """Make, replace or remove a copy as scheduling decided (with its Schedule-Tag)."""
        if change.removed:
            if had_copy:
                await collection.delete(name)
        elif change.data is not None:
            assert change.index is not None
            await collection.put(name, change.data, change.index, created_by=created_by)
            await collection.set_dead_properties(name, {SCHEDULE_TAG_PROPERTY: change.tag})

    async def to_inbox(self, user: User, message: bytes) -> None:
        """Leave an iTIP message in the user's inbox (RFC 6638 §4.1)."""
        await self.txn.deliver_to_inbox(self.context_id, user.id, f"{uuid.uuid4().hex}.ics",
                                        message)
