"""HTTP Basic authentication (RFC 7617) in front of the DAV tree.

Credentials are accepted over TLS, or over plain HTTP only on a listener that is
configured as sitting behind a trusted TLS-terminating proxy. The
``Authorization`` header is removed from the request as soon as it is read, so
no later log line, error page or traceback can carry it; once the credentials are
accepted, the login is recorded as the request's user (``request.getUser()`` and
``request.authenticated_user``, what the access log shows), never the password. A
request whose credentials were refused, or never checked, has no user.

Typical use in a resource::

    result = await authenticate_request(request, authenticator, "caldav",
                                        trusted_proxy=listener.trusted_proxy)
    if not isinstance(result, Authenticated):
        request.write(render_auth_failure(request, result, snapshot.get("oxdav.auth.realm")))
        request.finish()
        return
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass, field
from typing import Protocol

from twisted.web.server import Request

from oxdav.directory.results import (
    Authenticated,
    AuthResult,
    Forbidden,
    ForbiddenReason,
    Interface,
    Throttled,
    Unauthorized,
)

#: Control characters, refused in a user-id or password (RFC 7617 §2).
_CONTROL = re.compile("[\x00-\x1f\x7f]")

#: Longest Authorization header value looked at; longer ones are refused unread.
MAX_AUTHORIZATION_LENGTH = 8192

_FORBIDDEN_TEXT = {
    ForbiddenReason.CONTEXT_DISABLED: "This account is disabled.",
    ForbiddenReason.USER_DISABLED: "This account is disabled.",
    ForbiddenReason.INTERFACE_DISABLED: "This service is not enabled for this account.",
}


@dataclass(frozen=True)
class BasicCredentials:
    """A user-id and password from an ``Authorization: Basic`` header."""

    login: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class InsecureTransport:
    """Credentials arrived over plain HTTP on a listener not behind a trusted proxy."""


class CredentialChecker(Protocol):
    """What :func:`authenticate_request` needs: an ``Authenticator``."""

    async def authenticate(
        self, login: str, password: str, client_address: str, interface: Interface,
        *, fresh: bool = False,
    ) -> AuthResult:
        """Check one login and password (``fresh``: without a remembered verdict)."""
        ...


def parse_basic_authorization(value: bytes | None) -> BasicCredentials | None:
    """Decode an ``Authorization`` header value of the Basic scheme.

    RFC 7617 §2: ``Basic <base64(user-id ":" password)>``; the scheme name is
    case-insensitive (RFC 9110 §11.1); the user-id ends at the first colon; with
    ``charset="UTF-8"`` advertised (§2.1) both parts are UTF-8, and neither may
    contain control characters.

    Args:
        value: The raw header value, or None when the header is absent.

    Returns:
        The credentials, or None for anything missing or malformed (never raises).
    """
    if not value or len(value) > MAX_AUTHORIZATION_LENGTH:
        return None
    parts = value.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(parts[1].strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    login, colon, password = decoded.partition(":")
    if not colon or not login:
        return None
    if _CONTROL.search(decoded):
        return None
    return BasicCredentials(login, password)


def take_credentials(request: Request) -> BasicCredentials | None:
    """Read the Basic credentials of ``request`` and remove the header from it.

    Args:
        request: The incoming request.

    Returns:
        The credentials, or None when absent or malformed.
    """
    value = request.getHeader(b"authorization")
    request.requestHeaders.removeHeader(b"authorization")
    # Twisted parses getUser()/getPassword() lazily from the header: settle them now.
    request.user = request.password = b""
    return parse_basic_authorization(value)


def record_user(request: Request, login: str | None) -> None:
    """Make the authenticated ``login`` the request's user (``getUser()``, access log).

    None: nobody is authenticated (e.g. a remembered login refused on a second look).
    """
    request.user = login.encode("utf-8") if login is not None else b""
    request.authenticated_user = login  # type: ignore[attr-defined]


def client_address(request: Request, *, trusted_proxy: bool) -> str:
    """The address failures are counted against.

    Behind a trusted proxy that is the last ``X-Forwarded-For`` entry (the one the
    proxy itself appended); otherwise the peer of the connection.

    Args:
        request: The incoming request.
        trusted_proxy: Whether the listener is configured as behind a trusted proxy.
    """
    if trusted_proxy:
        forwarded = request.requestHeaders.getRawHeaders(b"x-forwarded-for") or []
        if forwarded:
            last = forwarded[-1].split(b",")[-1].strip()
            if last:
                return last.decode("ascii", "replace")
    peer = request.getClientAddress()
    host: object = getattr(peer, "host", None)
    return str(host) if host is not None else str(peer)


async def authenticate_request(
    request: Request,
    authenticator: CredentialChecker,
    interface: Interface,
    *,
    trusted_proxy: bool,
) -> AuthResult | InsecureTransport:
    """Authenticate ``request`` with HTTP Basic for ``interface``.

    Args:
        request: The incoming request; its Authorization header is removed.
        authenticator: Checks the credentials.
        interface: ``"caldav"`` or ``"carddav"``.
        trusted_proxy: The listener is behind a trusted TLS-terminating proxy, so
            plain HTTP is acceptable.

    Returns:
        The authenticator's result; :class:`Unauthorized` for missing or malformed
        credentials; :class:`InsecureTransport` for plain HTTP not from a trusted
        proxy.
    """
    return await check_credentials(request, take_credentials(request), authenticator,
                                   interface, trusted_proxy=trusted_proxy)


async def check_credentials(
    request: Request,
    credentials: BasicCredentials | None,
    authenticator: CredentialChecker,
    interface: Interface,
    *,
    trusted_proxy: bool,
    fresh: bool = False,
) -> AuthResult | InsecureTransport:
    """:func:`authenticate_request` with the credentials already taken from ``request``.

    Args:
        fresh: have the authenticator look the login up again even if it remembers
            it (its remembered context was found out of date).
    """
    if not (request.isSecure() or trusted_proxy):
        return InsecureTransport()
    if credentials is None:
        return Unauthorized()
    address = client_address(request, trusted_proxy=trusted_proxy)
    result = await authenticator.authenticate(
        credentials.login, credentials.password, address, interface, fresh=fresh)
    record_user(request, credentials.login if isinstance(result, Authenticated) else None)
    return result


def challenge(realm: str) -> bytes:
    """The ``WWW-Authenticate`` value for ``realm`` (RFC 7617 §2, §2.1).

    The realm is sent as a quoted-string (RFC 9110 §5.6.4).
    """
    quoted = realm.replace("\\", "\\\\").replace('"', '\\"')
    return f'Basic realm="{quoted}", charset="UTF-8"'.encode()


def render_auth_failure(
    request: Request,
    result: Unauthorized | Forbidden | Throttled | InsecureTransport,
    realm: str,
) -> bytes:
    """Set status and headers for a failed authentication; return the body.

    401 with the Basic challenge for :class:`Unauthorized`; 403 for
    :class:`Forbidden` and :class:`InsecureTransport`; 429 with ``Retry-After``
    (RFC 6585 §4, RFC 9110 §10.2.3) for :class:`Throttled`. Bodies are plain text.

    Args:
        request: The request to answer.
        result: Why it is refused.
        realm: The authentication realm for the challenge.

    Returns:
        The UTF-8 body, to be written by the caller.
    """
    match result:
        case Unauthorized():
            request.setResponseCode(401)
            request.setHeader(b"www-authenticate", challenge(realm))
            text = "Authentication required."
        case Forbidden(reason=reason):
            request.setResponseCode(403)
            text = _FORBIDDEN_TEXT[reason]
        case Throttled(retry_after=seconds):
            request.setResponseCode(429)
            request.setHeader(b"retry-after", str(max(1, math.ceil(seconds))).encode())
            text = "Too many failed logins; try again later."
        case InsecureTransport():
            request.setResponseCode(403)
            text = "HTTPS is required."
    request.setHeader(b"content-type", b"text/plain; charset=utf-8")
    request.setHeader(b"cache-control", b"no-store")
    return (text + "\n").encode("utf-8")


__all__ = [
    "BasicCredentials",
    "CredentialChecker",
    "InsecureTransport",
    "authenticate_request",
    "challenge",
    "check_credentials",
    "client_address",
    "parse_basic_authorization",
    "record_user",
    "render_auth_failure",
    "take_credentials",
]
