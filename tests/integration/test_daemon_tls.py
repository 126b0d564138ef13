"""The real service over TLS: discovery redirect, auth, metrics, and reload in-process."""

import pytest_twisted
import treq

from tests.integration.harness import start_server


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


@pytest_twisted.ensureDeferred
async def test_well_known_redirects_to_the_homes(server) -> None:
    response, _ = await server.request("GET", "/.well-known/caldav")
    assert response.code == 301
    assert response.headers.getRawHeaders("location") == ["/dav/caldav/"]
    response, _ = await server.request("GET", "/.well-known/carddav")
    assert response.headers.getRawHeaders("location") == ["/dav/carddav/"]


@pytest_twisted.ensureDeferred
async def test_no_credentials_get_401_with_the_realm(server) -> None:
    response, _ = await server.request("GET", "/dav/")
    assert response.code == 401
    assert response.headers.getRawHeaders("www-authenticate") == [
        'Basic realm="oxdav", charset="UTF-8"']
    assert response.headers.getRawHeaders("server") == ["oxdav"]


@pytest_twisted.ensureDeferred
async def test_demo_user_signs_in_through_the_ox_cascade(server) -> None:
    # caldav.properties says enabled=false; contextSets/caldav.yml enables it for
    # ucInfostore, which the demo user has.
    response, body = await server.request("PROPFIND", "/dav/caldav/", auth=server.demo,
                                          headers={"Depth": "0"})
    assert response.code == 207, body


@pytest_twisted.ensureDeferred
async def test_wrong_password_gets_401(server) -> None:
    response, _ = await server.request("GET", "/dav/", auth=(server.demo[0], "wrong"))
    assert response.code == 401


@pytest_twisted.ensureDeferred
async def test_unknown_method_gets_allow_not_huh(server) -> None:
    response, body = await server.request("BREW", "/dav/", auth=server.demo)
    assert response.code in (405, 501)
    assert response.headers.getRawHeaders("allow")
    assert b"Huh" not in body


@pytest_twisted.ensureDeferred
async def test_oversized_body_gets_413(server) -> None:
    response, _ = await server.request("PUT", "/dav/caldav/x.ics", auth=server.demo,
                                       body=b"x" * (11 * 1024 * 1024))
    assert response.code == 413


@pytest_twisted.ensureDeferred
async def test_metrics_and_readiness_on_the_loopback_listener(server) -> None:
    await server.request("GET", "/dav/")
    ready = await server.client.get(server.metrics + "/readyz")
    assert ready.code == 200
    text = (await treq.content(await server.client.get(server.metrics + "/metrics"))).decode()
    assert 'oxdav_http_requests_total{method="GET",status="401"}' in text
    assert "oxdav_tls_certificate_not_after_timestamp_seconds" in text


@pytest_twisted.ensureDeferred
async def test_reload_applies_a_changed_realm_and_keeps_it_on_a_broken_file(server) -> None:
    properties = server.config / "oxdav.properties"
    properties.write_text(properties.read_text() + "oxdav.auth.realm = reloaded\n")
    assert server.service.reloader.reload()
    response, _ = await server.request("GET", "/dav/")
    assert 'realm="reloaded"' in response.headers.getRawHeaders("www-authenticate")[0]
    properties.write_text(properties.read_text() + "oxdav.http.maxBodySize = huge\n")
    assert not server.service.reloader.reload()
    response, _ = await server.request("GET", "/dav/")
    assert 'realm="reloaded"' in response.headers.getRawHeaders("www-authenticate")[0]
