"""Parse-once validation of an address object resource body (RFC 6352 §5.1, §6.3.2.1).

A PUT (or COPY/MOVE into an address book) body is checked once, here, and the result
keeps the bytes exactly as sent (they are stored unchanged, §6.3.2.3: a strong ETag for
octet-equal data) with the few fields the store indexes. Read paths never parse a card
again unless a conversion or a filter needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from typing import Final

from oxdav.carddav.card import Card, CardSyntaxError, read_card
from oxdav.carddav.errors import AddressDataError
from oxdav.dav.xmlchars import non_xml_character

#: The vCard versions stored and served (RFC 6352 §3: 3.0 MUST, 4.0 SHOULD).
SUPPORTED_VERSIONS: Final = ("3.0", "4.0")
#: Versions that exist but are not accepted (vCard 2.1 and the old versit 1.0).
UNSUPPORTED_VERSIONS: Final = ("2.1", "1.0")
#: Media types taken as vCard: text/vcard (RFC 6350 §10.1) and the older names clients
#: still send (text/x-vcard; text/directory from RFC 2425 for 3.0).
VCARD_MEDIA_TYPES: Final = ("text/vcard", "text/x-vcard", "text/directory")
_UTF8_CHARSETS: Final = ("utf-8", "utf8", "us-ascii")

VALID_ADDRESS_DATA: Final = "valid-address-data"
SUPPORTED_ADDRESS_DATA: Final = "supported-address-data"
MAX_RESOURCE_SIZE: Final = "max-resource-size"

#: Apple's vCard 3.0 group extension, the counterpart of vCard 4.0 KIND/MEMBER.
APPLE_KIND: Final = "X-ADDRESSBOOKSERVER-KIND"
APPLE_MEMBER: Final = "X-ADDRESSBOOKSERVER-MEMBER"


@dataclass(frozen=True)
class ParsedAddressObject:
    """A validated address object resource.

    Attributes:
        data: the body exactly as sent; this is what is stored and served.
        uid: the UID property value (unique per address book, RFC 6352 §5.1).
        version: ``"3.0"`` or ``"4.0"``.
        kind: ``"individual"`` (the default), ``"group"``, ``"org"``, ``"location"`` or
            another lower-cased KIND value; from KIND (4.0) or
            X-ADDRESSBOOKSERVER-KIND (Apple, 3.0).
        fn: the formatted name (first FN), unescaped.
        emails: the EMAIL values in card order, unescaped.
        members: group members (4.0 MEMBER or Apple X-ADDRESSBOOKSERVER-MEMBER URIs).
        card: the parsed card, for the request that parsed it (e.g. to convert it
            right away); not meant to be stored.
    """

    data: bytes
    uid: str
    version: str
    kind: str
    fn: str
    emails: tuple[str, ...]
    members: tuple[str, ...]
    card: Card = field(repr=False, compare=False)


def check_content_type(content_type: str | None) -> str | None:
    """Check a request Content-Type for address data (RFC 6352 §6.3.2.1).

    Args:
        content_type: the header value, or ``None`` when the client sent none (tolerated:
            the body itself is then checked).

    Returns:
        The ``version`` media-type parameter (RFC 6350 §10.1), or ``None``.

    Raises:
        AddressDataError: ``supported-address-data`` for another media type, a charset
            other than UTF-8 or a version parameter that is not supported.
    """
    if content_type is None or not content_type.strip():
        return None
    header = Message()
    header["Content-Type"] = content_type
    media_type = header.get_content_type()
    if media_type not in VCARD_MEDIA_TYPES:
        raise AddressDataError(SUPPORTED_ADDRESS_DATA, f"media type {media_type} is not text/vcard")
    charset = header.get_param("charset")
    if isinstance(charset, str) and charset.lower() not in _UTF8_CHARSETS:
        raise AddressDataError(SUPPORTED_ADDRESS_DATA, f"charset {charset} is not UTF-8")
    version = header.get_param("version")
    if not isinstance(version, str):
        return None
    if version not in SUPPORTED_VERSIONS:
        raise AddressDataError(SUPPORTED_ADDRESS_DATA, f"vCard version {version} is not supported")
    return version


def _check_version(card: Card, declared: str | None) -> None:
    if not card.version:
        raise AddressDataError(VALID_ADDRESS_DATA, "the vCard has no VERSION property")
    if card.version in UNSUPPORTED_VERSIONS:
        raise AddressDataError(
            SUPPORTED_ADDRESS_DATA,
            f"vCard {card.version} is not supported; send vCard 3.0 or 4.0",
        )
    if card.version not in SUPPORTED_VERSIONS:
        raise AddressDataError(VALID_ADDRESS_DATA, f"unknown vCard VERSION {card.version!r}")
    if declared is not None and declared != card.version:
        # RFC 6350 §10.1: the version parameter and VERSION must be identical.
        raise AddressDataError(
            VALID_ADDRESS_DATA,
            f"Content-Type says version {declared} but the vCard is {card.version}",
        )


def _required_uid(card: Card) -> str:
    uids = card.find("UID")
    if not uids:
        raise AddressDataError(VALID_ADDRESS_DATA, "the vCard has no UID property")
    if len(uids) > 1:
        raise AddressDataError(VALID_ADDRESS_DATA, "the vCard has more than one UID")
    uid = uids[0].text.strip()
    if not uid:
        raise AddressDataError(VALID_ADDRESS_DATA, "the vCard UID is empty")
    return uid


def card_kind(card: Card) -> str:
    """The card's kind: KIND (RFC 6350 §6.1.4) or Apple's X-ADDRESSBOOKSERVER-KIND."""
    prop = card.first("KIND") or card.first(APPLE_KIND)
    kind = prop.text.strip().lower() if prop is not None else ""
    return kind or "individual"


def card_members(card: Card) -> tuple[str, ...]:
    """Group member URIs: MEMBER (RFC 6350 §6.6.5) or X-ADDRESSBOOKSERVER-MEMBER."""
    return tuple(p.value.strip() for p in card.properties if p.name in ("MEMBER", APPLE_MEMBER))


def _formatted_name(card: Card) -> str:
    fn = card.first("FN")
    if fn is None:
        # FN is required by RFC 2426 §3.1.1 and RFC 6350 §6.2.1; nothing is synthesised.
        raise AddressDataError(VALID_ADDRESS_DATA, "the vCard has no FN property")
    return fn.text


def parse_address_object(
    data: bytes, *, content_type: str | None, max_size: int
) -> ParsedAddressObject:
    """Validate a PUT/COPY/MOVE body for an address book (RFC 6352 §6.3.2.1).

    Args:
        data: the request body.
        content_type: the Content-Type header, or ``None``.
        max_size: the CARDDAV:max-resource-size in octets (§6.2.3).

    Returns:
        The validated object; ``data`` is kept unchanged.

    Raises:
        AddressDataError: ``max-resource-size`` when ``data`` is larger than
            ``max_size``; ``supported-address-data`` for a media type, charset or
            vCard version that is not supported (only vCard 3.0 and 4.0 are);
            ``valid-address-data`` when the body is not UTF-8, holds a character XML
            cannot carry (C0 controls but HTAB, CR and LF; U+FFFE, U+FFFF), is not
            parseable, not exactly one VCARD, or lacks VERSION, UID or FN, or has an
            unknown VERSION.
    """
    if len(data) > max_size:
        raise AddressDataError(
            MAX_RESOURCE_SIZE, f"{len(data)} octets exceed the limit of {max_size}"
        )
    declared = check_content_type(content_type)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AddressDataError(VALID_ADDRESS_DATA,
                               f"not UTF-8: {e.reason} at byte {e.start}") from None
    where = non_xml_character(text)
    if where is not None:
        # RFC 6350 §3.3: no control characters but HTAB in values; and XML, where
        # reports serve the card, cannot carry them.
        raise AddressDataError(VALID_ADDRESS_DATA,
                               f"character {where} is not allowed in a vCard")
    try:
        card = read_card(text)
    except CardSyntaxError as e:
        raise AddressDataError(VALID_ADDRESS_DATA, str(e)) from None
    _check_version(card, declared)
    uid = _required_uid(card)
    fn = _formatted_name(card)
    return ParsedAddressObject(
        data=data,
        uid=uid,
        version=card.version,
        kind=card_kind(card),
        fn=fn,
        emails=tuple(p.text.strip() for p in card.find("EMAIL")),
        members=card_members(card),
        card=card,
    )
