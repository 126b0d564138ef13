"""Cards in the other vCard version over TLS (issue 7): a PUT stores the card with its
other version, and multiget, addressbook-query and GET return exactly what the
conversion returns (RFC 6352 §5.1.1, §10.4), from stored bytes; cards stored without
one (written before migration 0004) are still converted."""

from __future__ import annotations

import pytest_twisted

from oxdav.carddav import representations
from oxdav.carddav.convert import convert
from oxdav.directory.provisioning import gal_card_name
from oxdav.store import GAL_FOLDER_ID, ObjectIndex
from tests.integration.carddav_support import (
    NS,
    VCARD_DIR,
    books,
    default_book,
    put,
    report,
    start_carddav,
)

CARD3 = VCARD_DIR / "apple-contacts-3.0.vcf"
CARD4 = VCARD_DIR / "nextcloud-4.0.vcf"


def multiget(hrefs: list[str], version: str | None = None, *, query: bool = False) -> str:
    """An addressbook-multiget (or, with ``query``, a match-all addressbook-query)
    asking for the whole cards in ``version`` (None: the §10.4 default, 3.0)."""
    attribute = f' version="{version}"' if version else ""
    prop = f"<D:prop><D:getetag/><C:address-data{attribute}/></D:prop>"
    name = "addressbook-query" if query else "addressbook-multiget"
    rest = ("<C:filter/>" if query else
            "".join(f"<D:href>{href}</D:href>" for href in hrefs))
    return (f'<C:{name} xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
            f"{prop}{rest}</C:{name}>")


def address_data(doc) -> dict[str, bytes]:
    """address-data by href, as the bytes the server sent."""
    return {r.findtext("D:href", namespaces=NS):
            r.findtext(".//CR:address-data", namespaces=NS).encode("utf-8")
            for r in doc.xpath("//D:response[.//CR:address-data]", namespaces=NS)}


async def stored(server, folder_id: int, name: str):
    async with server.service.store.transaction("test") as txn:
        [context] = [c for c in await txn.contexts() if c.name == "demo"]
        collection = await txn.system_collection(context.id, folder_id)
        return await collection.get(name, derived=True)


def folder_of(href: str) -> int:
    return int(href.rstrip("/").rsplit("/", 1)[1])


def forbid_conversion(monkeypatch) -> None:
    """Make a conversion on the read path fail the test: reads use stored bytes."""
    def converted(*args: object) -> bytes:
        raise AssertionError("a card was converted on a read")

    monkeypatch.setattr(representations, "convert", converted)


@pytest_twisted.async_yield_fixture
async def book(tmp_path):
    """A server (one address book per folder) with a 3.0 and a 4.0 card."""
    server = await start_carddav(tmp_path, exposedCollections="1")
    href = await default_book(server)
    for path in (CARD3, CARD4):
        response, _ = await put(server, href + path.name, path.read_bytes())
        assert response.code == 201
    yield server, href
    await server.stop()


@pytest_twisted.ensureDeferred
async def test_put_stores_the_card_with_its_other_version(book) -> None:
    server, href = book
    for path, other in ((CARD3, "4.0"), (CARD4, "3.0")):
        found = await stored(server, folder_of(href), path.name)
        assert found.data == path.read_bytes()
        assert found.derived == convert(path.read_bytes(), other)


@pytest_twisted.ensureDeferred
async def test_multiget_returns_each_card_in_the_version_asked_for(book, monkeypatch) -> None:
    server, href = book
    forbid_conversion(monkeypatch)
    hrefs = [href + CARD3.name, href + "missing.vcf", href + CARD4.name]
    for version in (None, "3.0", "4.0"):
        response, doc = await report(server, href, multiget(hrefs, version))
        assert response.code == 207
        assert address_data(doc) == {
            href + path.name: convert(path.read_bytes(), version or "3.0")
            for path in (CARD3, CARD4)}
        order = doc.xpath("//D:response/D:href/text()", namespaces=NS)
        assert order == hrefs
        missing = doc.xpath("//D:response[D:status]/D:href/text()", namespaces=NS)
        assert missing == [href + "missing.vcf"]


@pytest_twisted.ensureDeferred
async def test_query_returns_the_cards_in_the_version_asked_for(book, monkeypatch) -> None:
    server, href = book
    forbid_conversion(monkeypatch)
    response, doc = await report(server, href, multiget([], "4.0", query=True))
    assert response.code == 207
    assert address_data(doc) == {href + path.name: convert(path.read_bytes(), "4.0")
                                 for path in (CARD3, CARD4)}


@pytest_twisted.ensureDeferred
async def test_get_in_the_other_version_returns_the_converted_card(book, monkeypatch) -> None:
    server, href = book
    forbid_conversion(monkeypatch)
    for path, other in ((CARD3, "4.0"), (CARD4, "3.0")):
        response, body = await server.request("GET", href + path.name, auth=server.demo,
                                              headers={"Accept": f"text/vcard; version={other}"})
        assert response.code == 200
        assert body == convert(path.read_bytes(), other)


@pytest_twisted.ensureDeferred
async def test_a_card_stored_without_its_other_version_is_converted(book) -> None:
    server, href = book
    data = CARD4.read_bytes().replace(b"UID:", b"UID:old-")
    async with server.service.store.transaction("old row", write=True) as txn:
        [context] = [c for c in await txn.contexts() if c.name == "demo"]
        collection = await txn.system_collection(context.id, folder_of(href))
        await collection.put("old.vcf", data, ObjectIndex("old-uid", "VCARD"))
    assert (await stored(server, folder_of(href), "old.vcf")).derived is None
    _, doc = await report(server, href, multiget([href + "old.vcf"], "3.0"))
    assert address_data(doc) == {href + "old.vcf": convert(data, "3.0")}
    response, body = await server.request("GET", href + "old.vcf", auth=server.demo,
                                          headers={"Accept": "text/vcard; version=3.0"})
    assert response.code == 200 and body == convert(data, "3.0")


@pytest_twisted.ensureDeferred
async def test_aggregated_multiget_reads_the_gal_card_in_4_0_from_its_stored_version(
        tmp_path, monkeypatch) -> None:
    server = await start_carddav(tmp_path, exposedCollections="2")
    try:
        [aggregated] = list(await books(server))
        response, _ = await put(server, aggregated + CARD3.name, CARD3.read_bytes())
        assert response.code == 201
        async with server.service.store.transaction("demo") as txn:
            [context] = [c for c in await txn.contexts() if c.name == "demo"]
            demo = await txn.user_by_login(context.id, "demo")
        gal = await stored(server, GAL_FOLDER_ID, gal_card_name(demo.id))
        assert gal.derived == convert(gal.data, "4.0")  # written with the demo account
        forbid_conversion(monkeypatch)
        hrefs = [aggregated + CARD3.name, aggregated + gal_card_name(demo.id)]
        response, doc = await report(server, aggregated, multiget(hrefs, "4.0"))
        assert response.code == 207
        assert address_data(doc) == {hrefs[0]: convert(CARD3.read_bytes(), "4.0"),
                                     hrefs[1]: gal.derived}
    finally:
        await server.stop()
