"""Sharing from the client (DESIGN.md §9) through the TLS listener: CalendarServer
``CS:share`` and ``DAV:share-resource`` onto the OX folder permissions, the sharee's
notifications and replies, what the sharee may then do, revoking, ``DAV:acl``, and the
walls: nobody outside the context is a sharee, nobody shares what they do not
administer."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest_twisted
from lxml import etree
from twisted.internet.threads import deferToThread

from oxdav.directory import provisioning
from tests.admin.runner import run_admin
from tests.integration.harness import REPO, Server, password_hash, start_server
from tests.integration.test_auth_tls import PASSWORD

NS = {"D": "DAV:", "CS": "http://calendarserver.org/ns/", "C": "urn:ietf:params:xml:ns:caldav"}
ANNA = ("anna@example.com", PASSWORD)
BOB = ("bob@example.com", PASSWORD)
CARL = ("carl@example.com", PASSWORD)
EVE = ("eve@other.test", PASSWORD)
EVENT = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
         b"UID:%s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\n"
         b"DTEND:20260105T110000Z\r\nSUMMARY:shared\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
CARD = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:%s\r\nFN:Shared Card\r\nN:Card;Shared;;;\r\n"
        b"END:VCARD\r\n")


def cs_share(*entries: tuple[str, str | None]) -> bytes:
    """A CS:share body: (href, "read"/"read-write") sets, (href, None) removes."""
    parts = []
    for href, access in entries:
        if access is None:
            parts.append(f"<CS:remove><D:href>{href}</D:href></CS:remove>")
        else:
            parts.append(f"<CS:set><D:href>{href}</D:href><CS:common-name>x</CS:common-name>"
                         f"<CS:summary>s</CS:summary><CS:{access}/></CS:set>")
    return ('<?xml version="1.0" encoding="UTF-8"?><CS:share xmlns:D="DAV:" '
            f'xmlns:CS="http://calendarserver.org/ns/">{"".join(parts)}</CS:share>').encode()


def dav_share(href: str, access: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8" ?><D:share-resource xmlns:D="DAV:">'
            f"<D:sharee><D:href>{href}</D:href><D:prop><D:displayname>x</D:displayname>"
            f"</D:prop><D:share-access><D:{access}/></D:share-access></D:sharee>"
            "</D:share-resource>").encode()


def invite_reply(hosturl: str, accept: bool, uid: str | None = None) -> bytes:
    answer = "invite-accepted" if accept else "invite-declined"
    reply_to = f"<CS:in-reply-to>{uid}</CS:in-reply-to>" if uid else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><CS:invite-reply xmlns:D="DAV:" '
            'xmlns:CS="http://calendarserver.org/ns/"><D:href>mailto:bob@example.com</D:href>'
            f"<CS:{answer}/><CS:hosturl><D:href>{hosturl}</D:href></CS:hosturl>{reply_to}"
            "<CS:summary>s</CS:summary></CS:invite-reply>").encode()


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    """Anna owns a calendar and an address book; Bob and Carl are her colleagues, both
    in the group "team"; Eve is in another context."""
    server = await start_server(tmp_path)
    async with server.service.store.transaction("people", write=True) as txn:
        demo = await txn.user_by_email("demo@example.com")
        ctx = demo.context_id
        made = {}
        for login, name in (("anna", "Anna Smith"), ("bob", "Bob Baker"),
                            ("carl", "Carl Cole")):
            made[login] = await provisioning.create_user(
                txn, ctx, login, password_hash=password_hash(PASSWORD), display_name=name,
                email=f"{login}@example.com")
        team = await txn.create_group(ctx, "team", display_name="The Team",
                                      members=[made["bob"].id, made["carl"].id])
        other = await txn.create_context("other", mappings=("other.test",))
        eve = await provisioning.create_user(
            txn, other.id, "eve", password_hash=password_hash(PASSWORD),
            display_name="Eve", email="eve@other.test")
        folders = {f.module: f.id for f in await (await txn.home(ctx, made["anna"].id)).folders()
                   if f.owner_id == made["anna"].id and f.is_default}
    server.ids = {k: u.id for k, u in made.items()} | {"team": team.id, "eve": eve.id,
                                                       "context": ctx}
    server.calendar = f"/dav/caldav/{folders['calendar']}/"
    server.book = f"/dav/carddav/{folders['contacts']}/"
    yield server
    await server.stop()


async def post(server: Server, path: str, body: bytes, auth: tuple[str, str],
               content_type: str = "text/xml; charset=utf-8") -> tuple[int, bytes]:
    response, data = await server.request("POST", path, auth=auth, body=body,
                                          headers={"Content-Type": content_type})
    return response.code, data


async def propfind(server: Server, path: str, props: str, auth: tuple[str, str],
                   depth: str = "0") -> list[etree._Element]:
    body = (f'<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">'
            f"<D:prop>{props}</D:prop></D:propfind>").encode()
    response, data = await server.request("PROPFIND", path, auth=auth, body=body,
                                          headers={"Depth": depth})
    assert response.code == 207, data
    return etree.fromstring(data).findall("D:response", NS)


async def hrefs(server: Server, path: str, auth: tuple[str, str]) -> set[str]:
    return {r.findtext("D:href", namespaces=NS)
            for r in await propfind(server, path, "<D:resourcetype/>", auth, "1")}


async def invite(server: Server, path: str, auth: tuple[str, str] = ANNA
                 ) -> dict[str, tuple[str, str]]:
    """href → (status, access) of each CS:user in CS:invite."""
    (found,) = await propfind(server, path, "<CS:invite/>", auth)
    return {u.findtext("D:href", namespaces=NS): (
        etree.QName(u.find("CS:access", NS)[0]).localname,
        next(etree.QName(c).localname for c in u if etree.QName(c).localname.startswith(
            "invite-")))
        for u in found.iterfind(".//CS:user", NS)}


async def notifications(server: Server, auth: tuple[str, str]) -> list[bytes]:
    items = sorted(h for h in await hrefs(server, "/dav/caldav/notifications/", auth)
                   if h.endswith(".xml"))
    bodies = []
    for href in items:
        response, data = await server.request("GET", href, auth=auth)
        assert response.code == 200, data
        bodies.append(data)
    return bodies


async def admin_permissions(server: Server, folder_id: int) -> list[str]:
    """The folder's permissions as ``oxdav-admin folder list --json`` shows them."""
    done = await deferToThread(run_admin, ["-c", str(server.config), "folder", "list",
                                           "example.com", "--json"],
                               env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=60)
    assert done.returncode == 0, done.stderr
    listed: Any = json.loads(done.stdout)
    rows = listed if isinstance(listed, list) else listed["folders"]
    return next(row["permissions"] for row in rows if int(row["id"]) == folder_id)


