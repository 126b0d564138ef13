"""Paths, hrefs and the prefixPath / proxyPrefixPath mapping (DESIGN.md §3, OX semantics).

Three path spaces, all decoded (no percent escapes) and normalised (see
:func:`normalize_path`):

* **DAV path** — a path inside the DAV tree, what resources know: ``/caldav/12/a.ics``.
  Independent of configuration.
* **internal path** — the path as it arrives at this server: ``prefixPath`` + DAV path,
  e.g. ``/dav/caldav/12/a.ics``.
* **external path** — the path a client sees, sends and gets back in hrefs.

The mapping, with ``P`` = ``com.openexchange.dav.prefixPath`` (where the DAV tree is
mounted in this server), ``X`` = ``com.openexchange.dav.proxyPrefixPath`` (the prefix the
proxy / load balancer *adds* when forwarding: the target path of its ``ProxyPass``;
``/`` when requests are forwarded as they are) and ``E`` = the external prefix the proxy
*strips* (an oxdav extension; always ``/`` in OX)::

    internal = P + dav_path                      (P must lie under X)
    external = E + (internal with X removed)     to_external()
    internal = X + (external with E removed)     to_internal()

Examples for the DAV path ``/caldav/`` (P, X, E → internal → external href)::

    /dav          /             /            → /dav/caldav           → /dav/caldav/
    /servlet/dav  /servlet/dav  /            → /servlet/dav/caldav   → /caldav/
    /dav          /dav          /groupware   → /dav/caldav           → /groupware/caldav/

Row 1 is the recommended set-up (``ProxyPass /dav …/dav``, or no proxy); row 2 is OX's
legacy virtual host (``ProxyPass / …/servlet/dav/``); row 3 is a proxy that publishes
us at ``/groupware/`` and forwards ``/groupware/x`` as ``/dav/x``.

Hrefs are percent-encoded per segment from UTF-8 with one fixed safe set (that of
sabre/dav's ``encodePath``, proven against the common clients), so the same path always
gives the same bytes. Collections' hrefs end with ``/``; incoming paths with and without
the trailing ``/`` are the same resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote_to_bytes, urlsplit

#: Characters left unescaped in a path segment besides RFC 3986 unreserved ones.
_SEGMENT_SAFE = ":@()"
_ABSOLUTE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


#: Encoded parent hrefs a :class:`PathMapper` remembers before starting afresh.
_PARENT_CACHE_SIZE = 1024


class PathError(ValueError):
    """An href or path that cannot be decoded or normalised."""


#: A segment ``quote`` leaves as it is (its always-safe characters and ours).
_UNQUOTED = re.compile(r"[A-Za-z0-9_.\-~:@()]*")


def quote_segment(segment: str) -> str:
    """Percent-encode one path segment (UTF-8, fixed safe set; ``/`` is encoded)."""
    if _UNQUOTED.fullmatch(segment):
        return segment  # most member names: a listing encodes thousands
    return quote(segment, safe=_SEGMENT_SAFE)


def quote_path(path: str) -> str:
    """Percent-encode a decoded path segment by segment, keeping the ``/`` separators."""
    return "/".join(quote_segment(segment) for segment in path.split("/"))


def unquote_path(raw: str) -> str:
    """Decode percent escapes in a raw path; the bytes must be UTF-8.

    Raises:
        PathError: the decoded bytes are not UTF-8.
    """
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise PathError(f"href is not UTF-8 after percent-decoding: {raw!r}") from None


def path_of_href(href: str) -> str:
    """Return the raw (still encoded) path of an href or absolute URL.

    ``http://host:8443/dav/x?y#z`` and ``/dav/x`` both give ``/dav/x`` (Destination
    headers carry absolute URLs, RFC 4918 §10.3; multiget hrefs are usually paths).
    """
    href = href.strip()
    if _ABSOLUTE_URL.match(href):
        return urlsplit(href).path or "/"
    return href.split("?", 1)[0].split("#", 1)[0]


def normalize_path(path: str) -> str:
    """Normalise a decoded path: leading ``/``, no empty or dot segments, no trailing ``/``.

    Dot segments are resolved as in RFC 3986 §5.2.4 (``..`` above the root stays at the
    root). The root is ``/``.
    """
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


def decode_href(href: str) -> str:
    """Decode and normalise an incoming href or absolute URL to a path.

    Raises:
        PathError: the href does not decode to UTF-8.
    """
    return normalize_path(unquote_path(path_of_href(href)))


def join_path(base: str, *segments: str) -> str:
    """Append decoded segments to a decoded path (segments may not contain ``/``)."""
    for segment in segments:
        if "/" in segment or segment in ("", ".", ".."):
            raise PathError(f"not a single path segment: {segment!r}")
    return normalize_path("/".join((base, *segments)))


def parent_path(path: str) -> str:
    """Return the normalised parent of ``path`` (the root is its own parent)."""
    normalized = normalize_path(path)
    return normalize_path(normalized.rsplit("/", 1)[0])


def basename(path: str) -> str:
    """Return the last segment of ``path`` (``""`` for the root)."""
    return normalize_path(path).rsplit("/", 1)[1]


def same_path(a: str, b: str) -> bool:
    """Whether two decoded paths name the same resource (trailing ``/`` ignored)."""
    return normalize_path(a) == normalize_path(b)


def _normalize_prefix(prefix: str) -> str:
    """``/`` and ``""`` become ``""``; others a normalised path without trailing ``/``."""
    normalized = normalize_path(prefix)
    return "" if normalized == "/" else normalized


def _strip_prefix(path: str, prefix: str) -> str | None:
    """Return ``path`` below ``prefix`` (normalised, starting ``/``), or ``None``."""
    if not prefix:
        return path
    if path == prefix:
        return "/"
    if path.startswith(prefix + "/"):
        return path[len(prefix) :]
    return None


def _join_prefix(prefix: str, path: str) -> str:
    return normalize_path(prefix + path)


@dataclass(frozen=True, init=False)
class PathMapper:
    """Map between DAV paths, internal paths and external hrefs (see the module docstring).

    Attributes:
        prefix_path: ``P``, normalised (``""`` for the server root).
        proxy_prefix_path: ``X``, normalised.
        external_prefix: ``E``, normalised.
    """

    prefix_path: str
    proxy_prefix_path: str
    external_prefix: str
    _parents: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)

    def __init__(
        self, prefix_path: str = "/dav", proxy_prefix_path: str = "/", external_prefix: str = "/"
    ) -> None:
        prefix = _normalize_prefix(prefix_path)
        proxy = _normalize_prefix(proxy_prefix_path)
        if _strip_prefix(prefix or "/", proxy) is None:
            raise ValueError(
                f"prefixPath {prefix_path!r} is not below proxyPrefixPath {proxy_prefix_path!r}:"
                " the proxy could never reach the DAV tree"
            )
        object.__setattr__(self, "prefix_path", prefix)
        object.__setattr__(self, "proxy_prefix_path", proxy)
        object.__setattr__(self, "external_prefix", _normalize_prefix(external_prefix))
        object.__setattr__(self, "_parents", {})

    def internal_path(self, dav_path: str) -> str:
        """DAV path → internal path (``/caldav/`` → ``/dav/caldav``)."""
        return _join_prefix(self.prefix_path, normalize_path(dav_path))

    def dav_path(self, internal_path: str) -> str | None:
        """Internal path → DAV path, or ``None`` when outside the DAV tree."""
        return _strip_prefix(normalize_path(internal_path), self.prefix_path)

    def to_external(self, internal_path: str) -> str:
        """Internal path → decoded external path.

        Raises:
            ValueError: the path lies outside ``proxyPrefixPath`` (no client can reach it).
        """
        rest = _strip_prefix(normalize_path(internal_path), self.proxy_prefix_path)
        if rest is None:
            raise ValueError(f"{internal_path!r} is not below {self.proxy_prefix_path!r}")
        return _join_prefix(self.external_prefix, rest)

    def to_internal(self, href_or_url: str) -> str | None:
        """Incoming href or absolute URL → decoded internal path.

        Returns ``None`` when the href is not below the external prefix (not ours).

        Raises:
            PathError: the href does not decode to UTF-8.
        """
        rest = _strip_prefix(decode_href(href_or_url), self.external_prefix)
        return None if rest is None else _join_prefix(self.proxy_prefix_path, rest)

    def dav_path_of_href(self, href_or_url: str) -> str | None:
        """Incoming href → DAV path, or ``None`` when it does not name a DAV resource."""
        internal = self.to_internal(href_or_url)
        return None if internal is None else self.dav_path(internal)

    def href(self, dav_path: str, *, collection: bool = False) -> str:
        """DAV path → percent-encoded external href; collections end with ``/``.

        The members of one collection share the mapped, encoded parent: it is
        remembered per parent path, so a listing encodes only each member's name.
        """
        parent, _, name = dav_path.rpartition("/")
        if name in ("", ".", "..") or not parent.startswith("/"):
            encoded = self._encode(dav_path)
        else:
            encoded_parent = self._parents.get(parent)
            if encoded_parent is None:
                encoded_parent = self._encoded_parent(parent)
            encoded = (
                self._encode(dav_path)
                if encoded_parent is None
                else f"{encoded_parent}/{quote_segment(name)}"
            )
        if collection and not encoded.endswith("/"):
            encoded += "/"
        return encoded

    def _encode(self, dav_path: str) -> str:
        return quote_path(self.to_external(self.internal_path(dav_path)))

    def _encoded_parent(self, parent: str) -> str | None:
        """The encoded href of ``parent`` without trailing ``/``, remembered; ``None``
        when it lies outside ``proxyPrefixPath`` (its members are mapped one by one)."""
        try:
            encoded = self._encode(parent).rstrip("/")
        except ValueError:
            return None
        if len(self._parents) >= _PARENT_CACHE_SIZE:
            self._parents.clear()
        self._parents[parent] = encoded
        return encoded

