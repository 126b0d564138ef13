"""Tombstone pruning in the running service, and what a client with an old token sees
(RFC 6578 §3.2: 403 ``DAV:valid-sync-token``, then a sync from scratch)."""

from __future__ import annotations

import pytest_twisted
from lxml import etree

from oxdav.store import ObjectIndex
from tests.integration.harness import start_server

D = "{DAV:}"
SYNC = b"""<D:sync-collection xmlns:D="DAV:"><D:sync-token>%s</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""


async def demo_calendar(server):
    """The demo user's default calendar as a store collection inside ``txn``."""
    async with server.service.store.transaction("test") as txn:
        user = await txn.user_by_email("demo@example.com")
        home = await txn.home(user.context_id, user.id)
        return user, next(f for f in await home.folders("calendar") if f.owner_id == user.id)


async def change(server, user, folder_id: int, *, delete: bool) -> None:
    async with server.service.store.transaction("test", write=True) as txn:
        calendar = await (await txn.home(user.context_id, user.id)).collection(folder_id)
        if delete:
            await calendar.delete("a.ics")
        else:
            await calendar.put("a.ics", b"x", ObjectIndex("uid-a", "VEVENT"))


async def sync(server, href: str, token: bytes = b"") -> tuple[int, bytes]:
    response, data = await server.request("REPORT", href, auth=server.demo,
                                          headers={"Depth": "1"}, body=SYNC % token)
    return response.code, data


@pytest_twisted.ensureDeferred
async def test_token_older_than_pruned_tombstones_gets_403_valid_sync_token(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.sync.tombstoneRetention = 0\n")
    try:
        user, folder = await demo_calendar(server)
        href = f"/dav/caldav/{folder.id}/"
        await change(server, user, folder.id, delete=False)
        code, data = await sync(server, href)
        assert code == 207
        token = etree.fromstring(data).findtext(f"{D}sync-token").encode()
        await change(server, user, folder.id, delete=True)
        assert await server.service.pruner.prune() == 1
        code, data = await sync(server, href, token)
        assert code == 403
        assert etree.fromstring(data)[0].tag == f"{D}valid-sync-token"
        code, _ = await sync(server, href)  # the client starts over
        assert code == 207
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_token_within_the_retention_still_reports_the_deletion(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        user, folder = await demo_calendar(server)
        href = f"/dav/caldav/{folder.id}/"
        await change(server, user, folder.id, delete=False)
        token = etree.fromstring((await sync(server, href))[1]).findtext(f"{D}sync-token")
        await change(server, user, folder.id, delete=True)
        assert await server.service.pruner.prune() == 0
        code, data = await sync(server, href, token.encode())
        assert code == 207
        assert b"404" in data and b"a.ics" in data
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_service_schedules_pruning_and_stops_it(tmp_path) -> None:
    server = await start_server(tmp_path)
    pruner = server.service.pruner
    try:
        assert pruner.running and pruner.interval == 86400.0
        await pruner.last_run
    finally:
        await server.stop()
    assert not pruner.running