def folder_id(path: str) -> int:
    return int(path.rstrip("/").rsplit("/", 1)[1])


@pytest_twisted.ensureDeferred
async def test_sharing_a_calendar_read_write_notifies_and_the_sharee_accepts_and_writes(
        server) -> None:
    code, data = await post(server, server.calendar, cs_share(("mailto:bob@example.com",
                                                               "read-write")), ANNA)
    assert code == 200, data
    assert await invite(server, server.calendar) == {
        "mailto:bob@example.com": ("read-write", "invite-noresponse")}
    assert await admin_permissions(server, folder_id(server.calendar)) == [
        "user:bob=r:all/w:all/d:all"]
    (owner_view,) = await propfind(server, server.calendar, "<D:resourcetype/>", ANNA)
    assert owner_view.find(".//CS:shared-owner", NS) is not None

    (note,) = await notifications(server, BOB)
    doc = etree.fromstring(note)
    assert doc.findtext(".//CS:hosturl/D:href", namespaces=NS).endswith(server.calendar)
    assert doc.findtext(".//CS:organizer/CS:common-name", namespaces=NS) == "Anna Smith"
    assert doc.find(".//CS:access/CS:read-write", NS) is not None
    uid = doc.findtext(".//CS:uid", namespaces=NS)

    code, data = await post(server, "/dav/caldav/", invite_reply(
        doc.findtext(".//CS:hosturl/D:href", namespaces=NS), True, uid), BOB)
    assert code == 200, data
    assert etree.fromstring(data).findtext("D:href", namespaces=NS).endswith(server.calendar)
    assert await notifications(server, BOB) == []
    assert await invite(server, server.calendar) == {
        "mailto:bob@example.com": ("read-write", "invite-accepted")}

    # In Bob's one home: shared, owned by Anna, named for her, writable.
    (mine,) = [r for r in await propfind(
        server, "/dav/caldav/", "<D:resourcetype/><D:owner/><D:displayname/>"
        "<D:current-user-privilege-set/>", BOB, "1")
        if r.findtext("D:href", namespaces=NS) == server.calendar]
    assert mine.find(".//CS:shared", NS) is not None
    assert mine.findtext(".//D:owner/D:href", namespaces=NS).endswith(
        f"/principals/users/{server.ids['anna']}/")
    assert mine.findtext(".//D:displayname", namespaces=NS) == "Calendar (Anna Smith)"
    assert mine.find(".//D:privilege/D:write-content", NS) is not None
    response, data = await server.request("PUT", server.calendar + "bob.ics", auth=BOB,
                                          body=EVENT % b"bob-1",
                                          headers={"Content-Type": "text/calendar"})
    assert response.code == 201, data


