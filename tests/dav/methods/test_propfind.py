"""PROPFIND as a pure function over a small in-test resource tree (oxdav.dav.methods.propfind)."""

from __future__ import annotations

import pytest
import pytest_twisted
from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.methods.propfind import propfind
from oxdav.dav.paths import PathMapper
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.reports import ReportRegistry
from oxdav.dav.resource import RequestContext
from oxdav.dav.webdav_properties import generic_properties

from ..conftest import ALICE, FixtureResource

D = "{DAV:}"
CS = "{http://calendarserver.org/ns/}"
ETAG_BODY = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n<D:propfind xmlns:D='DAV:' "
    b"xmlns:CS='http://calendarserver.org/ns/'><D:prop><D:getetag/><D:resourcetype/>"
    b"<CS:getctag/></D:prop></D:propfind>"
)


@pytest.fixture
def properties() -> PropertyRegistry:
    return PropertyRegistry(generic_properties(ReportRegistry()))


def _ctx(**headers: str) -> RequestContext:
    return RequestContext(
        method="PROPFIND",
        path="/caldav/12",
        headers={k.lower(): v for k, v in headers.items()},
        paths=PathMapper("/dav", "/"),
        principal=ALICE,
    )


async def _run(ctx, resource, body, properties):  # type: ignore[no-untyped-def]
    response = await propfind(ctx, resource, body, properties)
    return response, etree.fromstring(await response.read_body())


@pytest_twisted.ensureDeferred
async def test_depth_zero_answers_the_target_only(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    response, root = await _run(_ctx(Depth="0"), calendar, ETAG_BODY, properties)
    assert response.status == 207
    assert response.headers["Content-Type"].startswith("application/xml")
    assert [r.findtext(D + "href") for r in root.findall(D + "response")] == ["/dav/caldav/12/"]


@pytest_twisted.ensureDeferred
async def test_depth_one_lists_members_with_encoded_hrefs(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    _, root = await _run(_ctx(Depth="1"), calendar, ETAG_BODY, properties)
    responses = root.findall(D + "response")
    assert [r.findtext(D + "href") for r in responses] == [
        "/dav/caldav/12/",
        "/dav/caldav/12/a%20b.ics",
    ]
    member = responses[1]
    assert member.findtext(f"{D}propstat/{D}prop/{D}getetag") == '"e1"'


@pytest_twisted.ensureDeferred
async def test_unavailable_properties_come_back_as_404(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    _, root = await _run(_ctx(Depth="1"), calendar, ETAG_BODY, properties)
    member = root.findall(D + "response")[1]
    missing = [
        ps
        for ps in member.findall(D + "propstat")
        if ps.findtext(D + "status") == "HTTP/1.1 404 Not Found"
    ]
    assert [p.tag for p in missing[0].find(D + "prop")] == [CS + "getctag"]


@pytest_twisted.ensureDeferred
async def test_brief_drops_404s(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    response, root = await _run(_ctx(Depth="1", Brief="t"), calendar, ETAG_BODY, properties)
    statuses = {ps.findtext(D + "status") for ps in root.iter(D + "propstat")}
    assert statuses == {"HTTP/1.1 200 OK"}
    assert "Preference-Applied" not in response.headers


@pytest_twisted.ensureDeferred
async def test_prefer_minimal_is_acknowledged(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    response, root = await _run(
        _ctx(Depth="0", Prefer="return=minimal"), calendar, ETAG_BODY, properties
    )
    assert response.headers["Preference-Applied"] == "return=minimal"
    assert root.find(f".//{CS}getctag") is not None  # the calendar has a ctag: 200, kept


@pytest_twisted.ensureDeferred
async def test_empty_body_is_allprop(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    _, root = await _run(_ctx(Depth="0"), calendar, b"", properties)
    assert root.findtext(f".//{D}displayname") == "Work"
    assert root.find(f".//{D}sync-token") is None


@pytest_twisted.ensureDeferred
async def test_body_streams_the_target_first_then_gathered_members(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    response = await propfind(_ctx(Depth="1"), calendar, ETAG_BODY, properties)
    chunks = [chunk async for chunk in response.body]  # type: ignore[union-attr]
    assert chunks[0].endswith(b"</D:response>") and chunks[0].count(b"<D:response>") == 1
    assert len(chunks) == 2  # the member and the end share one chunk
    assert len(etree.fromstring(b"".join(chunks)).findall(D + "response")) == 2


@pytest_twisted.ensureDeferred
async def test_depth_infinity_is_403_finite_depth(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DAVError) as info:
        await propfind(_ctx(Depth="infinity"), calendar, ETAG_BODY, properties)
    assert (info.value.status, info.value.precondition) == (403, D + "propfind-finite-depth")


@pytest_twisted.ensureDeferred
async def test_absent_depth_means_infinity(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DAVError) as info:
        await propfind(_ctx(), calendar, ETAG_BODY, properties)
    assert info.value.status == 403


@pytest_twisted.ensureDeferred
async def test_hostile_body_is_400(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    body = (
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<propfind xmlns="DAV:">&e;</propfind>'
    )
    with pytest.raises(DAVError) as info:
        await propfind(_ctx(Depth="0"), calendar, body, properties)
    assert info.value.status == 400


@pytest_twisted.ensureDeferred
async def test_depth_one_on_non_collection_answers_itself(calendar, properties) -> None:  # type: ignore[no-untyped-def]
    event: FixtureResource = calendar._children[0]
    _, root = await _run(_ctx(Depth="1"), event, ETAG_BODY, properties)
    assert len(root.findall(D + "response")) == 1
