"""The reply listener through a real SMTP client (Twisted's ``sendmail``) on loopback:
a genuine iTIP REPLY to an invitation's reply address reaches ``apply_reply``; forged
tokens, other attendees, other UIDs (another context's invitation among them) and
oversized mails are refused and nothing is applied."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
import pytest_twisted
from twisted.internet.defer import succeed
from twisted.mail import smtp

from oxdav.imip.listener import ReplyListener
from oxdav.imip.metrics import ImipMetrics
from oxdav.store import open_store

from .support import config, enqueue, itip, reactor, tenant

REPLY_TO = "oxdav+{token}@replies.acme.example"


@pytest_twisted.async_yield_fixture()
async def store(tmp_path):
    store = open_store("sqlite:store.sqlite3", tmp_path, reactor())
    await store.start()
    yield store
    await store.stop()


class Scheduling:
    """Stands in for the scheduling layer: records what it was asked to apply."""

    def __init__(self) -> None:
        self.applied: list[tuple[int, int, bytes]] = []
        self.fail = False

    def apply_reply(self, context_id: int, organizer_id: int, data: bytes):
        if self.fail:
            raise RuntimeError("the organizer's copy is locked")
        self.applied.append((context_id, organizer_id, data))
        return succeed(None)


@pytest_twisted.async_yield_fixture()
async def listener(tmp_path, store):
    from prometheus_client import CollectorRegistry

    holder = config(tmp_path / "etc", f"oxdav.imip.replyAddress = {REPLY_TO}\n"
                    "oxdav.imip.listener.maxMessageSize = 20k\n")
    scheduling = Scheduling()
    factory = ReplyListener(store, holder, scheduling.apply_reply, reactor(),
                            ImipMetrics(CollectorRegistry()))
    port = reactor().listenTCP(0, factory, interface="127.0.0.1")
    factory.scheduling = scheduling
    factory.port = port.getHost().port
    yield factory
    await port.stopListening()


def reply_mail(data: bytes, to: str, *, filler: int = 0) -> bytes:
    message = EmailMessage()
    message["From"] = "guest@outside.example"
    message["To"] = to
    message["Subject"] = "Accepted: Café planning"
    message.set_content("Guest has accepted." + " filler" * filler)
    message.add_alternative(data, maintype="text", subtype="calendar",
                            params={"method": "REPLY", "charset": "utf-8"})
    return message.as_bytes()


def send(listener, to: str | list[str], message: bytes):
    return smtp.sendmail("127.0.0.1", "guest@outside.example", to if isinstance(to, list)
                         else [to], message, port=listener.port, reactor=reactor())


def address(mail) -> str:
    return REPLY_TO.replace("{token}", mail.token)


@pytest_twisted.ensureDeferred
async def test_a_genuine_reply_is_handed_to_scheduling(store, listener) -> None:
    context, alice = await tenant(store)
    invitation = await enqueue(store, context, alice, itip())
    data = itip("REPLY", partstat="ACCEPTED")
    accepted, _ = await send(listener, address(invitation), reply_mail(data, "x"))
    assert accepted == 1
    assert listener.scheduling.applied == [(context.id, alice.id, data)]
    assert listener.metrics.replies.labels("applied")._value.get() == 1


@pytest_twisted.ensureDeferred
async def test_an_unknown_token_is_refused_at_the_recipient(store, listener) -> None:
    context, alice = await tenant(store)
    await enqueue(store, context, alice, itip())
    for forged in ("oxdav+" + "a" * 24 + "@replies.acme.example", "alice@acme.example",
                   "oxdav+x@replies.acme.example"):
        with pytest.raises(smtp.SMTPDeliveryError) as refused:
            await send(listener, forged, reply_mail(itip("REPLY"), forged))
        assert refused.value.code == 550
    assert listener.scheduling.applied == []


@pytest_twisted.ensureDeferred
async def test_a_reply_from_another_attendee_or_about_another_uid_is_refused(
        store, listener) -> None:
    context, alice = await tenant(store)
    invitation = await enqueue(store, context, alice, itip())
    for forged in (itip("REPLY", attendee="mallory@outside.example"),
                   itip("REPLY", uid="someone-elses-meeting"),
                   itip("REQUEST"),
                   b"not a calendar"):
        with pytest.raises(smtp.SMTPDeliveryError) as refused:
            await send(listener, address(invitation), reply_mail(forged, "x"))
        assert refused.value.code == 550
    assert listener.scheduling.applied == []
    assert listener.metrics.replies.labels("refused")._value.get() == 4


@pytest_twisted.ensureDeferred
async def test_a_token_of_one_context_cannot_answer_an_invitation_of_another(
        store, listener) -> None:
    acme, alice = await tenant(store, "acme")
    other, olga = await tenant(store, "other")
    ours = await enqueue(store, acme, alice, itip(uid="acme-meeting"), uid="acme-meeting")
    await enqueue(store, other, olga, itip(uid="other-meeting"), uid="other-meeting")
    with pytest.raises(smtp.SMTPDeliveryError):
        await send(listener, address(ours),
                   reply_mail(itip("REPLY", uid="other-meeting"), "x"))
    assert listener.scheduling.applied == []
    await send(listener, address(ours), reply_mail(itip("REPLY", uid="acme-meeting"), "x"))
    assert [(c, u) for c, u, _ in listener.scheduling.applied] == [(acme.id, alice.id)]


@pytest_twisted.ensureDeferred
async def test_an_oversized_mail_is_refused_with_552(store, listener) -> None:
    context, alice = await tenant(store)
    invitation = await enqueue(store, context, alice, itip())
    with pytest.raises(smtp.SMTPDeliveryError) as refused:
        await send(listener, address(invitation),
                   reply_mail(itip("REPLY"), "x", filler=5000))
    assert refused.value.code == 552
    assert listener.scheduling.applied == []


@pytest_twisted.ensureDeferred
async def test_a_second_recipient_waits_for_a_transaction_of_its_own(store, listener
                                                                     ) -> None:
    context, alice = await tenant(store)
    one = await enqueue(store, context, alice, itip())
    two = await enqueue(store, context, alice, itip(), recipient="guest2@outside.example")
    accepted, results = await send(listener, [address(one), address(two)],
                                   reply_mail(itip("REPLY"), "x"))
    assert accepted == 1 and results[1][1] == 452
    assert len(listener.scheduling.applied) == 1


@pytest_twisted.ensureDeferred
async def test_a_reply_scheduling_cannot_apply_now_is_deferred_with_451(store, listener
                                                                        ) -> None:
    context, alice = await tenant(store)
    invitation = await enqueue(store, context, alice, itip())
    listener.scheduling.fail = True
    with pytest.raises(smtp.SMTPDeliveryError) as deferred:
        await send(listener, address(invitation), reply_mail(itip("REPLY"), "x"))
    assert deferred.value.code == 451


def _lmtp_send(port: int, to: str, message: bytes) -> dict:
    import smtplib

    with smtplib.LMTP("127.0.0.1", port) as client:
        return client.sendmail("guest@outside.example", [to], message)


@pytest_twisted.ensureDeferred
async def test_an_mta_speaking_lmtp_gets_the_same_answers(store, listener) -> None:
    from twisted.internet.threads import deferToThread

    context, alice = await tenant(store)
    invitation = await enqueue(store, context, alice, itip())
    data = itip("REPLY", partstat="TENTATIVE")
    assert await deferToThread(_lmtp_send, listener.port, address(invitation),
                               reply_mail(data, "x")) == {}
    assert listener.scheduling.applied == [(context.id, alice.id, data)]
    with pytest.raises(Exception) as refused:  # smtplib's SMTPDataError
        await deferToThread(_lmtp_send, listener.port, address(invitation),
                            reply_mail(itip("REPLY", attendee="mallory@x.example"), "x"))
    assert refused.value.smtp_code == 550
    assert len(listener.scheduling.applied) == 1


def test_lmtp_answers_each_recipient_after_the_data(listener) -> None:
    from twisted.internet.testing import StringTransport
    from twisted.python.failure import Failure

    from oxdav.imip.replies import ReplyRefused

    protocol = listener.buildProtocol(None)
    protocol.makeConnection(StringTransport())
    protocol.lineReceived(b"LHLO mta.example")
    protocol.transport.clear()
    protocol._messageHandled([(True, None), (False, Failure(ReplyRefused("not invited")))])
    assert protocol.transport.value().splitlines() == [b"250 reply applied",
                                                       b"550 not invited"]
    protocol.connectionLost(None)