@pytest_twisted.ensureDeferred
async def test_a_read_only_sharee_gets_need_privileges_on_put(server) -> None:
    code, _ = await post(server, server.calendar, cs_share(("mailto:bob@example.com",
                                                            "read")), ANNA)
    assert code == 200
    response, data = await server.request("PUT", server.calendar + "bob.ics", auth=BOB,
                                          body=EVENT % b"bob-2",
                                          headers={"Content-Type": "text/calendar"})
    assert response.code == 403, data
    assert etree.fromstring(data).find("D:need-privileges", NS) is not None
    (mine,) = await propfind(server, server.calendar, "<D:current-user-privilege-set/>", BOB)
    assert mine.find(".//D:privilege/D:read", NS) is not None
    assert mine.find(".//D:privilege/D:write-content", NS) is None


@pytest_twisted.ensureDeferred
async def test_declining_hides_the_calendar_and_revoking_takes_it_away(server) -> None:
    await post(server, server.calendar, cs_share(("mailto:bob@example.com", "read")), ANNA)
    assert server.calendar in await hrefs(server, "/dav/caldav/", BOB)
    code, _ = await post(server, "/dav/caldav/notifications/",
                         invite_reply(server.calendar, False), BOB)
    assert code == 204
    assert server.calendar not in await hrefs(server, "/dav/caldav/", BOB)
    assert await invite(server, server.calendar) == {
        "mailto:bob@example.com": ("read", "invite-declined")}

    code, _ = await post(server, server.calendar, cs_share(("mailto:bob@example.com", None)),
                         ANNA)
    assert code == 200
    assert await invite(server, server.calendar) == {}
    assert await admin_permissions(server, folder_id(server.calendar)) == []
    response, _ = await server.request("PROPFIND", server.calendar, auth=BOB,
                                       headers={"Depth": "0"})
    assert response.code == 404


@pytest_twisted.ensureDeferred
async def test_revoking_removes_an_accepted_calendar_at_once(server) -> None:
    await post(server, server.calendar, cs_share(("mailto:bob@example.com", "read")), ANNA)
    await post(server, "/dav/caldav/", invite_reply(server.calendar, True), BOB)
    assert server.calendar in await hrefs(server, "/dav/caldav/", BOB)
    principal = f"/dav/principals/users/{server.ids['bob']}/"
    code, _ = await post(server, server.calendar, dav_share(principal, "no-access"), ANNA)
    assert code == 200
    assert server.calendar not in await hrefs(server, "/dav/caldav/", BOB)


@pytest_twisted.ensureDeferred
async def test_an_address_book_shared_to_a_group_by_share_resource(server) -> None:
    group = f"/dav/principals/groups/{server.ids['team']}/"
    code, data = await post(server, server.book, dav_share(group, "read-write"), ANNA,
                            "application/davsharing+xml; charset=utf-8")
    assert code == 200, data
    assert await admin_permissions(server, folder_id(server.book)) == [
        "group:team=r:all/w:all/d:all"]
    (found,) = await propfind(server, server.book, "<D:invite/><D:share-access/>", ANNA)
    assert found.find(".//D:share-access/D:shared-owner", NS) is not None
    sharee = found.find(".//D:invite/D:sharee", NS)
    assert sharee.findtext("D:href", namespaces=NS).endswith(group)
    assert sharee.find("D:share-access/D:read-write", NS) is not None
    for member in (BOB, CARL):
        (note,) = await notifications(server, member)
        assert b'shared-type="addressbook"' in note
        (view,) = await propfind(server, server.book, "<D:share-access/>", member)
        assert view.find(".//D:share-access/D:read-write", NS) is not None
    response, data = await server.request("PUT", server.book + "c.vcf", auth=CARL,
                                          body=CARD % b"card-1",
                                          headers={"Content-Type": "text/vcard"})
    assert response.code == 201, data
    # one member's answer is theirs alone
    await post(server, "/dav/caldav/", invite_reply(server.book, True), BOB)
    assert await notifications(server, BOB) == []
    assert len(await notifications(server, CARL)) == 1


