"""The WebDAV request bodies the bench sends and the bits it reads from answers.

Bodies follow RFC 4918 §9.1 (PROPFIND), RFC 4791 §7.8–7.9 (calendar-query,
calendar-multiget, expand), RFC 6352 §8.7 (addressbook-multiget), RFC 6578 §3.2
(sync-collection) and the CalendarServer ``getctag`` extension.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote, urlsplit

from lxml import etree

__all__ = ["PROPFIND_ETAGS", "PROPFIND_CTAG", "PROPFIND_HOME", "PROPFIND_LIMITS", "multiget",
           "calendar_query", "text_match_query", "free_busy_query", "sync_collection", "hrefs",
           "limits", "sync_token", "count_responses", "home_collections"]

_NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav",
       "CR": "urn:ietf:params:xml:ns:carddav", "CS": "http://calendarserver.org/ns/"}
_HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n'

PROPFIND_ETAGS = _HEAD + b"""<D:propfind xmlns:D="DAV:"><D:prop>
<D:getetag/><D:getcontenttype/></D:prop></D:propfind>"""

PROPFIND_CTAG = _HEAD + b"""<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">
<D:prop><CS:getctag/><D:sync-token/></D:prop></D:propfind>"""

PROPFIND_HOME = _HEAD + b"""<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:resourcetype/><D:displayname/><C:supported-calendar-component-set/></D:prop>
</D:propfind>"""

PROPFIND_LIMITS = _HEAD + b"""<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><C:max-instances/><C:max-resource-size/></D:prop></D:propfind>"""


def multiget(kind: str, paths: list[str]) -> bytes:
    """A ``calendar-multiget`` (kind ``cal``) or ``addressbook-multiget`` (``card``)."""
    if kind == "cal":
        root, data = b'C:calendar-multiget xmlns:C="urn:ietf:params:xml:ns:caldav"', \
            b"<C:calendar-data/>"
        end = b"C:calendar-multiget"
    else:
        root, data = b'CR:addressbook-multiget xmlns:CR="urn:ietf:params:xml:ns:carddav"', \
            b"<CR:address-data/>"
        end = b"CR:addressbook-multiget"
    links = b"".join(b"<D:href>" + p.encode() + b"</D:href>" for p in paths)
    return (_HEAD + b"<" + root + b' xmlns:D="DAV:"><D:prop><D:getetag/>' + data
            + b"</D:prop>" + links + b"</" + end + b">")


def _utc(moment: datetime) -> bytes:
    return moment.strftime("%Y%m%dT%H%M%SZ").encode()


def calendar_query(start: datetime, end: datetime, *, expand: bool) -> bytes:
    """VEVENTs overlapping ``[start, end)``, with calendar-data, optionally expanded."""
    window = b'start="' + _utc(start) + b'" end="' + _utc(end) + b'"'
    data = (b"<C:calendar-data><C:expand " + window + b"/></C:calendar-data>" if expand
            else b"<C:calendar-data/>")
    return (_HEAD + b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            b"<D:prop><D:getetag/>" + data + b"</D:prop>"
            b'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            b"<C:time-range " + window + b"/></C:comp-filter></C:comp-filter></C:filter>"
            b"</C:calendar-query>")


def text_match_query(text: str) -> bytes:
    """VEVENTs whose DESCRIPTION contains ``text`` (RFC 4791 §9.7.5), hrefs and ETags
    only: every candidate object must be read to decide."""
    return (_HEAD + b'<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            b"<D:prop><D:getetag/></D:prop>"
            b'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
            b'<C:prop-filter name="DESCRIPTION"><C:text-match>' + text.encode()
            + b"</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter>"
            b"</C:calendar-query>")


def free_busy_query(start: datetime, end: datetime) -> bytes:
    """A free-busy-query over ``[start, end)`` (RFC 4791 §7.10)."""
    return (_HEAD + b'<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
            b'<C:time-range start="' + _utc(start) + b'" end="' + _utc(end) + b'"/>'
            b"</C:free-busy-query>")


def limits(body: bytes) -> dict[str, int]:
    """CALDAV:max-instances and max-resource-size of a PROPFIND answer (those present)."""
    root = _parse(body)
    found = {}
    for name in ("max-instances", "max-resource-size"):
        text = None if root is None else root.findtext(f".//C:{name}", None, _NS)
        if text and text.strip().isdigit():
            found[name] = int(text)
    return found


def sync_collection(token: str | None) -> bytes:
    """An RFC 6578 sync-collection report (``token`` None: the initial sync)."""
    value = b"" if not token else token.encode()
    return (_HEAD + b'<D:sync-collection xmlns:D="DAV:"><D:sync-token>' + value
            + b"</D:sync-token><D:sync-level>1</D:sync-level>"
            b"<D:prop><D:getetag/><D:getcontenttype/></D:prop></D:sync-collection>")


def _parse(body: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(body)
    except etree.XMLSyntaxError:
        return None


def _path(href: str) -> str:
    return unquote(urlsplit(href).path)


def hrefs(body: bytes) -> list[str]:
    """The (unquoted) paths of every ``response`` in a multistatus."""
    root = _parse(body)
    if root is None:
        return []
    return [_path(h.text or "") for h in root.iterfind("D:response/D:href", _NS)]


def count_responses(body: bytes) -> int:
    """How many ``response`` elements a multistatus has."""
    root = _parse(body)
    return 0 if root is None else len(root.findall("D:response", _NS))


def sync_token(body: bytes) -> str | None:
    """The top-level ``sync-token`` of a sync-collection answer, or the one in a
    PROPFIND ``prop`` (for the ctag poll)."""
    root = _parse(body)
    if root is None:
        return None
    found = root.find("D:sync-token", _NS)
    if found is None:
        found = root.find(".//D:prop/D:sync-token", _NS)
    return None if found is None else (found.text or "").strip()


def home_collections(body: bytes) -> list[tuple[str, set[str], set[str]]]:
    """``(path, resource types, supported components)`` of each collection in a home."""
    root = _parse(body)
    found = []
    for response in [] if root is None else root.iterfind("D:response", _NS):
        href = response.findtext("D:href", "", _NS)
        types = {etree.QName(t).localname
                 for t in response.iterfind(".//D:prop/D:resourcetype/*", _NS)}
        comps = {c.get("name", "") for c in response.iterfind(
            ".//D:prop/C:supported-calendar-component-set/C:comp", _NS)}
        found.append((_path(href), types, comps))
    return found
