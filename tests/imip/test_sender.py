"""The sender against a real SMTP server on loopback (Twisted's ESMTP server with
STARTTLS or implicit TLS on the development certificate, AUTH required): the mail's
MIME structure and iTIP content (RFC 6047 §2), retries, skips."""

from __future__ import annotations

import email
from email.policy import default

import pytest_twisted
from icalendar import Calendar

from oxdav.imip.sender import MailSender
from oxdav.store import open_store

from .smtp_server import LOGIN, PASSWORD, SmtpServer
from .support import config, enqueue, itip, mail_state, reactor, tenant, until_async


def properties(server: SmtpServer, security: str = "starttls", extra: str = "") -> str:
    return (f"oxdav.imip.enabled = true\noxdav.imip.host = localhost\n"
            f"oxdav.imip.port = {server.port}\noxdav.imip.security = {security}\n"
            f"oxdav.imip.caFile = {server.cert}\noxdav.imip.login = {LOGIN}\n"
            "oxdav.imip.passwordFile = smtp-password\n"
            "oxdav.imip.sender = calendar@acme.example\n"
            "oxdav.imip.replyAddress = oxdav+{token}@replies.acme.example\n"
            "oxdav.imip.retryDelay = 1s\noxdav.imip.pollInterval = 1s\n" + extra)


@pytest_twisted.async_yield_fixture()
async def store(tmp_path):
    store = open_store("sqlite:store.sqlite3", tmp_path, reactor())
    await store.start()
    yield store
    await store.stop()


@pytest_twisted.async_yield_fixture()
async def smtp(tmp_path):
    server = SmtpServer(reactor(), tmp_path)
    server.start()
    yield server
    await server.stop()


@pytest_twisted.async_yield_fixture()
async def running(tmp_path, store):
    """Start a sender over ``store`` with the given properties; stopped after."""
    senders = []

    def start(props: str) -> MailSender:
        holder = config(tmp_path / "etc", props)
        (tmp_path / "etc" / "smtp-password").write_text(PASSWORD + "\n")
        sender = MailSender(store, holder, reactor())
        sender.startService()
        senders.append(sender)
        return sender

    yield start
    for sender in senders:
        await sender.stopService()


async def sent(store, mail_id: int, state: str = "sent") -> None:
    async def settled() -> bool:
        return (await mail_state(store, mail_id)).state == state
    await until_async(settled)


@pytest_twisted.ensureDeferred
async def test_an_invitation_goes_out_over_starttls_with_auth_as_rfc6047_says(
        store, smtp, running) -> None:
    context, alice = await tenant(store)
    data = itip()
    mail = await enqueue(store, context, alice, data)
    running(properties(smtp))
    got = await smtp.next_message()
    assert (got.sender, got.recipients, got.tls, got.login) == (
        "calendar@acme.example", ["guest@outside.example"], True, LOGIN)
    assert b"\r" not in got.data  # every line ended by exactly one CRLF on the wire
    message = email.message_from_bytes(got.data, policy=default)
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == "guest@outside.example"
    assert message["From"].addresses[0].display_name == "Alice Organizer"
    assert message["From"].addresses[0].addr_spec == "calendar@acme.example"
    assert message["Reply-To"] == f"oxdav+{mail.token}@replies.acme.example"
    assert message["Subject"] == "Invitation: Café planning"
    text, calendar = message.get_payload()
    assert text.get_content_type() == "text/plain"
    assert "Alice Organizer invites you to: Café planning" in text.get_content()
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_param("charset") == "utf-8"
    # The ORGANIZER is the reply address (calendar programs answer the ORGANIZER), the
    # organizer's name kept; every other line as queued, CRLFs included.
    reply_to = f"oxdav+{mail.token}@replies.acme.example"
    assert calendar.get_payload(decode=True) == Calendar.from_ical(data.replace(
        b"mailto:alice@acme.example", f"mailto:{reply_to}".encode())).to_ical()
    await sent(store, mail.id)
    assert (await mail_state(store, mail.id)).attempts == 1


@pytest_twisted.ensureDeferred
async def test_every_message_of_an_invitation_has_the_same_reply_address(
        store, smtp, running) -> None:
    context, alice = await tenant(store)
    first = await enqueue(store, context, alice, itip())
    update = await enqueue(store, context, alice, itip(summary="Moved"))
    cancel = await enqueue(store, context, alice, itip("CANCEL"), method="CANCEL")
    other = await enqueue(store, context, alice, itip(), recipient="other@outside.example")
    assert first.reply_token is None
    assert update.reply_token == cancel.reply_token == first.token
    assert other.invitation_token == other.token != first.token
    running(properties(smtp))
    organizers = {}
    await smtp.next_message(4)
    for got in smtp.received:
        message = email.message_from_bytes(got.data, policy=default)
        calendar = Calendar.from_ical(message.get_payload()[1].get_payload(decode=True))
        organizer = calendar.walk("VEVENT")[0]["ORGANIZER"]
        assert organizer.params["CN"] == "Alice"
        assert message["Reply-To"] == str(organizer)[len("mailto:"):]
        organizers.setdefault(got.recipients[0], set()).add(str(organizer))
    assert organizers == {
        "guest@outside.example": {f"mailto:oxdav+{first.token}@replies.acme.example"},
        "other@outside.example": {f"mailto:oxdav+{other.token}@replies.acme.example"}}
    # A reply to any of them names the invitation.
    async with store.transaction("read") as txn:
        found = await txn.mail_by_token(first.token)
    assert (found.id, found.method) == (update.id, "REQUEST")


