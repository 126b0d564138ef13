"""The request context and resource defaults (oxdav.dav.resource)."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.web.test.requesthelper import DummyRequest

from oxdav.dav.errors import DAVError
from oxdav.dav.paths import PathMapper
from oxdav.dav.privileges import DAV_PRIVILEGES, READ, WRITE_CONTENT, Privilege, expand_privileges
from oxdav.dav.resource import (
    COLLECTION,
    Depth,
    Principal,
    RequestContext,
    is_same_resource,
    parse_depth,
)
from oxdav.dav.response import DAVResponse

from .conftest import FixtureResource


def _ctx(**headers: str) -> RequestContext:
    return RequestContext(
        method="PROPFIND", path="/", headers={k.replace("_", "-"): v for k, v in headers.items()}
    )


@pytest.mark.parametrize(
    ("value", "depth"), [("0", Depth.ZERO), ("1", Depth.ONE), ("Infinity", Depth.INFINITY)]
)
def test_depth_values(value: str, depth: Depth) -> None:
    assert parse_depth(value, Depth.ZERO) is depth


def test_absent_depth_gives_default() -> None:
    assert _ctx().depth(Depth.INFINITY) is Depth.INFINITY


def test_invalid_depth_is_400() -> None:
    with pytest.raises(DAVError) as info:
        _ctx(depth="2").depth(Depth.ZERO)
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("headers", "minimal"),
    [
        ({}, False),
        ({"brief": "t"}, True),
        ({"brief": "F"}, False),
        ({"prefer": "return=minimal"}, True),
        ({"prefer": 'respond-async, return="minimal"; x=1'}, True),
        ({"prefer": "return=representation"}, False),
    ],
)
def test_brief_and_prefer_minimal(headers: dict[str, str], minimal: bool) -> None:
    assert RequestContext(method="PROPFIND", path="/", headers=headers).minimal is minimal


def test_header_lookup_is_case_insensitive() -> None:
    assert _ctx(depth="1").header("Depth") == "1"


def test_from_twisted_builds_typed_context() -> None:
    request = DummyRequest([b"dav", b"caldav", b"12", b"a%20b.ics"])
    request.method = b"propfind"
    request.path = b"/dav/caldav/12/a%20b.ics"
    request.requestHeaders.addRawHeader(b"Depth", b"1")
    request.requestHeaders.addRawHeader(b"Prefer", b"return=minimal")
    principal = Principal("/principals/users/3")
    ctx = RequestContext.from_twisted(request, paths=PathMapper("/dav", "/"), principal=principal)
    assert ctx.method == "PROPFIND"
    assert ctx.path == "/caldav/12/a b.ics"
    assert ctx.depth(Depth.ZERO) is Depth.ONE
    assert ctx.minimal
    assert ctx.principal is principal
    assert not ctx.trailing_slash


def test_from_twisted_outside_dav_tree_is_404() -> None:
    request = DummyRequest([b"other"])
    request.path = b"/other/"
    with pytest.raises(DAVError) as info:
        RequestContext.from_twisted(request, paths=PathMapper("/dav", "/"))
    assert info.value.status == 404


def test_from_twisted_undecodable_path_is_400() -> None:
    request = DummyRequest([b"dav"])
    request.path = b"/dav/%FF"
    with pytest.raises(DAVError) as info:
        RequestContext.from_twisted(request, paths=PathMapper("/dav", "/"))
    assert info.value.status == 400


def test_collection_resource_type_is_default() -> None:
    assert FixtureResource("/caldav", collection=True).resource_types == {COLLECTION}


def test_ctag_defaults_to_sync_token() -> None:
    assert FixtureResource("/c", collection=True, sync_token="t").ctag == "t"


def test_same_resource_ignores_trailing_slash() -> None:
    assert is_same_resource(FixtureResource("/caldav/12", collection=True), "/caldav/12/")


def test_expand_privileges_closes_aggregates() -> None:
    assert WRITE_CONTENT in expand_privileges({"{DAV:}write"})
    assert expand_privileges({READ}) == {READ, "{DAV:}read-current-user-privilege-set"}


def test_privilege_tree_can_be_extended() -> None:
    free_busy = "{urn:ietf:params:xml:ns:caldav}read-free-busy"
    tree = DAV_PRIVILEGES.with_child("{DAV:}read", Privilege(free_busy, "free/busy"))
    assert free_busy in expand_privileges({READ}, tree)
    assert DAV_PRIVILEGES.find(free_busy) is None


@pytest_twisted.ensureDeferred
async def test_streamed_response_body_can_be_read() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        yield b"a"
        yield b"b"

    assert await DAVResponse(207, {}, chunks()).read_body() == b"ab"


def test_error_response_uses_render_error() -> None:
    response = DAVResponse.from_error(DAVError(403, "{DAV:}need-privileges"))
    assert response.status == 403 and b"need-privileges" in response.body  # type: ignore[operator]
