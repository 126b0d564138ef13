"""PROPFIND body parsing and the PropFindResult bookkeeping (oxdav.dav.property_results)."""

from __future__ import annotations

import pytest
import pytest_twisted
from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.multistatus import render_multistatus
from oxdav.dav.property_results import (
    NOT_WRITABLE,
    PropFindRequest,
    PropFindResult,
    PropFindType,
    parse_propfind,
    property_element,
)
from oxdav.dav.xml import parse_body

D = "{DAV:}"
CS = "{http://calendarserver.org/ns/}"


def _parse(body: bytes) -> PropFindRequest:
    return parse_propfind(parse_body(body))


def test_empty_body_is_allprop() -> None:
    assert _parse(b"") == PropFindRequest(PropFindType.ALLPROP)


def test_allprop_body() -> None:
    assert _parse(b"<propfind xmlns='DAV:'><allprop/></propfind>").type is PropFindType.ALLPROP


def test_allprop_with_include() -> None:
    request = _parse(
        b"<D:propfind xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav'><D:allprop/>"
        b"<D:include><D:supported-report-set/><C:calendar-home-set/></D:include></D:propfind>"
    )
    assert request.type is PropFindType.ALLPROP
    assert request.names == (
        D + "supported-report-set",
        "{urn:ietf:params:xml:ns:caldav}calendar-home-set",
    )


def test_propname_body() -> None:
    assert _parse(b"<propfind xmlns='DAV:'><propname/></propfind>") == PropFindRequest.propname()


def test_prop_body_keeps_order_and_drops_duplicates() -> None:
    request = _parse(
        b"<n0:propfind xmlns:n0='DAV:' xmlns:n1='http://calendarserver.org/ns/'>"
        b"<n0:prop><n0:getetag/><n1:getctag/><n0:getetag/></n0:prop></n0:propfind>"
    )
    assert request == PropFindRequest(PropFindType.PROP, (D + "getetag", CS + "getctag"))


def test_empty_propfind_element_is_allprop() -> None:
    assert _parse(b"<propfind xmlns='DAV:'/>").type is PropFindType.ALLPROP


def test_unknown_children_are_ignored() -> None:
    request = _parse(
        b"<propfind xmlns='DAV:' xmlns:x='urn:x'><x:hint/><prop><getetag/></prop></propfind>"
    )
    assert request.names == (D + "getetag",)


def test_mixed_forms_are_400() -> None:
    with pytest.raises(DAVError) as info:
        _parse(b"<propfind xmlns='DAV:'><allprop/><propname/></propfind>")
    assert info.value.status == 400


def test_wrong_root_is_400() -> None:
    with pytest.raises(DAVError):
        _parse(b"<propertyupdate xmlns='DAV:'/>")


def test_requested_properties_start_as_404() -> None:
    result = PropFindResult(PropFindRequest.prop([D + "getetag", CS + "getctag"]), "/dav/x")
    assert result.status_of(D + "getetag") == 404
    assert result.pending() == (D + "getetag", CS + "getctag")


def test_set_value_moves_property_to_200() -> None:
    result = PropFindResult(PropFindRequest.prop([D + "getetag", CS + "getctag"]), "/dav/x")
    result.set(D + "getetag", '"e"')
    assert result.status_of(D + "getetag") == 200
    assert result.pending() == (CS + "getctag",)
    statuses = [(ps.status, [p.tag for p in ps.properties]) for ps in result.propstats()]
    assert statuses == [(200, [D + "getetag"]), (404, [CS + "getctag"])]


def test_set_none_keeps_404() -> None:
    result = PropFindResult(PropFindRequest.prop([D + "displayname"]), "/dav/x")
    result.set(D + "displayname", None)
    assert result.status_of(D + "displayname") == 404


@pytest_twisted.ensureDeferred
async def test_unrequested_property_is_never_computed() -> None:
    result = PropFindResult(PropFindRequest.prop([D + "getetag"]), "/dav/x")
    calls: list[str] = []

    async def getter() -> str:
        calls.append("called")
        return "x"

    await result.handle(D + "displayname", getter)
    assert calls == []
    assert result.status_of(D + "displayname") is None


@pytest_twisted.ensureDeferred
async def test_property_is_computed_only_once() -> None:
    result = PropFindResult(PropFindRequest.prop([D + "getetag"]), "/dav/x")
    calls: list[str] = []

    async def getter() -> str:
        calls.append("called")
        return '"e"'

    await result.handle(D + "getetag", getter)
    await result.handle(D + "getetag", getter)
    assert calls == ["called"]


