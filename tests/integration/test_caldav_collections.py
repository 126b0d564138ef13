"""CalDAV collections over TLS: properties, MKCALENDAR, PROPPATCH, DELETE, schedule boxes
and the sync window on listings (RFC 4791 §5.2, §5.3.1; DESIGN.md §4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest_twisted

from tests.integration.caldav_requests import (
    NS,
    folders,
    ics,
    put,
    start_with_caldav,
    vevent,
    xml_request,
)
from tests.integration.harness import start_server

CALENDAR_PROPS = """<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"
 xmlns:A="http://apple.com/ns/ical/"><D:prop><D:resourcetype/><D:displayname/>
<C:supported-calendar-component-set/><C:supported-calendar-data/><C:max-resource-size/>
<C:min-date-time/><C:max-date-time/><C:calendar-description/><A:calendar-color/>
<A:calendar-order/><C:calendar-timezone/><D:supported-report-set/></D:prop></D:propfind>"""

MKCALENDAR = """<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:"
 xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop>
<D:displayname>Jobs</D:displayname><C:calendar-description>work</C:calendar-description>
<A:calendar-color>#FF0000FF</A:calendar-color><A:calendar-order>3</A:calendar-order>
<C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
</D:prop></D:set></C:mkcalendar>"""


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


async def props(server, path):
    response, doc = await xml_request(server, "PROPFIND", path, CALENDAR_PROPS, depth="0")
    assert response.code == 207
    return doc


async def listed_names(server, path) -> set[str]:
    _, doc = await xml_request(server, "PROPFIND", path, """<D:propfind xmlns:D="DAV:"><D:prop>
<D:getetag/></D:prop></D:propfind>""", depth="1")
    return {h.rstrip("/").rsplit("/", 1)[1] for h in doc.xpath("//D:href/text()", namespaces=NS)
            if not h.endswith("/")}


@pytest_twisted.ensureDeferred
async def test_calendar_folder_publishes_the_caldav_properties(server) -> None:
    doc = await props(server, (await folders(server))["VEVENT"])
    assert doc.xpath("//C:supported-calendar-component-set/C:comp/@name", namespaces=NS) == \
        ["VEVENT"]
    data = doc.find(".//C:supported-calendar-data/C:calendar-data", namespaces=NS)
    assert (data.get("content-type"), data.get("version")) == ("text/calendar", "2.0")
    assert int(doc.findtext(".//C:max-resource-size", namespaces=NS)) > 0
    reports = doc.xpath("//D:supported-report/D:report/*", namespaces=NS)
    assert {"{urn:ietf:params:xml:ns:caldav}calendar-query",
            "{urn:ietf:params:xml:ns:caldav}calendar-multiget",
            "{urn:ietf:params:xml:ns:caldav}free-busy-query"} <= {r.tag for r in reports}


@pytest_twisted.ensureDeferred
async def test_calendar_offers_read_free_busy_under_read(server) -> None:
    """RFC 4791 §6.1.1: CALDAV:read-free-busy is aggregated by DAV:read."""
    _, doc = await xml_request(server, "PROPFIND", (await folders(server))["VEVENT"],
                               """<D:propfind xmlns:D="DAV:"><D:prop>
