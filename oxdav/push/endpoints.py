"""Where the server may send a push message (no server-side request forgery).

A push endpoint is a URL a client chose, so the server would connect wherever a user
asks. Its host is resolved (off the reactor) and every address it names must be a
public unicast one: loopback, private, link-local, shared (CGNAT), multicast,
reserved and unspecified addresses, and IPv6 forms of them (mapped, 6to4, NAT64 of
private IPv4), are refused unless the admin allows private endpoints
(``oxdav.push.allowPrivateEndpoints``). Plain ``http`` is accepted only then as well.
The message is then sent to the very address checked (:mod:`oxdav.push.delivery`), so
a name that resolves differently a moment later reaches nothing unchecked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Resolves (host, port) to addresses; raises OSError when it cannot.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598, not is_private everywhere
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class EndpointRefused(ValueError):
    """The server will not send to this endpoint; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked endpoint: where to connect and what to ask for."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``, the VAPID audience (RFC 8292 §2)."""
        default = 443 if self.scheme == "https" else 80
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}"


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is a public unicast address (IPv6 forms of IPv4 judged by
    the IPv4 address they carry)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    return not (address.is_private or address.is_loopback or address.is_link_local
                or address.is_multicast or address.is_reserved or address.is_unspecified
                or address in _SHARED) and address.is_global


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of ``host`` by the system resolver, in a thread."""
    from twisted.internet.threads import deferToThread

    infos = await deferToThread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check(url: str, resolve: Resolver, *, allow_private: bool) -> Target:
    """The endpoint as a :class:`Target`. Raises: EndpointRefused."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("https", "http") or not host:
        raise EndpointRefused("the endpoint must be an https URL")
    if parts.scheme == "http" and not allow_private:
        raise EndpointRefused("the endpoint must be an https URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise EndpointRefused("the endpoint's port is invalid") from None
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list(await resolve(host, port))
        except OSError as e:
            raise EndpointRefused(f"the endpoint's host does not resolve ({e})") from None
    if not addresses:
        raise EndpointRefused("the endpoint's host does not resolve")
    for text in addresses:
        address = ipaddress.ip_address(text.partition("%")[0])
        if not allow_private and not is_public(address):
            raise EndpointRefused("the endpoint's host has a loopback, private or"
                                  " link-local address")
    return Target(url, parts.scheme, host, port, addresses[0])
