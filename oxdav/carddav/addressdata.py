"""The address-data request element (RFC 6352 §10.4) and Accept negotiation (§5.1.1).

:func:`parse_address_data` reads what a REPORT asks for: the media type and version
(the conversion target) and which vCard properties to return. :meth:`AddressDataRequest.render`
applies it to a stored card. :func:`negotiate_get` picks the version a GET returns
from the Accept header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from typing import Final

from lxml import etree

from oxdav.carddav.card import Card, CardProperty, CardSyntaxError, read_card
from oxdav.carddav.convert import SUPPORTED_ADDRESS_DATA_CONVERSION, convert, convert_card
from oxdav.carddav.errors import CARDDAV_NS, AddressDataRequestError, ConversionError
from oxdav.carddav.vcard import (
    SUPPORTED_ADDRESS_DATA,
    SUPPORTED_VERSIONS,
    VCARD_MEDIA_TYPES,
    ParsedAddressObject,
)

#: CARDDAV:supported-address-data (§6.2.2) as (content-type, version) pairs.
SUPPORTED_ADDRESS_DATA_TYPES: Final = tuple(("text/vcard", v) for v in SUPPORTED_VERSIONS)
#: §10.4: the DTD defaults of the address-data attributes.
DEFAULT_CONTENT_TYPE: Final = "text/vcard"
DEFAULT_VERSION: Final = "3.0"

_ALLPROP = f"{{{CARDDAV_NS}}}allprop"
_PROP = f"{{{CARDDAV_NS}}}prop"


@dataclass(frozen=True)
class PropertySelection:
    """One CARDDAV:prop of an address-data request (§10.4.2).

    Attributes:
        name: the property name, upper case.
        group: the group prefix the property must have, or ``None`` for any group.
        novalue: return the name and parameters with an empty value.
    """

    name: str
    group: str | None = None
    novalue: bool = False

    def selects(self, prop: CardProperty) -> bool:
        """Whether ``prop`` is one this selection asks for."""
        if prop.name != self.name:
            return False
        return self.group is None or (prop.group or "").lower() == self.group.lower()


@dataclass(frozen=True)
class AddressDataRequest:
    """A parsed CARDDAV:address-data request element (§10.4).

    Attributes:
        content_type: the requested media type (always a vCard type here).
        version: the requested vCard version; the DTD default is ``"3.0"``.
        version_given: whether the request named the version (else it is the default).
        properties: the requested properties, or ``None`` for the whole card
            (CARDDAV:allprop, or no CARDDAV:prop at all).
    """

    content_type: str = DEFAULT_CONTENT_TYPE
    version: str = DEFAULT_VERSION
    version_given: bool = False
    properties: tuple[PropertySelection, ...] | None = None

    def render(self, source: bytes | ParsedAddressObject | Card) -> bytes:
        """The address data to return for one stored card.

        The card is converted to :attr:`version` (the stored bytes come back unchanged
        when nothing is to be converted or selected), then cut down to the requested
        properties. BEGIN, VERSION and END are always written; other properties only
        when requested, even UID and FN: §10.4 allows the result to be an invalid vCard
        in that case.

        Raises:
            ConversionError: ``supported-address-data-conversion`` when the stored card
                cannot be read or converted; to be reported for that resource only
                (§5.1.1).
        """
        if self.properties is None:
            return convert(source, self.version)
        card = _as_card(source)
        converted = convert_card(card, self.version)
        return Card(converted.version, self.select(converted.properties)).to_bytes()

    def select(self, properties: list[CardProperty]) -> list[CardProperty]:
        """The requested properties, in card order (with novalue applied)."""
        if self.properties is None:
            return list(properties)
        chosen: list[CardProperty] = []
        for prop in properties:
            selection = next((s for s in self.properties if s.selects(prop)), None)
            if selection is None:
                continue
            if selection.novalue:
                prop = CardProperty(prop.name, "", prop.params, prop.group)
            chosen.append(prop)
        return chosen


def _as_card(source: bytes | ParsedAddressObject | Card) -> Card:
    if isinstance(source, Card):
        return source
    if isinstance(source, ParsedAddressObject):
        return source.card
    try:
        return read_card(source)
    except CardSyntaxError as e:
        raise ConversionError(SUPPORTED_ADDRESS_DATA_CONVERSION, str(e)) from None


def _media_type(value: str) -> tuple[str, str | None]:
    header = Message()
    header["Content-Type"] = value
    version = header.get_param("version")
    media_type = header.get_content_type() if "/" in value else value.strip().lower()
    return media_type, version if isinstance(version, str) else None


def _selection(element: etree._Element) -> PropertySelection:
    # §8.5: any name, X- names included, may be asked for; a name that is no vCard
    # property name simply selects nothing.
    group, _, name = element.get("name", "").strip().rpartition(".")
    novalue = element.get("novalue", "no").strip().lower() == "yes"
    return PropertySelection(name.upper(), group or None, novalue)


def parse_address_data(element: etree._Element) -> AddressDataRequest:
    """Parse a CARDDAV:address-data request element (RFC 6352 §10.4).

    Args:
        element: the ``{urn:ietf:params:xml:ns:carddav}address-data`` element.

    Raises:
        AddressDataRequestError: ``supported-address-data`` when the content-type or
            version names a media type the server does not support (§8.6, §8.7
            preconditions).
    """
    content_type, param_version = _media_type(element.get("content-type", DEFAULT_CONTENT_TYPE))
    if content_type not in VCARD_MEDIA_TYPES:
        raise AddressDataRequestError(SUPPORTED_ADDRESS_DATA, f"{content_type} is not supported")
    given = element.get("version") or param_version
    version = (given or DEFAULT_VERSION).strip()
    if version not in SUPPORTED_VERSIONS:
        raise AddressDataRequestError(SUPPORTED_ADDRESS_DATA,
                                      f"vCard {version} is not supported")
    children = [c for c in element if isinstance(c.tag, str)]
    if any(c.tag == _ALLPROP for c in children):
        properties = None
    else:
        selections = tuple(_selection(c) for c in children if c.tag == _PROP)
        properties = selections or None  # §10.4: no prop elements = the whole card
    return AddressDataRequest(
        content_type=DEFAULT_CONTENT_TYPE,
        version=version,
        version_given=given is not None,
        properties=properties,
    )


# --- GET: Accept negotiation (§5.1.1) ------------------------------------------------


@dataclass(frozen=True)
class NegotiatedFormat:
    """What a GET returns: the vCard version and the Content-Type header value."""

    version: str

    @property
    def content_type(self) -> str:
        """``text/vcard; charset=utf-8``, with ``version=4.0`` for vCard 4.0 (RFC 6350 §10.1)."""
        if self.version == "3.0":
            return "text/vcard; charset=utf-8"
        return f"text/vcard; charset=utf-8; version={self.version}"


# Specificity of a media range for a vCard representation (RFC 9110 §12.5.1).
_VERSIONED, _VCARD, _TEXT_ANY, _ANY = 3, 2, 1, 0


def _accept_ranges(accept: str) -> list[tuple[str, str | None, float]]:
    ranges = []
    # Split at commas outside quoted strings, in linear time.
    for item in re.findall(r'(?:[^,"]|"[^"]*")+', accept):
        if not item.strip():
            continue
        header = Message()
        header["Content-Type"] = item
        raw_type = item.split(";")[0].strip().lower()
        media_type = raw_type if raw_type in ("*/*", "text/*") else header.get_content_type()
        q_value = header.get_param("q")
        try:
            q = float(q_value) if isinstance(q_value, str) else 1.0
        except ValueError:
            continue  # an unparseable range is ignored
        version = header.get_param("version")
        ranges.append((media_type, version if isinstance(version, str) else None, q))
    return ranges


def _quality(ranges: list[tuple[str, str | None, float]], version: str) -> float | None:
    best: tuple[int, float] | None = None
    for media_type, range_version, q in ranges:
        if media_type in VCARD_MEDIA_TYPES:
            if range_version is not None and range_version != version:
                continue
            specificity = _VERSIONED if range_version is not None else _VCARD
        elif media_type == "text/*":
            specificity = _TEXT_ANY
        elif media_type == "*/*":
            specificity = _ANY
        else:
            continue
        if best is None or specificity > best[0] or (specificity == best[0] and q > best[1]):
            best = (specificity, q)
    return None if best is None else best[1]


def negotiate_get(
    accept: str | None, stored_version: str, *, prefer: str | None = None
) -> NegotiatedFormat:
    """Choose the vCard version of a GET response from its Accept header (§5.1.1).

    Each supported version gets the quality of the most specific Accept range that
    covers it (``text/vcard; version=4.0`` over ``text/vcard`` over ``text/*`` over
    ``*/*``); the best quality wins. Among equally acceptable versions ``prefer`` wins,
    else the stored version (no conversion).

    Args:
        accept: the Accept header, or ``None``.
        stored_version: the version of the stored card.
        prefer: the version to give when the header leaves the choice open (e.g.
            ``"3.0"`` for clients known to handle only vCard 3.0); ``None`` for the
            stored version.

    Raises:
        ConversionError: ``supported-address-data-conversion`` when the header accepts
            no vCard version at all (§5.1.1.1).
    """
    first = prefer if prefer in SUPPORTED_VERSIONS else stored_version
    order = [first, stored_version, *SUPPORTED_VERSIONS]
    candidates = list(dict.fromkeys(order))  # in order of preference, without repeats
    if accept is None or not accept.strip():
        return NegotiatedFormat(candidates[0])
    ranges = _accept_ranges(accept)
    scored = [(q, -i, v) for i, v in enumerate(candidates) if (q := _quality(ranges, v))]
    if not scored:
        raise ConversionError(
            SUPPORTED_ADDRESS_DATA_CONVERSION, f"no vCard version is acceptable for {accept!r}"
        )
    return NegotiatedFormat(max(scored)[2])
