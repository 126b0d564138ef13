"""The abstract DAV resource the registries read, and the typed per-request context.

``twisted.web`` types stop here: :meth:`RequestContext.from_twisted` turns an
``IRequest`` into a :class:`RequestContext`, and everything below (methods, property and
report registries, CalDAV/CardDAV) sees only that object.

A :class:`DAVResource` knows its DAV path (``/caldav/12/a.ics``, see
:mod:`oxdav.dav.paths`) and the metadata the generic live properties need. CalDAV and
CardDAV subclass it; the store is never visible through it.
"""

from __future__ import annotations

import abc
import enum
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree
from twisted.web.iweb import IRequest

from oxdav.dav.errors import DAVError
from oxdav.dav.limits import RequestLimits
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.paths import PathError, PathMapper, decode_href, normalize_path
from oxdav.dav.privileges import DAV_PRIVILEGES, NEED_PRIVILEGES, Ace, Privilege, expand_privileges

COLLECTION = clark(DAV_NS, "collection")


class Depth(enum.Enum):
    """The ``Depth`` header (RFC 4918 §10.2)."""

    ZERO = "0"
    ONE = "1"
    INFINITY = "infinity"


def parse_depth(value: str | None, default: Depth) -> Depth:
    """Parse a ``Depth`` header value; ``None`` gives ``default``.

    Raises:
        DAVError: 400 for any other value.
    """
    if value is None:
        return default
    try:
        return Depth(value.strip().lower())
    except ValueError:
        raise DAVError(400, None, f"invalid Depth header {value!r}") from None


@dataclass(frozen=True)
class Principal:
    """The authenticated user as the DAV layer sees it.

    Attributes:
        path: DAV path of the principal resource (``/principals/users/3``).
        identity: opaque object from the directory, handed back to resources (e.g. to
            :meth:`DAVResource.privileges_for`); ``dav`` never looks inside.
    """

    path: str
    identity: object = None


def _prefer_return_minimal(headers: Mapping[str, str]) -> bool:
    """``Prefer: return=minimal`` (RFC 7240 §4.2)."""
    for preference in headers.get("prefer", "").split(","):
        token = preference.split(";", 1)[0].strip()
        key, _, value = token.partition("=")
        if key.strip().lower() == "return" and value.strip().strip('"').lower() == "minimal":
            return True
    return False


@dataclass(frozen=True)
class RequestContext:
    """What a handler knows about the request: never the twisted.web request itself.

    Attributes:
        method: the HTTP method, upper case.
        path: the DAV path of the request URI, decoded and normalised.
        headers: request headers, names lower-cased, repeated headers joined by ``", "``.
        paths: the prefix mapping, for hrefs.
        principal: the authenticated user, or ``None``.
        config: the configuration snapshot the request started with (opaque here).
        trailing_slash: whether the request URI ended with ``/``.
        limits: the bounds of this request (:mod:`oxdav.dav.limits`).
        origin: ``scheme://host[:port]`` the client addressed (behind a trusted proxy,
            the one it forwarded), for absolute URLs; None when the Host is unusable.
    """

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    paths: PathMapper = field(default_factory=PathMapper)
    principal: Principal | None = None
    config: object = None
    trailing_slash: bool = False
    limits: RequestLimits = field(default_factory=RequestLimits)
    origin: str | None = None

    def header(self, name: str) -> str | None:
        """Return the header ``name`` (case-insensitive), or ``None``."""
        return self.headers.get(name.lower())

    def depth(self, default: Depth) -> Depth:
        """Return the parsed ``Depth`` header, ``default`` when absent (400 if invalid)."""
        return parse_depth(self.header("depth"), default)

    @property
    def prefer_minimal(self) -> bool:
        """Whether ``Prefer: return=minimal`` was sent (answer ``Preference-Applied``)."""
        return _prefer_return_minimal(self.headers)

    @property
    def minimal(self) -> bool:
        """Whether the client asked for minimal responses: ``Brief: t`` (Apple's older
        header) or ``Prefer: return=minimal``."""
        return self.headers.get("brief", "").strip().lower() == "t" or self.prefer_minimal

    def href(self, dav_path: str, *, collection: bool = False) -> str:
        """Return the external, percent-encoded href of a DAV path."""
        return self.paths.href(dav_path, collection=collection)

    @classmethod
    def from_twisted(
        cls,
        request: IRequest,
        *,
        paths: PathMapper,
        principal: Principal | None = None,
        config: object = None,
        limits: RequestLimits | None = None,
    ) -> RequestContext:
        """Build the context from a twisted.web request (the only place that reads one).

        Raises:
            DAVError: 400 for an undecodable path, 404 for a path outside the DAV tree.
        """
        raw_path = request.path.decode("latin-1")
        try:
            internal = decode_href(raw_path)
        except PathError as exc:
            raise DAVError(400, None, str(exc)) from None
        dav_path = paths.dav_path(internal)
        if dav_path is None:
            raise DAVError(404, None, "not below the DAV prefix")
        headers: dict[str, str] = {}
        for name, values in request.requestHeaders.getAllRawHeaders():
            key = name.decode("latin-1").lower()
            value = ", ".join(v.decode("latin-1") for v in values)
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return cls(
            method=request.method.decode("ascii").upper(),
            path=dav_path,
            headers=headers,
            paths=paths,
            principal=principal,
            config=config,
            trailing_slash=raw_path.endswith("/"),
            limits=limits or RequestLimits(),
            origin=_origin(request),
        )


