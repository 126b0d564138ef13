"""The outgoing scheduling mail queue of the storage contract (iMIP, RFC 6047; see
:mod:`oxdav.store.interfaces` for the rules every part keeps)."""

from __future__ import annotations

from typing import Protocol

from .mail_models import QueuedMail, RetryPolicy


class MailQueue(Protocol):
    """The outgoing scheduling mail queue (iMIP, RFC 6047), store-wide.

    A message is queued inside the write transaction of the change that caused it, so
    it exists exactly when that change committed and once per change. Senders claim
    due messages for a lease; on a database several nodes share, each message goes to
    one claimer at a time. Only the claim's holder settles a message. Times are
    wall-clock epoch seconds; ``now`` defaults to the clock (tests pass it).
    """

    async def enqueue_mail(self, context_id: int, sender_id: int, recipient: str,
                           method: str, uid: str, itip: bytes, *,
                           now: float | None = None) -> QueuedMail:
        """Queue ``itip`` for ``recipient``, due now, with a new reply token; tells
        ``MailQueued`` after commit. Needs a write transaction.

        Raises: NotFound (no such user in the context), ValueError (a method that is no
        iTIP method, an address, UID or body out of bounds).
        """
        ...

    async def claim_mail(self, limit: int, lease: float, *, now: float | None = None
                         ) -> list[QueuedMail]:
        """Take up to ``limit`` queued messages that are due and not claimed (or whose
        lease ran out) for ``lease`` seconds, counting an attempt each; by due time.
        Commit before sending: the claim is what keeps others off them."""
        ...

    async def mark_mail_sent(self, mail_id: int, claim: str, *, now: float | None = None
                             ) -> bool:
        """Settle a claimed message as sent; False when ``claim`` no longer holds it."""
        ...

    async def mark_mail_skipped(self, mail_id: int, claim: str, reason: str, *,
                                now: float | None = None) -> bool:
        """Settle a claimed message as not to be sent (``reason`` kept)."""
        ...

    async def mark_mail_failed(self, mail_id: int, claim: str, error: str,
                               policy: RetryPolicy, *, now: float | None = None
                               ) -> QueuedMail | None:
        """An attempt failed: queued again after the policy's back-off, or ``failed``
        once its attempts are used up; the message now, None when ``claim`` no longer
        holds it."""
        ...

    async def mail_by_token(self, token: str) -> QueuedMail | None:
        """The message a reply token names, whatever its state and context."""
        ...

    async def mail(self, mail_id: int, *, context_id: int | None = None) -> QueuedMail:
        """One message (only of ``context_id``, when given). Raises: NotFound."""
        ...

    async def list_mail(self, *, context_id: int | None = None, state: str | None = None,
                        after_id: int = 0, limit: int = 100) -> list[QueuedMail]:
        """Messages by id after ``after_id`` (1 to 1000), of one context or state."""
        ...

    async def retry_mail(self, mail_id: int, *, context_id: int | None = None,
                         now: float | None = None) -> bool:
        """Make a queued or failed message due now with its attempts starting over;
        False for none such (sent and skipped ones are never sent again)."""
        ...

    async def drop_mail(self, mail_id: int, *, context_id: int | None = None) -> bool:
        """Delete a message that was not sent; False for none such."""
        ...

    async def mail_counts(self) -> dict[str, int]:
        """Messages per state (``MAIL_STATES``)."""
        ...

    async def prune_mail(self, older_than: float) -> int:
        """Delete the messages settled before ``older_than``; how many."""
        ...
