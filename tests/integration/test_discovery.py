"""Client discovery sequences (``/work/shared/clients/*.yaml``) replayed over TLS, and the
python ``caldav`` library discovering the principal from the bare server URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
import yaml
from lxml import etree
from twisted.internet.threads import deferToThread

from tests.integration.harness import start_server

CLIENTS = Path("/work/shared/clients")
NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav"}

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


def load(name: str) -> dict[str, Any]:
    recording = CLIENTS / f"{name}.yaml"
    if not recording.exists():
        pytest.skip(f"client recording {recording} not available")
    return yaml.safe_load(recording.read_text())


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


class Replay:
    """Sends recorded steps, filling placeholders from what the server answered."""

    def __init__(self, server: Any, recording: dict[str, Any]) -> None:
        self.server = server
        self.common = {k: str(v) for k, v in (recording.get("headers_on_every_request")
                                              or {}).items()}
        self.common.pop("Accept-Encoding", None)
        self.values = {"{base}": "/dav/", "{calendar_home}": "/dav/caldav/", "{token}": "",
                       "{principal_collection}": "/dav/principals/"}

    def fill(self, text: str) -> str:
        for key, value in self.values.items():
            text = text.replace(key, value)
        return text

    async def send(self, step: dict[str, Any]) -> tuple[int, bytes]:
        path = self.fill(step["path"])
        headers = {**self.common, **{k: str(v) for k, v in (step.get("headers") or {}).items()}}
        body = self.fill(step["body"]).encode() if step.get("body") else None
        for _ in range(3):  # clients re-send the same request to a redirect's Location
            response, data = await self.server.request(step["method"], path,
                                                       auth=self.server.demo,
                                                       headers=headers, body=body)
            if response.code not in (301, 302, 307, 308):
                break
            path = response.headers.getRawHeaders("location")[0]
        if step["method"] == "OPTIONS":
            self.dav_header = response.headers.getRawHeaders("dav", [""])[0]
        return response.code, data

    def learn(self, data: bytes) -> None:
        """Pick up the principal and the first calendar from a multistatus."""
        if not data.startswith(b"<"):
            return
        doc = etree.fromstring(data)
        principal = doc.findtext(".//D:current-user-principal/D:href", namespaces=NS)
        if principal:
            self.values["{principal}"] = principal
        home = doc.findtext(".//C:calendar-home-set/D:href", namespaces=NS)
        if home:
            self.values["{calendar_home}"] = home
        calendars = doc.xpath("//D:response[D:propstat/D:prop/D:resourcetype/C:calendar]"
                              "/D:href/text()", namespaces=NS)
        if calendars and "{calendar}" not in self.values:
            self.values["{calendar}"] = calendars[0]


async def replay(server: Any, name: str) -> Replay:
    recording = load(name)
    steps = {step["id"]: step for step in recording["steps"]}
    player = Replay(server, recording)
    for step_id in DISCOVERY[name]:
        step = dict(steps[step_id])
        body = step.get("body") or ""
        if body.startswith("same as "):  # the recording reuses an earlier step's body
            step["body"] = steps[body.removeprefix("same as ").strip()]["body"]
        status, data = await player.send(step)
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
    pytest.importorskip("caldav")
    cert = str(server.config / "data" / "tls" / "fullchain.pem")
    principal, home, calendars = await deferToThread(
        discover_with_caldav_library, server.https + "/", server.demo[0], server.demo[1], cert)
    assert "/dav/principals/users/" in principal
    assert home.endswith("/dav/caldav/")
    assert calendars and all("/dav/caldav/" in url for url in calendars)
