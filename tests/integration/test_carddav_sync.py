"""RFC 6578 sync-collection on address books over TLS, the aggregated collection's
per-folder tokens included (DESIGN.md §5)."""

from __future__ import annotations

import pytest_twisted

from tests.integration.carddav_support import (
    MKCOL_WORK,
    NS,
    books,
    card,
    default_book,
    put,
    report,
    start_carddav,
)


def sync_body(token: str = "", limit: int | None = None) -> bytes:
    limit_xml = f"<D:limit><D:nresults>{limit}</D:nresults></D:limit>" if limit else ""
    return (f'<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>'
            f"<D:sync-level>1</D:sync-level>{limit_xml}<D:prop><D:getetag/></D:prop>"
            "</D:sync-collection>").encode()


async def sync(server, href, token="", limit=None):
    response, doc = await report(server, href, sync_body(token, limit))
    assert response.code == 207, doc
    changed = sorted(doc.xpath("//D:response[D:propstat]/D:href/text()", namespaces=NS))
    gone = sorted(doc.xpath("//D:response[contains(D:status, '404')]/D:href/text()",
                            namespaces=NS))
    truncated = bool(doc.xpath("//D:response[contains(D:status, '507')]", namespaces=NS))
    return changed, gone, truncated, doc.findtext("D:sync-token", namespaces=NS)


@pytest_twisted.async_yield_fixture
async def aggregated(tmp_path):
    server = await start_carddav(tmp_path, exposedCollections="2")
    yield server, next(iter(await books(server)))
    await server.stop()


@pytest_twisted.ensureDeferred
async def test_per_folder_sync_reports_a_new_card(tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="1")
    try:
        href = await default_book(server)
        changed, _, _, token = await sync(server, href)
        assert changed == []
        await put(server, href + "a.vcf", card("a", "A"))
        changed, _, _, _ = await sync(server, href, token)
        assert changed == [href + "a.vcf"]
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_aggregated_initial_sync_lists_every_folder(aggregated) -> None:
    server, href = aggregated
    await put(server, href + "a.vcf", card("a", "A"))
    changed, gone, truncated, token = await sync(server, href)
    assert href + "a.vcf" in changed and len(changed) == 2  # + the GAL card
    assert not gone and not truncated and token


@pytest_twisted.ensureDeferred
async def test_aggregated_sync_continues_per_folder(aggregated) -> None:
    server, href = aggregated
    _, _, _, token = await sync(server, href)
    await put(server, href + "b.vcf", card("b", "B"))
    changed, gone, _, token = await sync(server, href, token)
    assert changed == [href + "b.vcf"] and gone == []
    await server.request("DELETE", href + "b.vcf", auth=server.demo)
    changed, gone, _, _ = await sync(server, href, token)
    assert changed == [] and gone == [href + "b.vcf"]


@pytest_twisted.ensureDeferred
async def test_aggregated_sync_token_matches_the_sync_token_property(aggregated) -> None:
    server, href = aggregated
    _, _, _, token = await sync(server, href)
    found = await books(server)
    assert found[href].findtext(".//D:sync-token", namespaces=NS) == token
    changed, gone, _, _ = await sync(server, href, token)
    assert changed == [] and gone == []


@pytest_twisted.ensureDeferred
async def test_aggregated_sync_with_limit_truncates_and_resumes(aggregated) -> None:
    server, href = aggregated
    for name in ("c", "d"):
        await put(server, f"{href}{name}.vcf", card(name, name.upper()))
    seen: list[str] = []
    token, rounds = "", 0
    while True:
        changed, _, truncated, token = await sync(server, href, token, limit=1)
        seen += changed
        rounds += 1
        if not truncated:
            break
    assert sorted(seen) == sorted({*seen}) and len(seen) == 3  # c, d and the GAL card
    assert rounds >= 3


@pytest_twisted.ensureDeferred
async def test_per_folder_token_is_refused_by_the_aggregated_collection(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        per_folder = await default_book(server)
        _, _, _, token = await sync(server, per_folder)
        aggregated = next(iter(await books(server, "Mac OS X/10.13.1 (17B48) AddressBook/1806")))
        response, doc = await report(server, aggregated, sync_body(token))
        assert response.code == 403
        assert doc.xpath("D:valid-sync-token", namespaces=NS)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_token_from_before_a_new_address_book_goes_on(aggregated) -> None:
    server, before = aggregated
    _, _, _, token = await sync(server, before)
    await server.request("MKCOL", "/dav/carddav/work/", auth=server.demo, body=MKCOL_WORK)
    assert next(iter(await books(server))) == before
    changed, gone, _, after = await sync(server, before, token)
    assert changed == [] and gone == [] and after != token
