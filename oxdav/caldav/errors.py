"""CalDAV precondition errors (RFC 4791 §1.3, §5.3.2.1, §7.7, §9.7).

Each error carries the local name of the precondition element in the CalDAV
namespace and no HTTP status; :data:`ERROR_RESPONSES`, at the end, says what each
class answers (registered in the request lifecycle's error map).
"""

from __future__ import annotations

from typing import Final

from oxdav.dav.errors import DAVError, ErrorResponses

#: The CalDAV XML namespace (RFC 4791 §1.2).
from oxdav.dav.namespaces import CALDAV_NS  # re-exported for callers


class CalDAVError(Exception):
    """A CalDAV precondition or postcondition failed.

    Attributes:
        precondition: Local name of the ``CALDAV:`` precondition element, e.g.
            ``"valid-calendar-data"``; ``None`` when the RFC names none and a
            plain 400 Bad Request fits.
        message: A human-readable explanation, safe to show to the client.
    """

    def __init__(self, precondition: str | None, message: str) -> None:
        super().__init__(f"{precondition or 'bad-request'}: {message}")
        self.precondition = precondition
        self.message = message

    def __reduce__(self) -> tuple[type[CalDAVError], tuple[str | None, str]]:
        # Raised in worker processes too (oxdav.work): rebuilt from its fields.
        return type(self), (self.precondition, self.message)

    @property
    def element(self) -> str | None:
        """The precondition in Clark notation (``{urn:ietf:params:xml:ns:caldav}name``)."""
        if self.precondition is None:
            return None
        return f"{{{CALDAV_NS}}}{self.precondition}"


class CalendarDataError(CalDAVError):
    """A PUT/COPY/MOVE body is not acceptable (RFC 4791 §5.3.2.1).

    ``precondition`` is one of ``supported-calendar-data``, ``valid-calendar-data``,
    ``valid-calendar-object-resource``, ``supported-calendar-component`` or
    ``max-resource-size``.
    """


class FilterError(CalDAVError):
    """A calendar-query filter cannot be evaluated (RFC 4791 §7.7, §9.7).

    ``precondition`` is ``valid-filter``, ``supported-filter`` or
    ``supported-collation``.
    """


class CalendarDataRequestError(CalDAVError):
    """A ``CALDAV:calendar-data`` request element is malformed or unsupported (§9.6).

    ``precondition`` is ``supported-calendar-data`` for an unsupported media type
    or version, ``None`` (a plain 400) for other malformed elements.
    """


def refused_request(error: CalDAVError) -> DAVError:
    """403 with the CalDAV precondition, or 400 when the RFC names none."""
    if error.precondition is None:
        return DAVError(400, None, error.message)
    return DAVError(403, error.element, error.message)


def refused_body(error: CalendarDataError) -> DAVError:
    """415 for a body that is no iCalendar (RFC 9110 §15.5.16), else 403 with the
    RFC 4791 §5.3.2.1 precondition."""
    status = 415 if error.precondition == "supported-calendar-data" else 403
    return DAVError(status, error.element, error.message)


ERROR_RESPONSES: Final[ErrorResponses] = {
    CalDAVError: refused_request,
    CalendarDataError: refused_body,
    FilterError: refused_request,
    CalendarDataRequestError: refused_request,
}
