"""Bad input gets the fitting 4xx with its precondition, never a 500, over TLS."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import pytest_twisted
from lxml import etree

from oxdav.store import MAX_CHOSEN_FOLDER_ID, MAX_ID
from tests.integration.caldav_requests import NS, folders, ics, put, start_with_caldav, vevent
from tests.integration.caldav_requests import xml_request as caldav_xml
from tests.integration.carddav_support import default_book, report, start_carddav

CALDAV = "{urn:ietf:params:xml:ns:caldav}"
MKCALENDAR_BODY = """<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:set><D:prop><D:displayname>Named by a number</D:displayname></D:prop></D:set>
</C:mkcalendar>"""
SYNC = """<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""


def calendar(*lines: str) -> bytes:
    return ("\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//oxdav//tests//EN",
                         *lines, "END:VCALENDAR"]) + "\r\n").encode()


def condition(body: bytes) -> str | None:
    """The local name of the precondition element of an RFC 4918 §16 error body."""
    if not body.startswith(b"<"):
        return None
    [element] = etree.fromstring(body).xpath("/D:error/*[1]", namespaces=NS)
    return etree.QName(element).localname


async def refused_put(server: Any, href: str, body: bytes, why: bytes = b""
                      ) -> tuple[int, str | None]:
    """PUT ``body``; the status and precondition, checking the description holds ``why``."""
    response, data = await server.request("PUT", href, auth=server.demo, body=body,
                                          headers={"Content-Type": "text/calendar"})
    assert why in data, data
    return response.code, condition(data)


@pytest_twisted.ensureDeferred
async def test_deeply_nested_components_are_403_valid_calendar_data(tmp_path) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        href = (await folders(server))["VEVENT"] + "nested.ics"
        event = ["BEGIN:VEVENT", "UID:nested", "DTSTAMP:20260101T000000Z",
                 "DTSTART:20270101T100000Z"]
        deep = b"nested deeper than 8"
        for depth in (10_000, 1_000):
            body = calendar(*event * depth, *["END:VEVENT"] * depth)
            assert await refused_put(server, href, body, deep) == (403, "valid-calendar-data")
            body = calendar(*event, *["BEGIN:X-PART"] * depth, *["END:X-PART"] * depth,
                            "END:VEVENT")
            assert await refused_put(server, href, body, deep) == (403, "valid-calendar-data")
        alarms = calendar(*event, *["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT5M"] * 9,
                          *["END:VALARM"] * 9, "END:VEVENT")
        assert await refused_put(server, href, alarms, deep) == (403, "valid-calendar-data")
        response, _ = await server.request("GET", href, auth=server.demo)
        assert response.code == 404
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_an_end_before_the_start_is_403_valid_calendar_data(tmp_path) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        found = await folders(server)
        events, tasks = found["VEVENT"], found["VTODO"]
        # RFC 5545 §3.8.2.2: DTEND later than DTSTART.
        backwards = ics(vevent("backwards", "DTSTART:20270101T100000Z",
                               "DTEND:20270101T090000Z"))
        response, data = await server.request("PUT", events + "b.ics", auth=server.demo,
                                              body=backwards,
                                              headers={"Content-Type": "text/calendar"})
        assert (response.code, condition(data)) == (403, "valid-calendar-data")
        assert b"DTEND is before DTSTART" in data
        zoned = ics(vevent("zoned", "DTSTART;TZID=Europe/Berlin:20270101T100000",
                           "DTEND;TZID=America/New_York:20270101T030000"))  # 09:00 Berlin
        assert await refused_put(server, events + "z.ics", zoned) == (
            403, "valid-calendar-data")
        days = ics(vevent("days", "DTSTART;VALUE=DATE:20270102", "DTEND;VALUE=DATE:20270101"))
        assert await refused_put(server, events + "d.ics", days) == (403, "valid-calendar-data")
        # RFC 5545 §3.8.2.3: DUE equal to or after DTSTART.
        todo = ics("\n".join(["BEGIN:VTODO", "UID:late", "DTSTAMP:20260101T000000Z",
                                "DTSTART:20270101T100000Z", "DUE:20270101T090000Z",
                                "END:VTODO"]))
        response, data = await server.request("PUT", tasks + "t.ics", auth=server.demo,
                                              body=todo,
                                              headers={"Content-Type": "text/calendar"})
        assert (response.code, condition(data)) == (403, "valid-calendar-data")
        assert b"DUE is before DTSTART" in data
        # An end equal to the start is a moment (RFC 4791 §9.9), as clients write them.
        moment = ics(vevent("moment", "DTSTART:20270101T100000Z", "DTEND:20270101T100000Z"))
        assert (await put(server, events + "m.ics", moment))[0].code == 201
        due_at_start = todo.replace(b"UID:late", b"UID:due").replace(b"T090000Z", b"T100000Z")
        response, doc = await put(server, tasks + "due.ics", due_at_start)
        assert response.code == 201, etree.tostring(doc)
    finally:
        await server.stop()


