"""Request-level tests of the generic DAV methods through the real service over TLS."""

from __future__ import annotations

import pytest_twisted
from lxml import etree

from tests.integration.harness import start_server

D = "{DAV:}"
NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav", "CR": "urn:ietf:params:xml:ns:carddav",
      "CS": "http://calendarserver.org/ns/"}

PROPFIND_CUP = b"""<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>
<D:current-user-principal/><D:principal-collection-set/><D:resourcetype/></D:prop></D:propfind>"""


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


async def propfind(server, path, body, depth="0", **headers):
    response, data = await server.request("PROPFIND", path, auth=server.demo,
                                          headers={"Depth": depth, **headers}, body=body)
    return response, (etree.fromstring(data) if data.startswith(b"<") else data)


async def principal_path(server) -> str:
    _, doc = await propfind(server, "/dav/", PROPFIND_CUP)
    return doc.findtext(".//D:current-user-principal/D:href", namespaces=NS)


async def first_folder(server, home="/dav/caldav/") -> str:
    _, doc = await propfind(server, home, b"", depth="1")
    hrefs = doc.xpath("//D:response[.//D:resourcetype/C:calendar or "
                      ".//D:resourcetype/CR:addressbook]/D:href/text()", namespaces=NS)
    return hrefs[0]


@pytest_twisted.ensureDeferred
async def test_root_propfind_gives_current_user_principal(server) -> None:
    response, doc = await propfind(server, "/dav/", PROPFIND_CUP)
    assert response.code == 207
    href = doc.findtext(".//D:current-user-principal/D:href", namespaces=NS)
    assert href.startswith("/dav/principals/users/") and href.endswith("/")
    assert doc.findtext(".//D:principal-collection-set/D:href", namespaces=NS) == \
        "/dav/principals/"


@pytest_twisted.ensureDeferred
async def test_propfind_depth_infinity_is_403_finite_depth(server) -> None:
    response, data = await server.request("PROPFIND", "/dav/caldav/", auth=server.demo,
                                          headers={"Depth": "infinity"}, body=PROPFIND_CUP)
    assert response.code == 403
    assert b"propfind-finite-depth" in data


@pytest_twisted.ensureDeferred
async def test_options_on_principal_lists_calendar_access_and_addressbook(server) -> None:
    path = await principal_path(server)
    response, _ = await server.request("OPTIONS", path, auth=server.demo)
    assert response.code == 200
    dav = response.headers.getRawHeaders("dav")[0]
    for token in ("1", "2", "3", "access-control", "calendar-access", "addressbook"):
        assert token in [t.strip() for t in dav.split(",")]
    assert "PROPFIND" in response.headers.getRawHeaders("allow")[0]


@pytest_twisted.ensureDeferred
async def test_home_lists_calendar_folders_with_ctag_and_sync_token(server) -> None:
    props = b"""<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop>
<D:resourcetype/><D:displayname/><CS:getctag/><D:sync-token/></D:prop></D:propfind>"""
    response, doc = await propfind(server, "/dav/caldav/", props, depth="1")
    assert response.code == 207
    calendars = doc.xpath("//D:response[.//C:calendar]", namespaces=NS)
    assert calendars
    assert calendars[0].xpath(".//CS:getctag/text()", namespaces=NS)
    assert calendars[0].xpath(".//D:sync-token/text()", namespaces=NS)


@pytest_twisted.ensureDeferred
async def test_collection_without_trailing_slash_is_served_not_redirected(server) -> None:
    folder = await first_folder(server)
    response, _ = await propfind(server, folder.rstrip("/"), PROPFIND_CUP)
    assert response.code == 207


@pytest_twisted.ensureDeferred
async def test_unknown_folder_is_404(server) -> None:
    response, _ = await propfind(server, "/dav/caldav/999999/", PROPFIND_CUP)
    assert response.code == 404


@pytest_twisted.ensureDeferred
async def test_contacts_folder_is_not_under_caldav(server) -> None:
    book = await first_folder(server, "/dav/carddav/")
    folder_id = book.rstrip("/").rsplit("/", 1)[1]
    response, _ = await propfind(server, f"/dav/caldav/{folder_id}/", PROPFIND_CUP)
    assert response.code == 404


