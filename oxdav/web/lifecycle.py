"""The life of one DAV request, top to bottom (DESIGN.md §7).

:meth:`RequestLifecycle.serve` tells it in order; each step is a function of this module:

1. :func:`authenticate`: Basic credentials, verified or remembered (:mod:`oxdav.web.auth`).
2. :func:`open_transaction`: the store transaction the method declares
   (:class:`~oxdav.dav.dispatch.StoreAccess`); a remembered login is confirmed by its
   first store call, at no extra call.
3. :func:`resolve`: the target in the request's tree (404; 405 with ``Allow``).
4. :func:`run_method`: the method's handler. A :class:`DAVError`, or an error of a lower
   layer that the error map knows, becomes the response (:func:`answer`).
5. commit: leaving the transaction. A read's streamed answer is written before, inside
   the transaction that produces it; a write's answer only after. A write answered
   with an error (4xx/5xx) is rolled back instead: it keeps nothing.
6. after-commit work: the store itself hands what the transaction changed to the
   subscribers of ``store.events`` once it has committed
   (:mod:`oxdav.store.core.events`); nothing here, nothing HTTP-shaped there.
7. :func:`write_response`: status, headers and body onto the wire.

A remembered login whose context changed since (``ContextChanged``, raised by the
first store call before anything was done or answered) is looked up afresh, and the
request served once more on what is current (:meth:`RequestLifecycle.serve`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.server import Request

from oxdav.config import ConfigSnapshot
from oxdav.dav.dispatch import (
    DAVEnvironment,
    DAVRequest,
    MethodHandler,
    ResourceTree,
    StoreAccess,
)
from oxdav.dav.errors import DAVError, ErrorMapper, render_error
from oxdav.dav.limits import RequestLimits
from oxdav.dav.paths import PathMapper
from oxdav.dav.push import DONT_NOTIFY, dont_notify
from oxdav.dav.resource import DAVResource, Principal, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.directory.results import Authenticated, AuthResult
from oxdav.directory.scope import scope_for
from oxdav.folders.space import FolderSpace
from oxdav.folders.tree import DavTree
from oxdav.principals.resources import user_principal_path
from oxdav.store.errors import ContextChanged
from oxdav.web.auth import (
    BasicCredentials,
    CredentialChecker,
    InsecureTransport,
    check_credentials,
    render_auth_failure,
    take_credentials,
)
from oxdav.work import Pacer

log = Logger()


@dataclass
class RequestLifecycle:
    """Serves authenticated DAV requests, one transaction each.

    Attributes:
        store: the store (``store.transaction``).
        env: the DAV environment (registries, error map, work pool).
        spaces: the spaces by name (``caldav``/``carddav``).
        reactor: paces streamed answers (:class:`oxdav.work.Pacer`); None: unpaced.
    """

    store: Any
    env: DAVEnvironment
    spaces: Mapping[str, FolderSpace]
    reactor: Any = None
    push: bool = False

    def __post_init__(self) -> None:
        self._limits: tuple[ConfigSnapshot, RequestLimits] | None = None

    async def serve(self, request: Request, snapshot: ConfigSnapshot, mapper: PathMapper,
                    dav_path: str, authenticator: CredentialChecker) -> None:
        """The whole story of one request below the DAV prefix."""
        credentials = take_credentials(request)
        who = await authenticate(request, credentials, authenticator, dav_path)
        if isinstance(who, Authenticated):
            try:
                await self.serve_as(request, snapshot, mapper, dav_path, who)
                return
            except ContextChanged:
                # Nothing was done or answered: the login's verdict is out of date.
                who = await authenticate(request, credentials, authenticator, dav_path,
                                         fresh=True)
                if isinstance(who, Authenticated):
                    rewind_body(request)
                    await self.serve_as(request, snapshot, mapper, dav_path, who)
                    return
        write_refusal(request, who, snapshot)

    async def serve_as(self, request: Request, snapshot: ConfigSnapshot, mapper: PathMapper,
                       dav_path: str, who: Authenticated) -> None:
        """Steps 2 to 7 for ``who``. Raises: ContextChanged (nothing done or answered)."""
        lost: list[object] = []  # the client may go once it has the whole body
        request.notifyFinish().addErrback(lost.append)
        try:
            ctx = request_context(request, snapshot, mapper, who, self.limits(snapshot))
        except DAVError as error:
            await write_response(request, DAVResponse.from_error(error))
            request.finish()
            return
        body = request.content.read() if request.content is not None else b""
        handler = self.env.methods.get(ctx.method)
        access = StoreAccess.SNAPSHOT if handler is None else handler.access_for(ctx)
        try:
            async with open_transaction(self.store, ctx, access, who) as txn:
                if self.push and access is StoreAccess.WRITE:
                    mute_own_push(txn, ctx, who)
                settings = snapshot.for_scope(scope_for(who.context, who.user))
                tree = DavTree(txn, who.context.id, who.user.id, self.spaces, ctx, settings,
                               self.env.work)
                response = await answer(self.env, ctx, tree, handler, body)
                await txn.confirmed()  # a request that needed no store call: check now
                if access is StoreAccess.WRITE:
                    response.body = await response.read_body()  # answered once committed
                    if response.status >= 400:
                        raise _Refused(response)
                elif not isinstance(response.body, bytes):  # a read streams inside it
                    await write_response(request, response, self.pacer())
        except _Refused as refused:
            # A write answered with an error keeps nothing it did before the error
            # (e.g. the deliveries scheduling made for a PUT the store then refused).
            response = refused.response
        # Committed; the store has told its subscribers what changed (after-commit work).
        if isinstance(response.body, bytes):
            await write_response(request, response)
        if not request.finished and not lost:
            request.finish()

    def limits(self, snapshot: ConfigSnapshot) -> RequestLimits:
        """The request bounds of a configuration (made once per snapshot)."""
        if self._limits is None or self._limits[0] is not snapshot:
            self._limits = (snapshot, RequestLimits(
                max_hrefs=snapshot.get("oxdav.dav.maxHrefs"),
                max_answer_bytes=snapshot.get("oxdav.dav.maxResponseSize") or None))
        return self._limits[1]

    def pacer(self) -> Pacer | None:
        """What lets a long streamed answer give other requests the reactor."""
        return None if self.reactor is None else Pacer(self.reactor)


# -- 1. authenticate ---------------------------------------------------------------------

def interface_of(dav_path: str) -> str:
    """Which interface's ``enabled`` property guards a DAV path."""
    first = dav_path.strip("/").split("/", 1)[0]
    return first if first in ("caldav", "carddav") else "dav"


