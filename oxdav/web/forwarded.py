"""Forwarded-header handling for a plain-HTTP listener behind a reverse proxy.

Headers that describe the original client (RFC 7239 ``Forwarded``, or the de-facto
``X-Forwarded-For``/``-Proto``/``-Host``) are believed only when the TCP peer is
one of the configured proxies; from anyone else they are removed, so nothing later
can trust them by mistake. Exactly one family is used, chosen by configuration,
and the other family is always removed: a client cannot smuggle in the header the
proxy does not overwrite.

With a trusted peer the request then reflects the original client:
``getClientAddress()`` is the client's address, ``isSecure()`` is true when the
client used https, and the Host header / ``getHost()`` are the ones the client
asked for (``Request.setHost``, Twisted's reverse-proxy hook).

The client address is found by walking the forwarded chain from the right (the
hop nearest to us) and skipping trusted proxies; the first untrusted address is
the client. The scheme and host come from the same ``Forwarded`` element, or, for
``X-Forwarded-Proto``/``-Host``, from the right-most value (the nearest proxy's).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Literal

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.web.http import Request

__all__ = ["ForwardedHeaders", "TrustedProxies"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_X_FORWARDED = (b"X-Forwarded-For", b"X-Forwarded-Proto", b"X-Forwarded-Host")
_FORWARDED = (b"Forwarded",)

# RFC 7239 §4: forwarded-pair = token "=" value, value = token / quoted-string.
_PAIR = re.compile(r'\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,"\s]*)\s*')
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$")


class TrustedProxies:
    """A set of proxy addresses and networks (``"10.0.0.1"``, ``"fd00::/8"``).

    Raises:
        ValueError: for an entry that is not an IP address or CIDR network.
    """

    #: Most peer addresses whose verdict is remembered (parsing and matching an
    #: address costs more than the rest of a forwarded-header check).
    MEMO_SIZE = 1024

    def __init__(self, entries: Iterable[str]) -> None:
        self.networks: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(entry.strip(), strict=False) for entry in entries
        )
        self._memo: dict[str | None, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.networks)

    def contains(self, address: str | _Address | None) -> bool:
        """Whether an address (an IPv4-mapped IPv6 one counts as IPv4) is trusted."""
        if isinstance(address, str | None):
            known = self._memo.get(address)
            if known is None:
                known = self._contains(_parse_ip(address))
                if len(self._memo) >= self.MEMO_SIZE:
                    self._memo.clear()
                self._memo[address] = known
            return known
        return self._contains(address)

    def _contains(self, ip: _Address | None) -> bool:
        return ip is not None and any(ip in network for network in self.networks)


def _parse_ip(text: str | None) -> _Address | None:
    if not text:
        return None
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _node(text: str) -> tuple[_Address | None, int]:
    """An address and port from ``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80`` or ``::1``."""
    text = text.strip().strip('"')
    port = 0
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
        return _parse_ip(host), port
    if text.count(":") == 1:
        host, _, rest = text.partition(":")
        if rest.isdigit():
            port = int(rest)
        return _parse_ip(host), port
    return _parse_ip(text), port


def _unquote(value: str) -> str:
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _forwarded_elements(values: list[bytes]) -> list[dict[str, str]]:
    """Parse ``Forwarded`` header values into one dict per element, left to right."""
    elements: list[dict[str, str]] = []
    for value in values:
        text = value.decode("latin-1")
        element: dict[str, str] = {}
        pos = 0
        while pos < len(text):
            match = _PAIR.match(text, pos)
            if match is None:
                break  # malformed: keep what parsed so far
            element[match.group(1).lower()] = _unquote(match.group(2))
            pos = match.end()
            if pos < len(text) and text[pos] == ",":
                elements.append(element)
                element = {}
            if pos < len(text) and text[pos] in ",;":
                pos += 1
        elements.append(element)
    return elements


def _list_values(request: Request, name: bytes) -> list[str]:
    values = request.requestHeaders.getRawHeaders(name) or []
    return [item.strip() for v in values for item in v.decode("latin-1").split(",") if item.strip()]


class ForwardedHeaders:
    """Applies forwarded headers to requests from trusted proxies.

    Args:
        proxies: trusted proxy addresses/networks (a :class:`TrustedProxies` or strings).
        use: ``"x-forwarded"`` (X-Forwarded-For/-Proto/-Host) or ``"forwarded"``
            (RFC 7239); the family the proxy sets or overwrites.
    """

    def __init__(
        self,
        proxies: TrustedProxies | Iterable[str],
        use: Literal["x-forwarded", "forwarded"] = "x-forwarded",
    ) -> None:
        if use not in ("x-forwarded", "forwarded"):
            raise ValueError(f"forwarded header family must be x-forwarded or forwarded: {use!r}")
        self.proxies = proxies if isinstance(proxies, TrustedProxies) else TrustedProxies(proxies)
        self.use = use

    def apply(self, request: Request) -> None:
        """Rewrite the request's client, scheme and host, or strip the headers.

        Called once per request before its resource is looked up.
        """
        peer = request.getClientAddress()
        ours, other = (_FORWARDED, _X_FORWARDED) if self.use == "forwarded" else (
            _X_FORWARDED, _FORWARDED)
        for name in other:
            request.requestHeaders.removeHeader(name)
        if not self.proxies.contains(getattr(peer, "host", None)):
            for name in ours:
                request.requestHeaders.removeHeader(name)
            return
        if self.use == "forwarded":
            hops = _forwarded_elements(request.requestHeaders.getRawHeaders(b"Forwarded") or [])
            hops = [h for h in hops if h]
            index = self._client_index([h.get("for", "") for h in hops])
            proto = hops[index].get("proto") if index is not None else None
            host = hops[index].get("host") if index is not None else None
            client = hops[index].get("for") if index is not None else None
        else:
            chain = _list_values(request, b"X-Forwarded-For")
            index = self._client_index(chain)
            client = chain[index] if index is not None else None
            protos = _list_values(request, b"X-Forwarded-Proto")
            hosts = _list_values(request, b"X-Forwarded-Host")
            proto = protos[-1] if protos else None
            host = hosts[-1] if hosts else None
        if client is not None:
            self._set_client(request, client)
        if proto is not None or host is not None:
            self._set_host(request, proto, host)

    def _client_index(self, chain: list[str]) -> int | None:
        """Index of the client in a left-to-right hop list (None if empty)."""
        index = None
        for i in range(len(chain) - 1, -1, -1):
            ip, _ = _node(chain[i])
            if ip is None:
                # "unknown", an obfuscated node or garbage: nothing left of it is reliable.
                break
            index = i
            if not self.proxies.contains(ip):
                break
        return index

    @staticmethod
    def _set_client(request: Request, text: str) -> None:
        ip, port = _node(text)
        if ip is None:
            return
        kind = IPv6Address if ip.version == 6 else IPv4Address
        request.client = kind("TCP", str(ip), port)

    @staticmethod
    def _set_host(request: Request, proto: str | None, host: str | None) -> None:
        secure = request.isSecure() if proto is None else proto.strip().lower() == "https"
        if host is None:
            host = (request.getHeader(b"host") or b"").decode("latin-1")
        match = _HOST.match(host.strip())
        if match is None:
            return
        name, port = match.group(1), match.group(2)
        request.setHost(name.encode("ascii"), int(port) if port else (443 if secure else 80),
                        ssl=secure)
