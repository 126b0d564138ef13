"""Invitations as real clients send them (tests/data/clients/macos-calendar-invite.yaml,
thunderbird-invite.yaml), replayed over TLS with their headers and bodies: the server
schedules for a colleague, and each step gets what the client needs back."""

from __future__ import annotations

import dataclasses

import pytest_twisted
from icalendar import Calendar
from lxml import etree

from oxdav.scheduling import itip
from oxdav.scheduling.delivery import copy_name
from tests.integration.harness import start_server
from tests.integration.replay import NS, Replay, load
from tests.integration.scheduling_support import Person, answered, methods, partstat, prepare


@pytest_twisted.async_yield_fixture
async def office(tmp_path):
    server = await start_server(tmp_path)
    office = await prepare(server)
    async with server.service.store.transaction("demo") as txn:
        demo = await txn.user_by_email("demo@example.com")
        home = await txn.home(demo.context_id, demo.id)
        calendar = next(f.id for f in await home.folders("calendar")
                        if f.owner_id == demo.id and f.is_default)
    office.demo = Person("demo", "demo@example.com", demo.id, demo.context_id, calendar,
                         server.demo[1])
    yield office
    await server.stop()


def player(office, name: str, uid: str, server=None) -> Replay:
    replay = Replay(server or office.server, load(name))
    calendar = f"/dav/caldav/{office.demo.calendar}/"
    replay.values.update({"{calendar}": calendar, "{uid}": uid,
                          "{item}": f"{calendar}{uid}.ics",
                          "{organizer}": office.demo.email, "{attendee}": office.bob.email})
    return replay


@pytest_twisted.ensureDeferred
async def test_macos_calendar_invites_and_the_attendee_accepts(office) -> None:
    bob, demo = office.bob, office.demo
    replay = player(office, "macos-calendar-invite", "mac-1")
    await office.put(bob, "busy.ics", b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                     b"BEGIN:VEVENT\r\nUID:busy\r\nDTSTAMP:20270101T000000Z\r\n"
                     b"DTSTART:20270105T080000Z\r\nDTEND:20270105T090000Z\r\n"
                     b"SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    status, data = await replay.send(replay.step("freebusy"))
    assert status == 200, data
    answer = etree.fromstring(data).find("C:response", NS)
    assert answer.findtext("C:request-status", namespaces=NS).startswith("2.0")
    assert "20270105T080000Z/20270105T090000Z" in answer.findtext("C:calendar-data",
                                                                  namespaces=NS)
    status, data = await replay.send(replay.step("put-invite"))
    assert status == 201, data
    assert replay.response.headers.getRawHeaders("Schedule-Tag")
    status, data = await replay.send(replay.step("get-invite"))
    assert status == 200
    assert replay.response.headers.getRawHeaders("ETag")
    stored = Calendar.from_ical(data)
    assert itip.attendee(itip.scheduled(stored)[0], bob.email).params[
        "SCHEDULE-STATUS"] == "1.2"
    # bob's client: the inbox poll, then the accept of his copy with its Schedule-Tag.
    as_bob = player(office, "macos-calendar-invite", "mac-1",
                    dataclasses.replace(office.server, demo=bob.auth))
    status, data = await as_bob.send(as_bob.step("poll-inbox"))
    assert status == 207
    items = [h for h in etree.fromstring(data).xpath("//D:href/text()", namespaces=NS)
             if not h.endswith("/schedule-inbox/")]
    assert len(items) == 1
    copy = await office.copy_of(bob, "mac-1")
    assert "VALARM" not in copy.to_ical().decode()  # the organizer's alarm stays hers
    path = f"/dav/caldav/{bob.calendar}/{copy_name('mac-1')}"
    response, _ = await office.server.request("GET", path, auth=bob.auth)
    tag = response.headers.getRawHeaders("Schedule-Tag")[0]
    step = as_bob.step("put-accept")
    step["path"] = path
    step["headers"] = {**step["headers"], "If-Schedule-Tag-Match": tag}
    step["body"] = answered(copy, bob, "ACCEPTED").decode()
    status, data = await as_bob.send(step)
    assert status == 204, data
    assert partstat(await office.copy_of(demo, "mac-1"), bob) == "ACCEPTED"
    assert methods(await office.inbox(demo)) == ["REPLY"]


@pytest_twisted.ensureDeferred
async def test_thunderbird_invites_reschedules_and_cancels(office) -> None:
    bob = office.bob
    replay = player(office, "thunderbird-invite", "tb-1")
    status, _ = await replay.send(replay.step("server-caps"))
    assert status == 200
    assert "calendar-auto-schedule" in replay.dav_header
    status, data = await replay.send(replay.step("put-invite"))
    assert status == 201, data
    copy = await office.copy_of(bob, "tb-1")
    assert partstat(copy, bob) == "NEEDS-ACTION"
    assert methods(await office.inbox(bob)) == ["REQUEST"]
    response, _ = await office.get(office.demo, "tb-1.ics")
    etag = response.headers.getRawHeaders("ETag")[0]
    body = replay.step("put-invite")["body"].replace("T140000Z", "T150000Z").replace(
        "T150000Z\nTRANSP", "T160000Z\nTRANSP").replace("SEQUENCE:0", "SEQUENCE:1").replace(
        "X-MOZ-GENERATION:1", "X-MOZ-GENERATION:2")
    step = replay.step("put-reschedule")
    step["body"] = body
    step["headers"] = {**step["headers"], "If-Match": etag}
    status, data = await replay.send(step)
    assert status == 204, data
    moved = itip.scheduled(await office.copy_of(bob, "tb-1"))[0]
    assert moved["DTSTART"].to_ical() == b"20270106T150000Z"
    assert methods(await office.inbox(bob)) == ["REQUEST", "REQUEST"]
    response, _ = await office.get(office.demo, "tb-1.ics")
    step = replay.step("delete")
    step["headers"] = {"If-Match": response.headers.getRawHeaders("ETag")[0]}
    status, _ = await replay.send(step)
    assert status == 204
    assert await office.copy_of(bob, "tb-1") is None
    assert sorted(methods(await office.inbox(bob))) == ["CANCEL", "REQUEST", "REQUEST"]