_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


def _origin(request: IRequest) -> str | None:
    """The origin the client addressed: its scheme and the Host header (RFC 9110 §7.2)."""
    host = (request.getHeader(b"host") or b"").decode("latin-1").strip()
    if not _HOST.fullmatch(host):
        return None
    return f"{'https' if request.isSecure() else 'http'}://{host}"


class DAVResource(abc.ABC):
    """A WebDAV resource as the generic properties and reports see it.

    Subclasses provide ``path`` and ``is_collection``; everything else has a neutral
    default (``None`` → the property is absent, 404 in PROPFIND).
    """

    @property
    @abc.abstractmethod
    def path(self) -> str:
        """DAV path, normalised (no trailing ``/``)."""

    @property
    @abc.abstractmethod
    def is_collection(self) -> bool:
        """Whether this is a collection (its href ends with ``/``)."""

    @property
    def resource_types(self) -> frozenset[str]:
        """Clark names in ``DAV:resourcetype`` (RFC 4918 §15.9)."""
        return frozenset({COLLECTION}) if self.is_collection else frozenset()

    @property
    def etag(self) -> str | None:
        """Strong entity tag, quoted (``"abc"``), identical in GET/PUT/PROPFIND/REPORT."""
        return None

    @property
    def content_type(self) -> str | None:
        """Media type for ``getcontenttype``."""
        return None

    @property
    def content_length(self) -> int | None:
        """Body length in bytes for ``getcontentlength``."""
        return None

    @property
    def last_modified(self) -> datetime | None:
        """Aware datetime for ``getlastmodified``."""
        return None

    @property
    def creation_date(self) -> datetime | None:
        """Aware datetime for ``creationdate``."""
        return None

    @property
    def displayname(self) -> str | None:
        """Human-readable name for ``displayname``."""
        return None

    @property
    def sync_token(self) -> str | None:
        """Current RFC 6578 sync token URI of a collection that supports sync."""
        return None

    @property
    def ctag(self) -> str | None:
        """CalendarServer ``getctag``; by default the sync token."""
        return self.sync_token

    @property
    def owner(self) -> str | None:
        """DAV path of the owning principal (RFC 3744 §5.1)."""
        return None

    @property
    def supported_privileges(self) -> Privilege:
        """The privilege tree (RFC 3744 §5.3); CalDAV adds ``read-free-busy``."""
        return DAV_PRIVILEGES

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        """Privileges (Clark names, aggregates allowed) granted to ``principal``."""
        return frozenset()

    def acl(self) -> Sequence[Ace]:
        """Access control entries (RFC 3744 §5.5)."""
        return ()

    async def children(self) -> AsyncIterator[DAVResource]:
        """Yield the members of a collection (nothing for non-collections)."""
        return
        yield  # pragma: no cover - makes this an async generator

    async def dead_properties(self) -> Mapping[str, etree._Element]:
        """Dead properties by Clark name (each value the full property element)."""
        return {}

    async def quota(self) -> tuple[int, int] | None:
        """``(used, available)`` bytes for RFC 4331, or ``None`` when not applicable."""
        return None


def require_privilege(resource: DAVResource, principal: Principal | None, privilege: str,
                      action: str) -> None:
    """Refuse ``action`` with 403 ``DAV:need-privileges`` (RFC 3744 §7.1.1) unless
    ``principal`` holds ``privilege`` on ``resource``.

    Writes ask this before they look at locks or conditions: a condition counts only
    for a request that could succeed without it (RFC 9110 §13.2.1), and a lock only
    stands in the way of who may write at all.
    """
    granted = expand_privileges(resource.privileges_for(principal),
                                resource.supported_privileges)
    if privilege not in granted:
        local = privilege.rpartition("}")[2]
        raise DAVError(403, NEED_PRIVILEGES, f"{action} needs the {local} privilege")


def is_same_resource(resource: DAVResource, dav_path: str) -> bool:
    """Whether ``dav_path`` names ``resource`` (trailing ``/`` ignored)."""
    return normalize_path(resource.path) == normalize_path(dav_path)
