"""The access log of the running service names the authenticated login (never the
password), and ``-`` when nobody authenticated."""

from __future__ import annotations

import pytest_twisted
from twisted.logger import globalLogPublisher

from tests.integration.harness import password_hash, start_server


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


#: What a user typed as user name where the password belongs.
TYPED = ("hunter2-typed-as-name", "x")


@pytest_twisted.ensureDeferred
async def test_requests_that_never_authenticate_log_a_dash_not_the_sent_name(logged) -> None:
    server, lines = logged
    answers = [
        await server.request("GET", "/.well-known/caldav", auth=TYPED),     # 301
        await server.request("GET", "/elsewhere/x", auth=TYPED),            # 404
        await server.request("BREW", "/dav/caldav/", auth=TYPED),           # 501
        await server.request("TRACE", "/dav/caldav/", auth=TYPED),          # 405
        await server.request("PROPFIND", "/dav/", auth=TYPED, headers={"Depth": "0"}),  # 401
    ]
    assert [response.code for response, _ in answers] == [301, 404, 501, 405, 401]
    assert len(lines) == len(answers)
    for line in lines:
        assert " - - [" in line and TYPED[0] not in line, line


@pytest_twisted.ensureDeferred
async def test_a_remembered_login_refused_on_a_second_look_logs_a_dash(logged) -> None:
    # The first look (a remembered login) let it in; the store then said its context
    # changed (a new password), and the second look refused it.
    server, lines = logged
    login, password = server.demo
    response, _ = await server.request("PROPFIND", "/dav/", auth=server.demo,
                                       headers={"Depth": "0"})
    assert response.code == 207
    async with server.service.store.transaction("new password", write=True) as txn:
        context = next(c for c in await txn.contexts() if c.name == "demo")
        user = await txn.user_by_login(context.id, login.split("@")[0])
        await txn.update_user(context.id, user.id, password_hash=password_hash("changed"))
    response, _ = await server.request("PROPFIND", "/dav/", auth=server.demo,
                                       headers={"Depth": "0"})
    assert response.code == 401
    assert f" - {login} [" in lines[0]
    assert " - - [" in lines[1] and login not in lines[1]
