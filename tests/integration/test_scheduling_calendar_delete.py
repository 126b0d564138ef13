"""Removing a whole calendar through the TLS listener removes its meetings as deleting
each would (RFC 6638 §3.2.1.3, §3.2.2.3): the organizer's upcoming meetings are
cancelled for colleagues and guests, an attendee's are declined; past ones tell nobody;
a calendar with more upcoming meetings than one request may cancel is refused whole."""

from __future__ import annotations

import pytest_twisted

from oxdav.scheduling import calendars
from oxdav.scheduling.delivery import copy_name
from oxdav.store import ObjectIndex
from tests.integration.harness import start_server
from tests.integration.scheduling_support import (
    Office,
    Person,
    meeting,
    methods,
    partstat,
    prepare,
)

GUEST = Person("guest", "guest@outside.example")


@pytest_twisted.async_yield_fixture
async def office(tmp_path):
    server = await start_server(tmp_path)
    yield await prepare(server)
    await server.stop()


async def new_calendar(office: Office, who: Person, name: str) -> int:
    """A calendar ``who`` makes with MKCALENDAR; its folder id."""
    response, _ = await office.server.request("MKCALENDAR", f"/dav/caldav/{name}/",
                                              auth=who.auth)
    assert response.code == 201
    async with office.server.service.store.transaction("look") as txn:
        home = await txn.home(who.context_id, who.user_id)
        return next(f.id for f in await home.folders("calendar")
                    if f.owner_id == who.user_id and not f.is_default)


async def delete_calendar(office: Office, who: Person, folder: int,
                          headers: dict[str, str] | None = None) -> int:
    response, _ = await office.server.request("DELETE", f"/dav/caldav/{folder}/",
                                              auth=who.auth, headers=headers or {})
    return int(response.code)


@pytest_twisted.ensureDeferred
async def test_removing_a_calendar_cancels_its_upcoming_meetings(office) -> None:
    anna, bob, carol = office.anna, office.bob, office.carol
    projects = await new_calendar(office, anna, "projects")
    for uid, start, end in (("soon", "20370105T100000Z", "20370105T110000Z"),
                            ("past", "20200105T100000Z", "20200105T110000Z")):
        response, _ = await office.put(anna, f"{uid}.ics", meeting(
            uid, anna, [bob, GUEST], start=start, end=end), folder=projects)
        assert response.code == 201
    await office.put(anna, "alone.ics", meeting("alone", anna, []), folder=projects)
    await office.clear_inboxes()
    office.external.queued.clear()
    # A colleague without rights on it can neither remove it nor cancel anything.
    assert await delete_calendar(office, carol, projects) in (403, 404)
    assert await office.inbox(bob) == [] and office.external.queued == []

    assert await delete_calendar(office, anna, projects) == 204
    assert await office.copy_of(bob, "soon") is None
    assert methods(await office.inbox(bob)) == ["CANCEL"]  # the past one tells nobody
    assert await office.copy_of(bob, "past") is not None
    assert [(q.recipient, q.method, q.uid) for q in office.external.queued] == [
        (GUEST.email, "CANCEL", "soon")]


@pytest_twisted.ensureDeferred
async def test_an_attendee_removing_a_calendar_declines_unless_told_not_to(office) -> None:
    anna, bob = office.anna, office.bob
    side = await new_calendar(office, bob, "side")
    for uid in ("m1", "m2"):
        await office.put(anna, f"{uid}.ics", meeting(uid, anna, [bob]))
        # bob keeps the invitation in a calendar of his own (a move between his own
        # calendars schedules nothing).
        response, _ = await office.server.request(
            "MOVE", f"/dav/caldav/{bob.calendar}/{copy_name(uid)}", auth=bob.auth,
            headers={"Destination": f"https://localhost/dav/caldav/{side}/{uid}.ics"})
        assert response.code == 201
    await office.clear_inboxes()
    assert partstat(await office.copy_of(anna, "m1"), bob) == "NEEDS-ACTION"
    assert await delete_calendar(office, bob, side) == 204
    assert partstat(await office.copy_of(anna, "m1"), bob) == "DECLINED"
    assert methods(await office.inbox(anna)) == ["REPLY", "REPLY"]

    other = await new_calendar(office, bob, "other")
    await office.put(anna, "m3.ics", meeting("m3", anna, [bob]))
    response, _ = await office.server.request(
        "MOVE", f"/dav/caldav/{bob.calendar}/{copy_name('m3')}", auth=bob.auth,
        headers={"Destination": f"https://localhost/dav/caldav/{other}/m3.ics"})
    assert response.code == 201
    await office.clear_inboxes()
    assert await delete_calendar(office, bob, other, {"Schedule-Reply": "F"}) == 204
    assert await office.inbox(anna) == []
    assert partstat(await office.copy_of(anna, "m3"), bob) == "NEEDS-ACTION"


@pytest_twisted.ensureDeferred
async def test_too_many_upcoming_meetings_leave_the_calendar_as_it_was(office,
                                                                       monkeypatch) -> None:
    anna, bob = office.anna, office.bob
    monkeypatch.setattr(calendars, "MAX_CANCELLED", 2)
    busy = await new_calendar(office, anna, "busy")
    for uid in ("b1", "b2", "b3"):
        await office.put(anna, f"{uid}.ics", meeting(uid, anna, [bob]), folder=busy)
    await office.clear_inboxes()
    response, body = await office.server.request("DELETE", f"/dav/caldav/{busy}/",
                                                 auth=anna.auth)
    assert response.code == 403 and b"more than 2 upcoming meetings" in body
    assert await office.inbox(bob) == []  # nothing was cancelled
    assert await office.copy_of(bob, "b1") is not None
    response, _ = await office.get(anna, "b1.ics", folder=busy)
    assert response.code == 200


#: An old object whose scheduling cannot be followed (stored before today's checks).
BROKEN = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:broken\r\n"
          b"ORGANIZER:mailto:anna@example.com\r\nATTENDEE:mailto:bob@example.com\r\n"
          b"END:VCALENDAR\r\n")


@pytest_twisted.ensureDeferred
async def test_an_object_scheduling_cannot_follow_is_still_deleted(office) -> None:
    anna = office.anna
    mine = await new_calendar(office, anna, "old")
    async with office.server.service.store.transaction("old data", write=True) as txn:
        for folder in (anna.calendar, mine):
            collection = await txn.system_collection(anna.context_id, folder)
            await collection.put("broken.ics", BROKEN, ObjectIndex("broken", "VEVENT"))
    response, _ = await office.server.request(
        "DELETE", f"/dav/caldav/{anna.calendar}/broken.ics", auth=anna.auth)
    assert response.code == 204
    assert await delete_calendar(office, anna, mine) == 204
    assert await office.inbox(office.bob) == []
