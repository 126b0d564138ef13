"""The public resource tree: well-known redirects and the authenticated DAV mount.

Every request reads the config snapshot once (``holder.current``) and keeps it, so a
reload never shows a request half of two configurations. Paths are mapped with
:class:`oxdav.dav.paths.PathMapper` (``prefixPath``/``proxyPrefixPath``, DESIGN.md §3).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from twisted.internet.defer import ensureDeferred
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.error import UnsupportedMethod
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from oxdav.config import ConfigHolder, ConfigSnapshot
from oxdav.dav.errors import render_error, unavailable
from oxdav.dav.methods.registry import method_registry
from oxdav.dav.paths import PathMapper
from oxdav.directory.authenticator import Authenticator
from oxdav.directory.results import Authenticated
from oxdav.store.errors import ContextChanged, StoreUnavailable
from oxdav.web.auth import check_credentials, render_auth_failure, take_credentials

log = Logger()

#: RFC 6764 §5: /.well-known/caldav and /.well-known/carddav lead to the homes.
WELL_KNOWN = {b"/.well-known/caldav": "/caldav/", b"/.well-known/carddav": "/carddav/"}

#: Methods the DAV tree answers, from the method registry; anything else gets 405/501
#: with Allow from the site.
DAV_METHODS = tuple(name.encode("ascii") for name in method_registry().names)

#: Handles an authenticated request below the prefix; returns the body (or None
#: when it wrote the response itself).
DavHandler = Callable[[Request, ConfigSnapshot, PathMapper, str, Authenticated],
                      Awaitable[bytes | None]]


def path_mapper(snapshot: ConfigSnapshot) -> PathMapper:
    """The path mapping of a snapshot (prefixPath and proxyPrefixPath)."""
    return PathMapper(snapshot.get("com.openexchange.dav.prefixPath"),
                      snapshot.get("com.openexchange.dav.proxyPrefixPath"))


def interface_of(dav_path: str) -> str:
    """Which interface's ``enabled`` property guards a DAV path."""
    first = dav_path.strip("/").split("/", 1)[0]
    return first if first in ("caldav", "carddav") else "dav"


async def signed_in_placeholder(request: Request, snapshot: ConfigSnapshot, mapper: PathMapper,
                                dav_path: str, who: Authenticated) -> bytes:
    """Until the WebDAV layer is mounted: confirm the sign-in, nothing more."""
    request.setHeader(b"content-type", b"text/plain; charset=utf-8")
    return f"oxdav: signed in as {who.user.login} (context {who.context.id})\n".encode()


class Root(Resource):
    """The site root; a leaf that routes by path itself (DAV paths are dynamic)."""

    isLeaf = True

    def __init__(self, holder: ConfigHolder, authenticator: Authenticator,
                 dav: DavHandler = signed_in_placeholder,
                 methods: tuple[bytes, ...] = DAV_METHODS) -> None:
        super().__init__()
        self.methods = methods
        self.holder = holder
        self.authenticator = authenticator
        self.dav = dav
        self._mapper: tuple[ConfigSnapshot, PathMapper] | None = None

    def _paths(self, snapshot: ConfigSnapshot) -> PathMapper:
        if self._mapper is None or self._mapper[0] is not snapshot:
            self._mapper = (snapshot, path_mapper(snapshot))
        return self._mapper[1]

    def render(self, request: Request) -> bytes | int:
        if request.method not in self.methods:
            raise UnsupportedMethod(self.methods)
        snapshot = self.holder.current
        mapper = self._paths(snapshot)
        target = WELL_KNOWN.get(request.path.rstrip(b"/"))
        if target is not None:
            request.setResponseCode(301)
            request.setHeader(b"location", mapper.href(target, collection=True).encode("ascii"))
            return b""
        if request.path == b"/" and mapper.prefix_path:
            # The bare server URL users type is served as the DAV root (internal rewrite:
            # hrefs in the answer name the real paths), never redirected.
            request.path = mapper.internal_path("/").encode("latin-1") + b"/"
        dav_path = mapper.dav_path(request.path.decode("latin-1"))
        if dav_path is None:
            request.setResponseCode(404)
            request.setHeader(b"content-type", b"text/plain; charset=utf-8")
            return b"not found\n"
        ensureDeferred(self._serve(request, snapshot, mapper, dav_path)).addErrback(
            self._failed, request)
        return NOT_DONE_YET

    async def _serve(self, request: Request, snapshot: ConfigSnapshot, mapper: PathMapper,
                     dav_path: str) -> None:
        # On the plain listener, ForwardedHeaders has already made isSecure() and the
        # client address reflect X-Forwarded-* -- but only for peers listed in
        # oxdav.proxy.trusted. Basic credentials are accepted only when the request
        # is secure that way, so the flag is never set here.
        credentials = take_credentials(request)
        interface = interface_of(dav_path)
        result = await check_credentials(request, credentials, self.authenticator,
                                         interface, trusted_proxy=False)  # type: ignore[arg-type]
        body: bytes | None = None
        if isinstance(result, Authenticated):
            try:
                body = await self.dav(request, snapshot, mapper, dav_path, result)
            except ContextChanged:
                # A remembered login whose context changed since (a password, an
                # account, a permission): nothing was done or answered; look the
                # login up again and serve the request once more on what is current.
                result = await check_credentials(request, credentials, self.authenticator,
                                                 interface,  # type: ignore[arg-type]
                                                 trusted_proxy=False, fresh=True)
                if isinstance(result, Authenticated):
                    if request.content is not None:
                        request.content.seek(0)
                    body = await self.dav(request, snapshot, mapper, dav_path, result)
        if not isinstance(result, Authenticated):
            body = render_auth_failure(request, result, snapshot.get("oxdav.auth.realm"))
        if body is not None and not request.finished:
            request.write(body)
            request.finish()

    def _failed(self, failure: Failure, request: Request) -> None:
        if failure.check(StoreUnavailable) and not (request.startedWriting or request.finished):
            # The database is away (logging in, or opening the transaction): 503.
            log.warn("request {method} {path}: {error}", method=request.method,
                     path=request.path, error=failure.getErrorMessage())
            status, headers, body = render_error(unavailable(failure.value))
            request.setResponseCode(status)
            for name, value in headers.items():
                request.setHeader(name.encode("ascii"), value.encode("utf-8"))
            request.write(body)
            request.finish()
            return
        log.failure("request {method} {path} failed", failure,
                    method=request.method, path=request.path)
        if not request.finished and not request.startedWriting:
            request.setResponseCode(500)
            request.setHeader(b"content-type", b"text/plain; charset=utf-8")
            request.write(b"internal server error\n")
        if not request.finished:
            request.finish()


def build_root(holder: ConfigHolder, authenticator: Authenticator,
               dav: DavHandler | None = None,
               methods: tuple[bytes, ...] = DAV_METHODS) -> Any:
    """The root resource of the public sites."""
    return Root(holder, authenticator, dav or signed_in_placeholder, methods)
