"""The plain-HTTP listener for deployments behind a reverse proxy."""

import base64

import pytest_twisted
import treq

from tests.integration.harness import start_server


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path, "oxdav.listen.http = 127.0.0.1:0\n")
    yield server
    await server.stop()


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


@pytest_twisted.ensureDeferred
async def test_trusted_proxy_that_terminated_tls_may_send_basic_auth(server) -> None:
    url = f"http://127.0.0.1:{server.service.port('http')}/dav/caldav/"
    response = await treq.request("OPTIONS", url, headers={
        "Authorization": [basic(*server.demo)], "X-Forwarded-Proto": ["https"],
        "X-Forwarded-For": ["203.0.113.7"]})
    assert response.code == 200, await treq.content(response)


@pytest_twisted.ensureDeferred
async def test_well_known_redirect_on_the_plain_listener(server) -> None:
    url = f"http://127.0.0.1:{server.service.port('http')}/.well-known/carddav"
    response = await treq.get(url, allow_redirects=False)
    assert response.code == 301
    assert response.headers.getRawHeaders("location") == ["/dav/carddav/"]


@pytest_twisted.ensureDeferred
async def test_untrusted_peer_cannot_authenticate_over_plain_http(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.listen.http = 127.0.0.1:0\n"
                                          "oxdav.proxy.trusted = 192.0.2.1\n")
    try:
        url = f"http://127.0.0.1:{server.service.port('http')}/dav/caldav/"
        response = await treq.get(url, headers={
            "Authorization": [basic(*server.demo)], "X-Forwarded-Proto": ["https"]})
        assert response.code == 403
    finally:
        await server.stop()