async def authenticate(request: Request, credentials: BasicCredentials | None,
                       authenticator: CredentialChecker, dav_path: str, *,
                       fresh: bool = False) -> AuthResult | InsecureTransport:
    """Check the request's Basic credentials for the interface of ``dav_path``.

    On the plain listener, ForwardedHeaders has already made ``isSecure()`` and the
    client address reflect X-Forwarded-* for trusted proxies only, so the request's
    own security decides. ``fresh``: look the login up again though it is remembered.
    """
    return await check_credentials(request, credentials, authenticator,
                                   interface_of(dav_path),  # type: ignore[arg-type]
                                   trusted_proxy=False, fresh=fresh)


def rewind_body(request: Request) -> None:
    """Read the body again from its start (the request is served once more)."""
    if request.content is not None:
        request.content.seek(0)


def write_refusal(request: Request, result: AuthResult | InsecureTransport,
                  snapshot: ConfigSnapshot) -> None:
    """Answer refused credentials: 401 with the challenge, 403 or 429."""
    body = render_auth_failure(request, result,  # type: ignore[arg-type]
                               snapshot.get("oxdav.auth.realm"))
    if not request.finished:
        request.write(body)
        request.finish()


def request_context(request: Request, snapshot: ConfigSnapshot, mapper: PathMapper,
                    who: Authenticated, limits: RequestLimits) -> RequestContext:
    """What the handlers know of the request. Raises: DAVError (400, 404)."""
    principal = Principal(user_principal_path(who.user.id), who)
    return RequestContext.from_twisted(request, paths=mapper, principal=principal,
                                       config=snapshot, limits=limits)


# -- 2. open the transaction the method needs --------------------------------------------

def open_transaction(store: Any, ctx: RequestContext, access: StoreAccess,
                     who: Authenticated) -> AbstractAsyncContextManager[Any]:
    """The store transaction for ``access``; a remembered login is confirmed by its
    first call (``ContextChanged`` when its context moved since)."""
    return store.transaction(f"{ctx.method} {ctx.path}",
                             write=access is StoreAccess.WRITE,
                             snapshot=access is not StoreAccess.PER_CALL,
                             confirm=who.context if who.remembered else None)


def mute_own_push(txn: Any, ctx: RequestContext, who: Authenticated) -> None:
    """A writer's ``Push-Dont-Notify`` (WebDAV-Push): its own registrations named
    there, or all of its user's for ``*``, are not told of what it writes; nobody
    mutes another user's (``core.events.Muted``)."""
    ids, everything = dont_notify(ctx.header(DONT_NOTIFY))
    if ids or everything:
        txn.mute((who.context.id, who.user.id), ids, everything=everything)


