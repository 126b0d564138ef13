"""Scheduling and iMIP together through the real daemon: an organizer's PUT invites a
guest outside the server and a user of another context by mail (RFC 6047 over a real
SMTP server on loopback), a colleague through the server; the guest's mailed REPLY
comes back through the reply listener and changes the organizer's copy."""

from __future__ import annotations

import email
import email.policy

import pytest_twisted
from icalendar import Calendar
from twisted.mail import smtp

from tests.imip.support import itip, reactor

from .scheduling_support import Person, meeting, partstat, prepare, status
from .test_imip import with_smtp_server

GUEST = Person("guest", "guest@outside.example")
#: An address longer than the mail queue takes (320): not delivered, the PUT goes on.
TOO_LONG = Person("long", "x" * 330 + "@outside.example")


@pytest_twisted.ensureDeferred
async def test_an_invitation_leaves_by_mail_and_the_mailed_reply_reaches_the_organizer(
        tmp_path) -> None:
    smtp_server, server = await with_smtp_server(tmp_path)
    try:
        scheduling = server.service.dav.spaces["caldav"].scheduling
        imip = scheduling.external
        office = await prepare(server)
        scheduling.external = imip  # the daemon's own iMIP delivery, not the recorder
        body = meeting("m-ext", office.anna, [office.bob, GUEST, office.eve, TOO_LONG])
        response, _ = await office.put(office.anna, "m-ext.ics", body)
        assert response.code == 201

        await smtp_server.next_message(2)
        by_recipient = {got.recipients[0]: got for got in smtp_server.received}
        assert set(by_recipient) == {GUEST.email, office.eve.email}  # eve: another tenant
        mail = email.message_from_bytes(by_recipient[GUEST.email].data,
                                        policy=email.policy.default)
        parts = {part.get_content_type(): part for part in mail.walk()}
        assert "text/plain" in parts
        assert parts["text/calendar"].get_param("method") == "REQUEST"
        request = Calendar.from_ical(parts["text/calendar"].get_content())
        assert str(request["METHOD"]) == "REQUEST"
        assert str(request.walk("VEVENT")[0]["UID"]) == "m-ext"
        assert (await office.copy_of(office.bob, "m-ext")) is not None  # a colleague's copy

        # The guest's calendar program answers the ORGANIZER (RFC 6047 §2.3): that is
        # the invitation's reply address, with the organizer's name.
        organizer = request.walk("VEVENT")[0]["ORGANIZER"]
        reply_to = str(organizer).removeprefix("mailto:")
        assert reply_to == str(mail["Reply-To"]) and reply_to != office.anna.email
        assert organizer.params["CN"]
        reply = itip("REPLY", uid="m-ext", attendee=GUEST.email, organizer=reply_to,
                     partstat="ACCEPTED")
        message = (b"From: guest@outside.example\r\nTo: " + reply_to.encode() +
                   b"\r\nSubject: Accepted\r\nMIME-Version: 1.0\r\n"
                   b"Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n\r\n" + reply)
        await smtp.sendmail("127.0.0.1", GUEST.email, [reply_to], message,
                            port=server.service.port("mail"), reactor=reactor())
        organizers = await office.copy_of(office.anna, "m-ext")
        assert organizers is not None and partstat(organizers, GUEST) == "ACCEPTED"
        assert partstat(organizers, office.eve) == "NEEDS-ACTION"
        assert status(organizers, TOO_LONG) == "5.1"

        # An update keeps the ORGANIZER address the guest's calendar holds.
        moved = meeting("m-ext", office.anna, [office.bob, GUEST, office.eve, TOO_LONG],
                        summary="Moved")
        response, _ = await office.put(office.anna, "m-ext.ics", moved)
        assert response.code == 204
        await smtp_server.next_message(4)
        update = [got for got in smtp_server.received[2:] if got.recipients == [GUEST.email]]
        mail = email.message_from_bytes(update[0].data, policy=email.policy.default)
        parts = {part.get_content_type(): part for part in mail.walk()}
        request = Calendar.from_ical(parts["text/calendar"].get_content())
        assert str(request.walk("VEVENT")[0]["SUMMARY"]) == "Moved"
        assert str(request.walk("VEVENT")[0]["ORGANIZER"]) == f"mailto:{reply_to}"
    finally:
        await server.stop()
        await smtp_server.stop()
