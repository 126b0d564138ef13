"""The one WebDAV error type, its rendering, and the one map from lower-layer errors to it.

RFC 4918 §16: a failed precondition or postcondition is reported with a ``DAV:error``
body whose child names the condition, e.g.::

    <D:error xmlns:D="DAV:"><C:no-uid-conflict><D:href>/dav/caldav/12/a.ics</D:href>
    </C:no-uid-conflict></D:error>

Lower layers raise their own typed errors that carry no HTTP codes. Each layer that
owns error classes says, next to them, what each one answers (:data:`ErrorResponses`):
``oxdav.folders.errors`` for the store's (the store knows no HTTP, ``dav`` no store),
``oxdav.caldav.errors`` and ``oxdav.carddav.errors`` for theirs. The composition
(``oxdav.web.composition``) registers them all in one :class:`ErrorMapper`, which the
request lifecycle asks for every error a method raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from http import HTTPStatus
from typing import Any, Final

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


#: Makes the response of an error; it gets an instance of the class it is registered for.
ErrorFactory = Callable[[Any], DAVError]

#: What a layer's error classes answer: a factory for each, or None for an error that
#: is no client's (the request fails with 500, logged) or that a step of the request
#: lifecycle handles before (a changed context is served again).
ErrorResponses = Mapping[type[BaseException], ErrorFactory | None]


class ErrorMapper:
    """Translate lower-layer exceptions to :class:`DAVError`: the one place that does.

    Keyed by exception class; the raised exception's MRO is walked, so the nearest
    registered class decides (a class registered with None is answered by nothing,
    whatever its bases map to).
    """

    def __init__(self) -> None:
        self._factories: dict[type[BaseException], ErrorFactory | None] = {}

    def register(self, exc_type: type[BaseException], factory: ErrorFactory | None) -> None:
        """Register what ``exc_type`` (and its subclasses, unless registered) answers."""
        self._factories[exc_type] = factory

    def register_all(self, responses: ErrorResponses) -> None:
        """Register a layer's :data:`ErrorResponses`."""
        for exc_type, factory in responses.items():
            self.register(exc_type, factory)

    def knows(self, exc_type: type[BaseException]) -> bool:
        """Whether ``exc_type`` itself is registered (with a factory or with None)."""
        return exc_type in self._factories

    def to_dav_error(self, exc: BaseException) -> DAVError | None:
        """Return the DAVError for ``exc``, or ``None`` if nothing maps it.

        A :class:`DAVError` maps to itself.
        """
        if isinstance(exc, DAVError):
            return exc
        for cls in type(exc).__mro__:
            if cls in self._factories:
                factory = self._factories[cls]
                return None if factory is None else factory(exc)
        return None
