"""Bad input gets the fitting 4xx with its precondition, never a 500, over TLS."""

from __future__ import annotations

import base64
from typing import Any

import pytest_twisted
from lxml import etree

from tests.integration.caldav_requests import NS, folders, ics, put, start_with_caldav, vevent

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


def _token(raw: str) -> str:
    return ("http://oxdav.org/ns/sync/"
            + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))
