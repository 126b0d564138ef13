"""207 Multi-Status bodies, whole and streamed (oxdav.dav.multistatus)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_twisted
from lxml import etree

from oxdav.dav.multistatus import (
    STREAM_CHUNK_SIZE,
    TEXT,
    MultistatusWriter,
    PropStat,
    ResponseEntry,
    TextProperty,
    TextResponse,
    aiter_multistatus,
    iter_multistatus,
    render_multistatus,
    status_line,
)
from oxdav.dav.namespaces import RESPONSE_NSMAP
from oxdav.dav.paths import PathMapper

D = "{DAV:}"


def _prop(name: str, text: str | None = None) -> etree._Element:
    element = etree.Element(name)
    element.text = text
    return element


def _entries() -> list[ResponseEntry]:
    paths = PathMapper("/dav", "/")
    return [
        ResponseEntry(
            paths.href("/caldav/12", collection=True),
            [
                PropStat(200, [_prop(D + "displayname", "Work")]),
                PropStat(404, [_prop("{http://example.com/ns}unknown")]),
            ],
        ),
        ResponseEntry(
            paths.href("/caldav/12/a b.ics"), [PropStat(200, [_prop(D + "getetag", '"e"')])]
        ),
        ResponseEntry(paths.href("/caldav/12/gone.ics"), status=404),
    ]


def _parse(body: bytes) -> etree._Element:
    return etree.fromstring(body)


def test_status_line_has_reason_phrase() -> None:
    assert status_line(207) == "HTTP/1.1 207 Multi-Status"
    assert status_line(404) == "HTTP/1.1 404 Not Found"


def test_multistatus_parses_back_with_propstats_by_status() -> None:
    root = _parse(render_multistatus(_entries()))
    assert root.tag == D + "multistatus"
    first = root.findall(D + "response")[0]
    statuses = [ps.findtext(D + "status") for ps in first.findall(D + "propstat")]
    assert statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"]
    assert first.findtext(f"{D}propstat/{D}prop/{D}displayname") == "Work"


def test_hrefs_are_percent_encoded_and_collections_end_with_slash() -> None:
    root = _parse(render_multistatus(_entries()))
    hrefs = [r.findtext(D + "href") for r in root.findall(D + "response")]
    assert hrefs == ["/dav/caldav/12/", "/dav/caldav/12/a%20b.ics", "/dav/caldav/12/gone.ics"]


def test_output_is_byte_stable() -> None:
    assert render_multistatus(_entries()) == render_multistatus(_entries())


def test_plain_status_response_has_no_propstat() -> None:
    root = _parse(render_multistatus(_entries()))
    gone = root.findall(D + "response")[2]
    assert gone.findtext(D + "status") == "HTTP/1.1 404 Not Found"
    assert gone.find(D + "propstat") is None


def test_minimal_drops_404_propstats() -> None:
    root = _parse(render_multistatus(_entries(), minimal=True))
    first = root.findall(D + "response")[0]
    assert [ps.findtext(D + "status") for ps in first.findall(D + "propstat")] == [
        "HTTP/1.1 200 OK"
    ]


def test_minimal_with_only_404s_keeps_a_valid_empty_propstat() -> None:
    entry = ResponseEntry("/dav/x", [PropStat(404, [_prop(D + "getetag")])])
    root = _parse(render_multistatus([entry], minimal=True))
    propstat = root.find(f"{D}response/{D}propstat")
    assert propstat is not None
    assert propstat.findtext(D + "status") == "HTTP/1.1 200 OK"
    assert len(propstat.find(D + "prop")) == 0


def test_sync_token_and_description_follow_the_responses() -> None:
    body = render_multistatus(_entries(), sync_token="http://oxdav.org/ns/sync/a", description="ok")
    root = _parse(body)
    assert [c.tag for c in root][-2:] == [D + "responsedescription", D + "sync-token"]
    assert root.findtext(D + "sync-token") == "http://oxdav.org/ns/sync/a"


def test_namespaces_are_declared_once_on_the_root() -> None:
    body = render_multistatus(_entries())
    assert body.count(b'xmlns:D="DAV:"') == 1


def test_foreign_namespace_properties_are_declared_where_used() -> None:
    root = _parse(render_multistatus(_entries()))
    assert root.find(".//{http://example.com/ns}unknown") is not None


def test_stream_yields_one_chunk_per_response() -> None:
    chunks = list(iter_multistatus(_entries()))
    assert len(chunks) == 2 + len(_entries())
    assert chunks[1].startswith(b"<D:response>") and chunks[1].endswith(b"</D:response>")
    assert b"".join(chunks) == render_multistatus(_entries())


def test_empty_multistatus_is_well_formed() -> None:
    root = _parse(render_multistatus([]))
    assert root.tag == D + "multistatus" and len(root) == 0


def test_response_error_description_and_location() -> None:
    entry = ResponseEntry(
        "/dav/a", status=403, error=D + "need-privileges", description="no", location="/dav/b"
    )
    response = _parse(render_multistatus([entry])).find(D + "response")
    assert response is not None
    assert response.find(f"{D}error/{D}need-privileges") is not None
    assert response.findtext(D + "responsedescription") == "no"
    assert response.findtext(f"{D}location/{D}href") == "/dav/b"


def test_propstat_error_is_rendered() -> None:
    entry = ResponseEntry(
        "/dav/a", [PropStat(403, [_prop(D + "acl")], error=D + "need-privileges")]
    )
    propstat = _parse(render_multistatus([entry])).find(f"{D}response/{D}propstat")
    assert propstat is not None
    assert propstat.find(f"{D}error/{D}need-privileges") is not None


def test_writer_parts_can_be_used_directly() -> None:
    writer = MultistatusWriter()
    body = writer.begin() + writer.response(_entries()[2]) + writer.end(sync_token="t")
    assert _parse(body).findtext(D + "sync-token") == "t"


@pytest_twisted.ensureDeferred
async def test_async_stream_matches_whole_document() -> None:
    async def entries() -> AsyncIterator[ResponseEntry]:
        for entry in _entries():
            yield entry

    chunks = [chunk async for chunk in aiter_multistatus(entries(), sync_token="t")]
    assert b"".join(chunks) == render_multistatus(_entries(), sync_token="t")


def _property(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def _tree_serialised(entry: ResponseEntry, *, minimal: bool = False) -> bytes:
    """What lxml writes for the whole ``response`` built as one tree."""
    root = etree.Element(D + "multistatus", nsmap=RESPONSE_NSMAP)
    response = etree.SubElement(root, D + "response")
    etree.SubElement(response, D + "href").text = entry.href
    propstats = [ps for ps in entry.propstats if not (minimal and ps.status == 404)]
    for propstat in propstats or [PropStat(200)]:
        element = etree.SubElement(response, D + "propstat")
        prop = etree.SubElement(element, D + "prop")
        for value in propstat.properties:
            prop.append(value)
        etree.SubElement(element, D + "status").text = status_line(propstat.status)
    document = etree.tostring(root, encoding="utf-8")
    return document[document.index(b">") + 1 : -len(b"</D:multistatus>")]


@pytest.mark.parametrize(
    "xml",
    [b"<getetag xmlns='DAV:'>\"a&amp;b&lt;c&gt;\"</getetag>",
     b"<displayname xmlns='DAV:'>caf\xc3\xa9&#13;\n\tx</displayname>",
     b"<displayname xmlns='DAV:'></displayname>",
     b"<x:calendar-color xmlns:x='http://apple.com/ns/ical/'>#ff0000</x:calendar-color>",
     b"<x:calendar-order xmlns:x='http://apple.com/ns/ical/' xmlns:y='urn:y'>1</x:calendar-order>",
     b"<x:color xmlns:x='http://apple.com/ns/ical/' symbolic='red'>#f00</x:color>",
     b"<resourcetype xmlns='DAV:'><collection/></resourcetype>",
     b"<u:unknown xmlns:u='urn:example:u'/>",
     b"<plain/>"],
)
def test_response_bytes_equal_lxml_serialising_the_whole_tree(xml: bytes) -> None:
    def entry() -> ResponseEntry:
        return ResponseEntry("/dav/caldav/12/a%20b.ics", [
            PropStat(200, [_property(xml), _prop(D + "getetag", '"e"')]),
            PropStat(404, [_prop(D + "getcontentlength")])])

    assert MultistatusWriter().response(entry()) == _tree_serialised(entry())
    assert MultistatusWriter(minimal=True).response(entry()) == _tree_serialised(
        entry(), minimal=True
    )


@pytest_twisted.ensureDeferred
async def test_async_stream_gathers_responses_into_chunks() -> None:
    entries_list = _entries() * 50

    async def entries() -> AsyncIterator[ResponseEntry]:
        for entry in entries_list:
            yield entry

    small = [c async for c in aiter_multistatus(entries(), chunk_size=1)]
    assert len(small) == len(entries_list) + 1  # each response alone, the end with the last
    gathered = [c async for c in aiter_multistatus(entries())]
    assert len(gathered) == 2  # the first response alone, then the rest (< one chunk size)
    assert sum(map(len, gathered)) < STREAM_CHUNK_SIZE
    assert b"".join(gathered) == b"".join(small) == render_multistatus(entries_list)


@pytest.mark.parametrize("text", ['"a&b<c>"', "caf\u00e9\r\n\tx", "", None, "\U0001f600"])
@pytest.mark.parametrize("name", [D + "getetag", "{http://apple.com/ns/ical/}calendar-color",
                                  "{urn:example:u}unknown"])
def test_text_properties_serialise_as_lxml_serialises_their_elements(name, text) -> None:
    def entry(as_element: bool) -> ResponseEntry:
        props = [TextProperty(name, text), TextProperty(D + "getcontentlength")]
        if as_element:
            props = [p.element() for p in props]
        return ResponseEntry("/dav/a", [PropStat(200, props[:1]), PropStat(404, props[1:])])

    assert MultistatusWriter().response(entry(False)) == _tree_serialised(entry(True))
    assert render_multistatus([entry(False)]) == render_multistatus([entry(True)])


def test_a_text_property_refuses_text_xml_cannot_hold_as_lxml_does() -> None:
    with pytest.raises(ValueError):
        _prop(D + "displayname", "bad\x01")
    with pytest.raises(ValueError):
        TextProperty(D + "displayname", "bad\x01")


_NAMES = (D + "getetag", D + "resourcetype", "{http://apple.com/ns/ical/}calendar-color",
          "{urn:example:u}unknown", D + "displayname")


@pytest.mark.parametrize("kinds", ["ttttt", "mmmmm", "eeeee", "tmemt", "mtete", "emtmm", ""])
@pytest.mark.parametrize("minimal", [False, True])
def test_a_text_response_is_written_as_its_entry(kinds: str, minimal: bool) -> None:
    names = _NAMES[:len(kinds)]
    texts = ('"a&b<c>"', "caf\u00e9\r\n", "\U0001f600", "", "x\ue000y")[:kinds.count(TEXT)]
    response = TextResponse("/dav/caldav/12/a%20b&c.ics", names, kinds, texts)
    writer = MultistatusWriter(minimal=minimal)
    for _ in range(2):  # the second time from the template made by the first
        assert writer.response(response) == writer.response(response.to_entry())
    document = render_multistatus([response, response], minimal=minimal)
    assert document == render_multistatus([response.to_entry()] * 2, minimal=minimal)
    etree.fromstring(document)


def test_a_text_response_groups_found_before_missing_in_request_order() -> None:
    entry = TextResponse("/a", _NAMES[:4], "mtet", ("1", "2")).to_entry()
    assert [(ps.status, [(p.tag, p.text) for p in ps.properties]) for ps in entry.propstats] == [
        (200, [(_NAMES[1], "1"), (_NAMES[2], None), (_NAMES[3], "2")]), (404, [(_NAMES[0], None)])]


def test_a_text_response_refuses_text_xml_cannot_hold_or_a_shape_that_does_not_fit() -> None:
    with pytest.raises(ValueError):
        TextResponse("/a", (D + "displayname",), TEXT, ("bad\x01",))
    with pytest.raises(ValueError):
        TextResponse("/a", (D + "displayname",), TEXT, ())
    with pytest.raises(ValueError):
        TextResponse("/a", (D + "displayname", D + "getetag"), TEXT, ("x",))


@pytest_twisted.ensureDeferred
async def test_an_answer_over_its_byte_limit_ends_with_507_for_the_request_uri() -> None:
    produced: list[int] = []
    closed: list[bool] = []

    async def entries() -> AsyncIterator[ResponseEntry]:
        try:
            for i in range(100):
                produced.append(i)
                yield ResponseEntry(f"/dav/caldav/1/{i}.ics", status=404)
        finally:
            closed.append(True)

    body = b"".join([c async for c in aiter_multistatus(
        entries(), max_bytes=1000, truncated_href="/dav/caldav/1/")])
    responses = _parse(body).findall(D + "response")
    assert 5 < len(responses) < 20
    last = responses[-1]
    assert last.findtext(D + "href") == "/dav/caldav/1/"
    assert last.findtext(D + "status") == "HTTP/1.1 507 Insufficient Storage"
    assert last.find(f"{D}error/{D}number-of-matches-within-limits") is not None
    assert len(produced) == len(responses) and closed == [True]  # the rest never made
