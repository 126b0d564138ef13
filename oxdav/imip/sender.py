"""The sender: sends what the mail queue holds, after commit, from any node.

It wakes when a transaction queued mail (the ``MailQueued`` event, which reaches
every node on a shared database) and on a timer (retries, missed events), claims a
batch of due messages with a lease, and sends each by SMTP, settling it as sent,
failed (retried after a back-off) or skipped (iMIP off for the user, the event
already over). Claims keep two nodes from sending one message; a node that dies
while sending leaves it to be claimed again once the lease has run out, so such a
message may go out twice, never zero times. Parsing and composing run on a worker
thread, never on the reactor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, ensureDeferred
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.mail.smtp import SMTPClientError

from oxdav.config import ConfigHolder, ConfigSnapshot
from oxdav.directory.scope import scope_for
from oxdav.store import NotFound, QueuedMail, RetryPolicy, Store, StoreError
from oxdav.store.core.events import MailQueued, StoreEvent
from oxdav.store.mail_models import INVITATION_METHODS

from .compose import compose, reply_address
from .itip import is_over, read_itip, with_organizer
from .metrics import ImipMetrics
from .smtp import SmtpSettings, send_message

log = Logger()

#: Messages one claim takes.
BATCH = 20
#: How often settled messages past their retention are pruned.
PRUNE_EVERY = 3600.0

Send = Callable[[Any, SmtpSettings, str, str, bytes], "Deferred[Any]"]


def smtp_settings(snapshot: ConfigSnapshot) -> SmtpSettings:
    """``oxdav.imip.*`` as the SMTP client takes them; the password file is read now."""
    password = ""
    if snapshot.get("oxdav.imip.passwordFile"):
        text = snapshot.path("oxdav.imip.passwordFile").read_text("utf-8")
        password = text.splitlines()[0] if text else ""
    ca = snapshot.get("oxdav.imip.caFile")
    return SmtpSettings(snapshot.get("oxdav.imip.host"), snapshot.get("oxdav.imip.port"),
                        snapshot.get("oxdav.imip.security"), snapshot.get("oxdav.imip.login"),
                        password, snapshot.path("oxdav.imip.caFile") if ca else None,
                        snapshot.get("oxdav.imip.timeout"))


def retry_policy(snapshot: ConfigSnapshot) -> RetryPolicy:
    return RetryPolicy(snapshot.get("oxdav.imip.maxAttempts"),
                       snapshot.get("oxdav.imip.retryDelay"),
                       snapshot.get("oxdav.imip.maxRetryDelay"))


def prepare(mail: QueuedMail, snapshot: ConfigSnapshot, sender_name: str, now: float
            ) -> tuple[str | None, bytes, SmtpSettings]:
    """(why not to send, or None; the message; the SMTP settings), on a worker thread.
    Raises: ValueError (not an iTIP message), OSError (the password file)."""
    itip = read_itip(mail.itip)
    if is_over(itip, now):
        return "the event is over", b"", smtp_settings(snapshot)
    reply_to = reply_address(snapshot.get("oxdav.imip.replyAddress"),
                             mail.invitation_token)
    calendar = mail.itip
    if reply_to and mail.method in INVITATION_METHODS and snapshot.get(
            "oxdav.imip.organizerAsReplyAddress"):
        calendar = with_organizer(itip, reply_to, sender_name)
    message = compose(mail, itip, sender=snapshot.get("oxdav.imip.sender"),
                      sender_name=sender_name, reply_to=reply_to,
                      now=datetime.fromtimestamp(now, UTC), calendar=calendar)
    # Twisted's SMTP client turns every LF into CRLF itself.
    return None, message.as_bytes(policy=message.policy.clone(linesep="\n")), \
        smtp_settings(snapshot)


class MailSender(Service):
    """Sends the queued scheduling mail.

    Args:
        store: the store whose queue is sent (and whose events wake the sender).
        holder: the configuration (read afresh for every message).
        reactor: the reactor (time, threads, connections).
        metrics: where counts go (None: nowhere).
        send: sends one message (``smtp.send_message``; tests may pass another).
    """

    def __init__(self, store: Store, holder: ConfigHolder, reactor: Any,
                 metrics: ImipMetrics | None = None, send: Send = send_message) -> None:
        self.store = store
        self.holder = holder
        self.reactor = reactor
        self.metrics = metrics
        self._send = send
        self._unsubscribe: Callable[[], None] | None = None
        self._loop: LoopingCall | None = None
        self._running: Deferred[None] | None = None
        self._again = False
        self._pruned = 0.0

    # --- lifecycle ----------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self._unsubscribe = self.store.events.subscribe(self._on_events)  # type: ignore[attr-defined]
        self._loop = LoopingCall(self.wake)
        self._loop.clock = self.reactor
        self._loop.start(self.holder.current.get("oxdav.imip.pollInterval"), now=True)

    def stopService(self) -> Deferred[None]:
        super().stopService()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._again = False
        running = self._running
        done: Deferred[None] = Deferred()
        if running is None:
            done.callback(None)
        else:
            running.addBoth(lambda _: done.callback(None))
        return done

    def _on_events(self, events: Sequence[StoreEvent]) -> None:
        if any(isinstance(event, MailQueued) for event in events):
            self.wake()

    def wake(self) -> Deferred[None] | None:
        """Send what is due now (once more after the pass running, if one is)."""
        if not self.running:
            return None
        if self._running is not None:
            self._again = True
            return self._running
        self._running = ensureDeferred(self._passes())

        def finished(result: object) -> None:
            self._running = None

        self._running.addBoth(finished)
        return self._running

    # --- sending ------------------------------------------------------------------

    async def _passes(self) -> None:
        self._again = True
        while self._again and self.running:
            self._again = False
            try:
                await self._pass()
            except StoreError as error:  # the database is away: the timer tries again
                log.warn("iMIP: the mail queue cannot be read now: {error}", error=error)
                return
            except Exception:
                log.failure("iMIP: the mail queue could not be worked through")
                return

    async def _pass(self) -> None:
        snapshot = self.holder.current
        lease = max(300.0, 5 * snapshot.get("oxdav.imip.timeout"))
        while self.running:
            async with self.store.transaction("imip: claim", write=True) as txn:
                claimed = await txn.claim_mail(BATCH, lease)
            if not claimed:
                break
            for mail in claimed:
                await self._deliver(mail)
        await self._housekeeping(snapshot)

    async def _housekeeping(self, snapshot: ConfigSnapshot) -> None:
        now = self.reactor.seconds()
        prune = now - self._pruned >= PRUNE_EVERY
        async with self.store.transaction("imip: counts", write=prune) as txn:
            if prune:
                self._pruned = now
                await txn.prune_mail(now - snapshot.get("oxdav.imip.retention"))
            counts = await txn.mail_counts()
        if self.metrics is not None:
            self.metrics.queued.set(counts["queued"])

    async def _deliver(self, mail: QueuedMail) -> None:
        snapshot = self.holder.current
        assert mail.claim is not None
        try:
            async with self.store.transaction("imip: sender") as txn:
                context = await txn.context(mail.context_id)
                user = await txn.user(mail.context_id, mail.sender_id)
        except NotFound:
            await self._skip(mail, "the sender is gone")
            return
        if not snapshot.for_scope(scope_for(context, user)).get("oxdav.imip.enabled"):
            await self._skip(mail, "oxdav.imip.enabled is off for the sender")
            return
        now = self.reactor.seconds()
        try:
            why_not, message, smtp = await deferToThreadPool(
                self.reactor, self.reactor.getThreadPool(), prepare, mail, snapshot,
                user.display_name or user.login, now)
        except (ValueError, OSError) as error:
            await self._fail(mail, f"cannot be composed: {error}", RetryPolicy(1))
            return
        if why_not is not None:
            await self._skip(mail, why_not)
            return
        try:
            await self._send(self.reactor, smtp, snapshot.get("oxdav.imip.sender"),
                             mail.recipient, message)
        except Exception as error:  # noqa: BLE001 - any failure of the attempt is logged
            code = getattr(error, "code", None)
            permanent = isinstance(error, SMTPClientError) and isinstance(code, int) and \
                500 <= code < 600
            await self._fail(mail, _reason(error),
                             RetryPolicy(1) if permanent else retry_policy(snapshot))
            return
        async with self.store.transaction("imip: sent", write=True) as txn:
            await txn.mark_mail_sent(mail.id, mail.claim)
        if self.metrics is not None:
            self.metrics.sent.inc()
        log.info("iMIP {method} mail {id} of context {context} to {recipient}: sent",
                 method=mail.method, id=mail.id, context=mail.context_id,
                 recipient=mail.recipient)

    async def _skip(self, mail: QueuedMail, reason: str) -> None:
        assert mail.claim is not None
        async with self.store.transaction("imip: skipped", write=True) as txn:
            await txn.mark_mail_skipped(mail.id, mail.claim, reason)
        if self.metrics is not None:
            self.metrics.skipped.inc()
        log.info("iMIP {method} mail {id} of context {context} to {recipient}: skipped, "
                 "{reason}", method=mail.method, id=mail.id, context=mail.context_id,
                 recipient=mail.recipient, reason=reason)

    async def _fail(self, mail: QueuedMail, error: str, policy: RetryPolicy) -> None:
        assert mail.claim is not None
        async with self.store.transaction("imip: failed", write=True) as txn:
            after = await txn.mark_mail_failed(mail.id, mail.claim, error, policy)
        if self.metrics is not None:
            self.metrics.failed.inc()
        if after is not None and after.state == "queued":
            log.warn("iMIP {method} mail {id} of context {context} to {recipient}: attempt "
                     "{attempt} failed, next in {delay:.0f}s: {error}", method=mail.method,
                     id=mail.id, context=mail.context_id, recipient=mail.recipient,
                     attempt=after.attempts, delay=after.due - self.reactor.seconds(),
                     error=error)
        else:
            log.error("iMIP {method} mail {id} of context {context} to {recipient}: given "
                      "up after {attempts} attempts: {error}", method=mail.method,
                      id=mail.id, context=mail.context_id, recipient=mail.recipient,
                      attempts=mail.attempts, error=error)


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())[:500]
