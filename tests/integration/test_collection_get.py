"""GET of a calendar or an address book over TLS (issue 21): the whole collection as one
file, as CalendarServer and Radicale answer it; bounded by oxdav.dav.maxResponseSize;
only what the requester may read."""

from __future__ import annotations

import icalendar
import pytest_twisted

from oxdav.caldav.freebusy import PRODID
from tests.integration import carddav_support as cards
from tests.integration.caldav_requests import folders, ics, put, vevent, vtodo
from tests.integration.harness import start_server

BERLIN = "\n".join([
    "BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
    "BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD",
    "BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT", "END:VTIMEZONE"])


def berlin_event(uid: str, summary: str, start: str = "20270310T100000") -> bytes:
    return ics(BERLIN, vevent(uid, f"SUMMARY:{summary}", f"DTSTART;TZID=Europe/Berlin:{start}",
                              "DURATION:PT1H"))


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


@pytest_twisted.ensureDeferred
async def test_get_of_a_calendar_is_one_vcalendar_with_each_timezone_once(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    for uid, summary in (("tz-a", "Standup"), ("tz-b", "Review")):
        response, _ = await put(server, f"{calendar}{uid}.ics", berlin_event(uid, summary))
        assert response.code == 201
    # Far outside the sync window: a whole calendar is whole.
    old = ics(vevent("old-one", "SUMMARY:Long ago", start="20000101T100000Z"))
    assert (await put(server, f"{calendar}old.ics", old))[0].code == 201

    response, body = await server.request("GET", calendar, auth=server.demo)
    assert response.code == 200, body
    assert response.headers.getRawHeaders("content-type")[0].startswith("text/calendar")
    assert body.count(b"BEGIN:VCALENDAR") == 1 and body.count(b"END:VCALENDAR") == 1
    assert body.count(b"BEGIN:VTIMEZONE") == 1
    assert f"PRODID:{PRODID}".encode() in body
    parsed = icalendar.Calendar.from_ical(body)
    assert sorted(str(e["UID"]) for e in parsed.walk("VEVENT")) == ["old-one", "tz-a", "tz-b"]
    # Each component is the stored text, byte for byte.
    stored = (await server.request("GET", f"{calendar}tz-b.ics", auth=server.demo))[1]
    event = stored[stored.index(b"BEGIN:VEVENT"):stored.index(b"END:VEVENT") + 12]
    assert event in body

    head, _ = await server.request("HEAD", calendar, auth=server.demo)
    assert head.code == 200
    assert head.headers.getRawHeaders("content-type")[0].startswith("text/calendar")


@pytest_twisted.ensureDeferred
async def test_get_of_a_task_folder_carries_its_todos(server) -> None:
    tasks = (await folders(server))["VTODO"]
    assert (await put(server, f"{tasks}t.ics", ics(vtodo("todo-1", "SUMMARY:Milk"))))[0].code \
        == 201
    response, body = await server.request("GET", tasks, auth=server.demo)
    assert response.code == 200
    assert [str(t["UID"]) for t in icalendar.Calendar.from_ical(body).walk("VTODO")] == [
        "todo-1"]


@pytest_twisted.ensureDeferred
async def test_get_of_an_empty_calendar_is_an_empty_vcalendar(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    response, body = await server.request("GET", calendar, auth=server.demo)
    assert response.code == 200
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    assert icalendar.Calendar.from_ical(body).walk("VEVENT") == []


@pytest_twisted.ensureDeferred
async def test_a_calendar_over_the_answer_bound_is_507_before_any_byte(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.dav.maxResponseSize = 2K\n")
    try:
        calendar = (await folders(server))["VEVENT"]
        for n in range(6):
            await put(server, f"{calendar}e{n}.ics", berlin_event(f"big-{n}", "x" * 200))
        response, body = await server.request("GET", calendar, auth=server.demo)
        assert response.code == 507
        assert b"number-of-matches-within-limits" in body
        # The members themselves stay readable one by one.
        assert (await server.request("GET", f"{calendar}e0.ics", auth=server.demo))[0].code \
            == 200
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_get_of_an_address_book_gives_each_card_as_a_get_of_it_would(server) -> None:
    book = await cards.default_book(server)
    three = cards.card("card-3", "Three Person")
    four = cards.card("card-4", "Four Person", version="4.0")
    assert (await cards.put(server, book + "three.vcf", three))[0].code == 201
    assert (await cards.put(server, book + "four.vcf", four))[0].code == 201

    # No Accept: each card as stored (a GET of each would answer so).
    response, body = await server.request("GET", book, auth=server.demo,
                                          headers={"User-Agent": cards.DAVX5})
    assert response.code == 200
    assert response.headers.getRawHeaders("content-type")[0] == "text/vcard; charset=utf-8"
    assert body == four + three  # by resource name

    # Accept vCard 4.0: every card in 4.0, the bytes a GET of each answers.
    accept = {"Accept": "text/vcard; version=4.0", "User-Agent": cards.DAVX5}
    response, body = await server.request("GET", book, auth=server.demo, headers=accept)
    assert response.code == 200 and b"VERSION:3.0" not in body
    each = [(await server.request("GET", book + n, auth=server.demo, headers=accept))[1]
            for n in ("four.vcf", "three.vcf")]
    assert body == b"".join(each)

    # Apple's clients take 3.0 only.
    response, body = await server.request("GET", book, auth=server.demo,
                                          headers={"User-Agent": cards.MACOS_CONTACTS})
    assert response.code in (200, 404)  # mode 0 shows Apple the aggregated book instead
    response, body = await server.request("GET", "/dav/carddav/Contacts/", auth=server.demo,
                                          headers={"User-Agent": cards.MACOS_CONTACTS})
    assert response.code == 200 and b"VERSION:4.0" not in body
    assert b"UID:card-4" in body and b"UID:card-3" in body

    # No acceptable version: 406, as for one card (RFC 6352 §5.1.1.1).
    response, _ = await server.request("GET", book, auth=server.demo,
                                       headers={"Accept": "application/json"})
    assert response.code == 406


@pytest_twisted.ensureDeferred
async def test_a_colleague_gets_nothing_of_a_calendar_they_cannot_read(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    await put(server, f"{calendar}secret.ics", berlin_event("secret-uid", "Secret plan"))
    await cards.add_user(server, "carol")
    carol = ("carol@example.com", cards.PASSWORD)
    response, body = await server.request("GET", calendar, auth=carol)
    assert response.code == 404 and b"Secret" not in body and b"secret-uid" not in body
    response, _ = await server.request("GET", calendar)
    assert response.code == 401
