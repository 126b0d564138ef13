"""The aggregated "All Contacts" collection over TLS while its folder set changes
(DESIGN.md §5): its URL stays, and a client syncing with sync-collection (RFC 6578)
ends with exactly the cards the collection shows: a folder that joins comes as new
members, one that leaves as removed members, or the token is refused with 403
valid-sync-token and the client syncs afresh."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.task import deferLater

from oxdav.dav.sync import SyncToken, decode_sync_token
from tests.integration.carddav_support import (
    DAVX5,
    MACOS_CONTACTS,
    MKCOL_WORK,
    NS,
    PASSWORD,
    add_user,
    books,
    card,
    default_book,
    propfind,
    put,
    report,
    shared_book,
    start_carddav,
    unshare,
)
from tests.integration.harness import set_shipped

AGGREGATED = "/dav/carddav/Contacts/"
BOB = ("bob@example.com", PASSWORD)
ETAGS = b'<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
CTAG = (b'<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop>'
        b"<CS:getctag/><D:sync-token/></D:prop></D:propfind>")


def sync_body(token: str, limit: int | None) -> bytes:
    limit_xml = f"<D:limit><D:nresults>{limit}</D:nresults></D:limit>" if limit else ""
    return (f'<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>'
            f"<D:sync-level>1</D:sync-level>{limit_xml}<D:prop><D:getetag/></D:prop>"
            "</D:sync-collection>").encode()


class SyncingClient:
    """What a CardDAV client keeps of a collection: each card's href and ETag and the
    sync token. A 403 valid-sync-token makes it start over with an empty token and
    keep only what that initial sync lists (RFC 6578 §3.2, §3.8)."""

    def __init__(self, server: Any, href: str, *, limit: int | None = None) -> None:
        self.server = server
        self.href = href
        self.limit = limit
        self.cards: dict[str, str] = {}
        self.token = ""
        self.refused = 0

    async def sync(self) -> tuple[set[str], set[str]]:
        """One sync, page after page; returns the hrefs reported (changed, removed)."""
        changed: set[str] = set()
        removed: set[str] = set()
        while True:
            response, doc = await report(self.server, self.href,
                                         sync_body(self.token, self.limit),
                                         user_agent=MACOS_CONTACTS)
            if response.code == 403:
                assert self.token and doc.xpath("D:valid-sync-token", namespaces=NS)
                self.refused += 1
                self.token, self.cards = "", {}
                changed, removed = set(), set()
                continue
            assert response.code == 207, doc
            hrefs = doc.xpath("D:response/D:href/text()", namespaces=NS)
            assert len(hrefs) == len(set(hrefs)), hrefs  # each member once
            truncated = False
            for entry in doc.xpath("D:response", namespaces=NS):
                href = entry.findtext("D:href", namespaces=NS)
                status = entry.findtext("D:status", namespaces=NS) or ""
                if " 507 " in status:
                    truncated = True
                elif " 404 " in status:
                    self.cards.pop(href, None)
                    removed.add(href)
                else:
                    self.cards[href] = entry.findtext(".//D:getetag", namespaces=NS)
                    changed.add(href)
            self.token = doc.findtext("D:sync-token", namespaces=NS)
            if not truncated:
                return changed, removed


async def visible(server: Any, href: str = AGGREGATED) -> dict[str, str]:
    """The cards the collection lists now, href → ETag."""
    response, doc = await propfind(server, href, ETAGS, **{"User-Agent": MACOS_CONTACTS})
    assert response.code == 207, doc
    return {r.findtext("D:href", namespaces=NS): r.findtext(".//D:getetag", namespaces=NS)
            for r in doc.xpath("D:response", namespaces=NS)
            if r.findtext("D:href", namespaces=NS) != href}


async def only_book(server: Any) -> str:
    """The one address book macOS Contacts is shown."""
    (href,) = await books(server, MACOS_CONTACTS)
    return str(href)


async def bobs_shared_book(server: Any, *names: str) -> int:
    """bob's address book shared to demo, holding a card per name."""
    await add_user(server, "bob")
    folder = await shared_book(server, "bob@example.com", "demo@example.com")
    for name in names:
        response, _ = await put(server, f"/dav/carddav/{folder}/{name}.vcf",
                                card(f"bob-{name}", f"Bob {name}"), auth=BOB)
        assert response.code == 201
    return folder


async def ctag(server: Any) -> tuple[str, str]:
    _, doc = await propfind(server, AGGREGATED, CTAG, depth="0",
                            **{"User-Agent": MACOS_CONTACTS})
    return (doc.findtext(".//CS:getctag", namespaces=NS),
            doc.findtext(".//D:sync-token", namespaces=NS))


async def sighup(server: Any) -> None:
    """Send the process SIGHUP, as an admin does, and wait for the new configuration."""
    before = server.service.holder.current
    os.kill(os.getpid(), signal.SIGHUP)
    for _ in range(500):
        if server.service.holder.current is not before:
            return
        await deferLater(reactor, 0.01, lambda: None)
    raise AssertionError("SIGHUP did not reload the configuration")


