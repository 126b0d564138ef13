"""HTTP Basic authentication at the web layer (RFC 7617)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import pytest_twisted
from twisted.internet.task import Clock
from twisted.web.server import Request
from twisted.web.test.requesthelper import DummyChannel

from oxdav.directory.authenticator import Authenticator
from oxdav.directory.results import (
    Authenticated,
    Forbidden,
    ForbiddenReason,
    Throttled,
    Unauthorized,
)
from oxdav.web.auth import (
    BasicCredentials,
    InsecureTransport,
    authenticate_request,
    challenge,
    check_credentials,
    client_address,
    parse_basic_authorization,
    render_auth_failure,
    take_credentials,
)
from oxdav.web.site import access_log_line
from tests.directory.auth_fixtures import (
    REALM,
    CountingVerifier,
    InterfaceSwitch,
    make_authenticator,
)
from tests.directory.memory_directory import example_directory

CHALLENGE = b'Basic realm="oxdav test", charset="UTF-8"'


def basic(raw: bytes) -> bytes:
    return b"Basic " + base64.b64encode(raw)


def make_request(authorization: bytes | None = None, *, secure: bool = True) -> Request:
    channel = DummyChannel()
    if secure:
        channel.transport = DummyChannel.SSL()
    request = Request(channel, False)
    if authorization is not None:
        request.requestHeaders.setRawHeaders(b"authorization", [authorization])
    return request


def header(request: Request, name: bytes) -> bytes | None:
    values = request.responseHeaders.getRawHeaders(name)
    return values[0] if values else None


@pytest.fixture
def verifier() -> CountingVerifier:
    return CountingVerifier()


@pytest.fixture
def authenticator(verifier: CountingVerifier) -> Iterator[Authenticator]:
    auth = make_authenticator(example_directory(), Clock(), verifier, InterfaceSwitch())
    auth.startService()
    yield auth
    auth.stopService()


# Parsing (RFC 7617 §2)


def test_basic_credentials_are_decoded() -> None:
    parsed = parse_basic_authorization(basic(b"alice@example.com:s3cret"))
    assert parsed == BasicCredentials("alice@example.com", "s3cret")


def test_scheme_name_is_case_insensitive() -> None:
    assert parse_basic_authorization(b"bAsIc " + base64.b64encode(b"u:p")) is not None


def test_password_may_contain_colons() -> None:
    assert parse_basic_authorization(basic(b"u:a:b:c")) == BasicCredentials("u", "a:b:c")


def test_utf8_credentials_are_decoded() -> None:
    raw = "jörg@example.com:pässwörd".encode()
    assert parse_basic_authorization(basic(raw)) == BasicCredentials("jörg@example.com", "pässwörd")


def test_empty_password_is_kept() -> None:
    assert parse_basic_authorization(basic(b"u:")) == BasicCredentials("u", "")


@pytest.mark.parametrize(
    "value",
    [
        None,
        b"",
        b"Basic",
        b"Basic ",
        b"Bearer " + base64.b64encode(b"u:p"),
        b"Basic not*base64!",
        b"Basic " + base64.b64encode(b"u:p")[:-2],
        basic(b"no colon here"),
        basic(b":password-without-user"),
        basic(b"\xff\xfe:latin1-garbage"),
        basic(b"us\x00er:p"),
        basic(b"user:pa\nss"),
        basic(b"user:pass\x7f"),
        basic(b"\x1fuser:pass"),
        b"Basic \xff\xff",
        b"Basic " + b"A" * 9000,
    ],
)
def test_malformed_authorization_is_refused(value: bytes | None) -> None:
    assert parse_basic_authorization(value) is None


def test_credentials_repr_hides_the_password() -> None:
    assert "s3cret" not in repr(BasicCredentials("u", "s3cret"))


# Responses


def test_challenge_quotes_the_realm() -> None:
    assert challenge('say "hi" \\') == b'Basic realm="say \\"hi\\" \\\\", charset="UTF-8"'


def test_unauthorized_is_401_with_the_challenge() -> None:
    request = make_request()
    body = render_auth_failure(request, Unauthorized(), REALM)
    assert request.code == 401
    assert header(request, b"www-authenticate") == CHALLENGE
    assert header(request, b"content-type") == b"text/plain; charset=utf-8"
    assert body


def test_forbidden_is_403_without_a_challenge() -> None:
    request = make_request()
    render_auth_failure(request, Forbidden(ForbiddenReason.USER_DISABLED), REALM)
    assert request.code == 403
    assert header(request, b"www-authenticate") is None


def test_throttled_is_429_with_retry_after_rounded_up() -> None:
    request = make_request()
    render_auth_failure(request, Throttled(7.2), REALM)
    assert request.code == 429
    assert header(request, b"retry-after") == b"8"


def test_insecure_transport_is_403() -> None:
    request = make_request()
    render_auth_failure(request, InsecureTransport(), REALM)
    assert request.code == 403


# Client address


def test_client_address_is_the_peer_without_a_trusted_proxy() -> None:
    request = make_request()
    request.requestHeaders.setRawHeaders(b"x-forwarded-for", [b"203.0.113.7"])
    assert client_address(request, trusted_proxy=False) == "192.168.1.1"


def test_client_address_is_the_last_forwarded_hop_behind_a_trusted_proxy() -> None:
    request = make_request()
    request.requestHeaders.setRawHeaders(b"x-forwarded-for", [b"10.9.9.9, 203.0.113.7"])
    assert client_address(request, trusted_proxy=True) == "203.0.113.7"


# The whole exchange


@pytest_twisted.ensureDeferred
async def test_right_credentials_over_tls_authenticate(authenticator: Authenticator) -> None:
    request = make_request(basic(b"alice@example.com:alice-secret"))
    result = await authenticate_request(request, authenticator, "caldav", trusted_proxy=False)
    assert isinstance(result, Authenticated)


@pytest_twisted.ensureDeferred
async def test_authorization_header_is_removed_from_the_request(
    authenticator: Authenticator,
) -> None:
    request = make_request(basic(b"alice@example.com:alice-secret"))
    await authenticate_request(request, authenticator, "caldav", trusted_proxy=False)
    assert not request.requestHeaders.hasHeader(b"authorization")


@pytest_twisted.ensureDeferred
async def test_wrong_and_unknown_get_the_same_401(authenticator: Authenticator) -> None:
    responses = []
    for raw in (b"alice@example.com:guess", b"nobody@example.com:guess"):
        request = make_request(basic(raw))
        result = await authenticate_request(request, authenticator, "caldav", trusted_proxy=False)
        assert not isinstance(result, Authenticated)
        body = render_auth_failure(request, result, REALM)
        responses.append((request.code, header(request, b"www-authenticate"), body))
    assert responses[0] == responses[1]
    assert responses[0][:2] == (401, CHALLENGE)


@pytest_twisted.ensureDeferred
async def test_missing_or_malformed_header_is_unauthorized_without_kdf(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    for value in (None, b"Basic %%%", basic(b"nocolon")):
        request = make_request(value)
        result = await authenticate_request(request, authenticator, "caldav", trusted_proxy=False)
        assert result == Unauthorized()
    assert verifier.calls == 0


@pytest_twisted.ensureDeferred
async def test_plain_http_is_refused_without_a_trusted_proxy(
    authenticator: Authenticator, verifier: CountingVerifier
) -> None:
    request = make_request(basic(b"alice@example.com:alice-secret"), secure=False)
    result = await authenticate_request(request, authenticator, "caldav", trusted_proxy=False)
    assert result == InsecureTransport()
    assert verifier.calls == 0


@pytest_twisted.ensureDeferred
async def test_plain_http_is_accepted_behind_a_trusted_proxy(
    authenticator: Authenticator,
) -> None:
    request = make_request(basic(b"alice@example.com:alice-secret"), secure=False)
    result = await authenticate_request(request, authenticator, "caldav", trusted_proxy=True)
    assert isinstance(result, Authenticated)


# The user the access log shows


@pytest_twisted.ensureDeferred
async def test_authenticated_login_becomes_the_request_user_without_password(
    authenticator: Authenticator,
) -> None:
    request = make_request(basic(b"alice@example.com:alice-secret"))
    await authenticate_request(request, authenticator, "caldav", trusted_proxy=False)
    assert request.getUser() == b"alice@example.com"
    assert request.getPassword() == b""


@pytest_twisted.ensureDeferred
async def test_refused_login_leaves_no_request_user(authenticator: Authenticator) -> None:
    request = make_request(basic(b"alice@example.com:guess"))
    await authenticate_request(request, authenticator, "caldav", trusted_proxy=False)
    assert (request.getUser(), request.getPassword()) == (b"", b"")


@pytest_twisted.ensureDeferred
async def test_access_log_line_names_the_login_never_the_password(
    authenticator: Authenticator,
) -> None:
    request = make_request(basic(b"alice@example.com:alice-secret"))
    await authenticate_request(request, authenticator, "caldav", trusted_proxy=False)
    request.method, request.uri, request.clientproto = b"PROPFIND", b"/dav/", b"HTTP/1.1"
    line = access_log_line("[24/Nov/2026:07:30:00 +0000]", request)
    assert ' - alice@example.com [' in line
    assert "alice-secret" not in line


def test_access_log_line_shows_a_dash_without_credentials() -> None:
    request = make_request(None)
    request.method, request.uri, request.clientproto = b"GET", b"/", b"HTTP/1.1"
    assert " - - [" in access_log_line("[24/Nov/2026:07:30:00 +0000]", request)


def test_access_log_line_shows_a_dash_for_credentials_never_checked() -> None:
    # Twisted's getUser() would parse the header: a name as typed, maybe a password.
    request = make_request(basic(b"hunter2-typed-as-name:pw"))
    request.method, request.uri, request.clientproto = b"GET", b"/", b"HTTP/1.1"
    line = access_log_line("[24/Nov/2026:07:30:00 +0000]", request)
    assert " - - [" in line and "hunter2" not in line


@pytest_twisted.ensureDeferred
async def test_a_login_refused_on_a_second_look_leaves_no_request_user(
    authenticator: Authenticator,
) -> None:
    request = make_request(basic(b"alice@example.com:alice-secret"))
    credentials = take_credentials(request)
    await check_credentials(request, credentials, authenticator, "caldav",
                            trusted_proxy=False)
    assert request.authenticated_user == "alice@example.com"
    refused = BasicCredentials("alice@example.com", "guess")
    await check_credentials(request, refused, authenticator, "caldav", trusted_proxy=False,
                            fresh=True)
    assert request.authenticated_user is None and request.getUser() == b""
