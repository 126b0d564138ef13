"""The scheduling boxes and what a client discovers (RFC 6638 §2, §5, §9; RFC 7953):
free/busy of colleagues by POST to the outbox, availability, transparent calendars,
inbox items, schedule-default-calendar-URL, Schedule-Tag in PROPFIND, the DAV header."""

from __future__ import annotations

import pytest_twisted
from icalendar import Calendar
from lxml import etree

from tests.integration.harness import start_server
from tests.integration.scheduling_support import meeting, prepare

NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav"}
OUTBOX = "/dav/caldav/schedule-outbox/"
INBOX = "/dav/caldav/schedule-inbox/"


@pytest_twisted.async_yield_fixture
async def office(tmp_path):
    server = await start_server(tmp_path)
    yield await prepare(server)
    await server.stop()


def freebusy_request(organizer, attendees, start="20270105T000000Z",
                     end="20270106T000000Z") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//fb//EN", "METHOD:REQUEST",
             "BEGIN:VFREEBUSY", "UID:fb-1", "DTSTAMP:20270101T000000Z",
             f"DTSTART:{start}", f"DTEND:{end}", f"ORGANIZER:{organizer}"]
    lines += [f"ATTENDEE:{a}" for a in attendees]
    lines += ["END:VFREEBUSY", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


async def post(office, who, body: bytes) -> tuple[int, dict[str, tuple[str, str]]]:
    response, data = await office.server.request(
        "POST", OUTBOX, auth=who.auth, body=body,
        headers={"Content-Type": "text/calendar; charset=utf-8"})
    if response.code != 200:
        return response.code, {}
    root = etree.fromstring(data)
    found = {}
    for entry in root.findall("C:response", NS):
        found[entry.findtext("C:recipient/D:href", namespaces=NS)] = (
            entry.findtext("C:request-status", namespaces=NS),
            entry.findtext("C:calendar-data", namespaces=NS) or "")
    return response.code, found


def busy(calendar_data: str) -> list[str]:
    calendar = Calendar.from_ical(calendar_data)
    assert str(calendar["METHOD"]) == "REPLY"
    found = []
    for component in calendar.walk("VFREEBUSY"):
        values = component.get("FREEBUSY", [])
        for value in values if isinstance(values, list) else [values]:
            found.append(value.to_ical().decode())
    return found


@pytest_twisted.ensureDeferred
async def test_free_busy_of_colleagues_and_nothing_about_anyone_else(office) -> None:
    anna, bob, eve = office.anna, office.bob, office.eve
    await office.put(bob, "own.ics", meeting("own", bob, [], start="20270105T090000Z",
                                             end="20270105T100000Z"))
    code, answers = await post(office, anna, freebusy_request(
        anna.mailto, [bob.mailto, eve.mailto, "mailto:nobody@outside.test"]))
    assert code == 200
    assert answers[bob.mailto][0].startswith("2.0")
    assert busy(answers[bob.mailto][1]) == ["20270105T090000Z/20270105T100000Z"]
    assert answers[eve.mailto][0].startswith("3.7")
    assert answers["mailto:nobody@outside.test"][0].startswith("3.7")
    assert answers[eve.mailto][1] == ""


@pytest_twisted.ensureDeferred
async def test_only_ones_own_address_may_ask(office) -> None:
    anna, bob = office.anna, office.bob
    response, data = await office.server.request(
        "POST", OUTBOX, auth=anna.auth, body=freebusy_request(bob.mailto, [bob.mailto]),
        headers={"Content-Type": "text/calendar"})
    assert response.code == 403 and b"organizer-allowed" in data
    response, data = await office.server.request(
        "POST", OUTBOX, auth=anna.auth, body=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        headers={"Content-Type": "text/calendar"})
    assert response.code == 400 and b"valid-scheduling-message" in data
    response, _ = await office.server.request(
        "POST", INBOX, auth=anna.auth, body=freebusy_request(anna.mailto, [bob.mailto]),
        headers={"Content-Type": "text/calendar"})
    assert response.code == 405


@pytest_twisted.ensureDeferred
async def test_a_transparent_calendar_and_availability_shape_free_busy(office) -> None:
    anna, bob = office.anna, office.bob
    await office.put(bob, "own.ics", meeting("own", bob, [], start="20270105T090000Z",
                                             end="20270105T100000Z"))
    transparent = (
        b'<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set>'
        b"<D:prop><C:schedule-calendar-transp><C:transparent/></C:schedule-calendar-transp>"
        b"</D:prop></D:set></D:propertyupdate>")
    response, _ = await office.server.request(
        "PROPPATCH", f"/dav/caldav/{bob.calendar}/", auth=bob.auth, body=transparent)
    assert response.code == 207
    availability = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//av//EN\r\n"
        "BEGIN:VAVAILABILITY\r\nUID:av-1\r\nDTSTAMP:20270101T000000Z\r\n"
        "DTSTART:20270101T000000Z\r\nDTEND:20280101T000000Z\r\n"
        "BEGIN:AVAILABLE\r\nUID:av-2\r\nDTSTAMP:20270101T000000Z\r\n"
        "DTSTART:20270105T080000Z\r\nDTEND:20270105T170000Z\r\nEND:AVAILABLE\r\n"
        "END:VAVAILABILITY\r\nEND:VCALENDAR\r\n")
    body = ('<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            "<D:set><D:prop><C:calendar-availability>" + availability +
            "</C:calendar-availability></D:prop></D:set></D:propertyupdate>").encode()
    response, data = await office.server.request("PROPPATCH", INBOX, auth=bob.auth, body=body)
    assert response.code == 207 and b"200 OK" in data, data
    code, answers = await post(office, anna, freebusy_request(anna.mailto, [bob.mailto]))
    assert code == 200
    # The event is in a transparent calendar; outside 08-17 bob is unavailable.
    assert busy(answers[bob.mailto][1]) == [
        "20270105T000000Z/20270105T080000Z,20270105T170000Z/20270106T000000Z"] or busy(
        answers[bob.mailto][1]) == ["20270105T000000Z/20270105T080000Z",
                                    "20270105T170000Z/20270106T000000Z"]


