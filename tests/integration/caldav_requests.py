"""Small request helpers shared by the CalDAV integration tests (test_caldav_*.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from tests.integration.harness import Server, start_server

NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav", "CS": "http://calendarserver.org/ns/",
      "A": "http://apple.com/ns/ical/"}

#: A time inside the default sync window: March 10 of next year, 10:00 UTC.
NEXT_YEAR = datetime.now(UTC).year + 1
SOON = f"{NEXT_YEAR}0310T100000Z"


async def start_with_caldav(directory: Path, **settings: str) -> Server:
    """Like ``harness.start_server``, with ``com.openexchange.caldav.<key>`` values
    replaced in caldav.properties (``interval_start="0"`` sets ``interval.start``)."""
    return await start_server(directory, shipped={"caldav.properties": {
        "com.openexchange.caldav." + key.replace("_", "."): value
        for key, value in settings.items()}})


def ics(*lines: str) -> bytes:
    """A VCALENDAR around ``lines``, CRLF-terminated."""
    text = "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//oxdav//tests//EN", *lines,
                      "END:VCALENDAR"]) + "\n"
    return text.replace("\n", "\r\n").encode()


def vevent(uid: str, *lines: str, start: str = SOON) -> str:
    """A VEVENT with UID, DTSTAMP, DTSTART (unless given in ``lines``) and a summary."""
    head = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z"]
    if not any(line.startswith("DTSTART") for line in lines):
        head += [f"DTSTART:{start}", "DURATION:PT1H"]
    return "\n".join([*head, *lines, "END:VEVENT"])


def vtodo(uid: str, *lines: str) -> str:
    """A VTODO with UID and DTSTAMP."""
    return "\n".join(["BEGIN:VTODO", f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines,
                      "END:VTODO"])


async def xml_request(server: Any, method: str, path: str, body: bytes | str = b"",
                      depth: str | None = None, **headers: str) -> tuple[Any, Any]:
    """A request whose answer is parsed as XML when it is XML."""
    all_headers = dict(headers)
    if depth is not None:
        all_headers["Depth"] = depth
    if body:
        all_headers.setdefault("Content-Type", "application/xml; charset=utf-8")
    response, data = await server.request(method, path, auth=server.demo, headers=all_headers,
                                          body=body or None)
    return response, (etree.fromstring(data) if data.lstrip().startswith(b"<") else data)


async def put(server: Any, path: str, body: bytes, **headers: str) -> tuple[Any, Any]:
    """PUT a calendar object."""
    headers.setdefault("Content-Type", "text/calendar; charset=utf-8")
    response, data = await server.request("PUT", path, auth=server.demo, headers=headers,
                                          body=body)
    return response, (etree.fromstring(data) if data.startswith(b"<") else data)


async def folders(server: Any) -> dict[str, str]:
    """The demo user's calendar folder and task folder hrefs: ``{"VEVENT": …, "VTODO": …}``."""
    body = """<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>
<D:resourcetype/><C:supported-calendar-component-set/></D:prop></D:propfind>"""
    _, doc = await xml_request(server, "PROPFIND", "/dav/caldav/", body, depth="1")
    found: dict[str, str] = {}
    for response in doc.xpath("//D:response[.//C:calendar]", namespaces=NS):
        comp = response.xpath(".//C:comp/@name", namespaces=NS)[0]
        found.setdefault(comp, response.findtext("D:href", namespaces=NS))
    return found
