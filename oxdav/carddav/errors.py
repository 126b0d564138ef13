"""CardDAV precondition errors (RFC 6352 §6.3.2.1, §8.6, §5.1.1.1).

These carry the precondition's local name in the CardDAV namespace and no HTTP status;
:data:`ERROR_RESPONSES`, at the end, says what each class answers (registered in the
request lifecycle's error map).
"""

from __future__ import annotations

from copy import deepcopy
from typing import Final

from lxml import etree

from oxdav.dav.errors import DAVError, ErrorResponses

#: The CardDAV XML namespace, RFC 6352 §14.1.
from oxdav.dav.namespaces import CARDDAV_NS  # re-exported for callers


class CardDAVPreconditionError(Exception):
    """A violated CardDAV precondition.

    Attributes:
        precondition: the local name of the condition element in :data:`CARDDAV_NS`,
            e.g. ``"valid-address-data"``.
        message: a human-readable explanation (``DAV:responsedescription``).
    """

    namespace: Final = CARDDAV_NS

    def __init__(self, precondition: str, message: str) -> None:
        super().__init__(precondition, message)
        self.precondition = precondition
        self.message = message

    @property
    def clark_name(self) -> str:
        """The condition as a Clark name, ``{urn:ietf:params:xml:ns:carddav}<local>``."""
        return f"{{{CARDDAV_NS}}}{self.precondition}"

    def __str__(self) -> str:
        return f"{self.precondition}: {self.message}"


class AddressDataError(CardDAVPreconditionError):
    """A PUT/COPY/MOVE body breaks an RFC 6352 §6.3.2.1 precondition.

    ``precondition`` is one of ``valid-address-data``, ``supported-address-data`` or
    ``max-resource-size``.
    """


class ConversionError(CardDAVPreconditionError):
    """Stored data cannot be returned in the requested media type (§5.1.1).

    ``precondition`` is ``supported-address-data-conversion``: the conversion of one
    resource failed, or no acceptable version exists for a GET (§5.1.1.1).
    """


class AddressDataRequestError(CardDAVPreconditionError):
    """A CARDDAV:address-data request element names a media type or version the server
    does not support at all (§8.6, §10.4): ``supported-address-data``."""


class FilterError(CardDAVPreconditionError):
    """An addressbook-query filter the server refuses (§8.6, §10.5).

    ``precondition`` is ``supported-collation`` (§8.3), ``supported-filter`` (an
    unsupported property or parameter, §8.5) or ``valid-filter`` (a malformed filter,
    the same name Apple CalendarServer uses).

    Attributes:
        offending: for ``supported-filter``, a copy of the ``prop-filter`` or
            ``param-filter`` element the server does not support, to be reported inside
            the condition element (§8.6: "SHOULD report the CARDDAV:prop-filter or
            CARDDAV:param-filter"); otherwise ``None``.
    """

    def __init__(
        self, precondition: str, message: str, offending: etree._Element | None = None
    ) -> None:
        super().__init__(precondition, message)
        self.offending = offending


def refused_request(error: CardDAVPreconditionError) -> DAVError:
    """403 with the CardDAV precondition (RFC 4918 §16)."""
    return DAVError(403, error.clark_name, error.message)


def refused_body(error: AddressDataError) -> DAVError:
    """415 for a body that is no vCard 3.0 or 4.0 (RFC 9110 §15.5.16), else 403 with
    the §6.3.2.1 precondition."""
    status = 415 if error.precondition == "supported-address-data" else 403
    return DAVError(status, error.clark_name, error.message)


def not_acceptable(error: ConversionError) -> DAVError:
    """406: the card cannot be given in a version the GET accepts (§5.1.1.1)."""
    return DAVError(406, error.clark_name, error.message)


def refused_filter(error: FilterError) -> DAVError:
    """403 with the condition, carrying the prop-filter or param-filter the server
    does not support (§8.6)."""
    condition = etree.Element(error.clark_name)
    if error.offending is not None:
        condition.append(deepcopy(error.offending))
    return DAVError(403, condition, error.message)


ERROR_RESPONSES: Final[ErrorResponses] = {
    CardDAVPreconditionError: refused_request,
    AddressDataError: refused_body,
    AddressDataRequestError: refused_request,
    ConversionError: not_acceptable,
    FilterError: refused_filter,
}
