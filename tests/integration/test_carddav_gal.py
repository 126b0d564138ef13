"""The global address list over TLS: a user's card follows the user directory, phone
numbers included, and stays read-only to other users (DESIGN.md §2, issue 6)."""

from __future__ import annotations

import pytest_twisted
import vobject
from lxml import etree

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


@pytest_twisted.ensureDeferred
async def test_users_cannot_create_cards_in_the_gal_but_change_their_own(tmp_path) -> None:
    server = await start_server(tmp_path)
    try:
        response, body = await server.request(
            "PUT", "/dav/carddav/6/mine.vcf", auth=server.demo,
            headers={"Content-Type": "text/vcard"}, body=card("mine", "Not from the directory"))
        assert response.code == 403
        assert etree.fromstring(body).find("{DAV:}need-privileges") is not None
        response, _ = await server.request("GET", "/dav/carddav/6/mine.vcf", auth=server.demo)
        assert response.code == 404
        response, body = await server.request(
            "PROPFIND", "/dav/carddav/6/", auth=server.demo, headers={"Depth": "0"},
            body=b'<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-privilege-set/>'
                 b"</D:prop></D:propfind>")
        granted = {etree.QName(p).localname for p in etree.fromstring(body).iterfind(
            ".//{DAV:}privilege/*")}
        assert "read" in granted and "bind" not in granted and "unbind" not in granted

        async with server.service.store.transaction("demo", write=False) as txn:
            demo = await txn.user_by_email("demo@example.com")
        own = f"/dav/carddav/6/{provisioning.gal_card_name(demo.id)}"
        response, _ = await server.request(
            "PUT", own, auth=server.demo, headers={"Content-Type": "text/vcard"},
            body=card(f"oxdav-gal-{demo.context_id}-{demo.id}", "Demo Changed"))
        assert response.code == 204
        response, _ = await server.request("DELETE", own, auth=server.demo)
        assert response.code == 403
    finally:
        await server.stop()


async def privileges(server, path: str, auth: tuple[str, str]) -> set[str]:
    """The local names of ``DAV:current-user-privilege-set`` of ``path`` for ``auth``."""
    response, body = await server.request(
        "PROPFIND", path, auth=auth, headers={"Depth": "0"},
        body=b'<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-privilege-set/>'
             b"</D:prop></D:propfind>")
    assert response.code == 207, body
    return {etree.QName(p).localname for p in etree.fromstring(body).iterfind(
        ".//{DAV:}current-user-privilege-set/{DAV:}privilege/*")}


@pytest_twisted.ensureDeferred
async def test_a_gal_card_grants_writing_to_its_own_user_only(tmp_path) -> None:
    # RFC 3744 §5.4: the privileges this user has on this resource; the folder's "own"
    # write level reaches only the cards the user is the creator of.
    server = await start_server(tmp_path)
    try:
        async with server.service.store.transaction("demo", write=False) as txn:
            demo = await txn.user_by_email("demo@example.com")
        path = f"/dav/carddav/6/{provisioning.gal_card_name(demo.id)}"
        await add_user(server, "colleague")
        mine = await privileges(server, path, server.demo)
        assert {"read", "write-content", "write-properties"} <= mine
        assert await privileges(server, path, ("colleague@example.com", PASSWORD)) == {
            "read", "read-current-user-privilege-set"}
    finally:
        await server.stop()