<D:supported-privilege-set/><D:current-user-privilege-set/></D:prop></D:propfind>""",
                               depth="0")
    under_read = doc.xpath(
        "//D:supported-privilege[D:privilege/D:read]/D:supported-privilege"
        "/D:privilege/C:read-free-busy", namespaces=NS)
    assert len(under_read) == 1
    assert doc.xpath("//D:current-user-privilege-set/D:privilege/C:read-free-busy",
                     namespaces=NS)


@pytest_twisted.ensureDeferred
async def test_task_folder_takes_vtodo(server) -> None:
    doc = await props(server, (await folders(server))["VTODO"])
    assert doc.xpath("//C:supported-calendar-component-set/C:comp/@name", namespaces=NS) == \
        ["VTODO"]


@pytest_twisted.ensureDeferred
async def test_min_and_max_date_time_follow_the_default_window(server) -> None:
    doc = await props(server, (await folders(server))["VEVENT"])
    now = datetime.now(UTC)
    month = now.year * 12 + now.month - 2
    assert doc.findtext(".//C:min-date-time", namespaces=NS) == \
        f"{month // 12:04d}{month % 12 + 1:02d}01T000000Z"
    assert doc.findtext(".//C:max-date-time", namespaces=NS) == f"{now.year + 2}0101T000000Z"


@pytest_twisted.ensureDeferred
async def test_window_settings_change_the_published_dates(tmp_path) -> None:
    server = await start_with_caldav(tmp_path, interval_start="0", interval_end="two_years")
    try:
        doc = await props(server, (await folders(server))["VEVENT"])
        assert doc.xpath("//D:propstat[D:status[contains(., '404')]]//C:min-date-time",
                         namespaces=NS)
        assert doc.findtext(".//C:max-date-time", namespaces=NS) == \
            f"{datetime.now(UTC).year + 3}0101T000000Z"
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_schedule_boxes_answer_propfind(server) -> None:
    for box in ("schedule-inbox", "schedule-outbox"):
        response, doc = await xml_request(server, "PROPFIND", f"/dav/caldav/{box}/",
                                          CALENDAR_PROPS, depth="0")
        assert response.code == 207
        assert doc.find(f".//D:resourcetype/C:{box}", namespaces=NS) is not None


@pytest_twisted.ensureDeferred
async def test_mkcalendar_makes_a_task_list_with_its_properties(server) -> None:
    response, _ = await xml_request(server, "MKCALENDAR", "/dav/caldav/jobs/", MKCALENDAR)
    assert response.code == 201
    doc = await props(server, "/dav/caldav/jobs/")
    assert doc.findtext(".//D:displayname", namespaces=NS) == "Jobs"
    assert doc.findtext(".//C:calendar-description", namespaces=NS) == "work"
    assert doc.findtext(".//A:calendar-color", namespaces=NS) == "#FF0000FF"
    assert doc.findtext(".//A:calendar-order", namespaces=NS) == "3"
    assert doc.xpath("//C:comp/@name", namespaces=NS) == ["VTODO"]
    listing = await xml_request(server, "PROPFIND", "/dav/caldav/", CALENDAR_PROPS, depth="1")
    [jobs] = listing[1].xpath("//D:response[.//D:displayname='Jobs']", namespaces=NS)
    assert jobs.findtext("D:href", namespaces=NS) == "/dav/caldav/jobs/"  # where it was made


@pytest_twisted.ensureDeferred
async def test_mkcalendar_on_an_existing_name_is_405(server) -> None:
    await xml_request(server, "MKCALENDAR", "/dav/caldav/twice/", MKCALENDAR)
    response, _ = await xml_request(server, "MKCALENDAR", "/dav/caldav/twice/", MKCALENDAR)
    assert response.code == 405


@pytest_twisted.ensureDeferred
async def test_mkcalendar_without_body_makes_a_calendar_of_every_type_that_takes_puts(
        server) -> None:
    """RFC 4791 §5.2.3: without a component set, every type the server serves."""
    response, _ = await server.request("MKCALENDAR", "/dav/caldav/plain/", auth=server.demo)
    assert response.code == 201
    doc = await props(server, "/dav/caldav/plain/")
    assert doc.xpath("//C:comp/@name", namespaces=NS) == ["VEVENT", "VJOURNAL", "VTODO"]
    put_response, _ = await put(server, "/dav/caldav/plain/e.ics", ics(vevent("in-plain")))
    assert put_response.code == 201
    assert "e.ics" in await listed_names(server, "/dav/caldav/plain/")


@pytest_twisted.ensureDeferred
async def test_extended_mkcol_of_a_calendar_is_201(server) -> None:
    body = """<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>X</D:displayname>