@pytest_twisted.ensureDeferred
async def test_a_calendar_shared_to_a_group_reaches_its_members(server) -> None:
    group = f"/dav/principals/groups/{server.ids['team']}/"
    code, _ = await post(server, server.calendar, cs_share((group, "read")), ANNA)
    assert code == 200
    ((href, state),) = (await invite(server, server.calendar)).items()
    assert href.endswith(group) and state == ("read", "invite-noresponse")
    for member in (BOB, CARL):
        assert server.calendar in await hrefs(server, "/dav/caldav/", member)
    response, _ = await server.request("PUT", server.calendar + "x.ics", auth=CARL,
                                       body=EVENT % b"carl-1",
                                       headers={"Content-Type": "text/calendar"})
    assert response.code == 403


@pytest_twisted.ensureDeferred
async def test_dav_acl_shows_the_folder_permissions(server) -> None:
    await post(server, server.calendar, cs_share(("mailto:bob@example.com", "read")), ANNA)
    for who in (ANNA, BOB):
        (found,) = await propfind(server, server.calendar, "<D:acl/>", who)
        aces = found.findall(".//D:acl/D:ace", NS)
        principals = [a.findtext("D:principal/D:href", namespaces=NS) for a in aces]
        assert [p.rsplit("/users/", 1)[1] for p in principals] == [
            f"{server.ids['anna']}/", f"{server.ids['bob']}/"]
        assert aces[0].find("D:grant/D:privilege/D:all", NS) is not None
        assert aces[0].find("D:protected", NS) is not None
        assert aces[1].find("D:grant/D:privilege/D:read", NS) is not None
        assert aces[1].find("D:grant/D:privilege/D:write-content", NS) is None
    # Carl may not read the folder, so not its ACL either: it is not there for him.
    response, _ = await server.request("PROPFIND", server.calendar, auth=CARL,
                                       headers={"Depth": "0"})
    assert response.code == 404


@pytest_twisted.ensureDeferred
async def test_the_dav_header_and_sharing_properties_say_sharing(server) -> None:
    response, _ = await server.request("OPTIONS", server.calendar, auth=ANNA)
    dav = response.headers.getRawHeaders("DAV")[0]
    assert "calendarserver-sharing" in dav and "resource-sharing" in dav
    assert "POST" in response.headers.getRawHeaders("Allow")[0]
    (found,) = await propfind(server, server.calendar, "<CS:allowed-sharing-modes/>", ANNA)
    assert found.find(".//CS:allowed-sharing-modes/CS:can-be-shared", NS) is not None
    (found,) = await propfind(server, f"/dav/principals/users/{server.ids['bob']}/",
                              "<CS:notification-URL/>", BOB)
    assert found.findtext(".//CS:notification-URL/D:href", namespaces=NS).endswith(
        "/dav/caldav/notifications/")


@pytest_twisted.ensureDeferred
async def test_nobody_outside_the_context_is_a_sharee(server) -> None:
    # A principal href names a user of the requester's own context (Eve's id names
    # someone else here, or no one): only her address could reach her, and is refused.
    for href in ("mailto:eve@other.test", "/dav/principals/users/999/",
                 "mailto:nobody@example.com", "/dav/principals/groups/0/",
                 "https://elsewhere.test/x"):
        code, data = await post(server, server.calendar, cs_share((href, "read")), ANNA)
        assert code == 403, (href, data)
        assert etree.fromstring(data).find("D:recognized-principal", NS) is not None
    assert await admin_permissions(server, folder_id(server.calendar)) == []
    # Eve reaches nothing of Anna's and cannot reply to it either.
    code, _ = await post(server, server.calendar, cs_share(("mailto:eve@other.test", "read")),
                         EVE)
    assert code in (403, 404)
    code, _ = await post(server, "/dav/caldav/", invite_reply(server.calendar, True), EVE)
    assert code == 403