@pytest.mark.parametrize("path", [
    "/dav/caldav/99999999999999999999/", "/dav/caldav/99999999999999999999/x.ics",
    f"/dav/caldav/{MAX_ID + 1}/", "/dav/carddav/99999999999999999999/",
    "/dav/caldav/%C2%B2/", "/dav/caldav/%D9%A1%D9%A2/", "/dav/carddav/%C2%B2/",
    "/dav/principals/users/99999999999999999999/", "/dav/principals/users/%C2%B2/",
    "/dav/principals/groups/99999999999999999999/",
], ids=["folder", "member", "max-id+1", "carddav", "superscript-two", "arabic-digits",
        "carddav-superscript", "user", "user-superscript", "group"])
@pytest_twisted.ensureDeferred
async def test_ids_that_name_nothing_are_404(tmp_path, path: str) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        for method in ("PROPFIND", "GET"):
            response, _ = await server.request(method, path, auth=server.demo,
                                               headers={"Depth": "0"})
            assert response.code == 404, method
        if path.startswith("/dav/caldav/"):
            response, _ = await server.request(
                "PUT", path.rstrip("/") + "/new.ics", auth=server.demo, body=ics(vevent("n")),
                headers={"Content-Type": "text/calendar"})
            assert response.code == 409  # RFC 4918 §9.7.1: no such parent collection
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_calendar_made_under_a_number_takes_only_a_user_folder_id(tmp_path) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        async def mkcalendar(segment: str) -> tuple[int, str | None]:
            response, data = await server.request("MKCALENDAR", f"/dav/caldav/{segment}/",
                                                  auth=server.demo, body=MKCALENDAR_BODY)
            return response.code, condition(data)

        location_ok = (403, "calendar-collection-location-ok")
        # Near the end of the id range a chosen id would exhaust the context's folder ids;
        # below 20 they are the system's.
        for segment in (str(MAX_ID - 1), str(MAX_CHOSEN_FOLDER_ID + 1), "7", "0"):
            assert await mkcalendar(segment) == location_ok, segment
        # Not an id at all: a name like any other (kept, the calendar answers there).
        for segment in ("99999999999999999999", "%D9%A1%D9%A2", "%C2%B2"):
            assert (await mkcalendar(segment))[0] == 201, segment
            response, _ = await caldav_xml(server, "PROPFIND", f"/dav/caldav/{segment}/",
                                           depth="0")
            assert response.code == 207, segment
        assert (await mkcalendar(str(MAX_CHOSEN_FOLDER_ID)))[0] == 201
        assert (await mkcalendar("plain"))[0] == 201  # the counter goes on
        response, _ = await caldav_xml(server, "PROPFIND", "/dav/caldav/plain/", depth="0")
        assert response.code == 207
    finally:
        await server.stop()


def _token(raw: str) -> str:
    return ("http://oxdav.org/ns/sync/"
            + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))


@pytest_twisted.ensureDeferred
async def test_sync_tokens_no_server_made_are_403_valid_sync_token(tmp_path) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        href = (await folders(server))["VEVENT"]
        response, doc = await caldav_xml(server, "REPORT", href, SYNC.format(token=""))
        identity = doc.findtext("D:sync-token", namespaces=NS)
        assert response.code == 207 and identity
        collection = base64.urlsafe_b64decode(identity.rsplit("/", 1)[1] + "==")
        collection_id = collection.decode().split('"c":"')[1].split('"')[0]
        tokens = {
            "deep-list": _token("[" * 20_000 + "]" * 20_000),
            "deep-object": _token('{"c":' * 10_000 + '"x"' + "}" * 10_000),
            "huge": identity + "A" * 500_000,
            "revision-beyond-64-bits": _token(f'{{"c":"{collection_id}","r":{2**70}}}'),
            "revision-of-4000-digits": _token(f'{{"c":"{collection_id}","r":{10**4000}}}'),
        }
        for name, token in tokens.items():
            response, data = await server.request(
                "REPORT", href, auth=server.demo, body=SYNC.format(token=token),
                headers={"Content-Type": "application/xml"})
            assert (response.code, condition(data)) == (403, "valid-sync-token"), name
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_addressbook_query_limit_of_unicode_digits_is_400(tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="1")
    try:
        book = await default_book(server)
        for nresults in ("²", "٣", "9" * 5000):
            body = f"""<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
<D:prop><D:getetag/></D:prop><C:filter/><C:limit><C:nresults>{nresults}</C:nresults></C:limit>
</C:addressbook-query>"""
            response, _ = await report(server, book, body)
            assert response.code == 400, nresults
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_an_error_quoting_a_header_with_control_characters_is_written(tmp_path) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        href = (await folders(server))["VEVENT"] + "typed.ics"
        for content_type in ("text/calendar; charset=\x01x", "text/\x1bcalendar"):
            response, data = await server.request(
                "PUT", href, auth=server.demo, body=ics(vevent("typed")),
                headers={"Content-Type": content_type})
            assert (response.code, condition(data)) == (415, "supported-calendar-data")
    finally:
        await server.stop()
