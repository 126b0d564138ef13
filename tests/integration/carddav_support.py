"""Shared helpers of the CardDAV integration tests (tests/integration/test_carddav_*.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from oxdav.directory import provisioning
from oxdav.store import FolderPermission
from tests.integration.harness import Server, password_hash, start_server

NS = {"D": "DAV:", "CR": "urn:ietf:params:xml:ns:carddav", "CS": "http://calendarserver.org/ns/"}
VCARD_DIR = Path(__file__).resolve().parents[1] / "data" / "vcard"
PASSWORD = "correct horse"

#: Real User-Agent strings (tests/data/clients/user-agents.txt).
MACOS_CONTACTS = "Mac OS X/10.13.1 (17B48) AddressBook/1806"
MACOS_ADDRESSBOOK_107 = ("AddressBook/6.1.3 (1091) CardDAVPlugin/200 CFNetwork/520.5.3 "
                         "Mac_OS_X/10.7.5 (11G63)")
IOS = "iOS/12.1.4 (16D57) dataaccessd/1.0"
DAVX5 = "DAVx5/4.5.9-ose (dav4jvm; okhttp/5.3.2) Android/15"
THUNDERBIRD = ("Mozilla/5.0 (X11; Linux x86_64; rv:52.0) Gecko/20100101 Thunderbird/52.6.0 "
               "Lightning/5.4")

ALLPROPS = b"""<D:propfind xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"
 xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:resourcetype/><D:displayname/>
<CR:addressbook-description/><CR:supported-address-data/><CR:max-resource-size/>
<CR:supported-collation-set/>
<CS:getctag/><D:sync-token/><D:supported-report-set/></D:prop></D:propfind>"""


MKCOL_WORK = b"""<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>
<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
<D:displayname>Work</D:displayname>
<CR:addressbook-description>Colleagues</CR:addressbook-description>
</D:prop></D:set></D:mkcol>"""


async def start_carddav(directory: Path, **carddav: str) -> Server:
    """Start the service like ``start_server``, with ``com.openexchange.carddav.<key>``
    values replaced in the shipped carddav.properties."""
    return await start_server(directory, shipped={"carddav.properties": {
        f"com.openexchange.carddav.{key}": value for key, value in carddav.items()}})


def card(uid: str, fn: str, *, version: str = "3.0", extra: str = "") -> bytes:
    """A small valid vCard."""
    n = f"N:;{fn};;;\r\n" if version == "3.0" else ""
    return (f"BEGIN:VCARD\r\nVERSION:{version}\r\nUID:{uid}\r\nFN:{fn}\r\n{n}{extra}"
            "END:VCARD\r\n").encode()


async def add_user(server: Any, login: str) -> int:
    """Create a user in the demo context; returns its id."""
    async with server.service.store.transaction("test user", write=True) as txn:
        context = [c for c in await txn.contexts() if c.name == "demo"][0]
        user = await provisioning.create_user(txn, context.id, login,
                                              password_hash=password_hash(PASSWORD),
                                              display_name=login, email=f"{login}@example.com")
        return user.id


async def shared_book(server: Any, owner: str, sharee: str, name: str = "Shared") -> int:
    """A contacts folder of the user with e-mail ``owner`` that the user with e-mail
    ``sharee`` may read; returns its id."""
    async with server.service.store.transaction("test share", write=True) as txn:
        user = await txn.user_by_email(owner)
        reader = await txn.user_by_email(sharee)
        folder = await (await txn.home(user.context_id, user.id)).create_folder(
            "contacts", name, permissions=[FolderPermission(entity=reader.id, read="all")])
        return folder.id


async def unshare(server: Any, owner: str, folder_id: int) -> None:
    """Take every permission of others away from the folder of ``owner``."""
    async with server.service.store.transaction("test unshare", write=True) as txn:
        user = await txn.user_by_email(owner)
        collection = await (await txn.home(user.context_id, user.id)).collection(folder_id)
        await collection.update_folder(permissions=[])


async def propfind(server: Any, path: str, body: bytes = ALLPROPS, depth: str = "1",
                   auth: tuple[str, str] | None = None, **headers: str) -> tuple[Any, Any]:
    """PROPFIND; returns (response, parsed document or raw bytes)."""
    response, data = await server.request(
        "PROPFIND", path, auth=auth or server.demo, headers={"Depth": depth, **headers},
        body=body)
    return response, (etree.fromstring(data) if data.startswith(b"<") else data)


async def books(server: Any, user_agent: str | None = None,
                auth: tuple[str, str] | None = None) -> dict[str, Any]:
    """The address book collections of the home, by href."""
    headers = {"User-Agent": user_agent} if user_agent else {}
    response, doc = await propfind(server, "/dav/carddav/", auth=auth, **headers)
    assert response.code == 207, doc
    return {r.findtext("D:href", namespaces=NS): r
            for r in doc.xpath("//D:response[.//D:resourcetype/CR:addressbook]", namespaces=NS)}


async def default_book(server: Any, auth: tuple[str, str] | None = None) -> str:
    """The href of the user's default contacts folder (per-folder mode)."""
    found = await books(server, DAVX5, auth=auth)
    gal = "/dav/carddav/6/"
    return sorted(h for h in found if h != gal)[0]


async def put(server: Any, href: str, body: bytes, *, user_agent: str = DAVX5,
              content_type: str = "text/vcard; charset=utf-8",
              auth: tuple[str, str] | None = None, **headers: str) -> tuple[Any, bytes]:
    """PUT a card."""
    return await server.request("PUT", href, auth=auth or server.demo, body=body, headers={
        "Content-Type": content_type, "User-Agent": user_agent, **headers})


async def report(server: Any, href: str, body: bytes | str, *, depth: str = "1",
                 user_agent: str = DAVX5, auth: tuple[str, str] | None = None
                 ) -> tuple[Any, Any]:
    """REPORT; returns (response, parsed document or raw bytes)."""
    response, data = await server.request(
        "REPORT", href, auth=auth or server.demo, body=body,
        headers={"Depth": depth, "User-Agent": user_agent,
                 "Content-Type": "application/xml; charset=utf-8"})
    return response, (etree.fromstring(data) if data.startswith(b"<") else data)
