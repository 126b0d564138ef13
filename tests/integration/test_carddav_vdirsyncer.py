"""A real client round trip: vdirsyncer syncs an address book both ways with a
filesystem storage, against the TLS listener on loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest_twisted
from twisted.internet.threads import deferToThread

from tests.integration.carddav_support import (
    MACOS_CONTACTS,
    NS,
    PASSWORD,
    VCARD_DIR,
    add_user,
    card,
    default_book,
    propfind,
    put,
    shared_book,
    start_carddav,
    unshare,
)

VDIRSYNCER = Path(sys.executable).parent / "vdirsyncer"

CONFIG = """\
[general]
status_path = "{root}/status/"

[pair book]
a = "book_local"
b = "book_remote"
collections = null
conflict_resolution = "b wins"

[storage book_local]
type = "filesystem"
path = "{root}/local/"
fileext = ".vcf"

[storage book_remote]
type = "carddav"
url = "{url}"
username = "{username}"
password = "{password}"
verify = "{cafile}"
"""


def vdirsyncer(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VDIRSYNCER), "-c", str(config), *args], capture_output=True,
                          text=True, timeout=120, check=False)


async def members(server: Any, href: str) -> list[str]:
    """The hrefs of the cards in the address book ``href``."""
    _, doc = await propfind(server, href, b"")
    return [h for h in doc.xpath("//D:href/text()", namespaces=NS) if h.endswith(".vcf")]


async def run(config: Path, *args: str) -> None:
    result = await deferToThread(vdirsyncer, config, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stderr.lower(), result.stderr


@pytest_twisted.ensureDeferred
async def test_vdirsyncer_round_trip_both_ways(tmp_path) -> None:
    server = await start_carddav(tmp_path / "server", exposedCollections="1")
    try:
        href = await default_book(server)
        root = tmp_path / "client"
        (root / "local").mkdir(parents=True)
        config = root / "config"
        config.write_text(CONFIG.format(
            root=root, url=server.https + href, username=server.demo[0],
            password=server.demo[1], cafile=server.config / "data" / "tls" / "fullchain.pem"))
        server_card = (VCARD_DIR / "apple-contacts-3.0.vcf").read_bytes()
        response, _ = await put(server, href + "from-server.vcf", server_card)
        assert response.code == 201
        local_card = (VCARD_DIR / "nextcloud-4.0.vcf").read_bytes()
        (root / "local" / "from-client.vcf").write_bytes(local_card)

        await run(config, "discover")
        await run(config, "sync")

        local = {p.name: p.read_bytes() for p in (root / "local").glob("*.vcf")}
        assert server_card in local.values()  # downloaded unchanged
        assert len(await members(server, href)) == 2
        uploaded = [p for p in local if p != "from-client.vcf"]
        assert len(uploaded) == 1  # the server card under its UID-based local name

        # A local edit goes up, a server delete comes down.
        edited = local_card.replace(b"FN:", b"FN:Edited ")
        (root / "local" / "from-client.vcf").write_bytes(edited)
        response, _ = await server.request("DELETE", href + "from-server.vcf",
                                           auth=server.demo)
        assert response.code == 204
        await run(config, "sync")
        assert not (root / "local" / uploaded[0]).exists()
        remote = await members(server, href)
        assert len(remote) == 1
        _, data = await server.request("GET", remote[0], auth=server.demo)
        assert data == edited
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_vdirsyncer_follows_a_share_on_the_aggregated_collection(tmp_path) -> None:
    server = await start_carddav(tmp_path / "server")
    try:
        root = tmp_path / "client"
        (root / "local").mkdir(parents=True)
        config = root / "config"
        config.write_text(CONFIG.format(
            root=root, url=server.https + "/dav/carddav/Contacts/",
            username=server.demo[0], password=server.demo[1],
            cafile=server.config / "data" / "tls" / "fullchain.pem")
            + f'useragent = "{MACOS_CONTACTS}"\n')  # the remote storage is the last section
        await run(config, "discover")
        await run(config, "sync")

        def local() -> list[bytes]:
            return [p.read_bytes() for p in (root / "local").glob("*.vcf")]

        assert len(local()) == 1  # the user's own card in the global address list
        await add_user(server, "bob")
        folder = await shared_book(server, "bob@example.com", "demo@example.com")
        response, _ = await put(server, f"/dav/carddav/{folder}/b1.vcf",
                                card("bob-b1", "Bob Shared"),
                                auth=("bob@example.com", PASSWORD))
        assert response.code == 201
        await run(config, "sync")  # the same URL, now with the shared card
        assert any(b"FN:Bob Shared" in body for body in local())

        await unshare(server, "bob@example.com", folder)
        await run(config, "sync")
        assert not any(b"FN:Bob Shared" in body for body in local())
        assert len(local()) == 2  # demo's and bob's cards in the global address list
    finally:
        await server.stop()
