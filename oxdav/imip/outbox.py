"""The way out for attendees who are not colleagues: scheduling calls ``queue`` inside
the write transaction of the change that invites, updates, cancels or answers, and
the message commits with that change (``Transaction.enqueue_mail``); the sender
sends it after commit."""

from __future__ import annotations

from twisted.logger import Logger

from oxdav.config import ConfigHolder
from oxdav.directory.scope import scope_for
from oxdav.itip_terms import NOT_DELIVERED, PENDING, address
from oxdav.store import Transaction, User

log = Logger()


class ImipDelivery:
    """iMIP delivery of iTIP messages (RFC 6047): the scheduling layer's way out for
    attendees who are not colleagues (``scheduling.delivery.ExternalDelivery``).

    Args:
        holder: the configuration; ``oxdav.imip.enabled`` of the sender's scope decides
            at queue time whether a message is queued at all.
    """

    def __init__(self, holder: ConfigHolder) -> None:
        self.holder = holder

    async def queue(self, txn: Transaction, *, context_id: int, sender: User,
                    recipient: str, method: str, message: bytes, uid: str) -> str:
        """Queue ``message`` (METHOD ``method``, UID ``uid``) from ``sender`` to the
        calendar user address ``recipient`` in ``txn``; the SCHEDULE-STATUS to record.

        An address, UID or message the queue does not take (over its bounds) is not
        delivered, and the change goes on.
        """
        context = await txn.context(context_id)
        scope = scope_for(context, sender)
        if not self.holder.current.for_scope(scope).get("oxdav.imip.enabled"):
            return NOT_DELIVERED
        try:
            await txn.enqueue_mail(context_id, sender.id, address(recipient),
                                   method.upper(), uid, message)
        except ValueError as refused:
            log.info("Not queued: {method} for {uid} from context {context}: {why}",
                     method=method, uid=uid[:80], context=context_id, why=str(refused))
            return NOT_DELIVERED
        return PENDING