@pytest_twisted.ensureDeferred
async def test_a_share_keeps_the_url_and_comes_as_new_cards(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        assert await only_book(server) == AGGREGATED
        client = SyncingClient(server, AGGREGATED)
        await client.sync()
        tags = await ctag(server)

        await bobs_shared_book(server, "b1", "b2")
        assert await only_book(server) == AGGREGATED
        assert await ctag(server) != tags  # getctag and sync-token follow the folder set
        changed, removed = await client.sync()
        assert {AGGREGATED + "b1.vcf", AGGREGATED + "b2.vcf"} <= changed and not removed
        assert client.refused == 0
        assert client.cards == await visible(server)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_revoked_share_leaves_the_client_without_its_cards(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        folder = await bobs_shared_book(server, "b1", "b2")
        client = SyncingClient(server, AGGREGATED)
        await client.sync()
        assert AGGREGATED + "b1.vcf" in client.cards

        await unshare(server, "bob@example.com", folder)
        assert await only_book(server) == AGGREGATED
        await client.sync()
        # bob's folder can no longer be listed: the token is refused, a fresh sync follows
        assert client.refused == 1
        assert client.cards == await visible(server)
        assert not {AGGREGATED + "b1.vcf", AGGREGATED + "b2.vcf"} & set(client.cards)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_new_address_book_keeps_the_url_and_its_cards_come_as_new(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        client = SyncingClient(server, AGGREGATED)
        await client.sync()
        response, _ = await server.request("MKCOL", "/dav/carddav/work/", auth=server.demo,
                                           headers={"User-Agent": DAVX5}, body=MKCOL_WORK)
        assert response.code == 201
        response, _ = await put(server, "/dav/carddav/work/w.vcf", card("w", "Work"))
        assert response.code == 201
        assert await only_book(server) == AGGREGATED
        changed, removed = await client.sync()
        assert changed == {AGGREGATED + "w.vcf"} and not removed and client.refused == 0
        assert client.cards == await visible(server)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_ignore_folders_by_sighup_keeps_the_url_and_moves_the_gal_cards(
        tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        await add_user(server, "bob")
        client = SyncingClient(server, AGGREGATED)
        await client.sync()
        gal = {h for h in client.cards if h.startswith(AGGREGATED + "user-")}
        assert len(gal) == 2  # demo's and bob's own cards

        set_shipped(server.config, "carddav.properties",
                    {"com.openexchange.carddav.ignoreFolders": "6"})
        await sighup(server)
        assert await only_book(server) == AGGREGATED
        changed, removed = await client.sync()
        assert removed == gal and not changed and client.refused == 0
        assert client.cards == await visible(server) == {}

        set_shipped(server.config, "carddav.properties",
                    {"com.openexchange.carddav.ignoreFolders": ""})
        await sighup(server)
        changed, removed = await client.sync()
        assert changed == gal and not removed and client.refused == 0
        assert client.cards == await visible(server)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_reduced_collection_by_reload_removes_shared_cards_deleted_ones_too(
        tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        folder = await bobs_shared_book(server, "b1", "b2")
        client = SyncingClient(server, AGGREGATED)
        await client.sync()
        response, _ = await server.request("DELETE", f"/dav/carddav/{folder}/b2.vcf", auth=BOB)
        assert response.code == 204

        set_shipped(server.config, "carddav.properties",
                    {"com.openexchange.carddav.reducedAggregatedCollection": "true"})
        assert server.service.reloader.reload()
        assert await only_book(server) == AGGREGATED
        changed, removed = await client.sync()
        # still readable, so listed exactly: the current card and the one deleted since
        assert removed == {AGGREGATED + "b1.vcf", AGGREGATED + "b2.vcf"} and not changed
        assert client.refused == 0
        assert client.cards == await visible(server)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_removed_cards_beyond_the_limit_refuse_the_token(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        await bobs_shared_book(server, "b1", "b2")
        client = SyncingClient(server, AGGREGATED, limit=1)
        await client.sync()
        set_shipped(server.config, "carddav.properties",
                    {"com.openexchange.carddav.reducedAggregatedCollection": "true"})
        assert server.service.reloader.reload()
        await client.sync()
        assert client.refused == 1
        assert client.cards == await visible(server)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_share_synced_page_by_page_comes_whole(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        client = SyncingClient(server, AGGREGATED, limit=1)
        await client.sync()
        await bobs_shared_book(server, "b1", "b2", "b3")
        changed, _ = await client.sync()
        assert {AGGREGATED + f"b{n}.vcf" for n in (1, 2, 3)} <= changed
        assert client.refused == 0
        assert client.cards == await visible(server)
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_name_in_two_folders_syncs_as_the_collection_shows_it(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        own = await default_book(server)
        response, _ = await put(server, own + "same.vcf", card("mine", "Mine"))
        assert response.code == 201
        await bobs_shared_book(server, "same")
        client = SyncingClient(server, AGGREGATED)
        await client.sync()
        assert client.cards == await visible(server)  # the own card, once

        response, _ = await server.request("DELETE", own + "same.vcf", auth=server.demo)
        assert response.code == 204
        changed, removed = await client.sync()
        # bob's card shows under the name now: a change, not a removal
        assert changed == {AGGREGATED + "same.vcf"} and not removed
        assert client.cards == await visible(server)
        _, data = await server.request("GET", AGGREGATED + "same.vcf", auth=server.demo)
        assert b"Bob same" in data
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_name_earlier_versions_gave_it_still_reaches_it(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        legacy = "/dav/carddav/Contacts0123456789ab/"
        listed = await visible(server, legacy)
        assert listed and all(h.startswith(legacy) for h in listed)
        assert sorted(h.removeprefix(legacy) for h in listed) == sorted(
            h.removeprefix(AGGREGATED) for h in await visible(server))
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_token_naming_folders_the_user_cannot_read_is_refused(tmp_path) -> None:
    server = await start_carddav(tmp_path)
    try:
        client = SyncingClient(server, AGGREGATED)
        await client.sync()
        issued = decode_sync_token(client.token)
        for extra in ("99999", "x", "١٢"):
            forged = SyncToken.for_aggregate(issued.collection,
                                             {**issued.revision_map, extra: 1})
            response, doc = await report(server, AGGREGATED, sync_body(str(forged), None),
                                         user_agent=MACOS_CONTACTS)
            assert response.code == 403 and doc.xpath("D:valid-sync-token", namespaces=NS)
    finally:
        await server.stop()