</D:prop></D:set></D:mkcol>"""
    response, _ = await xml_request(server, "MKCOL", "/dav/caldav/viamkcol/", body)
    assert response.code == 201
    doc = await props(server, "/dav/caldav/viamkcol/")
    assert doc.xpath("//C:comp/@name", namespaces=NS) == ["VEVENT", "VJOURNAL", "VTODO"]


@pytest_twisted.ensureDeferred
async def test_extended_mkcol_takes_its_component_set_as_mkcalendar_does(server) -> None:
    """RFC 5689 §3 with RFC 4791 §5.3.1: the calendar takes exactly the set's types."""
    body = """<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:resourcetype><D:collection/><C:calendar/></D:resourcetype>
<C:supported-calendar-component-set><C:comp name="VJOURNAL"/>
</C:supported-calendar-component-set></D:prop></D:set></D:mkcol>"""
    response, _ = await xml_request(server, "MKCOL", "/dav/caldav/journal/", body)
    assert response.code == 201
    doc = await props(server, "/dav/caldav/journal/")
    assert doc.xpath("//C:comp/@name", namespaces=NS) == ["VJOURNAL"]
    response, doc = await put(server, "/dav/caldav/journal/e.ics", ics(vevent("e")))
    assert response.code == 403
    assert doc.find("{urn:ietf:params:xml:ns:caldav}supported-calendar-component") is not None


