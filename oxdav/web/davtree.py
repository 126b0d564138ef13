"""The DAV layer composed: registries from the home kinds, and the ``DavHandler``.

Every request runs in one store transaction (a write transaction for methods that
write). A write is answered only after its transaction committed (a streamed answer is
read whole first), so a client never hears of a write that is not durable and its next
request sees it; a read's streamed body is written inside the transaction producing it.
The resources live in :mod:`oxdav.folders` (generic) and in CalDAV/CardDAV (the home
kinds listed in :func:`home_kinds`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from twisted.web.server import Request

from oxdav.caldav.home import CalendarHome
from oxdav.carddav.home import AddressBookHome
from oxdav.config import ConfigSnapshot
from oxdav.dav.dispatch import DAVEnvironment, Dispatcher, write_response
from oxdav.dav.errors import DAVError, ErrorMapper
from oxdav.dav.limits import RequestLimits
from oxdav.dav.methods.lock import lock_properties
from oxdav.dav.methods.registry import method_registry
from oxdav.dav.methods.sync_collection import SyncCollectionReport
from oxdav.dav.paths import PathMapper
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.reports import ReportRegistry
from oxdav.dav.resource import Principal, RequestContext
from oxdav.dav.response import DAVResponse
from oxdav.dav.webdav_properties import generic_properties
from oxdav.directory.results import Authenticated
from oxdav.directory.scope import scope_for
from oxdav.folders.homes import HomeKind
from oxdav.folders.tree import DavTree
from oxdav.principals.properties import principal_properties
from oxdav.principals.reports import principal_reports
from oxdav.principals.resources import user_principal_path
from oxdav.work import INLINE, Pacer, Work


@dataclass
class DavHandler:
    """The ``DavHandler`` of :class:`oxdav.web.root.Root`: context, transaction, dispatch.

    Attributes:
        store: the store (``store.transaction``).
        env: the DAV environment (registries).
        kinds: the home kinds by name (``caldav``/``carddav``).
        reactor: paces streamed answers (:class:`oxdav.work.Pacer`); None: unpaced.
    """

    store: Any
    env: DAVEnvironment
    kinds: Mapping[str, HomeKind]
    reactor: Any = None

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(self.env)
        self._limits: tuple[ConfigSnapshot, RequestLimits] | None = None

    def limits(self, snapshot: ConfigSnapshot) -> RequestLimits:
        """The request bounds of a configuration (made once per snapshot)."""
        if self._limits is None or self._limits[0] is not snapshot:
            self._limits = (snapshot, RequestLimits(
                max_hrefs=snapshot.get("oxdav.dav.maxHrefs"),
                max_answer_bytes=snapshot.get("oxdav.dav.maxResponseSize") or None))
        return self._limits[1]

    async def __call__(self, request: Request, snapshot: ConfigSnapshot, mapper: PathMapper,
                       dav_path: str, who: Authenticated) -> None:
        principal = Principal(user_principal_path(who.user.id), who)
        lost: list[object] = []  # the client may go once it has the whole body
        request.notifyFinish().addErrback(lost.append)
        try:
            ctx = RequestContext.from_twisted(request, paths=mapper, principal=principal,
                                              config=snapshot, limits=self.limits(snapshot))
        except DAVError as error:
            await write_response(request, DAVResponse.from_error(error))
            request.finish()
            return
        body = request.content.read() if request.content is not None else b""
        handler = self.env.methods.get(ctx.method)
        write = handler is not None and handler.writes
        consistent = handler is None or handler.snapshot
        settings = snapshot.for_scope(scope_for(who.context, who.user))
        # A remembered login is confirmed by the transaction's first call, at no extra
        # call; ContextChanged (raised before anything is done) goes up to the Root.
        async with self.store.transaction(f"{ctx.method} {ctx.path}", write=write,
                                          snapshot=write or consistent,
                                          confirm=who.context if who.remembered else None
                                          ) as txn:
            tree = DavTree(txn, who.context.id, who.user.id, self.kinds, ctx, settings,
                           self.env.work)
            response = await self.dispatcher.serve(ctx, tree, body)
            await txn.confirmed()  # a request that needed no store call: check now
            if write and not isinstance(response.body, bytes):
                response.body = await response.read_body()
            if not isinstance(response.body, bytes):  # a read streams inside the transaction
                pacer = None if self.reactor is None else Pacer(self.reactor)
                await write_response(request, response, pacer)
        if isinstance(response.body, bytes):  # answered only once committed
            await write_response(request, response)
        if not request.finished and not lost:
            request.finish()


def home_kinds() -> list[HomeKind]:
    """The homes of the tree, in the order the DAV root lists them."""
    return [CalendarHome(), AddressBookHome()]


def build_dav(store: Any, errors: ErrorMapper, *,
              kinds: Sequence[HomeKind] | None = None, work: Work = INLINE,
              reactor: Any = None) -> DavHandler:
    """Compose the DAV layer: the visible lists of properties, reports and methods.

    Args:
        store: the store.
        errors: the lower-layer error map (filled by the composition root).
        kinds: the home kinds; by default :func:`home_kinds`.
        work: where CPU-heavy request work runs (the daemon's :class:`WorkPool`).
        reactor: paces streamed answers; None leaves them unpaced.
    """
    kinds = list(home_kinds() if kinds is None else kinds)
    reports = ReportRegistry()
    properties = PropertyRegistry([*generic_properties(reports), *lock_properties(),
                                   *principal_properties()])
    for kind in kinds:
        for prop in kind.properties(reports):
            properties.register(prop)
    for report in [SyncCollectionReport(properties), *principal_reports(properties)]:
        reports.register(report)
    for kind in kinds:
        for report in kind.reports(properties):
            reports.register(report)
    methods = method_registry([m for kind in kinds for m in kind.methods()])
    compliance = tuple(c for kind in kinds for c in kind.compliance)
    env = DAVEnvironment(properties, reports, methods, compliance=compliance, errors=errors,
                         work=work)
    return DavHandler(store, env, {kind.name: kind for kind in kinds}, reactor)
