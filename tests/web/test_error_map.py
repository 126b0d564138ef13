"""The one error map (oxdav.web.composition): every error class of a lower layer has
an entry, registered by the layer that owns it, and keeps its answer."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import oxdav.caldav
import oxdav.carddav
import oxdav.store
from oxdav.caldav.errors import CalDAVError, CalendarDataError, FilterError
from oxdav.carddav.errors import (
    AddressDataError,
    AddressDataRequestError,
    CardDAVPreconditionError,
    ConversionError,
)
from oxdav.carddav.errors import FilterError as CardFilterError
from oxdav.dav.errors import DAVError, ErrorMapper
from oxdav.store.errors import (
    ContextChanged,
    ETagMismatch,
    InvalidSyncToken,
    NotFound,
    QuotaExceeded,
    StoreError,
    UIDConflict,
)
from oxdav.web.composition import build_dav
from oxdav.work import WorkerLost


def error_classes(package: object, base: type[Exception]) -> list[type[Exception]]:
    """``base`` and every subclass of it defined anywhere in ``package``."""
    for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):  # type: ignore[attr-defined]
        importlib.import_module(module.name)
    found, todo = [], [base]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: c.__qualname__)


@pytest.fixture(scope="module")
def errors() -> ErrorMapper:
    return build_dav(store=None).env.errors


@pytest.mark.parametrize("cls", [
    *error_classes(oxdav.store, StoreError),
    *error_classes(oxdav.caldav, CalDAVError),
    *error_classes(oxdav.carddav, CardDAVPreconditionError),
], ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_error_class_of_a_lower_layer_has_an_entry(errors, cls) -> None:
    assert errors.knows(cls), f"{cls.__qualname__} has no entry in its layer's ERROR_RESPONSES"


def answer(errors: ErrorMapper, exc: Exception) -> tuple[int, str | None]:
    error = errors.to_dav_error(exc)
    assert error is not None
    return error.status, error.precondition_name


def test_store_errors_keep_their_answers(errors) -> None:
    assert answer(errors, NotFound()) == (404, None)
    assert answer(errors, ETagMismatch(None)) == (412, None)
    assert answer(errors, InvalidSyncToken("old")) == (403, "{DAV:}valid-sync-token")
    # RFC 4331 §6.
    assert answer(errors, QuotaExceeded(100, 90, 20)) == (507, "{DAV:}quota-not-exceeded")


def test_errors_answered_elsewhere_are_not_mapped(errors) -> None:
    assert errors.to_dav_error(ContextChanged()) is None  # the lifecycle serves again
    assert errors.to_dav_error(UIDConflict("u", "a.ics")) is None  # the collection, with href


def test_caldav_errors_answer_by_type(errors) -> None:
    caldav = "{urn:ietf:params:xml:ns:caldav}"
    assert answer(errors, CalendarDataError("supported-calendar-data", "x")) == (
        415, f"{caldav}supported-calendar-data")
    assert answer(errors, CalendarDataError("valid-calendar-data", "x")) == (
        403, f"{caldav}valid-calendar-data")
    assert answer(errors, FilterError("valid-filter", "x")) == (403, f"{caldav}valid-filter")
    assert answer(errors, CalDAVError(None, "no time-range")) == (400, None)


def test_carddav_errors_answer_by_type(errors) -> None:
    carddav = "{urn:ietf:params:xml:ns:carddav}"
    assert answer(errors, AddressDataError("supported-address-data", "x")) == (
        415, f"{carddav}supported-address-data")
    assert answer(errors, AddressDataRequestError("supported-address-data", "x")) == (
        403, f"{carddav}supported-address-data")
    assert answer(errors, ConversionError("supported-address-data-conversion", "x")) == (
        406, f"{carddav}supported-address-data-conversion")
    assert answer(errors, CardFilterError("valid-filter", "x")) == (403, f"{carddav}valid-filter")


def test_a_dav_error_is_its_own_answer(errors) -> None:
    error = DAVError(409)
    assert errors.to_dav_error(error) is error


def test_a_worker_process_lost_mid_task_is_503_with_retry_after(errors) -> None:
    error = errors.to_dav_error(WorkerLost("killed"))
    assert error is not None and error.status == 503
    assert error.headers["Retry-After"] == "1"


def test_a_database_that_is_away_is_503_with_retry_after_naming_nothing(errors) -> None:
    from oxdav.dav.errors import render_error
    from oxdav.store.errors import StoreUnavailable

    error = errors.to_dav_error(StoreUnavailable("cannot connect to the database a@db:5432/x"))
    assert error is not None
    status, headers, body = render_error(error)
    assert (status, headers["Retry-After"]) == (503, "10")  # RFC 9110 §15.6.4, §10.2.3
    assert b"db:5432" not in body