@pytest_twisted.ensureDeferred
async def test_the_organizer_stays_when_it_is_not_to_be_the_reply_address(
        store, smtp, running) -> None:
    context, alice = await tenant(store)
    data = itip()
    await enqueue(store, context, alice, data)
    running(properties(smtp, extra="oxdav.imip.organizerAsReplyAddress = false\n"))
    message = email.message_from_bytes((await smtp.next_message()).data, policy=default)
    assert message.get_payload()[1].get_payload(decode=True) == data  # byte for byte


@pytest_twisted.ensureDeferred
async def test_implicit_tls_sends_a_cancellation(tmp_path, store, running) -> None:
    server = SmtpServer(reactor(), tmp_path, implicit=True)
    server.start()
    try:
        context, alice = await tenant(store)
        mail = await enqueue(store, context, alice, itip("CANCEL"), method="CANCEL")
        running(properties(server, "tls"))
        got = await server.next_message()
        assert got.tls
        message = email.message_from_bytes(got.data, policy=default)
        assert message.get_payload()[1].get_param("method") == "CANCEL"
        assert message["Subject"] == "Cancelled: Café planning"
        await sent(store, mail.id)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_an_event_that_is_over_is_skipped_not_sent(store, smtp, running) -> None:
    context, alice = await tenant(store)
    past = await enqueue(store, context, alice, itip(days=-3), uid="meeting-1")
    running(properties(smtp))
    await sent(store, past.id, "skipped")
    assert (await mail_state(store, past.id)).last_error == "the event is over"
    assert smtp.received == []


@pytest_twisted.ensureDeferred
async def test_a_user_for_whom_imip_is_off_gets_nothing_sent(store, smtp, running) -> None:
    context, alice = await tenant(store, config={"oxdav.imip.enabled": "false"})
    mail = await enqueue(store, context, alice, itip())
    running(properties(smtp))
    await sent(store, mail.id, "skipped")
    assert "oxdav.imip.enabled" in (await mail_state(store, mail.id)).last_error
    assert smtp.received == []


@pytest_twisted.ensureDeferred
async def test_a_temporary_refusal_is_retried_and_a_permanent_one_given_up(
        store, smtp, running) -> None:
    context, alice = await tenant(store)
    smtp.refuse = (451, "try later")
    mail = await enqueue(store, context, alice, itip())
    running(properties(smtp))

    async def retried() -> bool:
        row = await mail_state(store, mail.id)
        return row.state == "queued" and row.attempts == 1 and row.last_error is not None
    await until_async(retried)
    assert "451" in (await mail_state(store, mail.id)).last_error
    smtp.refuse = None
    await sent(store, mail.id)
    assert (await mail_state(store, mail.id)).attempts == 2
    smtp.refuse = (550, "no such user")
    rejected = await enqueue(store, context, alice, itip(uid="m2"), uid="m2")
    await sent(store, rejected.id, "failed")
    assert len(smtp.received) == 1


@pytest_twisted.ensureDeferred
async def test_mail_queued_while_the_smtp_server_is_down_goes_out_once_it_is_back(
        store, smtp, running) -> None:
    context, alice = await tenant(store)
    await smtp.stop()
    mail = await enqueue(store, context, alice, itip())
    running(properties(smtp))

    async def failed_once() -> bool:
        return (await mail_state(store, mail.id)).attempts >= 1
    await until_async(failed_once)
    assert (await mail_state(store, mail.id)).state == "queued"
    smtp.start()
    await sent(store, mail.id)
    assert len(smtp.received) == 1


@pytest_twisted.ensureDeferred
async def test_a_wrong_password_is_a_failure_not_a_plain_text_fallback(
        tmp_path, store, smtp, running) -> None:
    context, alice = await tenant(store)
    mail = await enqueue(store, context, alice, itip())
    sender = running(properties(smtp, extra="oxdav.imip.maxAttempts = 1\n"))
    (sender.holder.current.directory / "smtp-password").write_text("wrong\n")
    await sent(store, mail.id, "failed")
    assert smtp.received == []
