"""The one WebDAV error type, its rendering, and the one map from lower-layer errors to it.

RFC 4918 §16: a failed precondition or postcondition is reported with a ``DAV:error``
body whose child names the condition, e.g.::

    <D:error xmlns:D="DAV:"><C:no-uid-conflict><D:href>/dav/caldav/12/a.ics</D:href>
    </C:no-uid-conflict></D:error>

Lower layers (store, directory) raise their own typed errors that carry no HTTP codes.
They are translated here, in one place: the composition root registers a factory per
error type with :func:`register_error_mapping`, by class or by dotted name, so ``dav``
never imports store internals. Lookup follows the exception's MRO, so registering a
base class covers its subclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from http import HTTPStatus
from typing import Final

from lxml import etree

from oxdav.dav.namespaces import DAV_NS, RESPONSE_NSMAP, clark
from oxdav.dav.xmlchars import xml_safe

_ERROR = clark(DAV_NS, "error")
_RESPONSEDESCRIPTION = clark(DAV_NS, "responsedescription")
_HREF = clark(DAV_NS, "href")

XML_CONTENT_TYPE: Final = "application/xml; charset=utf-8"
TEXT_CONTENT_TYPE: Final = "text/plain; charset=utf-8"


class DAVError(Exception):
    """An HTTP error status, optionally with a WebDAV pre/postcondition (RFC 4918 §16).

    Attributes:
        status: the HTTP status code.
        precondition: the condition as a Clark name (``"{DAV:}valid-sync-token"``) or as
            a ready element with child content (e.g. ``no-uid-conflict`` with an
            ``href``), or ``None``.
        description: human-readable text (``DAV:responsedescription`` / plain body).
        headers: extra response headers (e.g. ``Allow`` on 405).
    """

    def __init__(
        self,
        status: int,
        precondition: str | etree._Element | None = None,
        description: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = int(status)
        self.precondition = precondition
        self.description = description
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.status, self.precondition_name, description)

    @property
    def precondition_name(self) -> str | None:
        """The Clark name of the condition, whichever form it was given in."""
        if self.precondition is None or isinstance(self.precondition, str):
            return self.precondition
        return str(self.precondition.tag)

    def __str__(self) -> str:
        parts = [str(self.status)]
        if self.precondition_name:
            parts.append(self.precondition_name)
        if self.description:
            parts.append(self.description)
        return " ".join(parts)


def condition_with_hrefs(name: str, hrefs: Sequence[str]) -> etree._Element:
    """Build a condition element carrying ``DAV:href`` children.

    Used for e.g. CalDAV ``no-uid-conflict`` (RFC 4791 §5.3.2.1), whose content is the
    href of the resource already holding the UID. ``hrefs`` must already be external,
    percent-encoded hrefs.
    """
    element = etree.Element(name)
    for href in hrefs:
        etree.SubElement(element, _HREF).text = href
    return element


def reason_phrase(status: int) -> str:
    """Return the standard reason phrase for ``status`` (``""`` when unknown)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def render_error(err: DAVError) -> tuple[int, dict[str, str], bytes]:
    """Render ``err`` as ``(status, headers, body)``.

    With a condition the body is the RFC 4918 §16 ``DAV:error`` document (plus a
    ``DAV:responsedescription`` when there is a description); without one it is a short
    plain-text message.
    """
    headers = dict(err.headers)
    if err.precondition is None:
        text = err.description or reason_phrase(err.status) or f"HTTP {err.status}"
        headers["Content-Type"] = TEXT_CONTENT_TYPE
        return err.status, headers, (text + "\n").encode("utf-8")
    root = etree.Element(_ERROR, nsmap=RESPONSE_NSMAP)
    if isinstance(err.precondition, str):
        etree.SubElement(root, err.precondition)
    else:
        root.append(deepcopy(err.precondition))
    if err.description:
        # A description may quote what the client sent (a header value), which can
        # hold characters XML cannot carry.
        etree.SubElement(root, _RESPONSEDESCRIPTION).text = xml_safe(err.description)
    headers["Content-Type"] = XML_CONTENT_TYPE
    body = etree.tostring(root, encoding="utf-8", xml_declaration=True)
    return err.status, headers, body


ErrorFactory = Callable[[BaseException], DAVError]


