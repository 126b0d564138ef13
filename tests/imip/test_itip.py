"""The pure parts of the mail side: reading iTIP, whether an event is over, reply
addresses and the checks a reply must pass."""

from __future__ import annotations

import time

import pytest

from oxdav.imip.compose import reply_address
from oxdav.imip.itip import is_over, read_itip
from oxdav.imip.replies import (
    ReplyRefused,
    check_reply,
    token_of,
    token_pattern,
)
from oxdav.store import QueuedMail
from oxdav.store.core.mail import new_token

from .support import itip


def invitation(method: str = "REQUEST") -> QueuedMail:
    return QueuedMail(1, 1, 1, "Guest@Outside.example", method, "meeting-1", new_token(),
                      itip(), "sent", 1, 0, 0, 0, None)


def test_read_itip_takes_method_uid_and_bare_lower_case_addresses() -> None:
    read = read_itip(itip(attendee="Guest@Outside.EXAMPLE"))
    assert (read.method, read.uid, read.attendees, read.organizer) == (
        "REQUEST", "meeting-1", ("guest@outside.example",), "alice@acme.example")
    for broken in (b"", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                   itip().replace(b"METHOD:REQUEST\r\n", b"")):
        with pytest.raises(ValueError):
            read_itip(broken)


def test_an_event_is_over_when_its_last_occurrence_ended() -> None:
    now = time.time()
    assert is_over(read_itip(itip(days=-2)), now)
    assert not is_over(read_itip(itip(days=2)), now)
    weekly = itip(days=-30).replace(b"LOCATION", b"RRULE:FREQ=WEEKLY\r\nLOCATION")
    assert not is_over(read_itip(weekly), now)
    counted = itip(days=-30).replace(b"LOCATION", b"RRULE:FREQ=DAILY;COUNT=3\r\nLOCATION")
    assert is_over(read_itip(counted), now)


def test_reply_addresses_carry_the_token_and_only_ours_give_one_back() -> None:
    token = new_token()
    template = "oxdav+{token}@replies.example.com"
    pattern = token_pattern(template)
    assert token_of(reply_address(template, token).upper(), pattern) == token
    assert token_of(f"oxdav+{token}@elsewhere.example", pattern) is None
    assert token_of(f"x-oxdav+{token}@replies.example.com", pattern) is None
    assert token_of("oxdav+short@replies.example.com", pattern) is None
    assert token_pattern("") is None and reply_address("", token) == ""


def test_a_reply_must_answer_an_invitation_from_the_address_invited() -> None:
    check_reply(invitation(), read_itip(itip("REPLY", attendee="guest@outside.example")))
    for mail, reply in (
            (invitation("CANCEL"), itip("REPLY")),
            (invitation(), itip("REPLY", uid="other")),
            (invitation(), itip("REPLY", attendee="mallory@outside.example")),
            (invitation(), itip("REPLY").replace(
                b"END:VEVENT", b"ATTENDEE:mailto:mallory@outside.example\r\nEND:VEVENT"))):
        with pytest.raises(ReplyRefused):
            check_reply(mail, read_itip(reply))
