"""The reply listener: SMTP (or LMTP) on loopback for the site's MTA, taking iTIP REPLY mails
sent to the reply addresses of invitations (``oxdav.imip.replyAddress``).

A recipient is accepted only when its token names an invitation the server sent; the
mail is then checked against that invitation (``replies.check_reply``) and handed to
``apply_reply(context_id, organizer_id, itip)``, the scheduling layer's. A forged,
unknown or mismatched reply is refused (550) and logged; nothing is applied. Bounded:
message size (552), recipients per transaction (452), connections at once (421),
an idle timeout, and the line length of Twisted's SMTP server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.protocol import ServerFactory
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.mail import smtp
from zope.interface import implementer

from oxdav.config import ConfigHolder
from oxdav.store import Store

from .metrics import ImipMetrics
from .replies import ReplyRefused, calendar_reply, check_reply, token_of, token_pattern

log = Logger()

#: Applies an external attendee's REPLY to the organizer's copy:
#: ``(context_id, organizer_id, itip) -> Deferred``.
ApplyReply = Callable[[int, int, bytes], "Deferred[Any]"]


@implementer(smtp.IMessage)
class _ReplyMessage:
    """One reply mail for one accepted recipient (an invitation)."""

    def __init__(self, listener: ReplyListener, invitation: Any) -> None:
        self.listener = listener
        self.invitation = invitation
        self.lines: list[bytes] = []
        self.size = 0

    def lineReceived(self, line: bytes) -> None:
        self.size += len(line) + 2
        if self.size > self.listener.max_size:
            # bytes: Twisted's server writes this one as it is (RCPT refusals take str).
            raise smtp.SMTPServerError(552, b"message exceeds the size limit")
        self.lines.append(line.rstrip(b"\r"))  # a client that sent CRLF for LF

    def eomReceived(self) -> Deferred[None]:
        message = b"".join(line + b"\r\n" for line in self.lines)
        return ensureDeferred(self.listener.take(self.invitation, message))

    def connectionLost(self) -> None:
        self.lines = []


@implementer(smtp.IMessageDelivery)
class _Delivery:
    def __init__(self, protocol: ReplyProtocol) -> None:
        self.protocol = protocol

    def receivedHeader(self, helo: Any, origin: Any, recipients: Any) -> None:
        return None

    def validateFrom(self, helo: Any, origin: Any) -> Any:
        self.protocol.recipients = 0
        return origin

    def validateTo(self, user: smtp.User) -> Deferred[Any]:
        self.protocol.recipients += 1
        if self.protocol.recipients > self.protocol.factory.max_recipients:
            raise smtp.SMTPBadRcpt(user, 452, "too many recipients")
        return ensureDeferred(self.protocol.factory.invitation_for(str(user.dest), user))


class ReplyProtocol(smtp.ESMTP):
    """Twisted's ESMTP server, telling the reply code of a refusal rather than a bare
    550, and refusing connections beyond the limit with 421. A client that greets with
    LHLO speaks LMTP (RFC 2033): after the data it gets one reply per recipient
    accepted (§4.2), in their order."""

    factory: ReplyListener
    recipients = 0
    lmtp = False

    def do_LHLO(self, rest: bytes) -> None:
        self.lmtp = True
        self.do_EHLO(rest)

    def connectionMade(self) -> None:
        self.factory.active += 1
        super().connectionMade()
        if self.factory.active > self.factory.max_connections:
            self.sendCode(421, b"too many connections, try again later")
            self.transport.loseConnection()

    def connectionLost(self, reason: Any) -> None:
        self.factory.active -= 1
        super().connectionLost(reason)

    def _messageHandled(self, resultList: Any) -> None:
        if not isinstance(resultList, list):  # Twisted's "thrown away": no recipients
            self.sendCode(250, b"nothing to deliver")
            return
        replies = [_reply(success, result) for success, result in resultList]
        if self.lmtp:
            for code, text in replies:
                self.sendCode(code, text)
            return
        refused = [(code, text) for code, text in replies if code != 250]
        self.sendCode(*(refused[0] if refused else replies[0]))


def _reply(success: bool, result: Any) -> tuple[int, bytes]:
    """The SMTP reply for one recipient's outcome."""
    if success:
        return 250, b"reply applied"
    error = result.value
    code = error.code if isinstance(error, ReplyRefused | smtp.SMTPServerError) else 451
    reason = getattr(error, "reason", None) or getattr(error, "resp", None) or "local error"
    text = reason if isinstance(reason, bytes) else str(reason).encode()
    return code, text[:200]


