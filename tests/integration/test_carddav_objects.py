"""Address books and address objects over TLS: properties, PUT preconditions (RFC 6352
§6.3.2.1), GET version negotiation (§5.1.1), MKCOL/DELETE of address books."""

from __future__ import annotations

import pytest_twisted

from tests.integration.carddav_support import (
    DAVX5,
    IOS,
    MACOS_CONTACTS,
    MKCOL_WORK,
    NS,
    VCARD_DIR,
    add_user,
    books,
    card,
    default_book,
    propfind,
    put,
    start_carddav,
)

CR = "{urn:ietf:params:xml:ns:carddav}"


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_carddav(tmp_path, exposedCollections="1")
    yield server
    await server.stop()


@pytest_twisted.ensureDeferred
async def test_address_book_has_carddav_properties(server) -> None:
    found = await books(server, DAVX5)
    book = found[await default_book(server)]
    types = book.xpath(".//CR:supported-address-data/CR:address-data-type/@version",
                       namespaces=NS)
    assert types == ["3.0", "4.0"]
    assert int(book.findtext(".//CR:max-resource-size", namespaces=NS)) > 100_000
    reports = book.xpath(".//D:supported-report/D:report/*", namespaces=NS)
    names = {r.tag for r in reports}
    assert {CR + "addressbook-multiget", CR + "addressbook-query",
            "{DAV:}sync-collection"} <= names
    assert book.xpath(".//CS:getctag/text()", namespaces=NS)
    collations = book.xpath(".//CR:supported-collation-set/CR:supported-collation/text()",
                            namespaces=NS)
    assert set(collations) == {"i;ascii-casemap", "i;octet", "i;unicode-casemap"}


@pytest_twisted.ensureDeferred
async def test_apple_client_is_offered_only_vcard_3(server) -> None:
    found = await books(server, IOS)
    for book in found.values():
        assert book.xpath(".//CR:address-data-type/@version", namespaces=NS) == ["3.0"]


@pytest_twisted.ensureDeferred
async def test_put_then_get_returns_the_stored_bytes(server) -> None:
    href = await default_book(server) + "a.vcf"
    body = card("uid-a", "Anna Alpha")
    response, _ = await put(server, href, body, **{"If-None-Match": "*"})
    assert response.code == 201
    etag = response.headers.getRawHeaders("etag")[0]
    response, data = await server.request("GET", href, auth=server.demo,
                                          headers={"User-Agent": DAVX5})
    assert response.code == 200 and data == body
    assert response.headers.getRawHeaders("etag") == [etag]
    assert response.headers.getRawHeaders("content-type")[0].startswith("text/vcard")


@pytest_twisted.ensureDeferred
async def test_get_with_accept_version_4_converts_a_3_0_card(server) -> None:
    href = await default_book(server) + "p.vcf"
    await put(server, href, (VCARD_DIR / "apple-contacts-3.0.vcf").read_bytes())
    response, data = await server.request("GET", href, auth=server.demo, headers={
        "Accept": "text/vcard; version=4.0", "User-Agent": DAVX5})
    assert response.code == 200
    assert b"VERSION:4.0" in data
    assert "version=4.0" in response.headers.getRawHeaders("content-type")[0]


@pytest_twisted.ensureDeferred
async def test_get_of_a_4_0_card_by_macos_contacts_gives_3_0(server) -> None:
    href = await default_book(server) + "g.vcf"
    await put(server, href, (VCARD_DIR / "davx5-android-4.0.vcf").read_bytes())
    response, data = await server.request("GET", href, auth=server.demo, headers={
        "User-Agent": MACOS_CONTACTS, "Accept": "*/*"})
    assert response.code == 200 and b"VERSION:3.0" in data


@pytest_twisted.ensureDeferred
async def test_get_accepting_no_vcard_is_406(server) -> None:
    href = await default_book(server) + "n.vcf"
    await put(server, href, card("uid-n", "No Body"))
    response, data = await server.request("GET", href, auth=server.demo,
                                          headers={"Accept": "application/json"})
    assert response.code == 406
    assert b"supported-address-data-conversion" in data


