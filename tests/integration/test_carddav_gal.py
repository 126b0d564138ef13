"""The global address list over TLS: a user's card follows the user directory, phone
numbers included, and stays read-only to other users (DESIGN.md §2, issue 6)."""

from __future__ import annotations

import pytest_twisted
import vobject

from oxdav.directory import provisioning
from tests.integration.carddav_support import PASSWORD, add_user, card
from tests.integration.harness import start_server


@pytest_twisted.ensureDeferred
async def test_gal_card_shows_changed_phones_and_refuses_other_users_put(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        async with server.service.store.transaction("phones", write=True) as txn:
            [context] = [c for c in await txn.contexts() if c.name == "demo"]
            demo = await txn.user_by_login(context.id, "demo")
            await provisioning.update_user(txn, context.id, demo.id,
                                           phones=["+49 30 1234", "+1 555 0100"])
        path = f"/dav/carddav/6/{provisioning.gal_card_name(demo.id)}"

        response, body = await server.request("GET", path, auth=server.demo)
        assert response.code == 200
        tels = vobject.readOne(body.decode("utf-8")).contents["tel"]
        assert [(t.value, t.params["TYPE"]) for t in tels] == [
            ("+49 30 1234", ["WORK", "VOICE"]), ("+1 555 0100", ["WORK", "VOICE"])]

        await add_user(server, "colleague")
        colleague = ("colleague@example.com", PASSWORD)
        response, _ = await server.request("GET", path, auth=colleague)
        assert response.code == 200
        response, _ = await server.request(
            "PUT", path, auth=colleague, headers={"Content-Type": "text/vcard"},
            body=card(f"oxdav-gal-{context.id}-{demo.id}", "Hijacked",
                      extra="TEL;TYPE=WORK,VOICE:+1 555 6666\r\n"))
        assert response.code == 403
        response, body = await server.request("GET", path, auth=server.demo)
        assert b"Hijacked" not in body and b"+49 30 1234" in body
    finally:
        await server.stop()
