"""A stored object can never break a collection, over TLS.

PUT refuses text XML 1.0 cannot carry (RFC 5545 §3.1, RFC 6350 §3.3: no control
characters but HTAB in values); an object holding such text anyway (stored before the
rule, here put through the store directly) is answered with a per-member error in every
multistatus while the rest of the collection is served.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import pytest_twisted
from lxml import etree

from oxdav.caldav.ical import parse_calendar_object
from oxdav.caldav.tasks import object_index
from oxdav.store import GAL_FOLDER_ID, ObjectIndex
from tests.admin.conftest import Admin
from tests.integration.caldav_requests import (
    NEXT_YEAR,
    NS,
    folders,
    ics,
    put,
    start_with_caldav,
    vevent,
)
from tests.integration.caldav_requests import xml_request as caldav_xml
from tests.integration.carddav_support import card, default_book, report, start_carddav
from tests.integration.carddav_support import put as put_card

#: Characters XML 1.0 cannot carry (§2.2), each of which once cut a report off.
BAD = ["\x00", "\x01", "\x0b", "\x1b", "\ufffe", "\uffff"]
CARDDAV = {"D": "DAV:", "CR": "urn:ietf:params:xml:ns:carddav"}

CALENDAR_QUERY = """<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR">
<C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>"""
CALENDAR_MULTIGET = """<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>"""
SYNC = """<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level>
<D:prop><D:getetag/><D:displayname/></D:prop></D:sync-collection>"""
PROPFIND = """<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:displayname/>
<D:resourcetype/></D:prop></D:propfind>"""
ADDRESSBOOK_QUERY = """<CR:addressbook-query xmlns:D="DAV:"
 xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data/></D:prop>