@pytest_twisted.ensureDeferred
async def test_put_without_uid_is_403_valid_address_data(server) -> None:
    href = await default_book(server) + "bad.vcf"
    response, data = await put(server, href,
                               b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\nEND:VCARD\r\n")
    assert response.code == 403
    assert b"valid-address-data" in data


@pytest_twisted.ensureDeferred
async def test_put_of_garbage_is_403_valid_address_data(server) -> None:
    response, data = await put(server, await default_book(server) + "g.vcf", b"hello")
    assert response.code == 403 and b"valid-address-data" in data


@pytest_twisted.ensureDeferred
async def test_put_of_vcard_2_1_is_415_supported_address_data(server) -> None:
    body = b"BEGIN:VCARD\r\nVERSION:2.1\r\nUID:x\r\nFN:X\r\nEND:VCARD\r\n"
    response, data = await put(server, await default_book(server) + "old.vcf", body)
    assert response.code == 415
    assert b"supported-address-data" in data


@pytest_twisted.ensureDeferred
async def test_put_as_json_is_415_supported_address_data(server) -> None:
    response, data = await put(server, await default_book(server) + "j.vcf",
                               card("uid-j", "J"), content_type="application/json")
    assert response.code == 415 and b"supported-address-data" in data


@pytest_twisted.ensureDeferred
async def test_put_over_max_resource_size_is_403(server) -> None:
    photo = "PHOTO;ENCODING=b;TYPE=JPEG:" + "A" * (6 * 1024 * 1024) + "\r\n"
    response, data = await put(server, await default_book(server) + "big.vcf",
                               card("uid-big", "Big", extra=photo))
    assert response.code == 403
    assert b"max-resource-size" in data


@pytest_twisted.ensureDeferred
async def test_large_photo_card_is_stored_and_converted(server) -> None:
    photo = "PHOTO;ENCODING=b;TYPE=JPEG:" + "QUJD" * (100 * 1024) + "\r\n"
    href = await default_book(server) + "photo.vcf"
    response, _ = await put(server, href, card("uid-photo", "Photo", extra=photo))
    assert response.code == 201
    response, data = await server.request("GET", href, auth=server.demo, headers={
        "Accept": "text/vcard; version=4.0"})
    assert response.code == 200 and b"data:image/jpeg;base64," in data


@pytest_twisted.ensureDeferred
async def test_second_card_with_same_uid_is_403_no_uid_conflict_with_href(server) -> None:
    book = await default_book(server)
    await put(server, book + "one.vcf", card("same", "One"))
    response, data = await put(server, book + "two.vcf", card("same", "Two"))
    assert response.code == 403
    assert b"no-uid-conflict" in data and (book + "one.vcf").encode() in data


@pytest_twisted.ensureDeferred
async def test_delete_of_a_card_removes_it(server) -> None:
    href = await default_book(server) + "d.vcf"
    await put(server, href, card("uid-d", "D"))
    response, _ = await server.request("DELETE", href, auth=server.demo)
    assert response.code == 204
    response, _ = await server.request("GET", href, auth=server.demo)
    assert response.code == 404


@pytest_twisted.ensureDeferred
async def test_gal_card_of_another_user_cannot_be_changed(server) -> None:
    from tests.integration.carddav_support import add_user
    await add_user(server, "bob")
    response, doc = await propfind(server, "/dav/carddav/6/", b"", depth="1")
    hrefs = [h for h in doc.xpath("//D:response/D:href/text()", namespaces=NS)
             if h.endswith(".vcf")]
    assert len(hrefs) == 2
    own = [h for h in hrefs if (await server.request("GET", h, auth=server.demo))[1]
           .find(b"demo") >= 0]
    other = [h for h in hrefs if h not in own][0]
    _, data = await server.request("GET", other, auth=server.demo)
    response, _ = await put(server, other, data.replace(b"FN:", b"FN:X"))
    assert response.code == 403
    response, _ = await server.request("DELETE", other, auth=server.demo)
    assert response.code == 403


@pytest_twisted.ensureDeferred
async def test_proppatch_sets_addressbook_description(server) -> None:
    book = await default_book(server)
    body = b"""<D:propertyupdate xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
<D:set><D:prop><CR:addressbook-description>Friends</CR:addressbook-description></D:prop>
</D:set></D:propertyupdate>"""
    response, _ = await server.request("PROPPATCH", book, auth=server.demo, body=body)
    assert response.code == 207
    found = await books(server, DAVX5)
    assert found[book].findtext(".//CR:addressbook-description", namespaces=NS) == "Friends"





@pytest_twisted.ensureDeferred
async def test_extended_mkcol_creates_an_address_book(server) -> None:
    response, _ = await server.request("MKCOL", "/dav/carddav/new-book/", auth=server.demo,
                                       body=MKCOL_WORK)
    assert response.code == 201
    found = await books(server, DAVX5)
    names = {b.findtext(".//D:displayname", namespaces=NS): b for b in found.values()}
    assert names["Work"].findtext(".//CR:addressbook-description", namespaces=NS) == \
        "Colleagues"


@pytest_twisted.ensureDeferred
async def test_made_address_book_is_listed_and_answers_at_the_url_it_was_made_under(server) -> None:
    # RFC 5689 §3: the client names the new collection; DAVx5 goes on using that URL.
    book = "/dav/carddav/0b7e6c1e-4e0b-4b8e-9d63-2f8f0a1e5c11/"
    response, _ = await server.request("MKCOL", book, auth=server.demo, body=MKCOL_WORK)
    assert response.code == 201
    response, _ = await put(server, book + "a.vcf", card("a-1", "Ann Example"))
    assert response.code == 201
    response, doc = await propfind(server, book)
    assert response.code == 207
    assert book + "a.vcf" in doc.xpath("//D:href/text()", namespaces=NS)
    assert doc.findtext(".//D:displayname", namespaces=NS) == "Work"
    assert book in await books(server, DAVX5)  # listed where it was made
    assert b"resource-name" not in (await server.request(
        "PROPFIND", book, auth=server.demo, headers={"Depth": "0"},
        body=b'<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'))[1]


@pytest_twisted.ensureDeferred
async def test_address_book_made_under_a_number_takes_that_folder_id(server) -> None:
    # RFC 5689 §3: the collection is made at the Request-URI. A numeric segment is a
    # folder id, so the new address book is that folder; an id taken by someone else's
    # folder or reserved for the system is refused (RFC 6352 §6.3.2.1).
    response, _ = await server.request("MKCOL", "/dav/carddav/4711/", auth=server.demo,
                                       body=MKCOL_WORK)
    assert response.code == 201
    response, doc = await propfind(server, "/dav/carddav/4711/", depth="0")
    assert response.code == 207
    assert doc.findtext(".//D:displayname", namespaces=NS) == "Work"
    colleague = await add_user(server, "colleague")
    async with server.service.store.transaction("colleague") as txn:
        [theirs] = [f.id for f in await txn.folders((await txn.user_by_email(
            "colleague@example.com")).context_id, module="contacts")
            if f.owner_id == colleague]
    before = set(await books(server, DAVX5))
    for taken in (f"/dav/carddav/{theirs}/", "/dav/carddav/5/"):
        response, data = await server.request("MKCOL", taken, auth=server.demo,
                                              body=MKCOL_WORK)
        assert response.code == 403, data
        assert b"addressbook-collection-location-ok" in data
    assert set(await books(server, DAVX5)) == before


@pytest_twisted.ensureDeferred
async def test_hidden_resource_name_cannot_be_patched(server) -> None:
    body = (b'<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
            b'<X:resource-name xmlns:X="urn:oxdav">other</X:resource-name>'
            b'</D:prop></D:set></D:propertyupdate>')
    response, data = await server.request("PROPPATCH", await default_book(server),
                                          auth=server.demo, body=body)
    assert response.code == 403 and b"cannot-modify-protected-property" in data


@pytest_twisted.ensureDeferred
async def test_mkcol_of_a_calendar_resourcetype_is_403_valid_resourcetype(server) -> None:
    body = MKCOL_WORK.replace(b"<CR:addressbook/>", b"")
    response, data = await server.request("MKCOL", "/dav/carddav/x/", auth=server.demo,
                                          body=body)
    assert response.code == 403 and b"valid-resourcetype" in data


@pytest_twisted.ensureDeferred
async def test_made_address_book_can_be_deleted_but_default_and_gal_cannot(server) -> None:
    await server.request("MKCOL", "/dav/carddav/new-book/", auth=server.demo, body=MKCOL_WORK)
    found = await books(server, DAVX5)
    work = [h for h, b in found.items()
            if b.findtext(".//D:displayname", namespaces=NS) == "Work"][0]
    response, _ = await server.request("DELETE", work, auth=server.demo)
    assert response.code == 204
    for href in (await default_book(server), "/dav/carddav/6/"):
        response, _ = await server.request("DELETE", href, auth=server.demo)
        assert response.code == 403


@pytest_twisted.ensureDeferred
async def test_move_of_a_card_into_another_address_book_keeps_its_bytes(server) -> None:
    await server.request("MKCOL", "/dav/carddav/new-book/", auth=server.demo, body=MKCOL_WORK)
    found = await books(server, DAVX5)
    work = [h for h, b in found.items()
            if b.findtext(".//D:displayname", namespaces=NS) == "Work"][0]
    source = await default_book(server) + "m.vcf"
    body = card("uid-m", "Moved")
    await put(server, source, body)
    response, _ = await server.request("MOVE", source, auth=server.demo, headers={
        "Destination": server.https + work + "m.vcf"})
    assert response.code == 201
    response, data = await server.request("GET", work + "m.vcf", auth=server.demo)
    assert response.code == 200 and data == body
    response, _ = await server.request("GET", source, auth=server.demo)
    assert response.code == 404


@pytest_twisted.ensureDeferred
async def test_options_on_the_home_announces_addressbook(server) -> None:
    response, _ = await server.request("OPTIONS", "/dav/carddav/", auth=server.demo)
    assert "addressbook" in [t.strip() for t in response.headers.getRawHeaders("dav")[0]
                             .split(",")]
