"""CalDAV REPORTs over TLS (RFC 4791 §7.8-§7.10) with the Appendix B data set, a
recurring event across a DST change, and free-busy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest_twisted
import recurring_ical_events
from icalendar import Calendar

from tests.caldav.ics import fixture_bytes
from tests.integration.caldav_requests import (
    NS,
    folders,
    ics,
    put,
    start_with_caldav,
    vevent,
    xml_request,
)

QUERY = """<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/>{data}</D:prop><C:filter><C:comp-filter name="VCALENDAR">{filter}
</C:comp-filter></C:filter></C:calendar-query>"""

IN_RANGE = """<C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/>
</C:comp-filter>"""

DST_EVENT = ics(
    "BEGIN:VEVENT", "UID:dst-weekly", "DTSTAMP:20260101T000000Z",
    "DTSTART;TZID=Europe/Berlin:20270315T100000", "DTEND;TZID=Europe/Berlin:20270315T110000",
    "RRULE:FREQ=WEEKLY;COUNT=5", "EXDATE;TZID=Europe/Berlin:20270322T100000",
    "SUMMARY:Weekly", "END:VEVENT",
    "BEGIN:VEVENT", "UID:dst-weekly", "DTSTAMP:20260101T000000Z",
    "RECURRENCE-ID;TZID=Europe/Berlin:20270405T100000",
    "DTSTART;TZID=Europe/Berlin:20270405T120000", "DTEND;TZID=Europe/Berlin:20270405T130000",
    "SUMMARY:Moved", "END:VEVENT")


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_with_caldav(tmp_path, interval_start="0")
    found = await folders(server)
    for n in range(1, 8):
        target = found["VEVENT"] if n <= 3 else found["VTODO"]
        response, _ = await put(server, f"{target}abcd{n}.ics",
                                fixture_bytes(f"rfc4791/abcd{n}.ics"))
        assert response.code == 201, n
    server.calendar, server.tasks = found["VEVENT"], found["VTODO"]
    yield server
    await server.stop()


async def query(server, path, flt, data="<C:calendar-data/>"):
    response, doc = await xml_request(server, "REPORT", path, QUERY.format(filter=flt, data=data),
                                      depth="1")
    assert response.code == 207, doc
    return doc


def names(doc) -> list[str]:
    return sorted(h.rsplit("/", 1)[1] for h in doc.xpath("//D:response/D:href/text()",
                                                         namespaces=NS))


def calendars(doc) -> dict[str, Calendar]:
    return {r.findtext("D:href", namespaces=NS).rsplit("/", 1)[1]:
            Calendar.from_ical(r.findtext(".//C:calendar-data", namespaces=NS))
            for r in doc.xpath("//D:response", namespaces=NS)}


@pytest_twisted.ensureDeferred
async def test_7_8_1_time_range_with_partial_retrieval(server) -> None:
    data = """<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/>
<C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/></C:comp>
</C:comp></C:calendar-data>"""
    doc = await query(server, server.calendar,
                      IN_RANGE.format(start="20060104T000000Z", end="20060105T000000Z"), data)
    assert names(doc) == ["abcd2.ics", "abcd3.ics"]
    for calendar in calendars(doc).values():
        for event in calendar.walk("VEVENT"):
            assert set(event) == {"SUMMARY", "UID"}
        assert not calendar.walk("VTIMEZONE")


@pytest_twisted.ensureDeferred
async def test_7_8_3_expand_gives_utc_instances_without_rrule(server) -> None:
    data = """<C:calendar-data><C:expand start="20060103T000000Z" end="20060105T000000Z"/>
</C:calendar-data>"""
    doc = await query(server, server.calendar,
                      IN_RANGE.format(start="20060103T000000Z", end="20060105T000000Z"), data)
    expanded = calendars(doc)["abcd2.ics"]
    events = expanded.walk("VEVENT")
    assert all("RRULE" not in e and "RECURRENCE-ID" in e for e in events)
    assert sorted(e.decoded("DTSTART") for e in events) == [
        datetime(2006, 1, 3, 17, tzinfo=UTC), datetime(2006, 1, 4, 19, tzinfo=UTC)]


@pytest_twisted.ensureDeferred
async def test_7_8_9_pending_todos(server) -> None:
    flt = """<C:comp-filter name="VTODO"><C:prop-filter name="COMPLETED"><C:is-not-defined/>
</C:prop-filter><C:prop-filter name="STATUS">
<C:text-match negate-condition="yes">CANCELLED</C:text-match></C:prop-filter></C:comp-filter>"""
    doc = await query(server, server.tasks, flt)
    assert names(doc) == ["abcd4.ics", "abcd5.ics"]


@pytest_twisted.ensureDeferred
async def test_text_match_is_case_insensitive_by_default(server) -> None:
    flt = """<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY">
<C:text-match>event #3</C:text-match></C:prop-filter></C:comp-filter>"""
    assert names(await query(server, server.calendar, flt)) == ["abcd3.ics"]


@pytest_twisted.ensureDeferred
async def test_malformed_filter_is_403_valid_filter(server) -> None:
    flt = '<C:comp-filter name="VEVENT"><C:time-range start="yesterday"/></C:comp-filter>'
    response, doc = await xml_request(server, "REPORT", server.calendar,
                                      QUERY.format(filter=flt, data=""), depth="1")
    assert response.code == 403
    assert doc[0].tag == "{urn:ietf:params:xml:ns:caldav}valid-filter"


