"""The DAV layer composed: the registries from the spaces, and the request lifecycle.

:func:`build_dav` lists what the tree serves (properties, reports, methods) in one
visible place; the spaces (:func:`dav_spaces`) add CalDAV's and CardDAV's. How one
request is served is :mod:`oxdav.web.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from oxdav.caldav.space import CalendarSpace
from oxdav.carddav.space import AddressBookSpace
from oxdav.dav.dispatch import DAVEnvironment
from oxdav.dav.errors import DAVError, ErrorMapper, ErrorResponses
from oxdav.dav.methods.lock import lock_properties
from oxdav.dav.methods.post import PostKind, PostMethod
from oxdav.dav.methods.push_register import PushRegisterPost
from oxdav.dav.methods.registry import method_registry
from oxdav.dav.methods.sync_collection import SyncCollectionReport
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.push import PUSH_COMPLIANCE, PushService, push_properties
from oxdav.dav.reports import ReportRegistry
from oxdav.dav.webdav_properties import generic_properties
from oxdav.folders.space import FolderSpace, space_error_map
from oxdav.principals.properties import principal_properties
from oxdav.principals.reports import principal_reports
from oxdav.scheduling.calendars import CalendarScheduling
from oxdav.scheduling.delivery import ExternalDelivery
from oxdav.sharing.names import COMPLIANCE as SHARING_COMPLIANCE
from oxdav.sharing.post import SharingPostMethod
from oxdav.sharing.properties import sharing_properties
from oxdav.web.lifecycle import RequestLifecycle
from oxdav.work import INLINE, Work, WorkerLost


def dav_spaces(external: ExternalDelivery | None = None) -> list[FolderSpace]:
    """The homes of the tree, in the order the DAV root lists them; ``external`` takes
    scheduling messages to attendees who are not colleagues (none leave by default)."""
    return [CalendarSpace(CalendarScheduling(external)), AddressBookSpace()]


#: A worker process that died during a request's task: try again (RFC 9110 §15.6.4).
WORK_ERROR_RESPONSES: Final[ErrorResponses] = {
    WorkerLost: lambda exc: DAVError(503, None, "the server lost a worker process; try again",
                                     headers={"Retry-After": "1"}),
}


def build_dav(store: Any, errors: ErrorMapper | None = None, *,
              spaces: Sequence[FolderSpace] | None = None, work: Work = INLINE,
              reactor: Any = None, external: ExternalDelivery | None = None,
              push: PushService | None = None) -> RequestLifecycle:
    """Compose the DAV layer: the visible lists of properties, reports, methods and
    error responses.

    Args:
        store: the store.
        errors: the error map to fill: the store's errors (``folders.errors``) and
            those of each space's layer; a new one by default.
        spaces: the spaces; by default :func:`dav_spaces` with ``external``.
        work: where CPU-heavy request work runs (the daemon's :class:`WorkPool`).
        reactor: paces streamed answers; None leaves them unpaced.
        external: scheduling's way out for attendees who are not colleagues (iMIP).
        push: the server's WebDAV-Push; None serves none (no properties, no POST).
    """
    spaces = list(dav_spaces(external) if spaces is None else spaces)
    reports = ReportRegistry()
    properties = PropertyRegistry([*generic_properties(reports), *lock_properties(),
                                   *principal_properties(), *sharing_properties()])
    for space in spaces:
        for prop in space.properties(reports):
            properties.register(prop)
    for prop in push_properties(push) if push is not None else ():
        properties.register(prop)
    for report in [SyncCollectionReport(properties), *principal_reports(properties)]:
        reports.register(report)
    for space in spaces:
        for report in space.reports(properties):
            reports.register(report)
    space_methods = [m for space in spaces for m in space.methods()]
    posts = [*(m for m in space_methods if isinstance(m, PostKind)), SharingPostMethod(),
             *([PushRegisterPost(push)] if push is not None else [])]
    methods = method_registry([*(m for m in space_methods if not isinstance(m, PostKind)),
                               PostMethod(posts)])
    errors = space_error_map(spaces, errors)
    errors.register_all(WORK_ERROR_RESPONSES)
    compliance = (*(c for space in spaces for c in space.compliance), *SHARING_COMPLIANCE,
                  *((PUSH_COMPLIANCE,) if push is not None else ()))
    env = DAVEnvironment(properties, reports, methods, compliance=compliance, errors=errors,
                         work=work)
    return RequestLifecycle(store, env, {space.name: space for space in spaces}, reactor,
                            push=push is not None)