class ErrorMapper:
    """Translate lower-layer exceptions to :class:`DAVError` — the one place that does.

    Factories are registered per exception class or per dotted class name
    (``"oxdav.store.errors.NotFound"``); a name is matched against the
    ``module.qualname`` of each class in the raised exception's MRO, so nothing is
    imported to register it.
    """

    def __init__(self) -> None:
        self._by_type: dict[type[BaseException], ErrorFactory] = {}
        self._by_name: dict[str, ErrorFactory] = {}

    def register(self, exc_type: type[BaseException] | str, factory: ErrorFactory) -> None:
        """Register ``factory`` for ``exc_type`` (a class or its dotted name)."""
        if isinstance(exc_type, str):
            self._by_name[exc_type] = factory
        else:
            self._by_type[exc_type] = factory

    def to_dav_error(self, exc: BaseException) -> DAVError | None:
        """Return the DAVError for ``exc``, or ``None`` if nothing maps it.

        A :class:`DAVError` maps to itself.
        """
        if isinstance(exc, DAVError):
            return exc
        for cls in type(exc).__mro__:
            factory = self._by_type.get(cls) or self._by_name.get(
                f"{cls.__module__}.{cls.__qualname__}"
            )
            if factory is not None:
                return factory(exc)
        return None


#: The process-wide mapper; the composition root fills it at start-up.
ERROR_MAPPER: Final = ErrorMapper()


def register_error_mapping(exc_type: type[BaseException] | str, factory: ErrorFactory) -> None:
    """Register ``factory`` for ``exc_type`` on the process-wide :data:`ERROR_MAPPER`."""
    ERROR_MAPPER.register(exc_type, factory)


def to_dav_error(exc: BaseException) -> DAVError | None:
    """Translate ``exc`` with the process-wide :data:`ERROR_MAPPER`."""
    return ERROR_MAPPER.to_dav_error(exc)


#: Seconds a client is asked to wait while the database is away (RFC 9110 §10.2.3).
UNAVAILABLE_RETRY_AFTER = 10


def unavailable(exc: BaseException | None = None) -> DAVError:
    """503 with Retry-After for a database that is away for now (RFC 9110 §15.6.4);
    the store's message (which names the database) stays in the log."""
    return DAVError(503, None, "The service is unavailable; try again later.",
                    headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})


def generic_store_error_factories() -> dict[str, ErrorFactory]:
    """Factories for the store errors whose WebDAV meaning is protocol-independent.

    Keyed by dotted class name (see :class:`ErrorMapper`), so ``dav`` imports nothing
    from the store; the composition root registers them. ``UIDConflict`` is left to
    the CalDAV/CardDAV layers, which know the condition's namespace and the href.
    """
    return {
        "oxdav.store.errors.NotFound": lambda exc: DAVError(404, None, str(exc) or None),
        "oxdav.store.errors.AlreadyExists": lambda exc: DAVError(412, None, str(exc) or None),
        # RFC 7232 §4.2: a failed entity-tag condition is 412.
        "oxdav.store.errors.ETagMismatch": lambda exc: DAVError(412, None, str(exc) or None),
        # RFC 3744 §7.1.1: insufficient privileges.
        "oxdav.store.errors.Forbidden": lambda exc: DAVError(
            403, clark(DAV_NS, "need-privileges"), str(exc) or None
        ),
        # RFC 6578 §3.2.
        "oxdav.store.errors.InvalidSyncToken": lambda exc: DAVError(
            403, clark(DAV_NS, "valid-sync-token"), str(exc) or None
        ),
        # RFC 4331 §6.
        "oxdav.store.errors.QuotaExceeded": lambda exc: DAVError(
            507, clark(DAV_NS, "quota-not-exceeded"), str(exc) or None
        ),
        # RFC 4918 §9.10.6: a conflicting lock is held.
        "oxdav.store.errors.Locked": lambda exc: DAVError(
            423, clark(DAV_NS, "no-conflicting-lock"), str(exc) or None
        ),
        # A cap on locks per user, answered like a quota (RFC 4918 §11.5).
        "oxdav.store.errors.LockLimitExceeded": lambda exc: DAVError(507, None, str(exc) or None),
        "oxdav.store.errors.StoreUnavailable": unavailable,
    }
