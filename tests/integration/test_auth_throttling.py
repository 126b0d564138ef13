"""Login throttling through the real service: one budget per account whatever the
spelling, the owner never locked out by someone else's guesses, real settings.

The TLS listener sees every test client as 127.0.0.1; "another client" comes through
the plain listener as a trusted proxy (loopback, the default ``oxdav.proxy.trusted``)
forwarding for another address with ``X-Forwarded-For``.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest_twisted
import treq

from tests.integration.harness import BASE_PROPERTIES, start_server
from tests.integration.test_auth_tls import PASSWORD, add_user

PLAIN = "oxdav.listen.http = 127.0.0.1:0\n"


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path, PLAIN)
    yield server
    await server.stop()


async def over_tls(server: Any, login: str, password: str) -> int:
    response, _ = await server.request("OPTIONS", "/dav/caldav/", auth=(login, password))
    return response.code


async def from_address(server: Any, address: str, login: str, password: str) -> int:
    """A request a trusted TLS-terminating proxy forwards for client ``address``."""
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    response = await treq.request(
        "OPTIONS", f"http://127.0.0.1:{server.service.port('http')}/dav/caldav/",
        headers={"Authorization": [f"Basic {token}"], "X-Forwarded-Proto": ["https"],
                 "X-Forwarded-For": [address]})
    await treq.content(response)
    return response.code


@pytest_twisted.ensureDeferred
async def test_every_spelling_of_one_account_shares_one_budget(server) -> None:
    await add_user(server, "t1")
    spellings = ["t1", "t1@example.com  ", "T1@defaultcontext"]
    codes = [await over_tls(server, spellings[n % 3], "wrong") for n in range(6)]
    assert codes == [401] * 5 + [429]


@pytest_twisted.ensureDeferred
async def test_the_owner_gets_in_while_another_client_guesses_the_password(server) -> None:
    await add_user(server, "t2")
    assert await over_tls(server, "t2", PASSWORD) == 200  # verified once
    guesses = [await from_address(server, "203.0.113.7", login, f"guess{n}")
               for n, login in enumerate(["t2", "t2@example.com", "T2 "] * 3 + ["t2"])]
    assert guesses == [401] * 5 + [429] * 5
    assert await over_tls(server, "t2", PASSWORD) == 200                  # remembered
    assert await over_tls(server, "t2@defaultcontext", PASSWORD) == 200   # cached
    # A password never verified is still refused while the account is blocked.
    assert await over_tls(server, "t2", "another guess") == 429


@pytest_twisted.ensureDeferred
async def test_a_success_clears_the_clients_own_failures(server) -> None:
    await add_user(server, "t3")
    codes = [await over_tls(server, "t3", "typo") for _ in range(4)]
    codes.append(await over_tls(server, "t3@example.com", PASSWORD))
    codes += [await over_tls(server, "t3", "typo") for _ in range(6)]
    assert codes == [401] * 4 + [200] + [401] * 5 + [429]


@pytest_twisted.ensureDeferred
async def test_failure_limits_are_settings_and_follow_a_reload(tmp_path) -> None:
    server = await start_server(tmp_path, PLAIN + "oxdav.auth.maxFailures = 2\n"
                                "oxdav.auth.maxFailuresPerAddress = 3\n")
    try:
        await add_user(server, "u1")
        await add_user(server, "u2")
        per_account = [await from_address(server, f"198.51.100.{n}", "u1", "wrong")
                       for n in range(3)]
        assert per_account == [401, 401, 429]
        per_address = [await from_address(server, "203.0.113.9", f"name{n}", "wrong")
                       for n in range(4)]
        assert per_address == [401, 401, 401, 429]

        (server.config / "oxdav.properties").write_text(
            BASE_PROPERTIES + PLAIN + "oxdav.auth.maxFailures = 4\n")
        assert server.service.reloader.reload()
        assert [await over_tls(server, "u2", "wrong") for _ in range(5)] == [401] * 4 + [429]
    finally:
        await server.stop()


@pytest_twisted.ensureDeferred
async def test_a_success_clears_its_addresses_own_failures(tmp_path) -> None:
    server = await start_server(tmp_path, PLAIN + "oxdav.auth.maxFailuresPerAddress = 3\n")
    try:
        await add_user(server, "t4")
        codes = [await from_address(server, "203.0.113.4", "t4", "typo") for _ in range(2)]
        codes.append(await from_address(server, "203.0.113.4", "t4", PASSWORD))
        codes += [await from_address(server, "203.0.113.4", f"name{n}", "wrong")
                  for n in range(4)]
        assert codes == [401, 401, 200, 401, 401, 401, 429]
    finally:
        await server.stop()
