"""The outgoing scheduling mail queue: the rules (database-thread functions).

A message is queued inside the write transaction of the change that caused it
(``enqueue``), so it exists exactly when that change committed. Senders take due rows
with a lease (``claim``: a nonce and an expiry; on a shared database each row goes to
one claimer, the others pass it over), and only the holder of the claim settles it:
sent, skipped, or failed with a retry after an exponential back-off (``RetryPolicy``)
until its attempts are used up. A sender that dies holding a claim leaves the row to
be claimed again once the lease has run out. Times are wall-clock epoch seconds, the
clock every node on one database shares, kept as milliseconds.
"""

from __future__ import annotations

import base64
import secrets

from ..errors import NotFound
from ..mail_models import (
    INVITATION_METHODS,
    MAIL_METHODS,
    MAIL_STATES,
    MAX_MAIL_ADDRESS,
    MAX_MAIL_ITIP,
    MAX_MAIL_UID,
    QueuedMail,
    RetryPolicy,
)
from .rows import MailRow, Rows

#: Longest error text kept for a row.
MAX_ERROR = 1000
#: Most rows one listing or claim returns.
MAX_BATCH = 1000


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _mail(row: MailRow) -> QueuedMail:
    (id_, context_id, sender_id, recipient, method, uid, token, itip, state, attempts, due,
     created, settled, last_error, claim, reply_token) = row
    return QueuedMail(int(id_), int(context_id), int(sender_id), recipient, method, uid,
                      token, bytes(itip), state, int(attempts), due / 1000, created / 1000,
                      None if settled is None else settled / 1000, last_error, claim,
                      reply_token)


def new_token() -> str:
    """A reply token: 120 random bits as 24 lower-case base-32 letters and digits, fit
    for the local part of an address (RFC 5321 §4.5.3.1.1: at most 64 octets)."""
    return base64.b32encode(secrets.token_bytes(15)).decode("ascii").lower()


def enqueue(rows: Rows, context_id: int, sender_id: int, recipient: str, method: str,
            uid: str, itip: bytes, now: float) -> QueuedMail:
    """Queue one message, due now. Raises: NotFound (no such user), ValueError."""
    if method not in MAIL_METHODS:
        raise ValueError(f"not an iTIP method: {method!r}")
    if not recipient or len(recipient) > MAX_MAIL_ADDRESS or "@" not in recipient:
        raise ValueError(f"not a mail address: {recipient[:80]!r}")
    if not uid or len(uid) > MAX_MAIL_UID:
        raise ValueError("a queued mail's UID has 1 to 1024 characters")
    if not itip or len(itip) > MAX_MAIL_ITIP:
        raise ValueError(f"an iTIP body has 1 to {MAX_MAIL_ITIP} bytes")
    if rows.user(context_id, sender_id) is None:
        raise NotFound(f"user {sender_id} of context {context_id}")
    token = new_token()
    # The organizer's messages of one invitation share the reply token of the first.
    reply_token = rows.invitation_token(context_id, sender_id, uid, recipient) \
        if method in INVITATION_METHODS else None
    at = _ms(now)
    mail_id = rows.insert_mail(context_id, sender_id, recipient, method, uid, token, itip,
                               at, at, reply_token)
    return QueuedMail(mail_id, context_id, sender_id, recipient, method, uid, token, itip,
                      "queued", 0, at / 1000, at / 1000, None, None, reply_token=reply_token)


def claim(rows: Rows, limit: int, lease: float, now: float) -> list[QueuedMail]:
    """Hand out up to ``limit`` due rows for ``lease`` seconds, under one new nonce."""
    if not 0 < limit <= MAX_BATCH or lease <= 0:
        raise ValueError("a claim takes 1 to 1000 rows for a positive lease")
    nonce = secrets.token_hex(12)
    taken = rows.claim_mail(_ms(now), _ms(now + lease), nonce, limit)
    return sorted((_mail(row) for row in taken), key=lambda m: (m.due, m.id))


def _held(rows: Rows, mail_id: int, nonce: str) -> QueuedMail | None:
    row = rows.mail(mail_id)
    mail = None if row is None else _mail(row)
    return mail if mail is not None and mail.claim == nonce else None


def mark_sent(rows: Rows, mail_id: int, nonce: str, now: float) -> bool:
    """The row was sent; False when the claim no longer holds it."""
    return rows.settle_mail(mail_id, nonce, "sent", _ms(now), None, _ms(now))


def mark_skipped(rows: Rows, mail_id: int, nonce: str, reason: str, now: float) -> bool:
    """Nothing is to be sent for the row (``reason`` says why)."""
    return rows.settle_mail(mail_id, nonce, "skipped", _ms(now), reason[:MAX_ERROR],
                            _ms(now))


def mark_failed(rows: Rows, mail_id: int, nonce: str, error: str, policy: RetryPolicy,
                now: float) -> QueuedMail | None:
    """An attempt failed: due again after the policy's delay, or failed for good once
    the attempts are used up. The row as it is now; None when the claim no longer holds
    it."""
    mail = _held(rows, mail_id, nonce)
    if mail is None:
        return None
    delay = policy.delay(mail.attempts)
    state, due, settled = ("failed", now, now) if delay is None else ("queued", now + delay,
                                                                      None)
    if not rows.settle_mail(mail_id, nonce, state, _ms(due), error[:MAX_ERROR],
                            None if settled is None else _ms(settled)):
        return None
    row = rows.mail(mail_id)
    return None if row is None else _mail(row)


def by_token(rows: Rows, token: str) -> QueuedMail | None:
    """The row a reply token names, in whichever context: of an invitation's rows,
    its newest REQUEST or ADD."""
    if not token or len(token) > 64:
        return None
    row = rows.mail_by_token(token)
    return None if row is None else _mail(row)


def listing(rows: Rows, context_id: int | None, state: str | None, after_id: int,
            limit: int) -> list[QueuedMail]:
    """Rows by id after ``after_id`` (of one context, in one state, when given)."""
    if state is not None and state not in MAIL_STATES:
        raise ValueError(f"a mail state is one of {', '.join(MAIL_STATES)}")
    if not 0 < limit <= MAX_BATCH:
        raise ValueError("a listing has 1 to 1000 rows")
    return [_mail(row) for row in rows.list_mail(context_id, state, after_id, limit)]


def get(rows: Rows, mail_id: int, context_id: int | None) -> QueuedMail:
    """One row (of ``context_id`` when given). Raises: NotFound."""
    row = rows.mail(mail_id)
    if row is None or (context_id is not None and row[1] != context_id):
        raise NotFound(f"mail {mail_id}")
    return _mail(row)


def retry(rows: Rows, mail_id: int, context_id: int | None, now: float) -> bool:
    """Make a queued or failed row due now, its attempts starting over."""
    return rows.requeue_mail(mail_id, context_id, _ms(now))


def drop(rows: Rows, mail_id: int, context_id: int | None) -> bool:
    """Delete a row that was not sent."""
    return rows.delete_mail(mail_id, context_id)


def counts(rows: Rows) -> dict[str, int]:
    """Rows per state (every state named)."""
    found = rows.mail_counts()
    return {state: int(found.get(state, 0)) for state in MAIL_STATES}


def prune(rows: Rows, before: float) -> int:
    """Delete the rows settled before ``before``."""
    return rows.prune_mail(_ms(before))