@pytest_twisted.ensureDeferred
async def test_the_inbox_is_its_owners_to_read_and_delete(office) -> None:
    anna, bob = office.anna, office.bob
    await office.put(anna, "in1.ics", meeting("in1", anna, [bob]))
    response, data = await office.server.request(
        "PROPFIND", INBOX, auth=bob.auth, headers={"Depth": "1"},
        body=b'<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>')
    assert response.code == 207
    hrefs = [h for h in etree.fromstring(data).xpath("//D:href/text()", namespaces=NS)
             if h != INBOX]
    assert len(hrefs) == 1
    response, item = await office.server.request("GET", hrefs[0], auth=bob.auth)
    assert response.code == 200 and b"METHOD:REQUEST" in item
    # Anna's own inbox path is her own: the same name is nothing there.
    response, _ = await office.server.request("GET", hrefs[0], auth=anna.auth)
    assert response.code == 404
    response, _ = await office.server.request("DELETE", hrefs[0], auth=anna.auth)
    assert response.code == 404
    response, _ = await office.server.request("DELETE", hrefs[0], auth=bob.auth)
    assert response.code == 204
    assert await office.inbox(bob) == []


@pytest_twisted.ensureDeferred
async def test_what_a_client_discovers(office) -> None:
    anna, bob = office.anna, office.bob
    response, _ = await office.server.request("OPTIONS", "/dav/caldav/", auth=anna.auth)
    assert "calendar-auto-schedule" in response.headers.getRawHeaders("DAV")[0]
    response, data = await office.server.request(
        "PROPFIND", INBOX, auth=anna.auth, headers={"Depth": "0"},
        body=(b'<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>'
              b"<C:schedule-default-calendar-URL/></D:prop></D:propfind>"))
    href = etree.fromstring(data).findtext(".//C:schedule-default-calendar-URL/D:href",
                                           namespaces=NS)
    assert href == f"/dav/caldav/{anna.calendar}/"
    response, data = await office.server.request(
        "PROPFIND", f"/dav/principals/users/{anna.user_id}/", auth=anna.auth,
        headers={"Depth": "0"},
        body=(b'<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>'
              b"<C:calendar-user-type/></D:prop></D:propfind>"))
    assert etree.fromstring(data).findtext(".//C:calendar-user-type",
                                           namespaces=NS) == "INDIVIDUAL"
    response, _ = await office.put(anna, "d1.ics", meeting("d1", anna, [bob]))
    tag = response.headers.getRawHeaders("Schedule-Tag")[0]
    response, data = await office.server.request(
        "PROPFIND", f"/dav/caldav/{anna.calendar}/d1.ics", auth=anna.auth,
        headers={"Depth": "0"},
        body=(b'<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>'
              b"<C:schedule-tag/></D:prop></D:propfind>"))
    assert etree.fromstring(data).findtext(".//C:schedule-tag", namespaces=NS) == tag
    # The hidden property behind it is neither listed nor writable.
    response, data = await office.server.request(
        "PROPFIND", f"/dav/caldav/{anna.calendar}/d1.ics", auth=anna.auth,
        headers={"Depth": "0"}, body=b'<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>')
    assert b"urn:oxdav" not in data
    response, data = await office.server.request(
        "PROPPATCH", f"/dav/caldav/{anna.calendar}/d1.ics", auth=anna.auth,
        body=(b'<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:oxdav"><D:set><D:prop>'
              b"<X:schedule-tag>forged</X:schedule-tag></D:prop></D:set></D:propertyupdate>"))
    assert b"403" in data or response.code == 403
