"""PROPFIND Depth 1 on ``principals/users/`` and ``principals/groups/`` lists the
principals of the caller's context, and never another tenant's (RFC 3744 §5.8)."""

from __future__ import annotations

import pytest_twisted
from lxml import etree

from tests.integration.harness import start_server

NS = {"D": "DAV:"}
DISPLAYNAME = b"""<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>
<D:displayname/></D:prop></D:propfind>"""


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    async with server.service.store.transaction("tenants", write=True) as txn:
        demo = await txn.user_by_email("demo@example.com")
        ctx = demo.context_id
        colleague = await txn.create_user(ctx, "colleague", display_name="Colleague",
                                          user_id=40)
        await txn.create_user(ctx, "gone", display_name="Disabled One", enabled=False,
                              user_id=41)
        await txn.create_group(ctx, "staff", display_name="Staff", members=[colleague.id],
                               group_id=50)
        other = await txn.create_context("other", ["other.example"])
        await txn.create_user(other.id, "stranger", display_name="Stranger", user_id=60)
        await txn.create_group(other.id, "aliens", display_name="Aliens", group_id=70)
    server.demo_id = demo.id
    yield server
    await server.stop()


async def listing(server, path: str, depth: str = "1") -> dict[str, str]:
    """href → displayname of each response."""
    response, data = await server.request("PROPFIND", path, auth=server.demo,
                                          headers={"Depth": depth}, body=DISPLAYNAME)
    assert response.code == 207, data
    ok = "D:propstat[contains(D:status, ' 200 ')]/D:prop/D:displayname/text()"
    return {r.findtext("D:href", namespaces=NS): next(iter(r.xpath(ok, namespaces=NS)), None)
            for r in etree.fromstring(data).findall("D:response", NS)}


@pytest_twisted.ensureDeferred
async def test_users_collection_lists_the_enabled_users_of_the_callers_context(server):
    found = await listing(server, "/dav/principals/users/")
    assert found == {
        "/dav/principals/users/": None,
        f"/dav/principals/users/{server.demo_id}/": "Demo User",
        "/dav/principals/users/40/": "Colleague",
    }


@pytest_twisted.ensureDeferred
async def test_groups_collection_lists_the_groups_of_the_callers_context(server):
    found = await listing(server, "/dav/principals/groups/")
    assert found == {"/dav/principals/groups/": None, "/dav/principals/groups/50/": "Staff"}


@pytest_twisted.ensureDeferred
async def test_principals_root_lists_users_and_groups_collections_only(server):
    found = await listing(server, "/dav/principals/")
    assert set(found) == {"/dav/principals/", "/dav/principals/users/",
                          "/dav/principals/groups/"}


@pytest_twisted.ensureDeferred
async def test_depth_zero_on_users_lists_nothing_more(server):
    assert set(await listing(server, "/dav/principals/users/", "0")) == {
        "/dav/principals/users/"}