class ReplyListener(ServerFactory):
    """The factory of the reply listener.

    Args:
        store: where the invitations' tokens are looked up.
        holder: the configuration (limits, the reply address template).
        apply_reply: applies a genuine REPLY (the scheduling layer's).
        reactor: the reactor (threads for parsing).
        metrics: where outcomes are counted (None: nowhere).
    """

    protocol = ReplyProtocol

    def __init__(self, store: Store, holder: ConfigHolder, apply_reply: ApplyReply,
                 reactor: Any, metrics: ImipMetrics | None = None) -> None:
        self.store = store
        self.holder = holder
        self.apply_reply = apply_reply
        self.reactor = reactor
        self.metrics = metrics
        self.active = 0

    @property
    def max_size(self) -> int:
        return int(self.holder.current.get("oxdav.imip.listener.maxMessageSize"))

    @property
    def max_recipients(self) -> int:
        return int(self.holder.current.get("oxdav.imip.listener.maxRecipients"))

    @property
    def max_connections(self) -> int:
        return int(self.holder.current.get("oxdav.imip.listener.maxConnections"))

    def buildProtocol(self, addr: Any) -> ReplyProtocol:
        proto = ReplyProtocol()
        proto.factory = self
        proto.delivery = _Delivery(proto)
        proto.timeout = self.holder.current.get("oxdav.imip.listener.timeout")
        proto.noisy = False
        hostname = self.holder.current.get("oxdav.hostname")
        if hostname:
            proto.host = hostname.encode("idna")
        return proto

    async def invitation_for(self, recipient: str, user: smtp.User) -> Callable[[], Any]:
        """The message factory for a recipient whose token names an invitation."""
        pattern = token_pattern(self.holder.current.get("oxdav.imip.replyAddress"))
        token = token_of(recipient, pattern)
        invitation = None
        if token is not None:
            async with self.store.transaction("imip: reply token", snapshot=False) as txn:
                invitation = await txn.mail_by_token(token)
        if invitation is None:
            self._refused(recipient, "no invitation has this reply address")
            raise smtp.SMTPBadRcpt(user, 550, "no such invitation")
        return lambda: _ReplyMessage(self, invitation)

    async def take(self, invitation: Any, message: bytes) -> None:
        """Check a reply mail against its invitation and apply it.
        Raises: ReplyRefused (refused, logged; nothing applied)."""
        try:
            reply, itip = await deferToThreadPool(self.reactor, self.reactor.getThreadPool(),
                                                  calendar_reply, message)
            check_reply(invitation, reply)
        except ReplyRefused as refused:
            self._refused(invitation.recipient, refused.reason, invitation)
            raise
        try:
            await self.apply_reply(invitation.context_id, invitation.sender_id, itip)
        except ReplyRefused as refused:
            self._refused(invitation.recipient, refused.reason, invitation)
            raise
        except Exception:
            log.failure("iMIP reply from {attendee} for mail {id} of context {context} "
                        "could not be applied", attendee=invitation.recipient,
                        id=invitation.id, context=invitation.context_id)
            raise smtp.SMTPServerError(451, b"the reply could not be applied now") from None
        if self.metrics is not None:
            self.metrics.replies.labels("applied").inc()
        log.info("iMIP reply from {attendee} for mail {id} (UID {uid}) of context {context}: "
                 "applied", attendee=invitation.recipient, id=invitation.id,
                 uid=invitation.uid, context=invitation.context_id)

    def _refused(self, recipient: str, reason: str, invitation: Any = None) -> None:
        if self.metrics is not None:
            self.metrics.replies.labels("refused").inc()
        log.warn("iMIP reply to {recipient} refused: {reason}{mail}", recipient=recipient,
                 reason=reason, mail="" if invitation is None else
                 f" (mail {invitation.id} of context {invitation.context_id})")
