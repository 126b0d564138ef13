"""A shared folder is recognisable (DESIGN.md §9), through the TLS listener: a calendar or
address book shared with a user shows in their home as "<name> (<owner>)", unless they
named it for themselves; their rename is theirs alone, whatever their rights, and the
owner's name and listing stay as they were."""

from __future__ import annotations

from typing import Any

import caldav
import pytest_twisted
from lxml import etree
from twisted.internet.threads import deferToThread

from oxdav.directory import provisioning
from oxdav.store import FolderPermission
from tests.integration.harness import Server, password_hash, start_server
from tests.integration.test_auth_tls import PASSWORD

NS = {"D": "DAV:"}
ANNA = ("anna@example.com", PASSWORD)
BOB = ("bob@example.com", PASSWORD)
DISPLAYNAME = b'<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>'
DAVX5 = "DAVx5/4.5.9-ose (dav4jvm; okhttp/5.3.2) Android/15"


def rename(name: str | None) -> bytes:
    """A PROPPATCH body setting (or, for None, removing) DAV:displayname."""
    if name is None:
        return (b'<D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><D:displayname/>'
                b"</D:prop></D:remove></D:propertyupdate>")
    return (f'<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>{name}'
            "</D:displayname></D:prop></D:set></D:propertyupdate>").encode()


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    """Anna Smith shares her default calendar and contacts with the demo user (read
    only) and with Bob (with admin rights)."""
    server = await start_server(tmp_path)
    async with server.service.store.transaction("sharing", write=True) as txn:
        demo = await txn.user_by_email("demo@example.com")
        ctx = demo.context_id
        anna = await provisioning.create_user(
            txn, ctx, "anna", password_hash=password_hash(PASSWORD),
            display_name="Anna Smith", email="anna@example.com")
        bob = await provisioning.create_user(
            txn, ctx, "bob", password_hash=password_hash(PASSWORD), display_name="Bob Baker",
            email="bob@example.com")
        shared = {}
        for module in ("calendar", "contacts"):
            folder = (await (await txn.home(ctx, anna.id)).folders(module))[0]
            collection = await txn.system_collection(ctx, folder.id)
            await collection.update_folder(permissions=[
                FolderPermission(demo.id, read="all"),
                FolderPermission(bob.id, read="all", write="all", admin=True)])
            shared[module] = folder.id
    server.calendar = f"/dav/caldav/{shared['calendar']}/"
    server.book = f"/dav/carddav/{shared['contacts']}/"
    server.cert = str(server.config / "data" / "tls" / "fullchain.pem")
    yield server
    await server.stop()


async def names(server: Server, path: str, auth: tuple[str, str] | None = None,
                depth: str = "1") -> dict[str, Any]:
    """href → displayname of each response of a PROPFIND."""
    response, data = await server.request(
        "PROPFIND", path, auth=auth or server.demo, body=DISPLAYNAME,
        headers={"Depth": depth, "User-Agent": DAVX5})
    assert response.code == 207, data
    return {r.findtext("D:href", namespaces=NS): r.findtext(".//D:displayname", namespaces=NS)
            for r in etree.fromstring(data).findall("D:response", NS)}


async def proppatch(server: Server, path: str, body: bytes,
                    auth: tuple[str, str] | None = None) -> list[str]:
    response, data = await server.request("PROPPATCH", path, auth=auth or server.demo,
                                          body=body)
    assert response.code == 207, data
    return [s.text for s in etree.fromstring(data).iter("{DAV:}status")]


def calendar_names(server: Server, auth: tuple[str, str]) -> list[str]:
    """Blocking: the calendars python-caldav finds for ``auth``, by display name."""
    with caldav.DAVClient(url=server.https + "/dav/", username=auth[0], password=auth[1],
                          ssl_verify_cert=server.cert) as client:
        return sorted(str(c.get_display_name()) for c in client.principal().calendars())


@pytest_twisted.ensureDeferred
async def test_a_shared_calendar_says_whose_it_is_and_the_owner_sees_its_name(
        server) -> None:
    found = await deferToThread(calendar_names, server, server.demo)
    assert "Calendar" in found and "Calendar (Anna Smith)" in found
    listing = await names(server, "/dav/caldav/")
    assert listing[server.calendar] == "Calendar (Anna Smith)"
    assert list((await names(server, server.calendar, depth="0")).values()) == [
        "Calendar (Anna Smith)"]
    assert (await names(server, "/dav/caldav/", ANNA))[server.calendar] == "Calendar"
    assert await deferToThread(calendar_names, server, ANNA) == ["Calendar", "Tasks"]


@pytest_twisted.ensureDeferred
async def test_a_shared_address_book_says_whose_it_is_and_the_gal_keeps_its_name(
        server) -> None:
    listing = await names(server, "/dav/carddav/")
    assert listing[server.book] == "Contacts (Anna Smith)"
    assert listing["/dav/carddav/6/"] == "Global Address Book"
    assert sorted(v for v in listing.values() if v and v.startswith("Contacts")) == [
        "Contacts", "Contacts (Anna Smith)"]
    assert (await names(server, "/dav/carddav/", ANNA))[server.book] == "Contacts"


@pytest_twisted.ensureDeferred
async def test_a_sharees_rename_is_theirs_alone(server) -> None:
    assert await proppatch(server, server.calendar, rename("Anna's plans")) == [
        "HTTP/1.1 200 OK"]
    assert (await names(server, "/dav/caldav/"))[server.calendar] == "Anna's plans"
    assert (await names(server, "/dav/caldav/", ANNA))[server.calendar] == "Calendar"
    assert (await names(server, "/dav/caldav/", BOB))[server.calendar] == (
        "Calendar (Anna Smith)")


@pytest_twisted.ensureDeferred
async def test_a_sharee_with_admin_rights_renames_only_for_themselves(server) -> None:
    assert await proppatch(server, server.book, rename("Anna (work)"), BOB) == [
        "HTTP/1.1 200 OK"]
    assert (await names(server, "/dav/carddav/", BOB))[server.book] == "Anna (work)"
    assert (await names(server, "/dav/carddav/", ANNA))[server.book] == "Contacts"
    assert (await names(server, "/dav/carddav/"))[server.book] == "Contacts (Anna Smith)"


@pytest_twisted.ensureDeferred
async def test_removing_or_writing_back_the_shown_name_follows_the_owner_again(
        server) -> None:
    await proppatch(server, server.calendar, rename("Mine"))
    await proppatch(server, server.calendar, rename(None))
    assert (await names(server, "/dav/caldav/"))[server.calendar] == "Calendar (Anna Smith)"
    await proppatch(server, server.calendar, rename("Mine"))
    await proppatch(server, server.calendar, rename("Calendar (Anna Smith)"))
    await proppatch(server, server.calendar, rename("Family"), ANNA)
    assert (await names(server, "/dav/caldav/"))[server.calendar] == "Family (Anna Smith)"
    assert (await names(server, "/dav/caldav/", ANNA))[server.calendar] == "Family"
