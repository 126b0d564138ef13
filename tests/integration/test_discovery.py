"""Client discovery sequences (``tests/data/clients/*.yaml``) replayed over TLS, and the
python ``caldav`` library discovering the principal from the bare server URL."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted
from twisted.internet.threads import deferToThread

from tests.integration.harness import start_server
from tests.integration.replay import Replay, load

#: Which steps of each recording are discovery (up to the calendar listing).
DISCOVERY = {
    "macos-calendar-discovery": ["well-known", "well-known-target", "options-principal",
                                 "principal-propfind", "principal-search-property-set",
                                 "home-depth1", "calendar-ctag", "proxy-expand"],
    "ios-calendar-setup": ["well-known", "principal-initial", "options-principal", "principal",
                           "principal-search-property-set", "home-depth1", "calendar-ctag"],
    "davx5-caldav-sync": ["base-propfind", "options-principal", "principal-email",
                          "principal-homesets", "home-depth1", "capabilities",
                          "sync-collection"],
    "thunderbird-caldav": ["detect-collection", "detect-principal", "detect-home",
                           "resource-type-check", "server-caps", "principal-scheduling"],
}


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


async def replay(server: Any, name: str) -> Replay:
    player = Replay(server, load(name))
    for step_id in DISCOVERY[name]:
        status, data = await player.send(player.step(step_id))
        assert status in (200, 207), f"{name} {step_id}: {status} {data[:300]!r}"
        player.learn(data)
    return player


@pytest.mark.parametrize("name", sorted(DISCOVERY))
@pytest_twisted.ensureDeferred
async def test_client_discovers_principal_home_and_calendars(server, name) -> None:
    player = await replay(server, name)
    assert player.values["{principal}"].startswith("/dav/principals/users/")
    assert player.values["{calendar_home}"] == "/dav/caldav/"
    assert player.values["{calendar}"].startswith("/dav/caldav/")


@pytest_twisted.ensureDeferred
async def test_davx5_sees_calendar_access_on_the_principal(server) -> None:
    player = await replay(server, "davx5-caldav-sync")
    assert "calendar-access" in player.dav_header


def discover_with_caldav_library(url: str, login: str, password: str, cert: str) -> tuple:
    import caldav

    with caldav.DAVClient(url=url, username=login, password=password,
                          ssl_verify_cert=cert) as client:
        principal = client.principal()
        home = principal.calendar_home_set
        calendars = principal.calendars()
        return str(principal.url), str(home.url), [str(c.url) for c in calendars]


@pytest_twisted.ensureDeferred
async def test_caldav_library_discovers_from_the_bare_url(server) -> None:
    cert = str(server.config / "data" / "tls" / "fullchain.pem")
    principal, home, calendars = await deferToThread(
        discover_with_caldav_library, server.https + "/", server.demo[0], server.demo[1], cert)
    assert "/dav/principals/users/" in principal
    assert home.endswith("/dav/caldav/")
    assert calendars and all("/dav/caldav/" in url for url in calendars)