@pytest_twisted.ensureDeferred
async def test_multiget_returns_data_and_404_for_unknown_hrefs(server) -> None:
    body = f"""<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>{server.calendar}abcd1.ics</D:href>
<D:href>{server.calendar}nope.ics</D:href></C:calendar-multiget>"""
    response, doc = await xml_request(server, "REPORT", server.calendar, body, depth="1")
    assert response.code == 207
    found = doc.xpath("//D:response[D:href[contains(., 'abcd1')]]", namespaces=NS)[0]
    data = found.findtext(".//C:calendar-data", namespaces=NS).encode()
    assert data.replace(b"\r\n", b"\n") == \
        fixture_bytes("rfc4791/abcd1.ics").replace(b"\r\n", b"\n")
    got, _ = await server.request("GET", server.calendar + "abcd1.ics", auth=server.demo)
    assert found.findtext(".//D:getetag", namespaces=NS) == got.headers.getRawHeaders("etag")[0]
    missing = doc.xpath("//D:response[D:href[contains(., 'nope')]]/D:status/text()",
                        namespaces=NS)
    assert missing == ["HTTP/1.1 404 Not Found"]


async def dst_matches(server, start: str, end: str) -> bool:
    doc = await query(server, server.calendar, IN_RANGE.format(start=start, end=end), "")
    return "dst.ics" in names(doc)


@pytest_twisted.ensureDeferred
async def test_recurrence_across_dst_with_exdate_and_override(server) -> None:
    assert (await put(server, server.calendar + "dst.ics", DST_EVENT))[0].code == 201
    # Europe/Berlin: CET (+1) until 2027-03-28, then CEST (+2).
    assert await dst_matches(server, "20270315T090000Z", "20270315T093000Z")  # 10:00 CET
    assert not await dst_matches(server, "20270322T090000Z", "20270322T100000Z")  # EXDATE
    assert await dst_matches(server, "20270329T080000Z", "20270329T083000Z")  # 10:00 CEST
    assert not await dst_matches(server, "20270329T090000Z", "20270329T093000Z")
    assert await dst_matches(server, "20270405T100000Z", "20270405T103000Z")  # moved to 12:00
    assert not await dst_matches(server, "20270405T080000Z", "20270405T083000Z")


@pytest_twisted.ensureDeferred
async def test_expanded_dst_series_agrees_with_the_library(server) -> None:
    await put(server, server.calendar + "dst.ics", DST_EVENT)
    data = '<C:calendar-data><C:expand start="20270301T000000Z" end="20270501T000000Z"/>' \
           "</C:calendar-data>"
    doc = await query(server, server.calendar,
                      IN_RANGE.format(start="20270301T000000Z", end="20270501T000000Z"), data)
    served = sorted(e.decoded("DTSTART") for e in calendars(doc)["dst.ics"].walk("VEVENT"))
    library = sorted(
        e.decoded("DTSTART").astimezone(UTC) for e in recurring_ical_events.of(
            Calendar.from_ical(DST_EVENT)).between(datetime(2027, 3, 1), datetime(2027, 5, 1)))
    assert served == library
    assert len(served) == 4 and datetime(2027, 4, 5, 10, tzinfo=UTC) in served


@pytest_twisted.ensureDeferred
async def test_free_busy_query_gives_busy_and_tentative_and_skips_transparent(server) -> None:
    day = "20270601"
    for uid, extra in (("fb-busy", ()), ("fb-free", ("TRANSP:TRANSPARENT",)),
                       ("fb-tent", ("STATUS:TENTATIVE",))):
        hour = {"fb-busy": "10", "fb-free": "12", "fb-tent": "14"}[uid]
        await put(server, f"{server.calendar}{uid}.ics",
                  ics(vevent(uid, *extra, start=f"{day}T{hour}0000Z")))
    body = f"""<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
<C:time-range start="{day}T000000Z" end="{day}T235959Z"/></C:free-busy-query>"""
    response, data = await server.request("REPORT", server.calendar, auth=server.demo,
                                          headers={"Depth": "1"}, body=body)
    assert response.code == 200
    assert response.headers.getRawHeaders("content-type")[0].startswith("text/calendar")
    freebusy = Calendar.from_ical(data).walk("VFREEBUSY")[0]
    lines = [line for line in freebusy.to_ical().decode().splitlines()
             if line.startswith("FREEBUSY")]
    assert lines == ["FREEBUSY:20270601T100000Z/20270601T110000Z",
                     "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270601T140000Z/20270601T150000Z"]


@pytest_twisted.ensureDeferred
async def test_query_is_clamped_to_the_window(tmp_path) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        calendar = (await folders(server))["VEVENT"]
        await put(server, calendar + "old.ics", ics(vevent("old", start="20000101T100000Z")))
        await put(server, calendar + "new.ics", ics(vevent("new")))
        doc = await query(server, calendar, '<C:comp-filter name="VEVENT"/>', "")
        assert names(doc) == ["new.ics"]
    finally:
        await server.stop()
