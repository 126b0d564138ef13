"""The way out for attendees who are not colleagues: scheduling calls ``queue`` inside
the write transaction of the change that invites, updates, cancels or answers, and
the message commits with that change (``Transaction.enqueue_mail``); the sender
sends it after commit."""

from __future__ import annotations

from oxdav.store import QueuedMail, Transaction

from .itip import address


class ImipDelivery:
    """iMIP delivery of iTIP messages (RFC 6047), for the scheduling layer."""

    async def queue(self, txn: Transaction, context_id: int, sender_id: int,
                    recipient: str, method: str, itip: bytes, uid: str) -> QueuedMail:
        """Queue ``itip`` (METHOD ``method``, UID ``uid``) from user ``sender_id`` to the
        calendar user address ``recipient`` (``mailto:`` or bare), in ``txn``.

        Raises: NotFound (no such sender), ValueError (an address, method, UID or body
        the queue does not take).
        """
        return await txn.enqueue_mail(context_id, sender_id, address(recipient),
                                      method.upper(), uid, itip)
