"""CardDAV's CPU-heavy work as pure functions, for worker processes (``Work.process``).

Each takes bytes and plain values and returns plain values: checking a PUT body and
making its index (with the card in the other vCard version), matching cards against an
addressbook-query filter, rendering a selection of properties. (A conversion runs
:func:`oxdav.carddav.convert.convert` itself.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oxdav.carddav.addressdata import AddressDataRequest
from oxdav.carddav.errors import CardDAVPreconditionError
from oxdav.carddav.filters import Filter
from oxdav.carddav.representations import alternate_of
from oxdav.carddav.validation import index_of
from oxdav.carddav.vcard import parse_address_object
from oxdav.store.models import ObjectIndex


@dataclass(frozen=True)
class CheckedCard:
    """A PUT body that passed RFC 6352 §6.3.2.1: as sent, its UID and its index (with
    the card in the other vCard version)."""

    data: bytes
    uid: str
    index: ObjectIndex


def checked_card(body: bytes, content_type: str | None, max_size: int) -> CheckedCard:
    """Parse and check a PUT body once; its index.

    Raises:
        AddressDataError: ``valid-address-data``, ``max-resource-size``,
            ``supported-address-data``.
    """
    parsed = parse_address_object(body, content_type=content_type, max_size=max_size)
    return CheckedCard(parsed.data, parsed.uid, index_of(parsed, alternate_of(parsed)))


def matching(query: Filter, cards: Sequence[bytes]) -> list[bool]:
    """Which cards match ``query`` (RFC 6352 §10.5)."""
    return [query.matches_data(data) for data in cards]


#: A card's address-data as rendered, or the precondition that failed for it.
Rendered = bytes | CardDAVPreconditionError


def selections(request: AddressDataRequest, cards: Sequence[bytes]) -> list[Rendered]:
    """A selection of properties (§10.4.2) of each card."""
    rendered: list[Rendered] = []
    for data in cards:
        try:
            rendered.append(request.render(data))
        except CardDAVPreconditionError as error:
            rendered.append(error)
    return rendered