class _Refused(Exception):
    """Leaves a write transaction without committing, carrying the error answer."""

    def __init__(self, response: DAVResponse) -> None:
        super().__init__(response.status)
        self.response = response


# -- 3. resolve, 4. run the method --------------------------------------------------------

async def answer(env: DAVEnvironment, ctx: RequestContext, tree: ResourceTree,
                 handler: MethodHandler | None, body: bytes) -> DAVResponse:
    """Resolve the target and run the method; never raises for a DAV error or a
    mapped lower-layer error, which become the response."""
    try:
        target = await resolve(env, ctx, tree, handler)
        assert handler is not None
        return await run_method(handler, DAVRequest(ctx, target, body, tree, env))
    except Exception as exc:  # noqa: BLE001 - every mapped error becomes a response
        return error_response(env.errors, exc)


async def resolve(env: DAVEnvironment, ctx: RequestContext, tree: ResourceTree,
                  handler: MethodHandler | None) -> DAVResource | None:
    """The resource at the request path (None: unmapped, for a method that creates).

    Raises:
        DAVError: 405 with ``Allow`` for a method the tree or the target does not
            serve, 404 for an unmapped path the method cannot create.
    """
    target = await tree.resolve(ctx.path)
    if handler is None:
        raise DAVError(405, None, f"{ctx.method} is not supported",
                       headers={"Allow": ", ".join(env.methods.allowed(target))})
    if target is None and not handler.creates:
        raise DAVError(404, None, "no such resource")
    if not handler.allowed_on(target):
        raise DAVError(405, None, f"{ctx.method} is not allowed here",
                       headers={"Allow": ", ".join(env.methods.allowed(target))})
    return target


async def run_method(handler: MethodHandler, request: DAVRequest) -> DAVResponse:
    """The handler's response; a streamed body has made its first chunk, so that a
    failure before the first byte still becomes an error response."""
    response = await handler.handle(request)
    if not isinstance(response.body, bytes):
        response.body = await started(response.body)
    return response


def error_response(errors: ErrorMapper, exc: Exception) -> DAVResponse:
    """The response for ``exc`` by its type (the error map). Raises: ``exc`` when
    nothing maps it (a server fault: 500, logged)."""
    error = errors.to_dav_error(exc)
    if error is None:
        raise exc
    return DAVResponse.from_error(error)


async def started(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``stream`` with its first chunk already made."""
    try:
        first = await anext(stream)
    except StopAsyncIteration:
        first = b""

    async def resumed() -> AsyncIterator[bytes]:
        yield first
        async for chunk in stream:
            yield chunk

    return resumed()


# -- 7. write the response ----------------------------------------------------------------

async def write_response(request: Request, response: DAVResponse,
                         pacer: Pacer | None = None) -> None:
    """Write ``response`` onto a twisted.web request, streaming async bodies.

    Between chunks of a stream, ``pacer`` lets other requests have the reactor. A
    stream that fails after the status was sent can only be cut off: the connection
    is aborted so the client sees a truncated (invalid) document, never a valid one.
    """
    request.setResponseCode(response.status)
    for name, value in response.headers.items():
        request.setHeader(name.encode("latin-1"), value.encode("latin-1"))
    if isinstance(response.body, bytes):
        if "Content-Length" not in response.headers:
            request.setHeader(b"content-length", str(len(response.body)).encode("ascii"))
        if response.body:
            request.write(response.body)
        return
    try:
        async for chunk in response.body:
            if chunk:
                request.write(chunk)
            if pacer is not None:
                await pacer.breathe()
    except Exception:
        log.failure("streaming the {status} body failed; aborting", status=response.status)
        transport = getattr(request.channel, "transport", None)
        if transport is not None:
            transport.abortConnection()
        raise


def write_failure(failure: Failure, request: Request, errors: ErrorMapper | None = None
                  ) -> None:
    """An error outside the method (logging in, opening or committing the
    transaction): the response the error map gives it (the database away: 503), else
    500 and logged, when nothing was sent yet."""
    error = None if errors is None else errors.to_dav_error(failure.value)
    if error is not None and not (request.startedWriting or request.finished):
        log.warn("request {method} {path}: {error}", method=request.method,
                 path=request.path, error=failure.getErrorMessage())
        status, headers, body = render_error(error)
        request.setResponseCode(status)
        for name, value in headers.items():
            request.setHeader(name.encode("latin-1"), value.encode("latin-1"))
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