@pytest_twisted.ensureDeferred
async def test_nobody_shares_what_they_do_not_administer(server) -> None:
    await post(server, server.calendar, cs_share(("mailto:bob@example.com", "read-write")),
               ANNA)
    code, data = await post(server, server.calendar, cs_share(("mailto:carl@example.com",
                                                               "read")), BOB)
    assert code == 403, data
    assert etree.fromstring(data).find("D:need-privileges", NS) is not None
    code, _ = await post(server, server.calendar, cs_share(("mailto:carl@example.com",
                                                            "read")), CARL)
    assert code == 404
    code, _ = await post(server, "/dav/carddav/6/", cs_share(("mailto:carl@example.com",
                                                               "read")), ANNA)
    assert code == 403
    code, _ = await post(server, "/dav/caldav/", invite_reply(server.calendar, True), CARL)
    assert code == 403
    assert await admin_permissions(server, folder_id(server.calendar)) == [
        "user:bob=r:all/w:all/d:all"]


@pytest_twisted.ensureDeferred
async def test_share_requests_are_bounded(server) -> None:
    many = cs_share(*[(f"mailto:u{n}@example.com", "read") for n in range(65)])
    code, data = await post(server, server.calendar, many, ANNA)
    assert code == 403 and b"max-sharees" in data, data
    code, _ = await post(server, server.calendar, b"<x>" + b" " * 70_000 + b"</x>", ANNA)
    assert code == 413
    code, _ = await post(server, server.calendar, b"<D:propfind xmlns:D='DAV:'/>", ANNA)
    assert code == 415
    code, _ = await post(server, server.calendar, b"not xml", ANNA)
    assert code == 400


def acl_body(*aces: tuple[str, tuple[str, ...]], extra: str = "") -> bytes:
    """An ACL body: (principal element, granted privileges) per ACE."""
    parts = "".join(
        f"<D:ace><D:principal>{who}</D:principal><D:grant>"
        + "".join(f"<D:privilege><D:{p}/></D:privilege>" for p in granted)
        + "</D:grant></D:ace>" for who, granted in aces)
    return f'<D:acl xmlns:D="DAV:">{parts}{extra}</D:acl>'.encode()


def href(path: str) -> str:
    return f"<D:href>{path}</D:href>"


@pytest_twisted.ensureDeferred
async def test_the_acl_method_changes_the_permissions_within_what_the_user_administers(
        server) -> None:
    bob = f"/dav/principals/users/{server.ids['bob']}/"
    team = f"/dav/principals/groups/{server.ids['team']}/"
    response, data = await server.request("ACL", server.calendar, auth=ANNA, body=acl_body(
        (href(bob), ("read", "write-content", "bind", "unbind")), (href(team), ("read",)),
        ("<D:authenticated/>", ("read",))))
    assert response.code == 200, data
    assert await admin_permissions(server, folder_id(server.calendar)) == [
        "user:bob=r:all/w:all/d:all", "group:team=r:all/w:none/d:none",
        "all-users=r:all/w:none/d:none"]
    # CS:share and the ACL agree: Bob is read-write in CS:invite too.
    assert (await invite(server, server.calendar))["mailto:bob@example.com"][0] == "read-write"
    # Bob holds no write-acl: 403 need-privileges.
    response, data = await server.request("ACL", server.calendar, auth=BOB,
                                          body=acl_body((href(bob), ("all",))))
    assert response.code == 403 and b"need-privileges" in data, data
    # The owner's protected ACE may come back unchanged, never altered.
    anna = f"/dav/principals/users/{server.ids['anna']}/"
    response, data = await server.request("ACL", server.calendar, auth=ANNA,
                                          body=acl_body((href(anna), ("all",))))
    assert response.code == 200, data
    assert await admin_permissions(server, folder_id(server.calendar)) == []
    response, data = await server.request("ACL", server.calendar, auth=ANNA,
                                          body=acl_body((href(anna), ("read",))))
    assert response.code == 403 and b"no-protected-ace-conflict" in data, data


