"""LOCK through the running service shows in ``DAV:lockdiscovery`` (RFC 4918 §15.8)."""

from __future__ import annotations

import pytest_twisted
from lxml import etree

from oxdav.store import ObjectIndex
from tests.integration.harness import start_server

D = "{DAV:}"
LOCKINFO = (b'<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope>'
            b'<D:locktype><D:write/></D:locktype></D:lockinfo>')
LOCK_PROPS = (b'<D:propfind xmlns:D="DAV:"><D:prop><D:lockdiscovery/><D:supportedlock/>'
              b'</D:prop></D:propfind>')


@pytest_twisted.ensureDeferred
async def test_lockdiscovery_shows_the_lock_taken_with_lock(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        async with server.service.store.transaction("test", write=True) as txn:
            user = await txn.user_by_email("demo@example.com")
            home = await txn.home(user.context_id, user.id)
            folder = next(f for f in await home.folders("calendar") if f.owner_id == user.id)
            await (await home.collection(folder.id)).put(
                "a.ics", b"x", ObjectIndex("uid-a", "VEVENT"))
        path = f"/dav/caldav/{folder.id}/a.ics"
        response, _ = await server.request("LOCK", path, auth=server.demo, body=LOCKINFO)
        assert response.code == 200
        token = response.headers.getRawHeaders("lock-token")[0].strip("<>")
        response, data = await server.request("PROPFIND", path, auth=server.demo,
                                              headers={"Depth": "0"}, body=LOCK_PROPS)
        assert response.code == 207
        doc = etree.fromstring(data)
        assert doc.findtext(f".//{D}activelock/{D}locktoken/{D}href") == token
        assert doc.find(f".//{D}supportedlock/{D}lockentry") is not None
    finally:
        await server.stop()
