"""The DAV layer composed: the registries from the home kinds, and the request lifecycle.

:func:`build_dav` lists what the tree serves (properties, reports, methods) in one
visible place; the kinds (:func:`home_kinds`) add CalDAV's and CardDAV's. How one
request is served is :mod:`oxdav.web.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oxdav.caldav.home import CalendarHome
from oxdav.carddav.home import AddressBookHome
from oxdav.dav.dispatch import DAVEnvironment
from oxdav.dav.errors import ErrorMapper
from oxdav.dav.methods.lock import lock_properties
from oxdav.dav.methods.registry import method_registry
from oxdav.dav.methods.sync_collection import SyncCollectionReport
from oxdav.dav.properties import PropertyRegistry
from oxdav.dav.reports import ReportRegistry
from oxdav.dav.webdav_properties import generic_properties
from oxdav.folders.errors import STORE_ERROR_RESPONSES
from oxdav.folders.homes import HomeKind
from oxdav.principals.properties import principal_properties
from oxdav.principals.reports import principal_reports
from oxdav.web.lifecycle import RequestLifecycle
from oxdav.work import INLINE, Work


def home_kinds() -> list[HomeKind]:
    """The homes of the tree, in the order the DAV root lists them."""
    return [CalendarHome(), AddressBookHome()]


def build_dav(store: Any, errors: ErrorMapper | None = None, *,
              kinds: Sequence[HomeKind] | None = None, work: Work = INLINE,
              reactor: Any = None) -> RequestLifecycle:
    """Compose the DAV layer: the visible lists of properties, reports, methods and
    error responses.

    Args:
        store: the store.
        errors: the error map to fill: the store's errors (``folders.errors``) and
            those of each kind's layer; a new one by default.
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
    errors = ErrorMapper() if errors is None else errors
    errors.register_all(STORE_ERROR_RESPONSES)
    for kind in kinds:
        errors.register_all(kind.errors())
    compliance = tuple(c for kind in kinds for c in kind.compliance)
    env = DAVEnvironment(properties, reports, methods, compliance=compliance, errors=errors,
                         work=work)
    return RequestLifecycle(store, env, {kind.name: kind for kind in kinds}, reactor)
