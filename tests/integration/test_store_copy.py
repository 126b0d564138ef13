"""Moving up (DESIGN.md §8): a client syncs against the daemon on SQLite,
``oxdav-admin store copy --to postgresql://…`` copies the store, the daemon starts on
PostgreSQL, and the client syncs on with the token it holds: it is told only what
changed since, and every ETag and ctag is what it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest_twisted
from lxml import etree

from tests.admin.conftest import Admin
from tests.integration.harness import start_server

D = "{DAV:}"
CS = "{http://calendarserver.org/ns/}"
DAY = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y%m%d")
SYNC = """<D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""
CTAG = """<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop>
<CS:getctag/></D:prop></D:propfind>"""


def event(uid: str, summary: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//copy//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:{DAY}T100000Z\r\n"
            f"DTEND:{DAY}T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def card(uid: str, name: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n"


async def collections(server) -> dict[str, str]:
    async with server.service.store.transaction("test") as txn:
        user = await txn.user_by_email("demo@example.com")
        home = await txn.home(user.context_id, user.id)
        own = {f.module: f.id for f in await home.folders() if f.owner_id == user.id}
    return {"calendar": f"/dav/caldav/{own['calendar']}/",
            "contacts": f"/dav/carddav/{own['contacts']}/"}


async def put(server, href: str, text: str, content_type: str) -> str:
    response, body = await server.request("PUT", href, auth=server.demo, body=text,
                                          headers={"Content-Type": content_type})
    assert response.code in (201, 204), body
    return response.headers.getRawHeaders("ETag")[0]


async def sync(server, href: str, token: str = "") -> tuple[str, dict[str, str | None]]:
    response, body = await server.request("REPORT", href, auth=server.demo,
                                          headers={"Depth": "1"}, body=SYNC.format(token))
    assert response.code == 207, body
    root = etree.fromstring(body)
    changes = {r.findtext(f"{D}href"): (None if "404" in (r.findtext(f"{D}status") or "")
                                        else r.findtext(f".//{D}getetag"))
               for r in root.iter(f"{D}response")}
    return root.findtext(f"{D}sync-token"), changes


async def ctag(server, href: str) -> str:
    response, body = await server.request("PROPFIND", href, auth=server.demo, body=CTAG,
                                          headers={"Depth": "0"})
    assert response.code == 207, body
    return etree.fromstring(body).findtext(f".//{CS}getctag")


@pytest_twisted.ensureDeferred
async def test_clients_sync_on_with_their_tokens_after_the_store_is_copied_to_postgresql(
        tmp_path, postgres_database) -> None:
    kinds = {"calendar": ("text/calendar", event, ".ics"),
             "contacts": ("text/vcard", card, ".vcf")}
    server = await start_server(tmp_path)
    try:
        hrefs = await collections(server)
        etags: dict[str, str] = {}
        for module, href in hrefs.items():
            content_type, make, suffix = kinds[module]
            for n in range(3):
                etags[f"{href}{n}{suffix}"] = await put(server, f"{href}{n}{suffix}",
                                                        make(f"{module}-{n}", f"first {n}"),
                                                        content_type)
        held = {module: await sync(server, href) for module, href in hrefs.items()}
        ctags = {module: await ctag(server, href) for module, href in hrefs.items()}
        # Changed after the client's last sync, before the copy.
        for module, href in hrefs.items():
            content_type, make, suffix = kinds[module]
            etags[f"{href}0{suffix}"] = await put(server, f"{href}0{suffix}",
                                                  make(f"{module}-0", "changed on SQLite"),
                                                  content_type)
        after_sqlite = {module: await ctag(server, href) for module, href in hrefs.items()}
    finally:
        await server.stop()

    admin = Admin(tmp_path)
    result = admin.ok("store", "copy", "--to", postgres_database.url, "--password-file",
                      str(postgres_database.password_file))
    # Six objects and the demo user's card in the global address list.
    assert "objects: 7/7 rows" in result.out and "copied " in result.out, result.out
    # A second copy finds the target full and changes nothing.
    again = admin("store", "copy", "--to", postgres_database.url, "--password-file",
                  str(postgres_database.password_file))
    assert again.code == 3 and "not empty" in again.err

    server = await start_server(tmp_path, f"oxdav.storage = {postgres_database.url}\n"
                                f"oxdav.storage.passwordFile = "
                                f"{postgres_database.password_file}\n")
    try:
        assert await collections(server) == hrefs
        for href, etag in etags.items():  # every object as it was, with its ETag
            response, _ = await server.request("GET", href, auth=server.demo)
            assert (response.code, response.headers.getRawHeaders("ETag")) == (200, [etag])
        for module, href in hrefs.items():
            assert await ctag(server, href) == after_sqlite[module] != ctags[module]
            content_type, make, suffix = kinds[module]
            # Changed on PostgreSQL: one new, one deleted.
            new = await put(server, f"{href}new{suffix}", make(f"{module}-new", "new"),
                            content_type)
            response, _ = await server.request("DELETE", f"{href}1{suffix}", auth=server.demo)
            assert response.code == 204
            token, changes = await sync(server, href, held[module][0])
            assert changes == {f"{href}0{suffix}": etags[f"{href}0{suffix}"],
                               f"{href}new{suffix}": new, f"{href}1{suffix}": None}
            assert (await sync(server, href, token))[1] == {}
    finally:
        await server.stop()
