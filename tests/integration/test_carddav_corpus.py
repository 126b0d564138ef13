"""3.0 ⇄ 4.0 over HTTP on the corpus of real-world cards (tests/data/vcard/): each card
is PUT as sent, read back unchanged, read in the other version with the same meaning,
and that converted card, PUT into a second address book, reads back in the original
version with the same meaning again."""

from __future__ import annotations

import pytest_twisted

from oxdav.carddav.validation import stored_version
from tests.carddav.card_meaning import meaning
from tests.integration.carddav_support import (
    DAVX5,
    MKCOL_WORK,
    NS,
    VCARD_DIR,
    books,
    default_book,
    put,
    start_carddav,
)

CORPUS = sorted(VCARD_DIR.glob("*.vcf"))
OTHER = {"3.0": "4.0", "4.0": "3.0"}


async def get(server, href: str, version: str) -> bytes:
    response, data = await server.request("GET", href, auth=server.demo, headers={
        "Accept": f"text/vcard; version={version}", "User-Agent": DAVX5})
    assert response.code == 200, (href, data)
    return data


@pytest_twisted.ensureDeferred
async def test_corpus_round_trips_through_both_versions(tmp_path) -> None:
    assert len(CORPUS) >= 8
    server = await start_carddav(tmp_path, exposedCollections="1")
    try:
        first = await default_book(server)
        await server.request("MKCOL", "/dav/carddav/second/", auth=server.demo,
                             body=MKCOL_WORK)
        found = await books(server, DAVX5)
        second = [h for h, b in found.items()
                  if b.findtext(".//D:displayname", namespaces=NS) == "Work"][0]
        for path in CORPUS:
            original = path.read_bytes()
            version = stored_version(original)
            response, body = await put(server, first + path.name, original)
            assert response.code == 201, (path.name, body)
            assert await get(server, first + path.name, version) == original
            converted = await get(server, first + path.name, OTHER[version])
            assert stored_version(converted) == OTHER[version]
            assert meaning(converted) == meaning(original), path.name
            response, body = await put(server, second + path.name, converted)
            assert response.code == 201, (path.name, body)
            back = await get(server, second + path.name, version)
            assert meaning(back) == meaning(original), path.name
    finally:
        await server.stop()
