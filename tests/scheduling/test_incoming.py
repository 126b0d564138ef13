"""apply_itip (incoming iTIP, e.g. iMIP replies) and the external way out, over a real
store of every engine: only a listed attendee's REPLY changes the organizer's copy, only
the copy's own organizer may update or cancel it, and external deliveries are part of
the writer's transaction."""

from __future__ import annotations

import pytest
import pytest_twisted
from icalendar import Calendar

from oxdav.caldav.collection import stored_object_index
from oxdav.scheduling import itip
from oxdav.scheduling.delivery import Colleagues, copy_name
from oxdav.scheduling.implicit import ImplicitScheduler
from oxdav.scheduling.incoming import BadMessage, apply_itip
from oxdav.scheduling.tasks import CopyChange
from tests.integration.scheduling_support import RecordingDelivery

CALENDAR = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
{method}BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20270101T000000Z\r
DTSTART:20270105T100000Z\r
DTEND:20270105T110000Z\r
SUMMARY:Review\r
ORGANIZER:mailto:{organizer}\r
ATTENDEE;PARTSTAT={partstat}:mailto:{attendee}\r
END:VEVENT\r
END:VCALENDAR\r
"""


def ics(uid: str, organizer: str, attendee: str, *, method: str = "",
        partstat: str = "NEEDS-ACTION") -> bytes:
    return CALENDAR.format(uid=uid, organizer=organizer, attendee=attendee,
                           method=f"METHOD:{method}\r\n" if method else "",
                           partstat=partstat).encode()


async def default_calendar(txn, context_id: int, user_id: int):
    home = await txn.home(context_id, user_id)
    folder = await home.create_folder("calendar", "Calendar", is_default=True)
    return await txn.system_collection(context_id, folder.id)


async def stored(store, world, user, uid: str) -> Calendar | None:
    async with store.transaction("look") as txn:
        colleagues = Colleagues(txn, world.context.id)
        found = await colleagues.find_copy(user, uid, "VEVENT")
    return None if found is None else Calendar.from_ical(found[2])


def _inline():
    from oxdav.work import INLINE
    return INLINE


def answer(calendar: Calendar, who: str) -> str:
    return str(itip.attendee(itip.scheduled(calendar)[0], who).params["PARTSTAT"])


@pytest_twisted.async_fixture()
async def invited(store, world):
    """alice organizes "r1" with an external guest; her copy is in her calendar."""
    async with store.transaction("setup", write=True) as txn:
        calendar = await default_calendar(txn, world.context.id, world.alice.id)
        await default_calendar(txn, world.context.id, world.bob.id)
        colleagues = Colleagues(txn, world.context.id)
        data = ics("r1", "alice@acme.example", "guest@outside.test")
        await colleagues.apply(calendar, "r1.ics", CopyChange(
            "", (), data, stored_object_index(data), "tag"), world.alice.id, had_copy=False)
    return world


@pytest_twisted.ensureDeferred
async def test_a_reply_of_a_listed_attendee_updates_the_organizers_copy(store, invited):
    world = invited
    async with store.transaction("reply", write=True) as txn:
        result = await apply_itip(txn, world.context.id, world.alice.id, ics(
            "r1", "alice@acme.example", "guest@outside.test", method="REPLY",
            partstat="ACCEPTED"), "mailto:Guest@Outside.test")
    assert result == "1.2"
    copy = await stored(store, world, world.alice, "r1")
    assert answer(copy, "guest@outside.test") == "ACCEPTED"
    async with store.transaction("look") as txn:
        inbox = await txn.inbox_items(world.context.id, world.alice.id)
    assert [b"METHOD:REPLY" in i.data for i in inbox] == [True]


@pytest_twisted.ensureDeferred
async def test_a_reply_from_anyone_else_changes_nothing(store, invited):
    world = invited
    forged = ics("r1", "alice@acme.example", "mallory@outside.test", method="REPLY",
                 partstat="ACCEPTED")
    async with store.transaction("reply", write=True) as txn:
        assert await apply_itip(txn, world.context.id, world.alice.id, forged,
                                "mallory@outside.test") == "3.8"
        # The guest's address in the body does not help a sender who is someone else.
        spoofed = ics("r1", "alice@acme.example", "guest@outside.test", method="REPLY",
                      partstat="DECLINED")
        assert await apply_itip(txn, world.context.id, world.alice.id, spoofed,
                                "mallory@outside.test") == "3.8"
        assert await apply_itip(txn, world.context.id, world.alice.id, ics(
            "unknown", "alice@acme.example", "guest@outside.test", method="REPLY"),
            "guest@outside.test") == "5.1"
    copy = await stored(store, world, world.alice, "r1")
    assert answer(copy, "guest@outside.test") == "NEEDS-ACTION"
    async with store.transaction("look") as txn:
        assert await txn.inbox_items(world.context.id, world.alice.id) == []


@pytest_twisted.ensureDeferred
async def test_an_external_request_and_cancel_reach_only_their_own_copy(store, invited):
    world = invited
    request = ics("x1", "boss@outside.test", "bob@acme.example", method="REQUEST")
    async with store.transaction("request", write=True) as txn:
        assert await apply_itip(txn, world.context.id, world.bob.id, request,
                                "boss@outside.test") == "1.2"
    assert await stored(store, world, world.bob, "x1") is not None
    async with store.transaction("hijack", write=True) as txn:
        # Someone else sends a REQUEST or CANCEL for the same UID: refused.
        other = ics("x1", "mallory@outside.test", "bob@acme.example", method="REQUEST")
        assert await apply_itip(txn, world.context.id, world.bob.id, other,
                                "mallory@outside.test") == "3.8"
        cancel = ics("x1", "boss@outside.test", "bob@acme.example", method="CANCEL")
        assert await apply_itip(txn, world.context.id, world.bob.id, cancel,
                                "mallory@outside.test") == "3.8"
    copy = await stored(store, world, world.bob, "x1")
    assert itip.organizer(copy) == "boss@outside.test"
    async with store.transaction("cancel", write=True) as txn:
        assert await apply_itip(txn, world.context.id, world.bob.id, cancel,
                                "boss@outside.test") == "1.2"
    assert await stored(store, world, world.bob, "x1") is None
    async with store.transaction("bad", write=True) as txn:
        with pytest.raises(BadMessage):
            await apply_itip(txn, world.context.id, world.bob.id, b"nonsense", "x@y.z")


@pytest_twisted.ensureDeferred
async def test_external_deliveries_roll_back_with_the_write(store, invited):
    world = invited
    recording = RecordingDelivery()
    new = ics("r2", "alice@acme.example", "guest@outside.test")
    with pytest.raises(RuntimeError):
        async with store.transaction("put", write=True) as txn:
            scheduler = ImplicitScheduler(txn, world.context.id, _inline(), recording, 10)
            scheduled = await scheduler.written(world.alice.id, None, new)
            raise RuntimeError("the PUT failed after scheduling")
    assert [q.method for q in recording.queued] == ["REQUEST"]
    assert itip.attendee(itip.scheduled(Calendar.from_ical(scheduled.calendar))[0],
                         "guest@outside.test").params["SCHEDULE-STATUS"] == "1.0"
    # A colleague's copy made in a rolled-back write does not exist.
    new = ics("r3", "alice@acme.example", "bob@acme.example")
    with pytest.raises(RuntimeError):
        async with store.transaction("put", write=True) as txn:
            scheduler = ImplicitScheduler(txn, world.context.id, _inline(), recording, 10)
            await scheduler.written(world.alice.id, None, new)
            assert await Colleagues(txn, world.context.id).find_copy(
                world.bob, "r3", "VEVENT") is not None
            raise RuntimeError("rolled back")
    assert await stored(store, world, world.bob, "r3") is None
    assert copy_name("r3").endswith(".ics")
