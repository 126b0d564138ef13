"""exposedCollections 0/1/2, ignoreFolders and the aggregated "All Contacts" collection
over TLS, with real User-Agent strings (DESIGN.md §5)."""

from __future__ import annotations

import pytest
import pytest_twisted

from tests.integration.carddav_support import (
    DAVX5,
    IOS,
    MACOS_ADDRESSBOOK_107,
    MACOS_CONTACTS,
    MKCOL_WORK,
    NS,
    PASSWORD,
    THUNDERBIRD,
    add_user,
    books,
    card,
    default_book,
    propfind,
    put,
    shared_book,
    start_carddav,
)

AGGREGATED_UAS = [MACOS_CONTACTS, MACOS_ADDRESSBOOK_107]
BOB = ("bob@example.com", PASSWORD)
PER_FOLDER_UAS = [IOS, DAVX5, THUNDERBIRD, None]


def is_aggregated(href: str) -> bool:
    return href.startswith("/dav/carddav/Contacts")


async def card_bodies(server, aggregated: str) -> dict[str, bytes]:
    """Every card the aggregated collection lists (macOS Contacts), by href."""
    _, doc = await propfind(server, aggregated, b"", **{"User-Agent": MACOS_CONTACTS})
    hrefs = [h for h in doc.xpath("//D:href/text()", namespaces=NS) if h.endswith(".vcf")]
    return {h: (await server.request("GET", h, auth=server.demo,
                                     headers={"User-Agent": MACOS_CONTACTS}))[1]
            for h in hrefs}


@pytest.mark.parametrize("user_agent", AGGREGATED_UAS)
@pytest_twisted.ensureDeferred
async def test_mode_0_gives_macos_contacts_only_the_aggregated_collection(
        tmp_path, user_agent) -> None:
    server = await start_carddav(tmp_path)
    try:
        found = await books(server, user_agent)
        assert len(found) == 1 and is_aggregated(next(iter(found)))
        book = next(iter(found.values()))
        assert book.findtext(".//D:displayname", namespaces=NS) == "All Contacts"
    finally:
        await server.stop()


