"""Faithful vCard 3.0 (RFC 2426) ⇄ vCard 4.0 (RFC 6350) conversion (RFC 6352 §5.1.1).

The card is converted property by property; whatever has no counterpart in the other
version (X- properties, unknown properties and parameters, Apple's ``itemN.X-ABLabel``
groups) is carried over unchanged, so a round trip 3→4→3 or 4→3→4 keeps the meaning.

What changes (besides VERSION and PRODID):

- ``TYPE=pref`` ⇄ ``PREF=1`` (RFC 6350 §5.3); ``TYPE=INTERNET`` on EMAIL is dropped in
  4.0 and written again in 3.0; TYPE values are lower case in 4.0, upper case in 3.0.
- PHOTO, LOGO, SOUND, KEY: ``ENCODING=b;TYPE=JPEG`` ⇄ ``data:image/jpeg;base64,`` URIs;
  ``VALUE=uri`` (3.0) ⇄ plain URI with MEDIATYPE (4.0).
- TEL: a 4.0 ``VALUE=uri`` ``tel:`` URI becomes 3.0 text; 3.0 text stays text in 4.0
  (its default value type, RFC 6350 §6.4.1).
- KIND/MEMBER (4.0) ⇄ Apple's X-ADDRESSBOOKSERVER-KIND/-MEMBER (3.0).
- BDAY, ANNIVERSARY (4.0) ⇄ BDAY, X-ANNIVERSARY (3.0); a year-less ``--MMDD`` ⇄
  Apple's ``X-APPLE-OMIT-YEAR=1604;1604-MM-DD``.
- GENDER (4.0) ⇄ X-GENDER (3.0); ADR's LABEL parameter (4.0) ⇄ LABEL (3.0).
- GEO ``geo:`` URI ⇄ ``lat;lon``; TZ utc-offset ``-0500`` ⇄ ``-05:00``.
- N and ADR get exactly 5 and 7 components.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from oxdav import __version__
from oxdav.carddav.card import Card, CardProperty, CardSyntaxError, encode_text, read_card
from oxdav.carddav.convert_properties import (
    RENAMED_TO_V3,
    RENAMED_TO_V4,
    TO_V3,
    TO_V4,
    Converter,
    unchanged,
)
from oxdav.carddav.errors import ConversionError
from oxdav.carddav.vcard import SUPPORTED_VERSIONS, ParsedAddressObject

#: The PRODID written on converted cards (RFC 6350 §6.7.3).
PRODID: Final = f"-//oxdav//oxdav {__version__}//EN"
SUPPORTED_ADDRESS_DATA_CONVERSION: Final = "supported-address-data-conversion"

#: TYPE values of RFC 2426 and RFC 6350 (lower case in 4.0, upper case in 3.0).
_KNOWN_TYPES: Final = frozenset(
    "home work voice fax cell video pager text textphone msg bbs modem car isdn pcs "
    "dom intl postal parcel internet x400".split()
)


#: The VERSION line of a stored card (validated on write: exactly one, RFC 6350 §6.7.9).
_VERSION_LINE: Final = re.compile(rb"^VERSION:[ \t]*([0-9.]+)[ \t]*\r?$",
                                  re.IGNORECASE | re.MULTILINE)


def stored_version(data: bytes) -> str | None:
    """The version of stored card bytes, read from its VERSION line without parsing."""
    found = _VERSION_LINE.search(data)
    return None if found is None else found.group(1).decode("ascii")


def convert(source: bytes | ParsedAddressObject | Card, target_version: str) -> bytes:
    """Return a card as vCard ``target_version`` (RFC 6352 §5.1.1).

    Args:
        source: stored card bytes, a freshly validated object, or a parsed card.
        target_version: ``"3.0"`` or ``"4.0"``.

    Returns:
        The input bytes unchanged when the card already is in ``target_version`` (a
        :class:`Card` is serialised), else the converted card, UTF-8.

    Raises:
        ConversionError: ``supported-address-data-conversion`` for an unsupported
            target version or stored data that cannot be read.
    """
    if target_version not in SUPPORTED_VERSIONS:
        raise ConversionError(
            SUPPORTED_ADDRESS_DATA_CONVERSION, f"cannot convert to vCard {target_version}"
        )
    if isinstance(source, ParsedAddressObject):
        if source.version == target_version:
            return source.data
        card = source.card
    elif isinstance(source, Card):
        card = source
    else:
        if stored_version(source) == target_version:
            return source  # stored cards were validated on write: no parse needed
        try:
            card = read_card(source)
        except CardSyntaxError as e:
            raise ConversionError(SUPPORTED_ADDRESS_DATA_CONVERSION, str(e)) from None
        if card.version == target_version:
            return source
    return convert_card(card, target_version).to_bytes()


def convert_card(card: Card, target_version: str) -> Card:
    """Return a converted copy of ``card`` (the same card's copy if already there).

    Raises:
        ConversionError: ``supported-address-data-conversion`` when either version is
            not 3.0 or 4.0.
    """
    if card.version == target_version:
        return Card(card.version, [p.copy() for p in card.properties])
    if (card.version, target_version) == ("3.0", "4.0"):
        return _convert(card, "4.0", _attach_labels, TO_V4, _params_to_v4, RENAMED_TO_V4)
    if (card.version, target_version) == ("4.0", "3.0"):
        return _convert(card, "3.0", list, TO_V3, _params_to_v3, RENAMED_TO_V3)
    raise ConversionError(
        SUPPORTED_ADDRESS_DATA_CONVERSION,
        f"cannot convert vCard {card.version or '(no version)'} to {target_version}",
    )


def _convert(
    card: Card,
    version: str,
    prepare: Callable[[list[CardProperty]], list[CardProperty]],
    converters: dict[str, Converter],
    params: Callable[[CardProperty], None],
    renamed: dict[str, str],
) -> Card:
    # A property is not renamed onto a name the card already uses natively (a 3.0
    # card with both GENDER and X-GENDER keeps X-GENDER as it is).
    present = {p.name for p in card.properties}
    blocked = {old for old, new in renamed.items() if new in present}
    result: list[CardProperty] = [CardProperty("PRODID", encode_text(PRODID))]
    for prop in prepare([p.copy() for p in card.properties]):
        if prop.name == "PRODID":
            continue
        converter = unchanged if prop.name in blocked else converters.get(prop.name, unchanged)
        for converted in converter(prop):
            params(converted)
            result.append(converted)
    return Card(version, result)


# --- parameters -------------------------------------------------------------------


def _params_to_v4(prop: CardProperty) -> None:
    types = prop.params.pop("TYPE", [])
    if any(t.lower() == "pref" for t in types) and "PREF" not in prop.params:
        prop.params["PREF"] = ["1"]
    kept = [t.lower() if t.lower() in _KNOWN_TYPES else t for t in types if t.lower() != "pref"]
    if prop.name == "EMAIL":
        kept = [t for t in kept if t != "internet"]
    if kept:
        prop.params["TYPE"] = kept
    prop.params.pop("CHARSET", None)  # vCard 4.0 is always UTF-8 (RFC 6350 §3.1)


def _params_to_v3(prop: CardProperty) -> None:
    types = [t.upper() if t.lower() in _KNOWN_TYPES else t for t in prop.params.pop("TYPE", [])]
    if prop.name == "EMAIL" and "INTERNET" not in types:
        types.insert(0, "INTERNET")
    # vCard 3.0 only knows "the preferred one" (RFC 2426 §3.3.1): PREF=1 is that.
    pref = prop.params.pop("PREF", [])
    if pref and pref[0].strip() == "1" and not any(t.lower() == "pref" for t in types):
        types.append("pref")
    if types:
        prop.params["TYPE"] = types


# --- LABEL, 3.0 → 4.0 -------------------------------------------------------------


def _label_matches(label: CardProperty, adr: CardProperty) -> bool:
    if label.group is not None or adr.group is not None:
        return label.group == adr.group

    def kinds(p: CardProperty) -> set[str]:
        return {t.lower() for t in p.param("TYPE")} - {"pref"}

    return kinds(label) == kinds(adr)


def _attach_labels(props: list[CardProperty]) -> list[CardProperty]:
    """Move each 3.0 LABEL onto the ADR it belongs to as its LABEL parameter (4.0).

    A LABEL belongs to the ADR of its group, else to the ADR with the same TYPEs, else
    to the only ADR when the card has one of each. A LABEL with no ADR stays a LABEL.
    """
    adrs = [p for p in props if p.name == "ADR"]
    labels = [p for p in props if p.name == "LABEL"]
    attached: list[CardProperty] = []
    for label in labels:
        free = [a for a in adrs if "LABEL" not in a.params]
        adr = next((a for a in free if _label_matches(label, a)), None)
        if adr is None and len(adrs) == len(labels) == 1 and free:
            adr = free[0]
        if adr is not None:
            adr.params["LABEL"] = [label.text]
            attached.append(label)
    return [p for p in props if not any(p is a for a in attached)]
