"""Recurring meetings between colleagues (RFC 6638 §3.2, RFC 5546 §3.2): the cases
servers commonly get wrong, through the TLS listener."""

from __future__ import annotations

import pytest_twisted
from icalendar import Calendar

from oxdav.scheduling import itip
from oxdav.scheduling.delivery import copy_name
from tests.integration.harness import start_server
from tests.integration.scheduling_support import answered, meeting, methods, partstat, prepare

WEEKLY = "FREQ=WEEKLY;COUNT=4"
SECOND = "20270112T100000Z"  # the second instance of the weekly series


@pytest_twisted.async_yield_fixture
async def office(tmp_path):
    server = await start_server(tmp_path)
    office = await prepare(server)
    await office.put(office.anna, "series.ics",
                     meeting("series", office.anna, [office.bob, office.carol], rrule=WEEKLY))
    await office.clear_inboxes()
    yield office
    await server.stop()


def override(organizer, attendees, *, start=SECOND, end="20270112T110000Z",
             status: str | None = None, summary: str = "Planning") -> str:
    lines = ["BEGIN:VEVENT", "UID:series", "DTSTAMP:20270101T000000Z",
             f"RECURRENCE-ID:{SECOND}", f"DTSTART:{start}", f"DTEND:{end}",
             f"SUMMARY:{summary}", f"ORGANIZER:{organizer.mailto}",
             f"ATTENDEE;PARTSTAT=ACCEPTED:{organizer.mailto}"]
    lines += [f"ATTENDEE;PARTSTAT=NEEDS-ACTION:{a.mailto}" for a in attendees]
    if status:
        lines.append(f"STATUS:{status}")
    return "\r\n".join([*lines, "END:VEVENT"])


@pytest_twisted.ensureDeferred
async def test_one_attendee_declines_one_instance(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    copy = await office.copy_of(bob, "series")
    response, _ = await office.put(bob, copy_name("series"),
                                   answered(copy, bob, "DECLINED", SECOND))
    assert response.code == 204
    organizers = await office.copy_of(anna, "series")
    assert partstat(organizers, bob, SECOND) == "DECLINED"
    assert partstat(organizers, bob) == "NEEDS-ACTION"
    assert partstat(organizers, carol, SECOND) == "NEEDS-ACTION"
    reply = (await office.inbox(anna))[0]
    assert str(reply["METHOD"]) == "REPLY"
    assert [itip.rid(c) for c in itip.scheduled(reply)] == [SECOND]
    assert await office.inbox(carol) == []


@pytest_twisted.ensureDeferred
async def test_the_organizer_cancels_one_instance_by_exdate(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "series.ics", meeting("series", anna, [bob, carol], rrule=WEEKLY,
                                                 extra=f"EXDATE:{SECOND}"))
    for who in (bob, carol):
        inbox = await office.inbox(who)
        assert methods(inbox) == ["CANCEL"]
        assert [itip.rid(c) for c in itip.scheduled(inbox[0])] == [SECOND]
        assert f"EXDATE:{SECOND}" in (await office.copy_of(who, "series")).to_ical().decode()


@pytest_twisted.ensureDeferred
async def test_the_organizer_cancels_one_instance_by_status(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "series.ics", meeting(
        "series", anna, [bob, carol], rrule=WEEKLY,
        overrides=override(anna, [bob, carol], status="CANCELLED")))
    inbox = await office.inbox(bob)
    assert methods(inbox) == ["CANCEL"]
    copy = itip.by_rid(await office.copy_of(bob, "series"))
    assert str(copy[SECOND]["STATUS"]) == "CANCELLED"


@pytest_twisted.ensureDeferred
async def test_the_organizer_moves_one_instance(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "series.ics", meeting(
        "series", anna, [bob, carol], rrule=WEEKLY,
        overrides=override(anna, [bob, carol], start="20270112T150000Z",
                           end="20270112T160000Z")))
    for who in (bob, carol):
        assert methods(await office.inbox(who)) == ["REQUEST"]
        moved = itip.by_rid(await office.copy_of(who, "series"))[SECOND]
        assert moved["DTSTART"].to_ical() == b"20270112T150000Z"


@pytest_twisted.ensureDeferred
async def test_an_attendee_added_to_one_instance_gets_only_that_instance(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    await office.put(anna, "series.ics", meeting("series", anna, [bob], rrule=WEEKLY,
                                                 overrides=override(anna, [bob, carol])))
    carols = await office.copy_of(carol, "series")
    assert [itip.rid(c) for c in itip.scheduled(carols)] == [SECOND]
    assert methods(await office.inbox(carol)) == ["REQUEST"]
    # carol was in the whole series before; her copy now holds that instance only.
    bobs = await office.copy_of(bob, "series")
    assert sorted(itip.by_rid(bobs)) == ["", SECOND]
    # carol accepts her one instance: anna's override says so, nobody else is asked.
    await office.clear_inboxes()
    await office.put(carol, copy_name("series"), answered(carols, carol, "ACCEPTED", SECOND))
    assert partstat(await office.copy_of(anna, "series"), carol, SECOND) == "ACCEPTED"
    assert await office.inbox(bob) == []


@pytest_twisted.ensureDeferred
async def test_deleting_the_series_cancels_everything(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    response, _ = await office.server.request(
        "DELETE", f"/dav/caldav/{anna.calendar}/series.ics", auth=anna.auth)
    assert response.code == 204
    for who in (bob, carol):
        assert await office.copy_of(who, "series") is None
        inbox = await office.inbox(who)
        assert methods(inbox) == ["CANCEL"]
        assert [itip.rid(c) for c in itip.scheduled(inbox[0])] == [""]


@pytest_twisted.ensureDeferred
async def test_an_attendee_answering_the_series_keeps_instance_answers_apart(office) -> None:
    anna, bob = office.anna, office.bob
    copy = await office.copy_of(bob, "series")
    await office.put(bob, copy_name("series"), answered(copy, bob, "DECLINED", SECOND))
    copy = await office.copy_of(bob, "series")
    await office.put(bob, copy_name("series"), answered(copy, bob, "ACCEPTED", ""))
    organizers = await office.copy_of(anna, "series")
    assert partstat(organizers, bob) == "ACCEPTED"
    assert partstat(organizers, bob, SECOND) == "DECLINED"
    assert isinstance(organizers, Calendar)
