"""What real clients send, answered deliberately (issue 5, "Client realities")."""

from __future__ import annotations

import pytest_twisted

from tests.integration.caldav_requests import (
    NEXT_YEAR,
    NS,
    folders,
    ics,
    put,
    vevent,
    xml_request,
)
from tests.integration.harness import start_server

APPLE_DEFAULT_ALARM = "\n".join([
    "BEGIN:VALARM", "X-WR-ALARMUID:0F1E2D3C", "UID:0F1E2D3C",
    "TRIGGER;VALUE=DATE-TIME:19760401T005545Z", "ACTION:NONE",
    "X-APPLE-DEFAULT-ALARM:TRUE", "END:VALARM"])


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


async def query_names(server, calendar: str, start: str, end: str, zone: str = "") -> list[str]:
    body = f"""<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR">
<C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter>
</C:comp-filter></C:filter>{zone}</C:calendar-query>"""
    response, doc = await xml_request(server, "REPORT", calendar, body, depth="1")
    assert response.code == 207
    return sorted(h.rsplit("/", 1)[1] for h in doc.xpath("//D:href/text()", namespaces=NS))


@pytest_twisted.ensureDeferred
async def test_apple_empty_default_alarm_is_stored_unchanged(server) -> None:
    """Apple sends a VALARM with ACTION:NONE and a 1976 trigger as "no default alarm";
    it is kept byte for byte, not refused as invalid."""
    calendar = (await folders(server))["VEVENT"]
    body = ics(vevent("apple-alarm", "SUMMARY:Apple", APPLE_DEFAULT_ALARM))
    response, _ = await put(server, calendar + "apple.ics", body)
    assert response.code == 201
    _, data = await server.request("GET", calendar + "apple.ics", auth=server.demo)
    assert data == body


@pytest_twisted.ensureDeferred
async def test_em_client_all_day_event_is_found_on_its_day_in_the_query_zone(server) -> None:
    """eM Client marks all-day events with DATE values (plus Microsoft's flag); a date
    is floating, so it is placed in the query's CALDAV:timezone (RFC 4791 §9.9)."""
    calendar = (await folders(server))["VEVENT"]
    body = ics(vevent("allday", f"DTSTART;VALUE=DATE:{NEXT_YEAR}0310",
                      f"DTEND;VALUE=DATE:{NEXT_YEAR}0311", "X-MICROSOFT-CDO-ALLDAYEVENT:TRUE",
                      "SUMMARY:All day"))
    assert (await put(server, calendar + "allday.ics", body))[0].code == 201
    day = f"{NEXT_YEAR}0310"
    assert await query_names(server, calendar, f"{day}T120000Z", f"{day}T130000Z") == \
        ["allday.ics"]
    zone = """<C:timezone>BEGIN:VCALENDAR
PRODID:-//t//t//EN
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Pacific/Kiritimati
BEGIN:STANDARD
DTSTART:19950101T000000
TZOFFSETFROM:-1000
TZOFFSETTO:+1400
END:STANDARD
END:VTIMEZONE
END:VCALENDAR
</C:timezone>"""
    # In UTC+14 the day ends at 10:00Z, so an afternoon range (UTC) misses it.
    assert await query_names(server, calendar, f"{day}T120000Z", f"{day}T130000Z", zone) == []


@pytest_twisted.ensureDeferred
async def test_thunderbird_sync_collection_with_depth_1_is_answered(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    await put(server, calendar + "tb.ics", ics(vevent("tb")))
    body = """<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>
<D:prop><D:getetag/></D:prop></D:sync-collection>"""
    response, doc = await xml_request(server, "REPORT", calendar, body, depth="1")
    assert response.code == 207
    assert doc.xpath("//D:href/text()", namespaces=NS) == [calendar + "tb.ics"]


@pytest_twisted.ensureDeferred
async def test_large_object_is_parsed_off_the_reactor_and_stored(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    description = "DESCRIPTION:" + "\n ".join(["y" * 70] * 2000)
    response, _ = await put(server, calendar + "large.ics", ics(vevent("large", description)))
    assert response.code == 201


@pytest_twisted.ensureDeferred
async def test_client_name_of_a_made_calendar_is_not_shown_as_a_dead_property(server) -> None:
    await xml_request(server, "MKCALENDAR", "/dav/caldav/A1B2-C3D4/")
    response, doc = await xml_request(server, "PROPFIND", "/dav/caldav/A1B2-C3D4/", depth="0")
    assert response.code == 207
    assert not [e for e in doc.iter() if isinstance(e.tag, str) and "urn:oxdav" in e.tag]
