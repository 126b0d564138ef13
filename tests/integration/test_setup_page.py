"""The client setup page and the Apple configuration profile (issue 21), over the real
listener: the page rendered by headless Chromium (Debian's package, installed by
``./dev test``; a screenshot is kept in var/test-artefacts/), the profile's property
list checked against the payload keys and its URLs followed by discovery, and only the
signed-in user's own data on either."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import urllib.parse

import pytest_twisted
import treq
from lxml import etree, html
from twisted.internet.threads import deferToThread

from oxdav.directory import provisioning
from tests.integration import carddav_support as cards
from tests.integration.caldav_requests import folders, xml_request
from tests.integration.harness import REPO, password_hash, start_server

ARTEFACTS = REPO / "var" / "test-artefacts"
PROFILE = "/dav/setup/apple.mobileconfig"
#: The keys each account payload must carry (Apple's CalDAV and CardDAV payloads).
PAYLOAD_KEYS = {"PayloadType", "PayloadIdentifier", "PayloadUUID", "PayloadVersion"}
ACCOUNT_KEYS = {"HostName", "Port", "UseSSL", "Username", "PrincipalURL"}
MARKER_NAME = "Dave's <script>alert('x')</script> & plans"


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path)
    yield server
    await server.stop()


async def make_calendar(server, email: str, name: str) -> int:
    async with server.service.store.transaction("test calendar", write=True) as txn:
        user = await txn.user_by_email(email)
        home = await txn.home(user.context_id, user.id)
        return (await home.create_folder("calendar", name)).id


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    """Run Debian's Chromium headless (as root it needs --no-sandbox). Fails loudly when
    it is missing: ./dev test installs it."""
    binary = shutil.which("chromium")
    assert binary is not None, "chromium is not installed; run the tests with ./dev test"
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--ignore-certificate-errors",  # the test server's self-signed certificate
         "--no-first-run", "--hide-scrollbars", *args],
        capture_output=True, text=True, timeout=120, check=False)


@pytest_twisted.ensureDeferred
async def test_chromium_renders_the_page_of_the_signed_in_user(server, tmp_path) -> None:
    await make_calendar(server, "demo@example.com", MARKER_NAME)
    login, password = server.demo
    url = (f"https://{urllib.parse.quote(login, safe='')}:{password}@localhost:"
           f"{server.service.port('https')}/dav/setup")
    profile_dir = tmp_path / "chromium"
    dom = await deferToThread(chromium, f"--user-data-dir={profile_dir}", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    doc = html.fromstring(dom.stdout)
    assert doc.get("lang") == "en"
    assert [h.text_content() for h in doc.iter("h1")] == [
        "Set up your calendars and contacts on localhost"]
    headings = [h.text_content() for h in doc.iter("h2", "h3")]
    for client in ("macOS and iOS", "Thunderbird", "DAVx5", "Evolution"):
        assert any(client in heading for heading in headings), headings
    text = doc.text_content()
    assert login in text and "/dav/principals/users/" in text
    # The folder name is shown as text, never run as markup.
    assert MARKER_NAME in text and not doc.xpath("//script")
    assert doc.xpath(f"//a[@href='{PROFILE}']")
    for table in doc.iter("table"):
        assert table.find("caption") is not None and table.xpath(".//th[@scope='col']")

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "setup-page.png"
    shot.unlink(missing_ok=True)
    done = await deferToThread(chromium, f"--user-data-dir={profile_dir}",
                               f"--screenshot={shot}", "--window-size=1000,2400", url)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


@pytest_twisted.ensureDeferred
async def test_the_page_lists_the_users_own_folders_with_their_urls(server) -> None:
    response, body = await server.request("GET", "/dav/setup", auth=server.demo)
    assert response.code == 200
    assert response.headers.getRawHeaders("content-type") == ["text/html; charset=utf-8"]
    assert "default-src 'none'" in response.headers.getRawHeaders(
        "content-security-policy")[0]
    assert response.headers.getRawHeaders("cache-control") == ["no-store"]
    port = server.service.port("https")
    calendar = (await folders(server))["VEVENT"]  # /dav/caldav/<id>/
    text = html.fromstring(body).text_content()
    # com.openexchange.caldav.url with [hostname] and [folderId] filled in
    assert f"https://localhost:{port}{calendar}" in text
    book = await cards.default_book(server)
    assert f"https://localhost:{port}{book}" in text
    assert f"https://localhost:{port}/dav/" in text


@pytest_twisted.ensureDeferred
async def test_the_page_and_profile_need_a_login(server) -> None:
    for path in ("/dav/setup", PROFILE):
        response, body = await server.request("GET", path)
        assert response.code == 401
        assert response.headers.getRawHeaders("www-authenticate")[0].startswith("Basic ")
        response, _ = await server.request("GET", path, auth=(server.demo[0], "wrong"))
        assert response.code == 401
    response, _ = await server.request("POST", "/dav/setup", auth=server.demo)
    assert response.code == 405


@pytest_twisted.ensureDeferred
async def test_no_one_sees_anothers_folders_on_their_page(server) -> None:
    hidden = await make_calendar(server, "demo@example.com", "Demo's hidden plans")
    await cards.add_user(server, "carol")
    carol = ("carol@example.com", cards.PASSWORD)
    mine = await make_calendar(server, "carol@example.com", "Carol's own")
    response, body = await server.request("GET", "/dav/setup", auth=carol)
    assert response.code == 200
    text = html.fromstring(body).text_content()
    assert "Carol's own" in text and f"/caldav/{mine}/" in text
    assert "hidden plans" not in text and f"/caldav/{hidden}/" not in text
    assert "demo@example.com" not in text
    response, body = await server.request("GET", PROFILE, auth=carol)
    assert b"carol@example.com" in body and b"demo@example.com" not in body


@pytest_twisted.ensureDeferred
async def test_a_user_of_another_context_sees_only_their_own(server) -> None:
    hidden = await make_calendar(server, "demo@example.com", "Demo's hidden plans")
    async with server.service.store.transaction("other context", write=True) as txn:
        context = await txn.create_context("other", mappings=("other.test",))
        await provisioning.create_user(txn, context.id, "bob",
                                       password_hash=password_hash(cards.PASSWORD),
                                       display_name="Bob", email="bob@other.test")
    bob = ("bob@other.test", cards.PASSWORD)
    response, body = await server.request("GET", "/dav/setup", auth=bob)
    assert response.code == 200
    text = html.fromstring(body).text_content()
    assert "bob@other.test" in text
    assert "hidden plans" not in text and f"/caldav/{hidden}/" not in text
    assert "demo@example.com" not in text and "Demo User" not in text


@pytest_twisted.ensureDeferred
async def test_the_profile_is_a_valid_plist_whose_urls_discovery_resolves(server) -> None:
    response, body = await server.request("GET", PROFILE, auth=server.demo)
    assert response.code == 200
    assert response.headers.getRawHeaders("content-type") == [
        "application/x-apple-aspen-config"]
    assert "attachment" in response.headers.getRawHeaders("content-disposition")[0]
    assert body.startswith(b"<?xml") and b"<!DOCTYPE plist" in body
    etree.fromstring(body)  # well-formed XML
    profile = plistlib.loads(body, fmt=plistlib.FMT_XML)
    assert profile["PayloadType"] == "Configuration" and profile["PayloadVersion"] == 1
    assert PAYLOAD_KEYS <= set(profile)
    payloads = {p["PayloadType"]: p for p in profile["PayloadContent"]}
    assert set(payloads) == {"com.apple.caldav.account", "com.apple.carddav.account"}
    assert server.demo[1].encode() not in body and b"Password" not in body
    identifiers = [profile["PayloadIdentifier"]]
    for kind, payload in (("CalDAV", payloads["com.apple.caldav.account"]),
                          ("CardDAV", payloads["com.apple.carddav.account"])):
        assert PAYLOAD_KEYS <= set(payload)
        assert {kind + key for key in ACCOUNT_KEYS} <= set(payload), payload
        assert payload["PayloadVersion"] == 1
        assert payload[f"{kind}HostName"] == "localhost"
        assert payload[f"{kind}Port"] == server.service.port("https")
        assert payload[f"{kind}UseSSL"] is True
        assert payload[f"{kind}Username"] == server.demo[0]
        identifiers.append(payload["PayloadIdentifier"])
        # Discovery from the principal URL, through the real listener.
        url = urllib.parse.urlsplit(payload[f"{kind}PrincipalURL"])
        assert (url.scheme, url.hostname, url.port) == (
            "https", "localhost", server.service.port("https"))
        found, doc = await xml_request(
            server, "PROPFIND", url.path,
            '<propfind xmlns="DAV:"><prop><current-user-principal/></prop></propfind>',
            depth="0")
        assert found.code == 207
        assert doc.findtext(".//{DAV:}current-user-principal/{DAV:}href") == url.path
    assert len(set(identifiers)) == 3
    assert len({profile["PayloadUUID"], *(p["PayloadUUID"] for p in payloads.values())}) == 3
    # The same profile again: a reinstall replaces the account, never adds one.
    assert (await server.request("GET", PROFILE, auth=server.demo))[1] == body


@pytest_twisted.ensureDeferred
async def test_the_profile_is_never_served_over_plain_http(tmp_path) -> None:
    server = await start_server(tmp_path, "oxdav.listen.http = 127.0.0.1:0\n")
    try:
        url = f"http://127.0.0.1:{server.service.port('http')}{PROFILE}"
        auth = cards.PASSWORD  # any: the answer comes before the password is looked at
        response = await treq.get(url, auth=(server.demo[0], auth))
        assert response.code == 403
        assert b"<plist" not in await treq.content(response)
    finally:
        await server.stop()
