"""Recorded client flows (tests/data/clients/*.yaml) replayed over TLS with the
clients' own User-Agents and bodies: DAVx5 on per-folder books, macOS Contacts on the
aggregated collection (exposedCollections=0)."""

from __future__ import annotations

import pytest_twisted

from tests.integration.carddav_support import (
    DAVX5,
    MACOS_CONTACTS,
    NS,
    VCARD_DIR,
    books,
    propfind,
    put,
    report,
    start_carddav,
)

DAVX5_CAPABILITIES = (
    b"<?xml version='1.0' encoding='UTF-8' ?><propfind xmlns=\"DAV:\" "
    b"xmlns:CAL=\"urn:ietf:params:xml:ns:caldav\" xmlns:CARD=\"urn:ietf:params:xml:ns:carddav\">"
    b"<prop><supported-report-set /><sync-token /><n0:getctag "
    b"xmlns:n0=\"http://calendarserver.org/ns/\" /><CAL:max-resource-size />"
    b"<CARD:max-resource-size /><CARD:supported-address-data /></prop></propfind>")
DAVX5_SYNC_INITIAL = (
    b"<?xml version='1.0' encoding='UTF-8' ?><sync-collection xmlns=\"DAV:\"><sync-token />"
    b"<sync-level>1</sync-level><prop><getetag /><resourcetype /></prop></sync-collection>")
DAVX5_MULTIGET = (
    "<?xml version='1.0' encoding='UTF-8' ?><CARD:addressbook-multiget xmlns=\"DAV:\" "
    "xmlns:CARD=\"urn:ietf:params:xml:ns:carddav\"><prop><getcontenttype /><getetag />"
    "<CARD:address-data content-type=\"text/vcard\" version=\"4.0\" /></prop>"
    "<href>{href}</href></CARD:addressbook-multiget>")
MACOS_SYNC_BARE_UUID = b"""<?xml version="1.0" encoding="UTF-8"?>
<A:sync-collection xmlns:A="DAV:">
  <A:sync-token>b905a5fd-ce23-4190-9be3-236969d071a8</A:sync-token>
  <A:sync-level>1</A:sync-level>
  <A:prop>
    <A:getetag/>
  </A:prop>
</A:sync-collection>"""


@pytest_twisted.ensureDeferred
async def test_davx5_flow_uploads_and_reads_vcard_4(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        found = await books(server, DAVX5)
        book = sorted(h for h in found if h != "/dav/carddav/6/")[0]
        response, doc = await propfind(server, book, DAVX5_CAPABILITIES, depth="0",
                                       **{"User-Agent": DAVX5})
        assert "4.0" in doc.xpath("//CR:address-data-type/@version", namespaces=NS)
        assert doc.xpath("//D:supported-report/D:report/D:sync-collection", namespaces=NS)
        response, doc = await report(server, book, DAVX5_SYNC_INITIAL, depth="0")
        assert response.code == 207 and doc.findtext("D:sync-token", namespaces=NS)

        body = (VCARD_DIR / "davx5-android-4.0.vcf").read_bytes()
        response, _ = await put(server, book + "c1.vcf", body,
                                content_type="text/vcard;version=4.0", **{"If-None-Match": "*"})
        assert response.code == 201
        etag = response.headers.getRawHeaders("etag")[0]
        response, doc = await report(server, book, DAVX5_MULTIGET.format(href=book + "c1.vcf"),
                                     depth="0")
        assert doc.findtext(".//D:getetag", namespaces=NS) == etag
        returned = doc.findtext(".//CR:address-data", namespaces=NS).encode()
        assert returned.replace(b"\r", b"") == body.replace(b"\r", b"")  # unconverted

        response, _ = await put(server, book + "c1.vcf", body.replace(b"FN:", b"FN:New "),
                                content_type="text/vcard;charset=utf-8",
                                **{"If-Match": '"stale"'})
        assert response.code == 412
        response, _ = await server.request("DELETE", book + "c1.vcf", auth=server.demo,
                                           headers={"If-Match": etag, "User-Agent": DAVX5})
        assert response.code == 204
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_macos_contacts_flow_on_the_aggregated_collection(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        found = await books(server, MACOS_CONTACTS)
        (book,) = found
        assert book == "/dav/carddav/Contacts/"
        response, doc = await report(server, book, MACOS_SYNC_BARE_UUID,
                                     user_agent=MACOS_CONTACTS)
        assert response.code == 403 and doc.xpath("D:valid-sync-token", namespaces=NS)
        response, doc = await report(server, book, MACOS_SYNC_BARE_UUID.replace(
            b"b905a5fd-ce23-4190-9be3-236969d071a8", b""), user_agent=MACOS_CONTACTS)
        assert response.code == 207
        members = doc.xpath("//D:response/D:href/text()", namespaces=NS)
        assert len(members) == 1  # the user's own card in the global address list

        for name in ("apple-contacts-3.0.vcf", "apple-group-3.0.vcf"):
            response, _ = await put(server, book + name, (VCARD_DIR / name).read_bytes(),
                                    user_agent=MACOS_CONTACTS, content_type="text/vcard",
                                    **{"If-None-Match": "*"})
            assert response.code == 201
        multiget = ('<C:addressbook-multiget xmlns:D="DAV:" '
                    'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>'
                    f"<C:address-data/></D:prop><D:href>{members[0]}</D:href>"
                    f"<D:href>{book}apple-group-3.0.vcf</D:href></C:addressbook-multiget>")
        response, doc = await report(server, book, multiget, user_agent=MACOS_CONTACTS)
        cards = doc.xpath("//CR:address-data/text()", namespaces=NS)
        assert len(cards) == 2 and all("VERSION:3.0" in c for c in cards)
        assert any("X-ADDRESSBOOKSERVER-KIND:group" in c for c in cards)
    finally:
        await server.stop()
