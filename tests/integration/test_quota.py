"""RFC 4331 quota through the running service: the properties (PROPFIND) and the 507
``quota-not-exceeded`` answer to a PUT that would pass the limit."""

from __future__ import annotations

import pytest_twisted
from lxml import etree

from oxdav.store import ObjectIndex
from tests.integration.harness import start_server

NS = {"D": "DAV:"}
QUOTA_PROPS = b"""<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>
<D:quota-used-bytes/><D:quota-available-bytes/></D:prop></D:propfind>"""


async def store_bytes(server, size: int) -> int:
    """Store ``size`` bytes in the demo user's default calendar; return its folder id."""
    async with server.service.store.transaction("test", write=True) as txn:
        user = await txn.user_by_email("demo@example.com")
        home = await txn.home(user.context_id, user.id)
        folder = next(f for f in await home.folders("calendar") if f.owner_id == user.id)
        collection = await home.collection(folder.id)
        await collection.put("a.ics", b"x" * size, ObjectIndex("uid-a", "VEVENT"))
        return folder.id


async def quota_of(server, path: str) -> tuple[str | None, str | None]:
    """The two properties as found with status 200 (None when not found)."""
    response, data = await server.request("PROPFIND", path, auth=server.demo,
                                          headers={"Depth": "0"}, body=QUOTA_PROPS)
    assert response.code == 207
    found = etree.fromstring(data).xpath(
        "//D:propstat[contains(D:status, ' 200 ')]/D:prop", namespaces=NS)
    return tuple(  # type: ignore[return-value]
        found[0].findtext(f"D:{name}", namespaces=NS) if found else None
        for name in ("quota-used-bytes", "quota-available-bytes"))


@pytest_twisted.ensureDeferred
async def test_home_and_own_folder_report_used_and_available_bytes(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.quota.bytes = 1k\n")
    try:
        folder_id = await store_bytes(server, 100)
        assert await quota_of(server, "/dav/caldav/") == ("100", "924")
        assert await quota_of(server, f"/dav/caldav/{folder_id}/") == ("100", "924")
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_without_quota_the_properties_are_absent(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        await store_bytes(server, 100)
        assert await quota_of(server, "/dav/caldav/") == (None, None)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_user_override_in_the_cascade_sets_the_quota(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        async with server.service.store.transaction("test", write=True) as txn:
            user = await txn.user_by_email("demo@example.com")
            await txn.update_user(user.context_id, user.id,
                                  config={"oxdav.quota.bytes": "300"})
        await store_bytes(server, 100)
        assert await quota_of(server, "/dav/carddav/") == ("100", "200")
    finally:
        await server.stop()


EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
         "UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\n"
         "SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest_twisted.ensureDeferred
async def test_put_past_the_quota_is_507_and_stores_nothing_until_space_is_freed(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.quota.bytes = 1k\n")
    try:
        folder_id = await store_bytes(server, 900)
        calendar = f"/dav/caldav/{folder_id}/"
        body = EVENT.format(uid="big", summary="x" * 200).encode()
        response, data = await server.request("PUT", calendar + "big.ics", auth=server.demo,
                                              headers={"Content-Type": "text/calendar"},
                                              body=body)
        assert response.code == 507
        assert etree.fromstring(data).find("{DAV:}quota-not-exceeded") is not None
        missing, _ = await server.request("GET", calendar + "big.ics", auth=server.demo)
        assert missing.code == 404
        response, _ = await server.request("DELETE", calendar + "a.ics", auth=server.demo)
        assert response.code == 204
        response, _ = await server.request("PUT", calendar + "big.ics", auth=server.demo,
                                           headers={"Content-Type": "text/calendar"},
                                           body=body)
        assert response.code == 201
    finally:
        await server.stop()
