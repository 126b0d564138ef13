"""sync-collection and the OX sync window: an object changed so that it lies outside the
window has left the collection as clients see it (DESIGN.md §4), so an incremental
sync reports it removed (RFC 6578 §3.5.2) rather than saying nothing."""

from __future__ import annotations

import pytest_twisted

from tests.integration.caldav_requests import NS, folders, ics, put, vevent, xml_request
from tests.integration.harness import start_server

SYNC = """<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


async def sync(server, calendar: str, token: str = "") -> tuple[str, dict[str, str]]:
    response, doc = await xml_request(server, "REPORT", calendar, SYNC.format(token=token),
                                      depth="0")
    assert response.code == 207
    found = {r.findtext("D:href", namespaces=NS): r.findtext("D:status", namespaces=NS)
             for r in doc.xpath("D:response", namespaces=NS)}
    return doc.findtext("D:sync-token", namespaces=NS), found


@pytest_twisted.ensureDeferred
async def test_event_moved_before_the_window_is_reported_removed(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    response, _ = await put(server, calendar + "m.ics", ics(vevent("m")))
    etag = response.headers.getRawHeaders("etag")[0]
    token, found = await sync(server, calendar)
    assert list(found) == [calendar + "m.ics"]
    response, _ = await put(server, calendar + "m.ics",
                            ics(vevent("m", start="20000101T100000Z")), **{"If-Match": etag})
    assert response.code == 204
    token, found = await sync(server, calendar, token)
    assert found == {calendar + "m.ics": "HTTP/1.1 404 Not Found"}
    _, found = await sync(server, calendar)  # the initial listing leaves it out
    assert found == {}


@pytest_twisted.ensureDeferred
async def test_event_moved_back_into_the_window_is_reported_changed(server) -> None:
    calendar = (await folders(server))["VEVENT"]
    await put(server, calendar + "m.ics", ics(vevent("m", start="20000101T100000Z")))
    token, found = await sync(server, calendar)
    assert found == {}
    await put(server, calendar + "m.ics", ics(vevent("m")))
    _, found = await sync(server, calendar, token)
    assert found == {calendar + "m.ics": None}  # a propstat with the new ETag