@pytest_twisted.ensureDeferred
async def test_allprop_computes_allprop_members_only() -> None:
    result = PropFindResult(PropFindRequest.allprop([D + "supported-report-set"]), "/dav/x")

    async def value() -> str:
        return "v"

    await result.handle(D + "displayname", value, in_allprop=True)
    await result.handle(D + "current-user-principal", value, in_allprop=False)
    await result.handle(D + "supported-report-set", value, in_allprop=False)
    assert result.status_of(D + "displayname") == 200
    assert result.status_of(D + "current-user-principal") is None
    assert result.status_of(D + "supported-report-set") == 200


@pytest_twisted.ensureDeferred
async def test_allprop_absent_property_is_left_out() -> None:
    result = PropFindResult(PropFindRequest.allprop(), "/dav/x")

    async def absent() -> None:
        return None

    await result.handle(D + "getcontentlength", absent)
    assert result.status_of(D + "getcontentlength") is None
    assert result.propstats() == []


@pytest_twisted.ensureDeferred
async def test_propname_lists_names_without_computing() -> None:
    result = PropFindResult(PropFindRequest.propname(), "/dav/x")

    async def boom() -> str:
        raise AssertionError("must not be called")

    await result.handle(D + "getetag", boom)
    [propstat] = result.propstats()
    assert propstat.status == 200
    assert [(p.tag, len(p), p.text) for p in propstat.properties] == [(D + "getetag", 0, None)]


@pytest_twisted.ensureDeferred
async def test_dav_error_from_getter_becomes_property_status() -> None:
    result = PropFindResult(PropFindRequest.prop([D + "acl"]), "/dav/x")

    async def forbidden() -> str:
        raise DAVError(403, D + "need-privileges")

    await result.handle(D + "acl", forbidden)
    [propstat] = result.propstats()
    assert (propstat.status, propstat.error) == (403, D + "need-privileges")


def test_brief_drops_404_propstat_from_response() -> None:
    result = PropFindResult(PropFindRequest.prop([D + "getetag", CS + "getctag"]), "/dav/x")
    result.set(D + "getetag", '"e"')
    root = etree.fromstring(render_multistatus([result.to_entry()], minimal=True))
    assert root.find(f".//{CS}getctag") is None
    assert root.findtext(f".//{D}getetag") == '"e"'


def test_property_element_forms() -> None:
    href = etree.Element(D + "href")
    href.text = "/p/"
    assert property_element(D + "owner", href)[0].tag == D + "href"
    assert property_element(D + "displayname", "x").text == "x"
    own = etree.Element(D + "displayname")
    assert property_element(D + "displayname", own) is own
    assert len(property_element(D + "supportedlock", [])) == 0


def test_property_element_copies_elements_that_belong_elsewhere() -> None:
    parent = etree.Element("parent")
    child = etree.SubElement(parent, D + "displayname")
    built = property_element(D + "displayname", child)
    assert built is not child and child.getparent() is parent


def test_text_xml_cannot_carry_becomes_a_500_of_that_property_only() -> None:
    result = PropFindResult(PropFindRequest.prop([D + "getetag", D + "displayname"]), "/dav/x")
    result.set(D + "getetag", '"e"')
    result.set(D + "displayname", "a\x00b")
    root = etree.fromstring(render_multistatus([result.to_entry()]))
    [ok, failed] = root.iterfind(f".//{D}propstat")
    assert ok.findtext(f"{D}status") == "HTTP/1.1 200 OK"
    assert ok.findtext(f".//{D}getetag") == '"e"'
    assert failed.findtext(f"{D}status") == "HTTP/1.1 500 Internal Server Error"
    assert failed.find(f"{D}prop/{D}displayname") is not None
    assert "XML cannot carry" in failed.findtext(f"{D}responsedescription")


@pytest_twisted.ensureDeferred
async def test_an_element_lxml_refuses_in_a_getter_becomes_a_500() -> None:
    result = PropFindResult(PropFindRequest.prop([D + "owner"]), "/dav/x")

    async def owner() -> etree._Element:
        element = etree.Element(D + "href")
        element.text = "mailto:a\x1b@example.com"
        return element

    await result.handle(D + "owner", owner)
    [propstat] = result.propstats()
    assert (propstat.status, propstat.description) == (500, NOT_WRITABLE)


@pytest_twisted.ensureDeferred
async def test_another_value_error_from_a_getter_is_not_taken_for_unwritable_text() -> None:
    result = PropFindResult(PropFindRequest.prop([D + "owner"]), "/dav/x")

    async def broken() -> str:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        await result.handle(D + "owner", broken)
