"""Principals are found the way clients look for them (RFC 3744 §9.4, §9.5), through the
TLS listener: python-caldav's search and listing on whatever URL it holds, searches by
name and e-mail address on any DAV URL, an empty search, a bound with a 507 marker, and
never another tenant's users."""

from __future__ import annotations

from typing import Any

import caldav
import pytest_twisted
from lxml import etree
from twisted.internet.threads import deferToThread

from oxdav.directory import provisioning
from oxdav.principals.search import MAX_MATCHES
from tests.integration.harness import Server, password_hash, start_server
from tests.integration.test_auth_tls import PASSWORD

NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav"}
OLGA = ("olga@other.example", PASSWORD)
WANTED = '<D:prop><D:displayname/><C:calendar-user-address-set/></D:prop>'


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    async with server.service.store.transaction("people", write=True) as txn:
        demo = await txn.user_by_email("demo@example.com")
        ctx = demo.context_id
        await provisioning.create_user(
            txn, ctx, "anna", password_hash="x", display_name="Anna Smith",
            email="anna@example.com", aliases=["a.smith@example.org"])
        await provisioning.create_user(txn, ctx, "bob", password_hash="x",
                                       display_name="Bob Baker", email="bob@example.com")
        await txn.create_group(ctx, "annas", display_name="Anna's Team")
        other = await txn.create_context("other", ["other.example"])
        await provisioning.create_user(
            txn, other.id, "olga", password_hash=password_hash(PASSWORD),
            display_name="Olga Annadottir", email="olga@other.example")
        calendar = next(f for f in await (await txn.home(ctx, demo.id)).folders("calendar"))
    server.calendar = f"/dav/caldav/{calendar.id}/"
    server.cert = str(server.config / "data" / "tls" / "fullchain.pem")
    yield server
    await server.stop()


def library_search(server: Server, path: str, name: str | None,
                   auth: tuple[str, str] | None = None) -> list[tuple[str, str]]:
    """Blocking: python-caldav's principal search (or listing, without a name) sent to
    ``path``; (display name, principal path) of each principal found."""
    login, password = auth or server.demo
    with caldav.DAVClient(url=server.https + path, username=login, password=password,
                          ssl_verify_cert=server.cert) as client:
        found = client.search_principals(name=name)
        return sorted((str(p.get_display_name()), str(p.url.path)) for p in found)


async def found_by_library(server: Server, path: str, name: str | None = None,
                           auth: tuple[str, str] | None = None) -> list[str]:
    found = await deferToThread(library_search, server, path, name, auth)
    return [display for display, _ in found]


def search_body(*searches: tuple[str, str], test: str = "", extra: str = "") -> str:
    parts = "".join(
        f"<D:property-search><D:prop>{prop}</D:prop><D:match{extra}>{text}</D:match>"
        "</D:property-search>" for prop, text in searches)
    anyof = f' test="{test}"' if test else ""
    return (f'<D:principal-property-search xmlns:D="DAV:" xmlns:C="{NS["C"]}" '
            f'xmlns:CS="http://calendarserver.org/ns/"{anyof}>{parts}{WANTED}'
            "</D:principal-property-search>")


async def report(server: Server, path: str, body: str,
                 auth: tuple[str, str] | None = None) -> tuple[int, Any]:
    response, data = await server.request("REPORT", path, auth=auth or server.demo,
                                          headers={"Depth": "0"}, body=body)
    return response.code, etree.fromstring(data) if data.startswith(b"<?xml") else data


def names(document: Any) -> list[str]:
    return sorted(document.xpath("//D:response/D:propstat/D:prop/D:displayname/text()",
                                 namespaces=NS))


async def search(server: Server, path: str, *searches: tuple[str, str], test: str = "",
                 extra: str = "", auth: tuple[str, str] | None = None) -> list[str]:
    code, document = await report(server, path, search_body(*searches, test=test,
                                                            extra=extra), auth)
    assert code == 207, document
    return names(document)


@pytest_twisted.ensureDeferred
async def test_python_caldav_finds_principals_by_name_on_the_dav_root(server) -> None:
    assert await found_by_library(server, "/dav/", "smith") == ["Anna Smith"]
    assert await found_by_library(server, "/dav/", "ANNA S") == ["Anna Smith"]
    assert await found_by_library(server, "/dav/", "demo") == ["Demo User"]


@pytest_twisted.ensureDeferred
async def test_python_caldav_search_works_on_every_url_it_may_hold(server) -> None:
    for path in ("/", "/dav/principals/", "/dav/principals/users/", "/dav/caldav/",
                 server.calendar, "/dav/carddav/"):
        assert await found_by_library(server, path, "baker") == ["Bob Baker"], path


@pytest_twisted.ensureDeferred
async def test_python_caldav_search_gives_principal_urls_and_homes(server) -> None:
    found = await deferToThread(library_search, server, "/dav/", "user")
    assert found == [("Demo User", "/dav/principals/users/1/")]


@pytest_twisted.ensureDeferred
async def test_python_caldav_lists_the_users_of_its_context(server) -> None:
    assert await found_by_library(server, "/dav/") == ["Anna Smith", "Bob Baker",
                                                       "Demo User"]
    assert await found_by_library(server, "/dav/", auth=OLGA) == ["Olga Annadottir"]


@pytest_twisted.ensureDeferred
async def test_search_by_email_address_with_or_without_mailto(server) -> None:
    cuas = "<C:calendar-user-address-set/>"
    for text in ("mailto:anna@example.com", "ANNA@example.com", "a.smith@example.org",
                 "MAILTO:a.smith"):
        assert await search(server, "/dav/", (cuas, text)) == ["Anna Smith"], text
    assert await search(server, "/dav/", ("<CS:email-address-set/>", "bob@")) == [
        "Bob Baker"]
    assert await search(server, "/dav/", ("<D:alternate-URI-set/>", "mailto:bob@")) == [
        "Bob Baker"]


