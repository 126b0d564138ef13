"""iMIP through the real daemon (the code path of ``twistd oxdav``): the queue is sent
by the service's sender to a real SMTP server on loopback (STARTTLS, AUTH), survives a
restart while that server is down and is delivered exactly once when it is back;
reply mails reach the service's listener; the metrics say what happened."""

from __future__ import annotations

import pytest_twisted
import treq
from twisted.internet.defer import succeed
from twisted.internet.task import deferLater
from twisted.mail import smtp

from tests.imip.smtp_server import LOGIN, PASSWORD, SmtpServer
from tests.imip.support import itip, mail_state, reactor, until_async

from .harness import start_server


def imip_properties(server: SmtpServer) -> str:
    return (f"oxdav.imip.enabled = true\noxdav.imip.host = localhost\n"
            f"oxdav.imip.port = {server.port}\noxdav.imip.security = starttls\n"
            f"oxdav.imip.caFile = {server.cert}\noxdav.imip.login = {LOGIN}\n"
            "oxdav.imip.passwordFile = smtp-password\n"
            "oxdav.imip.sender = calendar@example.com\n"
            "oxdav.imip.replyAddress = oxdav+{token}@replies.example.com\n"
            "oxdav.imip.retryDelay = 1s\noxdav.imip.pollInterval = 1s\n"
            "oxdav.listen.mail = 127.0.0.1:0\n")


async def with_smtp_server(tmp_path):
    """A running SMTP server and the daemon configured to send through it."""
    smtp_server = SmtpServer(reactor(), tmp_path)
    smtp_server.start()
    config = tmp_path / "etc"
    config.mkdir()
    (config / "smtp-password").write_text(PASSWORD + "\n")
    return smtp_server, await start_server(config, imip_properties(smtp_server))


async def demo_user(server):
    async with server.service.store.transaction("demo") as txn:
        [context] = await txn.contexts()
        [user] = await txn.users(context.id)
        return user


async def enqueue(server, user, data: bytes, uid: str = "meeting-1"):
    async with server.service.store.transaction("schedule", write=True) as txn:
        return await txn.enqueue_mail(user.context_id, user.id, "guest@outside.example",
                                      "REQUEST", uid, data)


@pytest_twisted.ensureDeferred
async def test_the_queue_survives_a_restart_with_the_smtp_server_down_and_sends_once(
        tmp_path) -> None:
    smtp_server = SmtpServer(reactor(), tmp_path)
    smtp_server.start()
    await smtp_server.stop()  # the port is known, nobody listens
    config = tmp_path / "etc"
    config.mkdir()
    (config / "smtp-password").write_text(PASSWORD + "\n")
    server = await start_server(config, imip_properties(smtp_server))
    try:
        user = await demo_user(server)
        mail = await enqueue(server, user, itip())

        async def tried() -> bool:
            return (await mail_state(server.service.store, mail.id)).attempts >= 1
        await until_async(tried)
    finally:
        await server.stop()
    row = await _read_after(config, smtp_server, mail.id)
    assert row.state == "queued" and row.attempts >= 1
    smtp_server.start()
    server = await start_server(config, imip_properties(smtp_server))
    try:
        got = await smtp_server.next_message()
        assert got.recipients == ["guest@outside.example"] and got.tls

        async def sent() -> bool:
            return (await mail_state(server.service.store, mail.id)).state == "sent"
        await until_async(sent)
        await deferLater(reactor(), 2.5, lambda: None)  # two more polls: nothing more
        assert len(smtp_server.received) == 1
        response = await treq.get(server.metrics + "/metrics")
        text = (await treq.content(response)).decode()
        assert "oxdav_imip_mail_sent_total 1.0" in text
        assert "oxdav_imip_mail_queued 0.0" in text
    finally:
        await server.stop()
        await smtp_server.stop()


async def _read_after(config, smtp_server, mail_id):
    """The row as the stopped daemon left it (the store opened on its own)."""
    from oxdav.store import open_store

    store = open_store("sqlite:oxdav.sqlite3", config / "data", reactor())
    await store.start()
    try:
        return await mail_state(store, mail_id)
    finally:
        await store.stop()


@pytest_twisted.ensureDeferred
async def test_a_reply_mail_to_the_daemon_reaches_scheduling_and_a_forged_one_does_not(
        tmp_path) -> None:
    smtp_server, server = await with_smtp_server(tmp_path)
    applied: list[tuple[int, int, bytes]] = []
    server.service.apply_reply = lambda c, u, data: succeed(applied.append((c, u, data)))
    try:
        user = await demo_user(server)
        mail = await enqueue(server, user, itip())
        got = await smtp_server.next_message()
        reply_to = f"oxdav+{mail.token}@replies.example.com"
        assert f"Reply-To: {reply_to}".encode() in got.data
        port = server.service.port("mail")
        reply = itip("REPLY", partstat="DECLINED")
        message = (b"From: guest@outside.example\r\nTo: " + reply_to.encode() +
                   b"\r\nSubject: Declined\r\nMIME-Version: 1.0\r\n"
                   b"Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n\r\n" + reply)
        await smtp.sendmail("127.0.0.1", "guest@outside.example", [reply_to], message,
                            port=port, reactor=reactor())
        assert applied == [(user.context_id, user.id, reply)]
        forged = reply.replace(b"guest@outside.example", b"mallory@outside.example")
        try:
            await smtp.sendmail("127.0.0.1", "mallory@outside.example", [reply_to],
                                message.replace(reply, forged), port=port,
                                reactor=reactor())
        except smtp.SMTPDeliveryError as refused:
            assert refused.code == 550
        else:
            raise AssertionError("a forged reply was taken")
        assert len(applied) == 1
    finally:
        await server.stop()
        await smtp_server.stop()