@pytest_twisted.ensureDeferred
async def test_mkcalendar_outside_the_home_is_403(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    response, _ = await xml_request(server, "MKCALENDAR", calendar + "inner/", MKCALENDAR)
    assert response.code == 403


@pytest_twisted.ensureDeferred
async def test_made_calendar_can_be_deleted(server) -> None:
    await xml_request(server, "MKCALENDAR", "/dav/caldav/temp/", MKCALENDAR)
    response, _ = await server.request("DELETE", "/dav/caldav/temp/", auth=server.demo)
    assert response.code == 204
    response, _ = await xml_request(server, "PROPFIND", "/dav/caldav/temp/", CALENDAR_PROPS,
                                    depth="0")
    assert response.code == 404


@pytest_twisted.ensureDeferred
async def test_proppatch_renames_recolours_and_describes(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    body = """<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"
 xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop><D:displayname>Renamed</D:displayname>
<A:calendar-color>#00FF00FF</A:calendar-color><C:calendar-description>d</C:calendar-description>
<A:calendar-order>7</A:calendar-order></D:prop></D:set></D:propertyupdate>"""
    response, doc = await xml_request(server, "PROPPATCH", calendar, body)
    assert response.code == 207
    assert doc.xpath("//D:status/text()", namespaces=NS) == ["HTTP/1.1 200 OK"]
    doc = await props(server, calendar)
    assert doc.findtext(".//D:displayname", namespaces=NS) == "Renamed"
    assert doc.findtext(".//A:calendar-color", namespaces=NS) == "#00FF00FF"
    assert doc.findtext(".//C:calendar-description", namespaces=NS) == "d"
    assert doc.findtext(".//A:calendar-order", namespaces=NS) == "7"


@pytest_twisted.ensureDeferred
async def test_protected_caldav_property_is_403_on_proppatch(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    body = """<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set>
<D:prop><C:max-resource-size>1</C:max-resource-size></D:prop></D:set></D:propertyupdate>"""
    _, doc = await xml_request(server, "PROPPATCH", calendar, body)
    assert doc.xpath("//D:status/text()", namespaces=NS) == ["HTTP/1.1 403 Forbidden"]


@pytest_twisted.ensureDeferred
async def test_listing_shows_the_window_and_recurring_series_reaching_into_it(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    year = datetime.now(UTC).year
    await put(server, calendar + "old.ics", ics(vevent("old", start="20000101T100000Z")))
    await put(server, calendar + "now.ics", ics(vevent("now", start=f"{year + 1}0115T100000Z")))
    await put(server, calendar + "weekly.ics",
              ics(vevent("weekly", "RRULE:FREQ=WEEKLY", start="20000103T100000Z")))
    assert await listed_names(server, calendar) == {"now.ics", "weekly.ics"}
    got, _ = await server.request("GET", calendar + "old.ics", auth=server.demo)
    assert got.code == 200


@pytest_twisted.ensureDeferred
async def test_sync_collection_leaves_out_objects_outside_the_window(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    year = datetime.now(UTC).year
    await put(server, calendar + "old.ics", ics(vevent("old", start="20000101T100000Z")))
    await put(server, calendar + "now.ics", ics(vevent("now", start=f"{year + 1}0115T100000Z")))
    body = """<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>
<D:prop><D:getetag/></D:prop></D:sync-collection>"""
    response, doc = await xml_request(server, "REPORT", calendar, body, depth="1")
    assert response.code == 207
    hrefs = doc.xpath("//D:response/D:href/text()", namespaces=NS)
    assert hrefs == [calendar + "now.ics"]


@pytest_twisted.ensureDeferred
async def test_an_event_moved_out_of_the_window_is_reported_removed_by_sync(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    year = datetime.now(UTC).year
    await put(server, calendar + "moving.ics",
              ics(vevent("moving", start=f"{year + 1}0115T100000Z")))
    initial = """<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>
<D:prop><D:getetag/></D:prop></D:sync-collection>"""
    _, doc = await xml_request(server, "REPORT", calendar, initial, depth="1")
    token = doc.findtext("D:sync-token", namespaces=NS)
    await put(server, calendar + "moving.ics", ics(vevent("moving", start="20000101T100000Z")))
    follow = initial.replace("<D:sync-token/>", f"<D:sync-token>{token}</D:sync-token>")
    _, doc = await xml_request(server, "REPORT", calendar, follow, depth="1")
    [response] = doc.xpath("//D:response", namespaces=NS)
    assert response.findtext("D:href", namespaces=NS) == calendar + "moving.ics"
    assert "404" in response.findtext("D:status", namespaces=NS)


LISTING = """<D:propfind xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:prop>
<D:resourcetype/><D:getetag/><D:getcontenttype/><D:displayname/><A:calendar-color/>
</D:prop></D:propfind>"""


@pytest_twisted.ensureDeferred
async def test_a_depth_1_listing_gives_each_member_its_etag_and_404s(server) -> None:
    """The members of a Depth 1 PROPFIND (written from one template per shape): the href
    percent-encoded, getetag the ETag of GET, an empty resourcetype, the content type,
    404 for what an object lacks; ``Brief: t`` drops the 404s (RFC 4918 §9.1, §15)."""
    calendar = (await folders(server))["VEVENT"]
    for name in ("plain.ics", "a%20b%26c.ics"):
        response, _ = await put(server, calendar + name, ics(vevent(name)))
        assert response.code == 201
    _, doc = await xml_request(server, "PROPFIND", calendar, LISTING, depth="1")
    members = {r.findtext("D:href", namespaces=NS): r
               for r in doc.xpath("//D:response", namespaces=NS)
               if not r.findtext("D:href", namespaces=NS).endswith("/")}
    assert set(members) == {calendar + "plain.ics", calendar + "a%20b%26c.ics"}
    for href, member in members.items():
        got, _ = await server.request("GET", href, auth=server.demo)
        assert member.findtext(".//D:getetag", namespaces=NS) == \
            got.headers.getRawHeaders("etag")[0]
        found = member.xpath("D:propstat[D:status='HTTP/1.1 200 OK']/D:prop/*", namespaces=NS)
        assert [e.tag for e in found] == ["{DAV:}resourcetype", "{DAV:}getetag",
                                          "{DAV:}getcontenttype"]
        assert len(found[0]) == 0 and found[2].text.startswith("text/calendar")
        missing = member.xpath("D:propstat[D:status='HTTP/1.1 404 Not Found']/D:prop/*",
                               namespaces=NS)
        assert [e.tag for e in missing] == ["{DAV:}displayname",
                                            "{http://apple.com/ns/ical/}calendar-color"]
    _, brief = await xml_request(server, "PROPFIND", calendar, LISTING, depth="1", Brief="t")
    assert len(brief.xpath("//D:response", namespaces=NS)) == len(members) + 1
    assert not brief.xpath("//D:status[contains(., '404')]", namespaces=NS)
