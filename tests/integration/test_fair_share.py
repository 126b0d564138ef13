"""No request starves the others: heavy work off the reactor, and bounded (issue 14).

Through the real TLS listener: CALDAV:max-instances published and enforced on PUT,
multigets bounded in hrefs, answers bounded in size and in recurrence instances (507
for the collection), and another tenant's GET answered while a heavy report runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_twisted
from lxml import etree
from twisted.internet import reactor
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import deferLater

from oxdav.store import ObjectIndex
from tests.integration.caldav_requests import NS, folders, ics, put, vevent, xml_request
from tests.integration.harness import start_server
from tests.integration.test_auth_tls import PASSWORD, add_user

C = "urn:ietf:params:xml:ns:caldav"
NEXT_YEAR = datetime.now(UTC).year + 1


def rdates(count: int, *, step: timedelta = timedelta(hours=1)) -> str:
    start = datetime(NEXT_YEAR, 1, 1, 10, tzinfo=UTC)
    return "RDATE:" + ",".join((start + i * step).strftime("%Y%m%dT%H%M%SZ")
                               for i in range(count))


def query(filter_body: str, data: str = "") -> str:
    return (f'<C:calendar-query xmlns:D="DAV:" xmlns:C="{C}"><D:prop><D:getetag/>{data}'
            f'</D:prop><C:filter><C:comp-filter name="VCALENDAR">{filter_body}'
            "</C:comp-filter></C:filter></C:calendar-query>")


def year_range() -> str:
    return f'<C:time-range start="{NEXT_YEAR}0101T000000Z" end="{NEXT_YEAR + 1}0101T000000Z"/>'


def precondition(doc: Any) -> list[str]:
    return [etree.QName(e).localname for e in doc if etree.QName(e).localname !=
            "responsedescription"]


def last_response(doc: Any) -> tuple[str, str, list[str]]:
    response = doc.xpath("/D:multistatus/D:response", namespaces=NS)[-1]
    return (response.findtext("D:href", namespaces=NS),
            response.findtext("D:status", namespaces=NS) or "",
            [etree.QName(e).localname for e in response.xpath("D:error/*", namespaces=NS)])


@pytest_twisted.ensureDeferred
async def test_max_instances_is_published_and_enforced_on_put(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.caldav.maxInstances = 500\n")
    try:
        calendar = (await folders(server))["VEVENT"]
        body = ('<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>'
                "<C:max-instances/></D:prop></D:propfind>")
        _, doc = await xml_request(server, "PROPFIND", calendar, body, depth="0")
        assert doc.findtext(".//C:max-instances", namespaces=NS) == "500"
        for uid, lines in {"count": ["RRULE:FREQ=DAILY;COUNT=501"],
                           "rdates": [rdates(501)],
                           "open-ended": ["RRULE:FREQ=HOURLY"]}.items():
            response, doc = await put(server, f"{calendar}{uid}.ics", ics(vevent(uid, *lines)))
            assert response.code == 403, uid
            assert precondition(doc) == ["max-instances"], uid
        response, _ = await put(server, f"{calendar}ok.ics",
                                ics(vevent("ok", "RRULE:FREQ=DAILY;COUNT=500")))
        assert response.code == 201
        response, _ = await put(server, f"{calendar}weekly.ics",
                                ics(vevent("weekly", "RRULE:FREQ=WEEKLY")))
        assert response.code == 201
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_multiget_over_the_href_limit_is_403(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.dav.maxHrefs = 3\n")
    try:
        calendar = (await folders(server))["VEVENT"]
        hrefs = "".join(f"<D:href>{calendar}{i}.ics</D:href>" for i in range(4))
        body = (f'<C:calendar-multiget xmlns:D="DAV:" xmlns:C="{C}"><D:prop><D:getetag/>'
                f"</D:prop>{hrefs}</C:calendar-multiget>")
        response, doc = await xml_request(server, "REPORT", calendar, body)
        assert response.code == 403
        assert precondition(doc) == ["number-of-matches-within-limits"]
        response, _ = await xml_request(server, "REPORT", calendar,
                                        body.replace(f"<D:href>{calendar}3.ics</D:href>", ""))
        assert response.code == 207
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_an_answer_over_the_size_limit_stops_with_507_for_the_collection(tmp_path
                                                                              ) -> None:
    server = await start_server(tmp_path, "oxdav.dav.maxResponseSize = 2k\n")
    try:
        calendar = (await folders(server))["VEVENT"]
        for i in range(20):
            response, _ = await put(server, f"{calendar}e{i}.ics", ics(vevent(f"e{i}")))
            assert response.code == 201
        response, doc = await xml_request(server, "PROPFIND", calendar, depth="1")
        assert response.code == 207
        members = doc.xpath("/D:multistatus/D:response", namespaces=NS)
        assert 2 < len(members) < 21
        assert last_response(doc) == (calendar, "HTTP/1.1 507 Insufficient Storage",
                                      ["number-of-matches-within-limits"])
        response, doc = await xml_request(server, "REPORT", calendar,
                                          query("<C:comp-filter name='VEVENT'/>",
                                                "<C:calendar-data/>"), depth="1")
        assert response.code == 207
        assert last_response(doc)[1:] == ("HTTP/1.1 507 Insufficient Storage",
                                          ["number-of-matches-within-limits"])
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_report_over_the_instance_budget_stops_with_507(tmp_path) -> None:
    # Matching a series of 200 costs 200 instances, expanding it as much again unless
    # its expansion was prepared on PUT: one or two of the three fit.
    server = await start_server(tmp_path, "oxdav.caldav.maxReportInstances = 450\n")
    try:
        calendar = (await folders(server))["VEVENT"]
        for i in range(3):
            response, _ = await put(server, f"{calendar}s{i}.ics", ics(vevent(
                f"s{i}", "RRULE:FREQ=DAILY;COUNT=200", start=f"{NEXT_YEAR}0101T100000Z")))
            assert response.code == 201
        expand = (f'<C:calendar-data><C:expand start="{NEXT_YEAR}0101T000000Z" '
                  f'end="{NEXT_YEAR + 1}0101T000000Z"/></C:calendar-data>')
        response, doc = await xml_request(
            server, "REPORT", calendar,
            query(f"<C:comp-filter name='VEVENT'>{year_range()}</C:comp-filter>", expand),
            depth="1")
        assert response.code == 207
        assert last_response(doc) == (calendar, "HTTP/1.1 507 Insufficient Storage",
                                      ["number-of-matches-within-limits"])
        assert 1 <= len(doc.xpath("//C:calendar-data", namespaces=NS)) < 3
        freebusy = f'<C:free-busy-query xmlns:C="{C}">{year_range()}</C:free-busy-query>'
        response, doc = await xml_request(server, "REPORT", calendar, freebusy, depth="1")
        assert response.code == 507
        assert precondition(doc) == ["number-of-matches-within-limits"]
    finally:
        await server.stop()


async def _store_heavy_objects(server: Any, calendar_id: int, count: int) -> None:
    """Objects that every query must parse (no index span), each ~340 KB."""
    async with server.service.store.transaction("heavy", write=True) as txn:
        user = await txn.user_by_email("demo@example.com")
        collection = await (await txn.home(user.context_id, user.id)).collection(calendar_id)
        for i in range(count):
            data = ics(vevent(f"heavy-{i}", rdates(20_000)))
            await collection.put(f"heavy-{i}.ics", data, ObjectIndex(f"heavy-{i}", "VEVENT"))


@pytest_twisted.ensureDeferred
async def test_another_tenants_get_is_answered_while_a_heavy_report_runs(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        calendar = (await folders(server))["VEVENT"]
        await _store_heavy_objects(server, int(calendar.strip("/").rsplit("/", 1)[1]), 6)
        await add_user(server, "olga", context="other", mappings=("other.test",))
        olga = ("olga@other.test", PASSWORD)
        response, _ = await server.request("OPTIONS", "/dav/caldav/", auth=olga)
        assert response.code == 200
        text_match = ("<C:comp-filter name='VEVENT'><C:prop-filter name='SUMMARY'>"
                      "<C:text-match>nowhere</C:text-match></C:prop-filter></C:comp-filter>")
        heavy = ensureDeferred(xml_request(server, "REPORT", calendar, query(text_match),
                                           depth="1"))
        await deferLater(reactor, 0.5)  # the report is being worked on (~3 s of parsing)
        assert not heavy.called
        response, _ = await server.request("PROPFIND", "/dav/caldav/", auth=olga,
                                           headers={"Depth": "0"})
        assert response.code == 207
        assert not heavy.called  # the heavy report (seconds of parsing) is still running
        response, doc = await heavy
        assert response.code == 207
        assert doc.xpath("//D:response", namespaces=NS) == []
    finally:
        await server.stop()