@pytest_twisted.ensureDeferred
async def test_put_of_an_event_is_201_with_its_etag(server) -> None:
    folder = await first_folder(server)
    body = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
            b"UID:put-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\n"
            b"DURATION:PT1H\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    response, _ = await server.request("PUT", folder + "a.ics", auth=server.demo,
                                       headers={"Content-Type": "text/calendar"}, body=body)
    assert response.code == 201
    assert response.headers.getRawHeaders("etag")[0].startswith('"')


@pytest_twisted.ensureDeferred
async def test_proppatch_displayname_renames_folder(server) -> None:
    folder = await first_folder(server)
    body = b"""<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Work</D:displayname>
</D:prop></D:set></D:propertyupdate>"""
    response, data = await server.request("PROPPATCH", folder, auth=server.demo, body=body)
    assert response.code == 207, data
    assert b"200 OK" in data
    _, doc = await propfind(server, folder, b"""<D:propfind xmlns:D="DAV:"><D:prop>
<D:displayname/></D:prop></D:propfind>""")
    assert doc.findtext(".//D:displayname", namespaces=NS) == "Work"


@pytest_twisted.ensureDeferred
async def test_proppatch_protected_property_is_403_and_others_424(server) -> None:
    folder = await first_folder(server)
    body = b"""<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x"><D:set><D:prop>
<D:getetag>x</D:getetag><X:note>hi</X:note></D:prop></D:set></D:propertyupdate>"""
    response, data = await server.request("PROPPATCH", folder, auth=server.demo, body=body)
    doc = etree.fromstring(data)
    statuses = {p.find(f"{D}prop")[0].tag: p.findtext(f"{D}status")
                for p in doc.iter(f"{D}propstat")}
    assert "403" in statuses[f"{D}getetag"]
    assert "424" in statuses["{urn:x}note"]
    assert doc.find(f".//{D}cannot-modify-protected-property") is not None


@pytest_twisted.ensureDeferred
async def test_dead_property_round_trips(server) -> None:
    folder = await first_folder(server)
    body = b"""<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x"><D:set><D:prop>
<X:note>hi</X:note></D:prop></D:set></D:propertyupdate>"""
    response, _ = await server.request("PROPPATCH", folder, auth=server.demo, body=body)
    assert response.code == 207
    _, doc = await propfind(server, folder, b"""<D:propfind xmlns:D="DAV:" xmlns:X="urn:x">
<D:prop><X:note/></D:prop></D:propfind>""")
    assert doc.findtext(".//{urn:x}note") == "hi"


@pytest_twisted.ensureDeferred
async def test_sync_collection_initial_then_unknown_token(server) -> None:
    folder = await first_folder(server)
    body = b"""<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>
<D:prop><D:getetag/></D:prop></D:sync-collection>"""
    response, data = await server.request("REPORT", folder, auth=server.demo,
                                          headers={"Depth": "1"}, body=body)
    assert response.code == 207, data
    token = etree.fromstring(data).findtext(f"{D}sync-token")
    assert token.startswith("http://oxdav.org/ns/sync/")
    bad = body.replace(b"<D:sync-token/>",
                       b"<D:sync-token>3a1b7f5e-0000-4c4c-8000-000000000000</D:sync-token>")
    response, data = await server.request("REPORT", folder, auth=server.demo, body=bad)
    assert response.code == 403
    assert b"valid-sync-token" in data


@pytest_twisted.ensureDeferred
async def test_unknown_report_is_403_supported_report(server) -> None:
    response, data = await server.request("REPORT", "/dav/caldav/", auth=server.demo,
                                          body=b'<X:nope xmlns:X="urn:x"/>')
    assert response.code == 403
    assert b"supported-report" in data


@pytest_twisted.ensureDeferred
async def test_delete_of_default_folder_is_refused(server) -> None:
    folder = await first_folder(server)
    response, _ = await server.request("DELETE", folder, auth=server.demo)
    assert response.code == 403


@pytest_twisted.ensureDeferred
async def test_mkcol_is_403(server) -> None:
    response, _ = await server.request("MKCOL", "/dav/caldav/new/", auth=server.demo)
    assert response.code == 403


@pytest_twisted.ensureDeferred
async def test_get_on_collection_is_405_with_allow(server) -> None:
    response, _ = await server.request("GET", "/dav/caldav/", auth=server.demo)
    assert response.code == 405
    assert "PROPFIND" in response.headers.getRawHeaders("allow")[0]
