"""addressbook-query (RFC 6352 §8.6) and addressbook-multiget (§8.7) over TLS, with the
RFC's examples as fixtures (tests/data/vcard/rfc6352/)."""

from __future__ import annotations

import pytest_twisted

from tests.integration.carddav_support import (
    NS,
    VCARD_DIR,
    books,
    card,
    default_book,
    put,
    report,
    start_carddav,
)

RFC = VCARD_DIR / "rfc6352"
QUERY_HEAD = b"""<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
<D:prop><D:getetag/></D:prop>"""


@pytest_twisted.async_yield_fixture
async def book(tmp_path):
    """A server with the RFC 6352 example cards in the default address book."""
    server = await start_carddav(tmp_path, exposedCollections="1")
    href = await default_book(server)
    for name in ("v102", "v104", "v105"):
        response, _ = await put(server, f"{href}vcf{name[1:]}.vcf",
                                (RFC / f"{name}.vcf").read_bytes())
        assert response.code == 201
    yield server, href
    await server.stop()


def hrefs(doc) -> list[str]:
    return sorted(doc.xpath("//D:response[D:propstat]/D:href/text()", namespaces=NS))


async def query(server, href, filter_xml: str, **kwargs):
    body = QUERY_HEAD + f"<C:filter{filter_xml}</C:filter></C:addressbook-query>".encode()
    return await report(server, href, body, **kwargs)


@pytest_twisted.ensureDeferred
async def test_query_8_6_3_equals_nickname_returns_selected_properties(book) -> None:
    server, href = book
    response, doc = await report(server, href, (RFC / "query-8.6.3.xml").read_bytes())
    assert response.code == 207
    assert hrefs(doc) == [href + "vcf102.vcf"]
    data = doc.findtext(".//CR:address-data", namespaces=NS)
    assert "NICKNAME:me" in data and "UID:34222-232@example.com" in data
    assert "TEL" not in data and "\nN:" not in data


@pytest_twisted.ensureDeferred
async def test_query_8_6_4_anyof_fn_or_email_contains(book) -> None:
    server, href = book
    _, doc = await report(server, href, (RFC / "query-8.6.4.xml").read_bytes())
    assert hrefs(doc) == [href + "vcf102.vcf", href + "vcf104.vcf"]


@pytest_twisted.ensureDeferred
async def test_query_8_6_5_limit_truncates_with_507(book) -> None:
    server, href = book
    await put(server, href + "third.vcf", card("uid-3", "Third Daboo"))
    response, doc = await report(server, href, (RFC / "query-8.6.5.xml").read_bytes())
    assert response.code == 207
    assert len(hrefs(doc)) == 2
    truncated = doc.xpath("//D:response[D:status]", namespaces=NS)
    assert len(truncated) == 1
    assert "507" in truncated[0].findtext("D:status", namespaces=NS)
    assert truncated[0].xpath("D:error/D:number-of-matches-within-limits", namespaces=NS)


@pytest_twisted.ensureDeferred
async def test_query_with_depth_0_on_the_collection_matches_nothing(book) -> None:
    server, href = book
    _, doc = await report(server, href, (RFC / "query-8.6.4.xml").read_bytes(), depth="0")
    assert hrefs(doc) == []


@pytest_twisted.ensureDeferred
async def test_query_allof_needs_every_prop_filter(book) -> None:
    server, href = book
    _, doc = await query(server, href, ' test="allof"><C:prop-filter name="FN"><C:text-match '
                         'match-type="starts-with">oliver</C:text-match></C:prop-filter>'
                         '<C:prop-filter name="EMAIL"><C:text-match match-type="ends-with">'
                         'example.com</C:text-match></C:prop-filter>')
    assert hrefs(doc) == [href + "vcf104.vcf"]


@pytest_twisted.ensureDeferred
async def test_query_negate_condition_inverts_the_match(book) -> None:
    server, href = book
    _, doc = await query(server, href, '><C:prop-filter name="FN"><C:text-match '
                         'negate-condition="yes">daboo</C:text-match></C:prop-filter>')
    assert hrefs(doc) == [href + "vcf105.vcf"]


@pytest_twisted.ensureDeferred
async def test_query_param_filter_on_email_type(book) -> None:
    server, href = book
    _, doc = await query(server, href, '><C:prop-filter name="EMAIL"><C:param-filter '
                         'name="TYPE"><C:text-match match-type="equals">work</C:text-match>'
                         '</C:param-filter></C:prop-filter>')
    assert hrefs(doc) == [href + "vcf105.vcf"]


@pytest_twisted.ensureDeferred
async def test_query_is_not_defined(book) -> None:
    server, href = book
    await put(server, href + "plain.vcf", card("uid-plain", "Plain"))
    _, doc = await query(server, href, '><C:prop-filter name="NICKNAME"><C:is-not-defined/>'
                         '</C:prop-filter>')
    assert hrefs(doc) == [href + "plain.vcf"]