@pytest_twisted.ensureDeferred
async def test_the_acl_method_refuses_what_it_cannot_store(server) -> None:
    bob = href(f"/dav/principals/users/{server.ids['bob']}/")
    for body, condition in (
            (acl_body(("<D:all/>", ("read",))), b"allowed-principal"),
            (acl_body((href("/dav/principals/users/999/"), ("read",))),
             b"recognized-principal"),
            (acl_body((href("mailto:eve@other.test"), ("read",))), b"recognized-principal"),
            (b'<D:acl xmlns:D="DAV:"><D:ace><D:principal>' + bob.encode() +
             b"</D:principal><D:grant><D:privilege><x:y xmlns:x='urn:x'/></D:privilege>"
             b"</D:grant></D:ace></D:acl>", b"not-supported-privilege"),
            (b'<D:acl xmlns:D="DAV:"><D:ace><D:principal>' + bob.encode() +
             b"</D:principal><D:deny><D:privilege><D:read/></D:privilege></D:deny>"
             b"</D:ace></D:acl>", b"grant-only"),
            (b'<D:acl xmlns:D="DAV:"><D:ace><D:invert><D:principal>' + bob.encode() +
             b"</D:principal></D:invert><D:grant><D:privilege><D:read/></D:privilege>"
             b"</D:grant></D:ace></D:acl>", b"no-invert")):
        response, data = await server.request("ACL", server.calendar, auth=ANNA, body=body)
        assert response.code == 403 and condition in data, (condition, data)
    assert await admin_permissions(server, folder_id(server.calendar)) == []
    response, _ = await server.request("ACL", server.calendar, auth=EVE,
                                       body=acl_body((bob, ("read",))))
    assert response.code == 404


@pytest_twisted.ensureDeferred
async def test_macos_contacts_all_contacts_takes_a_shared_book_until_it_is_declined(
        server) -> None:
    from oxdav.carddav.exposure import AGGREGATED_NAME
    from tests.integration.carddav_support import MACOS_CONTACTS

    code, _ = await post(server, server.book, cs_share(("mailto:bob@example.com", "read")),
                         ANNA)
    assert code == 200
    response, _ = await server.request("PUT", server.book + "anna.vcf", auth=ANNA,
                                       body=CARD % b"anna-card",
                                       headers={"Content-Type": "text/vcard"})
    assert response.code == 201
    aggregated = f"/dav/carddav/{AGGREGATED_NAME}/"

    async def cards() -> set[str]:
        response, data = await server.request(
            "PROPFIND", aggregated, auth=BOB, headers={"Depth": "1",
                                                       "User-Agent": MACOS_CONTACTS},
            body=b'<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>')
        assert response.code == 207, data
        return {h.rsplit("/", 1)[1] for h in etree.fromstring(data).xpath(
            "//D:response/D:href/text()", namespaces=NS) if h.endswith(".vcf")}

    assert any(name.startswith("anna") for name in await cards())
    code, _ = await post(server, "/dav/carddav/", invite_reply(server.book, False), BOB)
    assert code == 204
    assert not any(name.startswith("anna") for name in await cards())


@pytest_twisted.ensureDeferred
async def test_a_folder_is_shared_with_a_bounded_number_of_sharees(server) -> None:
    from oxdav.sharing.share import MAX_FOLDER_SHAREES

    async with server.service.store.transaction("many", write=True) as txn:
        for n in range(MAX_FOLDER_SHAREES + 1):
            await provisioning.create_user(txn, server.ids["context"], f"m{n}",
                                           password_hash=password_hash(PASSWORD),
                                           display_name=f"M {n}", email=f"m{n}@example.com")
    names = [f"mailto:m{n}@example.com" for n in range(MAX_FOLDER_SHAREES + 1)]
    for start in range(0, MAX_FOLDER_SHAREES, 64):
        code, data = await post(server, server.calendar, cs_share(
            *[(n, "read") for n in names[start:start + 64]]), ANNA)
        assert code == 200, data
    code, data = await post(server, server.calendar, cs_share((names[-1], "read")), ANNA)
    assert code == 403 and b"max-sharees" in data, data
    assert len(await admin_permissions(server, folder_id(server.calendar))) == \
        MAX_FOLDER_SHAREES
