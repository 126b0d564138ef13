"""The outgoing scheduling mail queue's models (iMIP, RFC 6047): a queued message and
when a failed one is tried again."""

from __future__ import annotations

from dataclasses import dataclass

#: What a queued mail's ``method`` may be (the iTIP methods iMIP carries, RFC 5546 §1.4).
MAIL_METHODS = frozenset({"REQUEST", "CANCEL", "REPLY", "ADD", "REFRESH", "COUNTER",
                          "DECLINECOUNTER", "PUBLISH"})
#: The organizer's methods of an invitation: its messages share one reply address.
INVITATION_METHODS = frozenset({"REQUEST", "ADD", "CANCEL"})
#: A queued mail's states: waiting to be sent (or retried), sent, given up after its
#: retries, or skipped (nothing to tell any more, e.g. an event already over).
MAIL_STATES = ("queued", "sent", "failed", "skipped")
#: Longest recipient address and UID a queued mail may carry, and largest iTIP body.
MAX_MAIL_ADDRESS = 320
MAX_MAIL_UID = 1024
MAX_MAIL_ITIP = 10 * 1024 * 1024


@dataclass(frozen=True)
class QueuedMail:
    """One message of the outgoing scheduling mail queue (iMIP, RFC 6047) to one
    recipient. Times are epoch seconds.

    Attributes:
        id: the row's number, store-wide.
        context_id: the context whose change caused it.
        sender_id: the user it is sent for (the organizer, or the replying attendee).
        recipient: the recipient's bare e-mail address.
        method: the iTIP method (``REQUEST``, ``CANCEL``, ``REPLY``…).
        uid: the calendar object's UID.
        token: the secret naming this message.
        itip: the iTIP object (text/calendar, UTF-8).
        state: one of ``MAIL_STATES``.
        attempts: sending attempts made so far.
        due: when it is (next) to be tried.
        created: when it was queued.
        settled: when it was sent, given up or skipped; None while queued.
        last_error: why the last attempt failed, or why it was skipped.
        claim: the nonce of the claim that handed it out (``claim_mail``), else None.
        reply_token: the token of the first message of the same invitation (the
            organizer's messages about one UID to one recipient), None on that first one
            and on replies.
    """

    id: int
    context_id: int
    sender_id: int
    recipient: str
    method: str
    uid: str
    token: str
    itip: bytes
    state: str
    attempts: int
    due: float
    created: float
    settled: float | None
    last_error: str | None
    claim: str | None = None
    reply_token: str | None = None

    @property
    def invitation_token(self) -> str:
        """The secret of its reply address: the same for every message of an
        invitation, so that a reply to any of them finds it."""
        return self.reply_token or self.token


@dataclass(frozen=True)
class RetryPolicy:
    """When a mail that failed is tried again: after ``first_delay`` seconds, doubling
    per further failure up to ``max_delay``; after ``max_attempts`` attempts it fails."""

    max_attempts: int = 8
    first_delay: float = 60.0
    max_delay: float = 6 * 3600.0

    def delay(self, attempts: int) -> float | None:
        """Seconds until the next attempt after ``attempts`` failed ones; None: give up."""
        if attempts >= self.max_attempts:
            return None
        return min(self.max_delay, self.first_delay * 2 ** max(0, attempts - 1))