@pytest_twisted.ensureDeferred
async def test_query_octet_collation_is_case_sensitive(book) -> None:
    server, href = book
    _, doc = await query(server, href, '><C:prop-filter name="FN"><C:text-match '
                         'collation="i;octet">DABOO</C:text-match></C:prop-filter>')
    assert hrefs(doc) == []


@pytest_twisted.ensureDeferred
async def test_query_with_unknown_collation_is_403_supported_collation(book) -> None:
    server, href = book
    response, data = await query(server, href, '><C:prop-filter name="FN"><C:text-match '
                                 'collation="x;nope">a</C:text-match></C:prop-filter>')
    assert response.code == 403
    assert data.xpath("CR:supported-collation", namespaces=NS)


@pytest_twisted.ensureDeferred
async def test_query_without_filter_is_400(book) -> None:
    server, href = book
    response, _ = await report(server, href, QUERY_HEAD + b"</C:addressbook-query>")
    assert response.code == 400


@pytest_twisted.ensureDeferred
async def test_multiget_8_7_1_returns_known_and_404_for_unknown(book) -> None:
    server, href = book
    body = (RFC / "multiget-8.7.1.xml").read_bytes().replace(
        b"/home/bernard/addressbook/", href.encode())
    response, doc = await report(server, href, body)
    assert response.code == 207
    assert hrefs(doc) == [href + "vcf102.vcf"]
    missing = doc.xpath("//D:response[D:status]/D:href/text()", namespaces=NS)
    assert missing == [href + "vcf1.vcf"]


@pytest_twisted.ensureDeferred
async def test_multiget_8_7_2_converts_to_vcard_4(book) -> None:
    server, href = book
    body = (RFC / "multiget-8.7.2.xml").read_bytes().replace(
        b"/home/bernard/addressbook/vcf3.vcf", (href + "vcf105.vcf").encode())
    _, doc = await report(server, href, body)
    data = doc.findtext(".//CR:address-data", namespaces=NS)
    assert "VERSION:4.0" in data and "lisa@example.com" in data


@pytest_twisted.ensureDeferred
async def test_multiget_without_version_returns_vcard_3_of_a_4_0_card(book) -> None:
    server, href = book
    await put(server, href + "four.vcf", (VCARD_DIR / "davx5-android-4.0.vcf").read_bytes())
    body = f"""<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
<D:prop><C:address-data/></D:prop><D:href>{href}four.vcf</D:href></C:addressbook-multiget>"""
    _, doc = await report(server, href, body)
    assert "VERSION:3.0" in doc.findtext(".//CR:address-data", namespaces=NS)


@pytest_twisted.ensureDeferred
async def test_multiget_asking_for_vcard_2_1_is_403_supported_address_data(book) -> None:
    server, href = book
    body = f"""<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
<D:prop><C:address-data version="2.1"/></D:prop><D:href>{href}vcf102.vcf</D:href>
</C:addressbook-multiget>"""
    response, data = await report(server, href, body)
    assert response.code == 403
    assert data.xpath("CR:supported-address-data", namespaces=NS)


@pytest_twisted.ensureDeferred
async def test_query_in_aggregated_collection_spans_the_gal(tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="2")
    try:
        aggregated = next(iter(await books(server)))
        await put(server, aggregated + "x.vcf", card("uid-x", "Xavier Demo"))
        _, doc = await query(server, aggregated, '><C:prop-filter name="EMAIL"><C:text-match>'
                             'demo@example.com</C:text-match></C:prop-filter>')
        assert len(hrefs(doc)) == 1  # the user's own GAL card
        _, doc = await query(server, aggregated, '><C:prop-filter name="FN"><C:text-match>'
                             'demo</C:text-match></C:prop-filter>')
        assert aggregated + "x.vcf" in hrefs(doc) and len(hrefs(doc)) == 2
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_query_reads_cards_in_batches_across_folders(tmp_path, monkeypatch) -> None:
    from oxdav.carddav import reports
    monkeypatch.setattr(reports, "QUERY_BATCH", 2)
    server = await start_carddav(tmp_path, exposedCollections="2")
    try:
        aggregated = next(iter(await books(server)))
        for i in range(5):
            await put(server, f"{aggregated}b{i}.vcf", card(f"uid-b{i}", f"Batch {i}"))
        _, doc = await query(server, aggregated, '><C:prop-filter name="FN"/>')
        assert len(hrefs(doc)) == 6  # five cards and the GAL card
        _, doc = await query(server, aggregated, '><C:prop-filter name="FN"><C:text-match>'
                             'batch</C:text-match></C:prop-filter>')
        assert hrefs(doc) == [f"{aggregated}b{i}.vcf" for i in range(5)]
    finally:
        await server.stop()