<CR:filter><CR:prop-filter name="FN"/></CR:filter></CR:addressbook-query>"""
ADDRESSBOOK_MULTIGET = """<CR:addressbook-multiget xmlns:D="DAV:"
 xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data/></D:prop>
{hrefs}</CR:addressbook-multiget>"""


def event(uid: str, summary: str) -> bytes:
    return ics(vevent(uid, f"SUMMARY:{summary}"))


def members(doc: Any) -> dict[str, dict[str, str]]:
    """Per member href: property local name → the status of its propstat (or the
    response's own status under the key ``""``)."""
    found: dict[str, dict[str, str]] = {}
    for response in doc.xpath("/D:multistatus/D:response", namespaces=NS):
        statuses = found.setdefault(response.findtext("D:href", namespaces=NS), {})
        if response.find("D:status", NS) is not None:
            statuses[""] = response.findtext("D:status", namespaces=NS)
        for propstat in response.iterfind("D:propstat", NS):
            for prop in propstat.find("D:prop", NS):
                statuses[etree.QName(prop).localname] = propstat.findtext("D:status",
                                                                          namespaces=NS)
    return found


async def demo_folder(server: Any, href: str) -> tuple[int, int]:
    """(context id, folder id) of one of the demo user's collections."""
    async with server.service.store.transaction("test lookup") as txn:
        user = await txn.user_by_email("demo@example.com")
    return user.context_id, int(href.rstrip("/").rsplit("/", 1)[1])


async def store_directly(server: Any, context_id: int, folder_id: int, name: str,
                         data: bytes, index: ObjectIndex, created_by: int | None = None
                         ) -> None:
    """Write ``data`` past every PUT check, as an object stored before the checks."""
    async with server.service.store.transaction("poison", write=True) as txn:
        collection = await txn.system_collection(context_id, folder_id)
        await collection.put(name, data, index, created_by=created_by)


@pytest.mark.parametrize("char", BAD, ids=[f"U+{ord(c):04X}" for c in BAD])
@pytest_twisted.ensureDeferred
async def test_put_of_an_event_with_a_character_xml_cannot_carry_is_403(tmp_path, char
                                                                         ) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        calendar = (await folders(server))["VEVENT"]
        response, doc = await put(server, calendar + "bad.ics", event("bad", f"a{char}b"))
        assert response.code == 403
        assert doc.find("{urn:ietf:params:xml:ns:caldav}valid-calendar-data") is not None
        response, _ = await server.request("GET", calendar + "bad.ics", auth=server.demo)
        assert response.code == 404
    finally:
        await server.stop()


@pytest.mark.parametrize("char", BAD, ids=[f"U+{ord(c):04X}" for c in BAD])
@pytest_twisted.ensureDeferred
async def test_put_of_a_card_with_a_character_xml_cannot_carry_is_403(tmp_path, char) -> None:
    server = await start_carddav(tmp_path, exposedCollections="1")
    try:
        book = await default_book(server)
        response, body = await put_card(server, book + "bad.vcf", card("bad", f"a{char}b"))
        assert response.code == 403
        doc = etree.fromstring(body)
        assert doc.find("{urn:ietf:params:xml:ns:carddav}valid-address-data") is not None
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_put_of_an_event_with_a_lone_surrogate_in_utf8_is_403(tmp_path) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        calendar = (await folders(server))["VEVENT"]
        body = event("bad", "a_b").replace(b"a_b", b"a\xed\xa0\x80b")  # U+D800 as UTF-8
        response, doc = await put(server, calendar + "bad.ics", body)
        assert response.code == 403
        assert doc.find("{urn:ietf:params:xml:ns:caldav}valid-calendar-data") is not None
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_stored_event_xml_cannot_carry_leaves_every_caldav_answer_whole(tmp_path
                                                                               ) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        calendar = (await folders(server))["VEVENT"]
        assert (await put(server, calendar + "good.ics", event("good", "Fine")))[0].code == 201
        clean = event("poisoned", "a_b")
        index = object_index(parse_calendar_object(
            clean, allowed_components=frozenset({"VEVENT"}), max_size=10**6), None)
        context_id, folder_id = await demo_folder(server, calendar)
        for n, char in enumerate(BAD):
            data = clean.replace(b"poisoned", f"poisoned{n}".encode()).replace(
                b"a_b", f"a{char}b".encode())
            await store_directly(server, context_id, folder_id, f"poisoned{n}.ics", data,
                                 replace(index, uid=f"poisoned{n}"))
        poisoned = [f"{calendar}poisoned{n}.ics" for n in range(len(BAD))]

        def check(doc: Any, data: str) -> None:
            found = members(doc)
            assert found[calendar + "good.ics"] == {"getetag": "HTTP/1.1 200 OK",
                                                    data: "HTTP/1.1 200 OK"}
            for href in poisoned:
                assert found[href] == {"getetag": "HTTP/1.1 200 OK",
                                       data: "HTTP/1.1 500 Internal Server Error"}

        response, doc = await caldav_xml(server, "REPORT", calendar, CALENDAR_QUERY, depth="1")
        assert response.code == 207
        check(doc, "calendar-data")
        hrefs = "".join(f"<D:href>{h}</D:href>" for h in [calendar + "good.ics", *poisoned])
        response, doc = await caldav_xml(server, "REPORT", calendar,
                                         CALENDAR_MULTIGET.format(hrefs=hrefs), depth="1")
        assert response.code == 207
        check(doc, "calendar-data")
        response, doc = await caldav_xml(server, "REPORT", calendar, SYNC)
        assert response.code == 207
        assert doc.findtext("D:sync-token", namespaces=NS)
        assert {h: s["getetag"] for h, s in members(doc).items()} == dict.fromkeys(
            [calendar + "good.ics", *poisoned], "HTTP/1.1 200 OK")
        response, doc = await caldav_xml(server, "PROPFIND", calendar, PROPFIND, depth="1")
        assert response.code == 207
        assert set(members(doc)) == {calendar, calendar + "good.ics", *poisoned}
        # GET involves no XML: the bytes as stored.
        response, body = await server.request("GET", poisoned[0], auth=server.demo)
        assert response.code == 200 and b"a\x00b" in body
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_stored_event_that_no_longer_parses_leaves_the_reports_whole(tmp_path
                                                                            ) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        calendar = (await folders(server))["VEVENT"]
        assert (await put(server, calendar + "good.ics", event("good", "Fine")))[0].code == 201
        context_id, folder_id = await demo_folder(server, calendar)
        index = object_index(parse_calendar_object(
            event("broken", "x"), allowed_components=frozenset({"VEVENT"}), max_size=10**6),
            None)
        await store_directly(server, context_id, folder_id, "broken.ics",
                             b"BEGIN:VCALENDAR\r\nnot iCalendar\r\n", replace(index, uid="b"))
        partial = CALENDAR_QUERY.replace("<C:calendar-data/>", """<C:calendar-data>
<C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="SUMMARY"/></C:comp></C:comp>
</C:calendar-data>""")
        response, doc = await caldav_xml(server, "REPORT", calendar, partial, depth="1")
        assert response.code == 207
        assert members(doc) == {
            calendar + "good.ics": {"getetag": "HTTP/1.1 200 OK",
                                    "calendar-data": "HTTP/1.1 200 OK"},
            calendar + "broken.ics": {"getetag": "HTTP/1.1 200 OK",
                                      "calendar-data": "HTTP/1.1 500 Internal Server Error"}}
        # A filter cannot look inside it: it matches nothing, the rest is answered.
        text_match = CALENDAR_QUERY.replace('<C:comp-filter name="VEVENT"/>', """
<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match>i</C:text-match>
</C:prop-filter></C:comp-filter>""")
        response, doc = await caldav_xml(server, "REPORT", calendar, text_match, depth="1")
        assert response.code == 207 and set(members(doc)) == {calendar + "good.ics"}
        response, body = await server.request(
            "REPORT", calendar, auth=server.demo, headers={"Depth": "1"},
            body=f"""<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
<C:time-range start="{NEXT_YEAR}0101T000000Z" end="{NEXT_YEAR + 1}0101T000000Z"/>
</C:free-busy-query>""")
        assert response.code == 200 and b"FREEBUSY" in body
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_folder_name_xml_cannot_carry_leaves_the_listing_whole(tmp_path) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        calendar = (await folders(server))["VEVENT"]
        context_id, folder_id = await demo_folder(server, calendar)
        async with server.service.store.transaction("rename", write=True) as txn:
            collection = await txn.system_collection(context_id, folder_id)
            await collection.update_folder(name="Work\x01\uffff")
        response, doc = await caldav_xml(server, "PROPFIND", "/dav/caldav/", PROPFIND,
                                         depth="1")
        assert response.code == 207
        found = members(doc)
        assert found[calendar]["displayname"] == "HTTP/1.1 500 Internal Server Error"
        assert found[calendar]["resourcetype"] == "HTTP/1.1 200 OK"
        assert len(found) > 2  # the home, the calendar and the other collections
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_user_name_xml_cannot_carry_leaves_the_principal_whole(tmp_path) -> None:
    server = await start_with_caldav(tmp_path)
    try:
        async with server.service.store.transaction("rename", write=True) as txn:
            user = await txn.user_by_email("demo@example.com")
            await txn.update_user(user.context_id, user.id, display_name="Demo\x1b",
                                  aliases=["demo\x00@example.com"])
        body = """<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:displayname/><C:calendar-user-address-set/><C:calendar-home-set/></D:prop>
</D:propfind>"""
        principal = f"/dav/principals/users/{user.id}/"
        response, doc = await caldav_xml(server, "PROPFIND", principal, body, depth="0")
        assert response.code == 207
        assert members(doc)[principal] == {
            "displayname": "HTTP/1.1 500 Internal Server Error",
            "calendar-user-address-set": "HTTP/1.1 500 Internal Server Error",
            "calendar-home-set": "HTTP/1.1 200 OK"}
        response, doc = await caldav_xml(server, "PROPFIND", "/dav/principals/users/", body,
                                          depth="1")
        assert response.code == 207 and principal in members(doc)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_stored_card_xml_cannot_carry_leaves_every_carddav_answer_whole(tmp_path
                                                                               ) -> None:
    server = await start_carddav(tmp_path, exposedCollections="1")
    try:
        book = await default_book(server)
        assert (await put_card(server, book + "good.vcf", card("good", "Fine")))[0].code == 201
        context_id, folder_id = await demo_folder(server, book)
        poisoned = []
        for n, char in enumerate(BAD):
            await store_directly(server, context_id, folder_id, f"poisoned{n}.vcf",
                                 card(f"poisoned{n}", f"Fine{char}Not"),
                                 ObjectIndex(f"poisoned{n}", "VCARD"))
            poisoned.append(f"{book}poisoned{n}.vcf")

        def check(doc: Any, data: str = "address-data") -> None:
            found = members(doc)
            assert found[book + "good.vcf"] == {"getetag": "HTTP/1.1 200 OK",
                                                data: "HTTP/1.1 200 OK"}
            for href in poisoned:
                assert found[href] == {"getetag": "HTTP/1.1 200 OK",
                                       data: "HTTP/1.1 500 Internal Server Error"}

        response, doc = await report(server, book, ADDRESSBOOK_QUERY)
        assert response.code == 207
        check(doc)
        hrefs = "".join(f"<D:href>{h}</D:href>" for h in [book + "good.vcf", *poisoned])
        response, doc = await report(server, book, ADDRESSBOOK_MULTIGET.format(hrefs=hrefs))
        assert response.code == 207
        check(doc)
        response, doc = await report(server, book, SYNC)
        assert response.code == 207
        assert doc.findtext("D:sync-token", namespaces=NS)
        assert {h: s["getetag"] for h, s in members(doc).items()} == dict.fromkeys(
            [book + "good.vcf", *poisoned], "HTTP/1.1 200 OK")
        response, doc = await caldav_xml(server, "PROPFIND", book, PROPFIND, depth="1")
        assert response.code == 207
        assert set(members(doc)) == {book, book + "good.vcf", *poisoned}
        # A vCard 4.0 answer converts the card: the conversion meets the text too.
        response, doc = await report(server, book, ADDRESSBOOK_MULTIGET.format(
            hrefs=hrefs).replace("<CR:address-data/>",
                                 '<CR:address-data content-type="text/vcard" version="4.0"/>'))
        assert response.code == 207
        check(doc)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_oxdav_admin_finds_and_deletes_a_poisoned_card_in_the_gal(tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="1")
    try:
        gal = "/dav/carddav/6/"
        async with server.service.store.transaction("demo") as txn:
            demo = await txn.user_by_email("demo@example.com")
        await store_directly(server, demo.context_id, GAL_FOLDER_ID, "poisoned.vcf",
                             card("poisoned", "Bad\x00Card"), ObjectIndex("poisoned", "VCARD"))
        response, doc = await report(server, gal, SYNC)
        token = doc.findtext("D:sync-token", namespaces=NS)
        response, doc = await report(server, gal, ADDRESSBOOK_QUERY)
        assert response.code == 207
        assert members(doc)[gal + "poisoned.vcf"]["address-data"] == (
            "HTTP/1.1 500 Internal Server Error")

        admin = Admin(server.config)
        listed = admin.ok("object", "list", "demo", "--folder", "6", "--check", "--json")
        problems = {row["name"]: row["problem"] for row in listed.json()}
        assert problems["poisoned.vcf"].startswith("U+0000 at character")
        assert list(problems.values()).count(None) == len(problems) - 1
        admin.ok("object", "delete", "demo", "--folder", "6", "poisoned.vcf")

        response, doc = await report(server, gal, ADDRESSBOOK_QUERY)
        assert response.code == 207 and gal + "poisoned.vcf" not in members(doc)
        response, doc = await report(server, gal, SYNC.replace(
            "<D:sync-token/>", f"<D:sync-token>{token}</D:sync-token>"))
        assert members(doc)[gal + "poisoned.vcf"] == {"": "HTTP/1.1 404 Not Found"}
    finally:
        await server.stop()