@pytest.mark.parametrize("user_agent", PER_FOLDER_UAS)
@pytest_twisted.ensureDeferred
async def test_mode_0_gives_other_clients_one_collection_per_folder(tmp_path,
                                                                    user_agent) -> None:
    server = await start_carddav(tmp_path)
    try:
        found = await books(server, user_agent)
        assert "/dav/carddav/6/" in found and len(found) == 2
        assert not any(is_aggregated(h) for h in found)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_mode_1_gives_macos_contacts_per_folder_collections(tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="1")
    try:
        found = await books(server, MACOS_CONTACTS)
        assert "/dav/carddav/6/" in found and not any(is_aggregated(h) for h in found)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_mode_2_gives_davx5_only_the_aggregated_collection(tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="2")
    try:
        found = await books(server, DAVX5)
        assert len(found) == 1 and is_aggregated(next(iter(found)))
        response, _ = await propfind(server, "/dav/carddav/6/", depth="0",
                                     **{"User-Agent": DAVX5})
        assert response.code == 404
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_custom_user_agent_pattern_selects_the_aggregated_collection(tmp_path) -> None:
    server = await start_carddav(tmp_path, userAgentForAggregatedCollection=".*thunderBIRD.*")
    try:
        assert all(is_aggregated(h) for h in await books(server, THUNDERBIRD))
        assert not any(is_aggregated(h) for h in await books(server, MACOS_CONTACTS))
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_ignore_folders_leaves_the_gal_out_everywhere(tmp_path) -> None:
    server = await start_carddav(tmp_path, ignoreFolders="6")
    try:
        found = await books(server, DAVX5)
        assert "/dav/carddav/6/" not in found and len(found) == 1
        response, _ = await propfind(server, "/dav/carddav/6/", depth="0")
        assert response.code == 404
        aggregated = next(iter(await books(server, MACOS_CONTACTS)))
        _, doc = await propfind(server, aggregated, b"", **{"User-Agent": MACOS_CONTACTS})
        assert not [h for h in doc.xpath("//D:href/text()", namespaces=NS)
                    if h.endswith(".vcf")]  # the GAL held the only card
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_reduced_aggregated_collection_spans_owned_folders_and_gal_not_shared(
        tmp_path) -> None:
    server = await start_carddav(tmp_path, reducedAggregatedCollection="true")
    try:
        await add_user(server, "bob")
        bobs = await shared_book(server, "bob@example.com", "demo@example.com")
        response, _ = await put(server, f"/dav/carddav/{bobs}/bob-shared.vcf",
                                card("bob-shared", "Bob Shared"), auth=BOB)
        assert response.code == 201
        response, _ = await server.request("MKCOL", "/dav/carddav/work/", auth=server.demo,
                                           body=MKCOL_WORK)
        assert response.code == 201
        response, _ = await put(server, "/dav/carddav/work/w.vcf", card("w", "Work Card"))
        assert response.code == 201
        default = await default_book(server)
        await put(server, default + "d.vcf", card("d", "Default Card"))

        (aggregated,) = await books(server, MACOS_CONTACTS)
        bodies = await card_bodies(server, aggregated)
        assert {aggregated + "w.vcf", aggregated + "d.vcf"} <= set(bodies)
        assert not any(b"Bob Shared" in body for body in bodies.values())
        assert sum(b"oxdav-gal-" in body for body in bodies.values()) == 2  # demo and bob
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_aggregated_collection_lists_cards_of_default_folder_and_gal(tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="2")
    try:
        aggregated = next(iter(await books(server)))
        response, _ = await put(server, aggregated + "new.vcf", card("agg-1", "Agg One"))
        assert response.code == 201
        _, doc = await propfind(server, aggregated, b"")
        cards = [h for h in doc.xpath("//D:href/text()", namespaces=NS) if h.endswith(".vcf")]
        assert aggregated + "new.vcf" in cards and len(cards) == 2  # + the GAL card
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_new_card_in_aggregated_collection_lands_in_default_folder(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        aggregated = next(iter(await books(server, MACOS_CONTACTS)))
        body = card("agg-2", "Agg Two")
        response, _ = await put(server, aggregated + "two.vcf", body, user_agent=MACOS_CONTACTS)
        assert response.code == 201
        per_folder = [h for h in await books(server, DAVX5) if h != "/dav/carddav/6/"][0]
        response, data = await server.request("GET", per_folder + "two.vcf", auth=server.demo)
        assert response.code == 200 and data == body
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_update_and_delete_in_aggregated_collection_act_on_the_own_folder(
        tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="2")
    try:
        aggregated = next(iter(await books(server)))
        await put(server, aggregated + "u.vcf", card("agg-u", "Before"))
        response, _ = await put(server, aggregated + "u.vcf", card("agg-u", "After"))
        assert response.code == 204
        response, data = await server.request("GET", aggregated + "u.vcf", auth=server.demo)
        assert b"FN:After" in data
        response, _ = await server.request("DELETE", aggregated + "u.vcf", auth=server.demo)
        assert response.code == 204
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_gal_card_of_another_user_is_read_only_in_aggregated_collection(
        tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="2")
    try:
        await add_user(server, "bob")
        aggregated = next(iter(await books(server)))
        _, doc = await propfind(server, aggregated, b"")
        cards = [h for h in doc.xpath("//D:href/text()", namespaces=NS) if h.endswith(".vcf")]
        bodies = {h: (await server.request("GET", h, auth=server.demo))[1] for h in cards}
        bob = [h for h, b in bodies.items() if b"bob" in b][0]
        mine = [h for h, b in bodies.items() if b"demo" in b][0]
        response, _ = await put(server, bob, bodies[bob].replace(b"FN:", b"FN:Evil "))
        assert response.code == 403
        response, _ = await put(server, mine, bodies[mine].replace(b"FN:", b"FN:Me "))
        assert response.code == 204
        response, _ = await server.request("DELETE", bob, auth=server.demo)
        assert response.code == 403
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_new_card_with_uid_of_a_gal_card_is_403_no_uid_conflict(tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="2")
    try:
        aggregated = next(iter(await books(server)))
        _, doc = await propfind(server, aggregated, b"")
        gal = [h for h in doc.xpath("//D:href/text()", namespaces=NS) if h.endswith(".vcf")][0]
        _, data = await server.request("GET", gal, auth=server.demo)
        response, body = await put(server, aggregated + "copy.vcf", data)
        assert response.code == 403 and b"no-uid-conflict" in body
        assert gal.encode() in body
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_aggregated_collection_refuses_rename_and_delete(tmp_path) -> None:
    server = await start_carddav(tmp_path, exposedCollections="2")
    try:
        aggregated = next(iter(await books(server)))
        body = b"""<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>X
</D:displayname></D:prop></D:set></D:propertyupdate>"""
        response, data = await server.request("PROPPATCH", aggregated, auth=server.demo,
                                              body=body)
        assert response.code == 207 and b"403" in data
        response, _ = await server.request("DELETE", aggregated, auth=server.demo)
        assert response.code == 403
        assert next(iter(await books(server))) == aggregated
    finally:
        await server.stop()
