"""The access log of the running service names the authenticated login (never the
password), and ``-`` when nobody authenticated."""

from __future__ import annotations

import pytest_twisted
from twisted.logger import globalLogPublisher

from tests.integration.harness import start_server


@pytest_twisted.async_yield_fixture
async def logged(tmp_path):
    """(server, access-log lines)."""
    lines: list[str] = []

    def observe(event):
        if event.get("log_namespace") == "oxdav.access":
            lines.append(event["access_line"])

    server = await start_server(tmp_path)
    globalLogPublisher.addObserver(observe)
    yield server, lines
    globalLogPublisher.removeObserver(observe)
    await server.stop()


@pytest_twisted.ensureDeferred
async def test_access_log_shows_the_authenticated_login(logged) -> None:
    server, lines = logged
    response, _ = await server.request("PROPFIND", "/dav/", auth=server.demo,
                                       headers={"Depth": "0"})
    assert response.code == 207
    login, password = server.demo
    assert len(lines) == 1
    assert f" - {login} [" in lines[0] and '"PROPFIND /dav/ HTTP/1.1" 207' in lines[0]
    assert password not in lines[0]


@pytest_twisted.ensureDeferred
async def test_access_log_shows_a_dash_for_a_refused_login(logged) -> None:
    server, lines = logged
    response, _ = await server.request("PROPFIND", "/dav/", auth=(server.demo[0], "wrong"),
                                       headers={"Depth": "0"})
    assert response.code == 401
    assert len(lines) == 1 and " - - [" in lines[0]