@pytest_twisted.ensureDeferred
async def test_anyof_and_allof_over_names_and_published_addresses(server) -> None:
    by_name = ("<D:displayname/>", "smith")
    by_mail = ("<D:alternate-URI-set/>", "mailto:bob@example.com")
    assert await search(server, "/dav/", by_name, by_mail) == []
    assert await search(server, "/dav/", by_name, by_mail, test="anyof") == [
        "Anna Smith", "Bob Baker"]
    assert await search(server, "/dav/", by_name, ("<C:calendar-user-address-set/>",
                                                   "anna@")) == ["Anna Smith"]


@pytest_twisted.ensureDeferred
async def test_apple_style_search_with_unsearchable_properties_and_prefix_match(
        server) -> None:
    found = await search(server, "/dav/principals/", ("<D:displayname/>", "ann"),
                         ("<CS:first-name/>", "ann"), ("<CS:email-address-set/>", "ann"),
                         test="anyof", extra=' match-type="starts-with"')
    assert found == ["Anna Smith"]
    assert await search(server, "/dav/", ("<CS:first-name/>", "ann")) == []


@pytest_twisted.ensureDeferred
async def test_search_on_an_object_url_and_search_property_set_everywhere(server) -> None:
    event = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
             "UID:p1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\n"
             "SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    response, _ = await server.request("PUT", server.calendar + "p1.ics", auth=server.demo,
                                       headers={"Content-Type": "text/calendar"}, body=event)
    assert response.code == 201
    path = server.calendar + "p1.ics"
    assert await search(server, path, ("<D:displayname/>", "bob")) == ["Bob Baker"]
    for where in ("/", "/dav/", server.calendar, path):
        code, document = await report(server, where,
                                      '<D:principal-search-property-set xmlns:D="DAV:"/>')
        assert code == 200, where
        assert document.xpath("count(//D:principal-search-property)", namespaces=NS) == 4


@pytest_twisted.ensureDeferred
async def test_groups_are_searched_in_the_groups_collection(server) -> None:
    assert await search(server, "/dav/principals/groups/", ("<D:displayname/>", "anna")) == [
        "Anna's Team"]
    assert await search(server, "/dav/", ("<D:displayname/>", "anna")) == ["Anna Smith"]


@pytest_twisted.ensureDeferred
async def test_empty_search_lists_the_users_of_the_context(server) -> None:
    code, document = await report(server, "/dav/", (
        f'<D:principal-property-search xmlns:D="DAV:" xmlns:C="{NS["C"]}">{WANTED}'
        "</D:principal-property-search>"))
    assert code == 207
    assert names(document) == ["Anna Smith", "Bob Baker", "Demo User"]


@pytest_twisted.ensureDeferred
async def test_never_across_contexts(server) -> None:
    assert await search(server, "/dav/", ("<D:displayname/>", "olga")) == []
    assert await search(server, "/dav/", ("<C:calendar-user-address-set/>",
                                          "olga@other.example")) == []
    assert await search(server, "/dav/", ("<D:displayname/>", "ann"), auth=OLGA) == [
        "Olga Annadottir"]
    assert await search(server, "/dav/", ("<C:calendar-user-address-set/>", "example.com"),
                        auth=OLGA) == []
    assert await found_by_library(server, "/dav/", "anna", auth=OLGA) == [
        "Olga Annadottir"]


@pytest_twisted.ensureDeferred
async def test_more_matches_than_the_bound_end_with_a_507_marker(server) -> None:
    async with server.service.store.transaction("many", write=True) as txn:
        demo = await txn.user_by_email("demo@example.com")
        for n in range(MAX_MATCHES + 5):
            await txn.create_user(demo.context_id, f"crowd{n}", display_name=f"Crowd {n}")
    code, document = await report(server, "/dav/", search_body(("<D:displayname/>",
                                                                "crowd")))
    assert code == 207
    found = document.xpath("D:response[D:propstat]/D:href/text()", namespaces=NS)
    assert len(found) == MAX_MATCHES
    marker = document.xpath("D:response[D:status]", namespaces=NS)
    assert [m.findtext("D:href", namespaces=NS) for m in marker] == ["/dav/"]
    assert marker[0].findtext("D:status", namespaces=NS) == "HTTP/1.1 507 Insufficient Storage"
    assert marker[0].find("D:error/D:number-of-matches-within-limits", NS) is not None
    assert len(await search(server, "/dav/", ("<D:displayname/>", "crowd 104"))) == 1

    response, data = await server.request(
        "PROPFIND", "/dav/principals/users/", auth=server.demo, headers={"Depth": "1"},
        body=b'<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>')
    listing = etree.fromstring(data)
    assert response.code == 207
    assert len(listing.xpath("D:response[D:propstat]", namespaces=NS)) == 1 + MAX_MATCHES
    marker = listing.xpath("D:response[D:status]", namespaces=NS)
    assert [m.findtext("D:href", namespaces=NS) for m in marker] == ["/dav/principals/users/"]
    assert marker[0].find("D:error/D:number-of-matches-within-limits", NS) is not None


@pytest_twisted.ensureDeferred
async def test_a_bad_search_gets_400(server) -> None:
    code, _ = await report(server, "/dav/", (
        '<D:principal-property-search xmlns:D="DAV:"><D:property-search><D:prop>'
        "<D:displayname/></D:prop></D:property-search></D:principal-property-search>"))
    assert code == 400
    many = search_body(*[("<D:displayname/>", "a")] * 33)
    assert (await report(server, "/dav/", many))[0] == 400
