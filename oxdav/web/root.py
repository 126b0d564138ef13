"""The public resource tree: well-known redirects and the routing to the DAV mount.

Every request reads the config snapshot once (``holder.current``) and keeps it, so a
reload never shows a request half of two configurations. Paths are mapped with
:class:`oxdav.dav.paths.PathMapper` (``prefixPath``/``proxyPrefixPath``, DESIGN.md §3).
A request below the prefix is served by :mod:`oxdav.web.lifecycle`, but for the client
setup page and profile (``<prefix>/setup``, :mod:`oxdav.web.setup`).
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import ensureDeferred
from twisted.web.error import UnsupportedMethod
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from oxdav.config import ConfigHolder, ConfigSnapshot
from oxdav.dav.methods.registry import method_registry
from oxdav.dav.paths import PathMapper
from oxdav.web.auth import CredentialChecker
from oxdav.web.lifecycle import RequestLifecycle, write_failure
from oxdav.web.setup import SetupPages, is_setup_path

#: RFC 6764 §5: /.well-known/caldav and /.well-known/carddav lead to the homes.
WELL_KNOWN = {b"/.well-known/caldav": "/caldav/", b"/.well-known/carddav": "/carddav/"}

#: Methods the DAV tree answers, from the method registry; anything else gets 405/501
#: with Allow from the site.
DAV_METHODS = tuple(name.encode("ascii") for name in method_registry().names)


def path_mapper(snapshot: ConfigSnapshot) -> PathMapper:
    """The path mapping of a snapshot (prefixPath and proxyPrefixPath)."""
    return PathMapper(snapshot.get("com.openexchange.dav.prefixPath"),
                      snapshot.get("com.openexchange.dav.proxyPrefixPath"))


class Root(Resource):
    """The site root; a leaf that routes by path itself (DAV paths are dynamic)."""

    isLeaf = True

    def __init__(self, holder: ConfigHolder, authenticator: CredentialChecker,
                 dav: RequestLifecycle, methods: tuple[bytes, ...] = DAV_METHODS) -> None:
        super().__init__()
        self.methods = methods
        self.holder = holder
        self.authenticator = authenticator
        self.dav = dav
        self.setup = SetupPages(dav.store, dav.spaces)
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
        serve = self.setup.serve if is_setup_path(dav_path) else self.dav.serve
        ensureDeferred(serve(request, snapshot, mapper, dav_path,
                             self.authenticator)).addErrback(
            write_failure, request, self.dav.env.errors)
        return NOT_DONE_YET


def build_root(holder: ConfigHolder, authenticator: CredentialChecker,
               dav: RequestLifecycle, methods: tuple[bytes, ...] = DAV_METHODS) -> Any:
    """The root resource of the public sites."""
    return Root(holder, authenticator, dav, methods)
