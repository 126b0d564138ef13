"""What a card *means*, independent of its vCard version, to compare conversions.

Written apart from the converter: each property becomes a hashable tuple of its group,
its (version-neutral) name, its TYPEs, whether it is preferred, its other parameters
and its decoded value; inline media are compared as decoded bytes, dates as
(year or None, month, day), phone numbers without ``tel:``.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from urllib.parse import unquote

from oxdav.carddav.card import CardProperty, read_card, split_structured

_NEUTRAL_NAMES = {
    "X-ADDRESSBOOKSERVER-KIND": "KIND",
    "X-ADDRESSBOOKSERVER-MEMBER": "MEMBER",
    "X-GENDER": "GENDER",
    "X-ANNIVERSARY": "ANNIVERSARY",
}
_FORMAT_PARAMS = {"TYPE", "PREF", "VALUE", "ENCODING", "MEDIATYPE", "LABEL", "X-APPLE-OMIT-YEAR"}
_GENDERS = {"male": "M", "female": "F", "other": "O", "none": "N", "unknown": "U"}
_MEDIA = {"PHOTO", "LOGO", "SOUND", "KEY"}


def _date(prop: CardProperty) -> tuple[str | None, str, str] | str:
    digits = prop.value.replace("-", "")
    if prop.param("X-APPLE-OMIT-YEAR") and digits.startswith(prop.param("X-APPLE-OMIT-YEAR")[0]):
        return (None, digits[4:6], digits[6:8])
    if m := re.fullmatch(r"(\d{4})?(\d{2})(\d{2})", digits):
        return (m[1], m[2], m[3])
    return prop.value


def _media(prop: CardProperty) -> tuple[str, bytes | str]:
    if prop.first_param("ENCODING"):
        return ((prop.first_param("TYPE") or "").lower(), base64.b64decode(prop.value))
    if prop.value.startswith("data:"):
        header, _, payload = prop.value[5:].partition(",")
        return (header.split(";")[0].rpartition("/")[2], base64.b64decode(payload))
    return ("uri", prop.value)


def _value(prop: CardProperty, name: str) -> object:
    if name in _MEDIA:
        return _media(prop)
    if name in ("BDAY", "ANNIVERSARY"):
        return _date(prop)
    if name in ("N", "ADR"):
        fields = [tuple(v) for v in split_structured(prop.value)]
        size = 5 if name == "N" else 7
        return tuple(fields + [("",)] * (size - len(fields)))
    if name == "TEL":
        return unquote(prop.value.removeprefix("tel:")).replace(";ext=", " ext. ")
    if name == "GENDER":
        text = prop.text.split(";")[0]
        return _GENDERS.get(text.lower(), text)
    if name == "GEO":
        return tuple(float(x) for x in re.split(r"[;,]", prop.value.removeprefix("geo:")))
    if name in ("TZ", "REV"):
        return prop.value.replace(":", "").replace("-", "")
    if name == "URL":
        return prop.value.replace("\\:", ":")
    return prop.text


def meaning(data: bytes) -> Counter[tuple[object, ...]]:
    """The version-neutral content of a card, as a multiset of property tuples."""
    card = read_card(data)
    items: Counter[tuple[object, ...]] = Counter()
    for prop in card.properties:
        name = _NEUTRAL_NAMES.get(prop.name, prop.name)
        if name == "PRODID" or (name == "KIND" and prop.text.lower() == "individual"):
            continue
        raw_types = [t.lower() for t in prop.param("TYPE")]
        types = frozenset(raw_types) - {"pref", "internet"}
        preferred = "pref" in raw_types or prop.param("PREF") == ["1"]
        if name in _MEDIA:
            types = frozenset()  # a 3.0 TYPE names the media type there
        others = frozenset((k, tuple(v)) for k, v in prop.params.items() if k not in _FORMAT_PARAMS)
        group = prop.group.lower() if prop.group else None
        if name == "LABEL":  # 3.0 LABEL ⇄ 4.0 ADR;LABEL=
            items[(group, "ADR-LABEL", types, preferred, prop.text)] += 1
            continue
        if name == "ADR" and prop.param("LABEL"):
            items[(group, "ADR-LABEL", types, preferred, prop.param("LABEL")[0])] += 1
        items[(group, name, types, preferred, others, _value(prop, name))] += 1
    return items
