"""Property-level rules of the vCard 3.0 ⇄ 4.0 conversion (see :mod:`oxdav.carddav.convert`).

Each converter takes a copy of one property in the source version and returns the
properties to write in the target version (none, one, or ADR plus LABEL). Parameters
common to all properties (TYPE, PREF) are converted afterwards by the caller.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Final

from oxdav.carddav.card import CardProperty, encode_text, join_structured, split_structured
from oxdav.carddav.convert_values import (
    clean_base64,
    date_to_v3,
    date_to_v4,
    gender_to_v3,
    gender_to_v4,
    geo_to_v3,
    geo_to_v4,
    media_type_for_v3_type,
    parse_data_uri,
    tel_uri_to_text,
    utc_offset_to_v3,
    utc_offset_to_v4,
    v3_type_for_media_type,
)
from oxdav.carddav.vcard import APPLE_KIND, APPLE_MEMBER

Converter = Callable[[CardProperty], list[CardProperty]]

_MEDIA_PROPERTIES: Final = ("PHOTO", "LOGO", "SOUND", "KEY")
_COMPONENTS: Final = {"N": 5, "ADR": 7}
_OMIT_YEAR: Final = "X-APPLE-OMIT-YEAR"
#: 3.0 extension names and the 4.0 properties they stand for.
RENAMED_TO_V4: Final = {
    "X-GENDER": "GENDER",
    "X-ANNIVERSARY": "ANNIVERSARY",
    APPLE_KIND: "KIND",
    APPLE_MEMBER: "MEMBER",
}
RENAMED_TO_V3: Final = {new: old for old, new in RENAMED_TO_V4.items()}


def unchanged(prop: CardProperty) -> list[CardProperty]:
    """The converter of everything without a rule: carried over as it is."""
    return [prop]


def _fixed_components(prop: CardProperty) -> list[CardProperty]:
    # N has 5 components, ADR 7, in both versions (RFC 2426 §3.1.2, §3.2.1; RFC 6350
    # §6.2.2, §6.3.1); clients write fewer, and RFC 9554 adds more that 3.0 lacks.
    count = _COMPONENTS[prop.name]
    fields = split_structured(prop.value)[:count]
    fields += [[""]] * (count - len(fields))
    prop.value = join_structured(fields)
    return [prop]


# --- properties, 3.0 → 4.0 --------------------------------------------------------


def _media_to_v4(prop: CardProperty) -> list[CardProperty]:
    encoding = (prop.first_param("ENCODING") or "").lower()
    v3_type = prop.first_param("TYPE")
    if encoding in ("b", "base64"):
        encoded = clean_base64(prop.value)
        if encoded is None:
            return [prop]
        media_type = media_type_for_v3_type(prop.name, v3_type, base64.b64decode(encoded[:64]))
        prop.value = f"data:{media_type};base64,{encoded}"
        for name in ("ENCODING", "TYPE", "VALUE"):
            prop.params.pop(name, None)
    elif (prop.first_param("VALUE") or "uri").lower() in ("uri", "url") and ":" in prop.value:
        prop.params.pop("VALUE", None)
        if v3_type:
            prop.params["MEDIATYPE"] = [media_type_for_v3_type(prop.name, v3_type, None)]
            prop.params.pop("TYPE", None)
    return [prop]


def _date_to_v4(prop: CardProperty) -> list[CardProperty]:
    omit_year = prop.params.pop(_OMIT_YEAR, [None])[0]
    converted = date_to_v4(prop.value, omit_year)
    if converted is not None:
        prop.value = converted
        prop.params.pop("VALUE", None)
    return [prop]


def _anniversary_to_v4(prop: CardProperty) -> list[CardProperty]:
    prop.name = "ANNIVERSARY"
    return _date_to_v4(prop)


def _gender_to_v4(prop: CardProperty) -> list[CardProperty]:
    sex, identity = gender_to_v4(prop.text)
    prop.name, prop.value = "GENDER", join_structured([[sex], [identity]] if identity else [[sex]])
    return [prop]


def _renamed(name: str) -> Converter:
    def rename(prop: CardProperty) -> list[CardProperty]:
        prop.name = name
        return [prop]

    return rename


def _geo_to_v4(prop: CardProperty) -> list[CardProperty]:
    prop.value = geo_to_v4(prop.value) or prop.value
    return [prop]


def _tz_to_v4(prop: CardProperty) -> list[CardProperty]:
    offset = utc_offset_to_v4(prop.value)
    if offset is not None:
        prop.value, prop.params["VALUE"] = offset, ["utc-offset"]
    return [prop]


def _url_to_v4(prop: CardProperty) -> list[CardProperty]:
    # Google escapes the colon of 3.0 URLs (``http\\://``); a 4.0 URI must not have it.
    prop.value = prop.value.replace("\\:", ":")
    return [prop]


def _rev_to_v4(prop: CardProperty) -> list[CardProperty]:
    prop.value = date_to_v4(prop.value) or prop.value
    return [prop]


TO_V4: Final[dict[str, Converter]] = {
    **{name: _media_to_v4 for name in _MEDIA_PROPERTIES},
    "N": _fixed_components,
    "ADR": _fixed_components,
    "BDAY": _date_to_v4,
    "ANNIVERSARY": _date_to_v4,
    "X-ANNIVERSARY": _anniversary_to_v4,
    "X-GENDER": _gender_to_v4,
    APPLE_KIND: _renamed("KIND"),
    APPLE_MEMBER: _renamed("MEMBER"),
    "GEO": _geo_to_v4,
    "TZ": _tz_to_v4,
    "REV": _rev_to_v4,
    "URL": _url_to_v4,
}


# --- properties, 4.0 → 3.0 --------------------------------------------------------


def _adr_to_v3(prop: CardProperty) -> list[CardProperty]:
    result = _fixed_components(prop)
    label = prop.params.pop("LABEL", [])
    if label:
        types = list(prop.param("TYPE"))
        if prop.first_param("PREF") == "1":
            types.append("pref")
        params = {"TYPE": types} if types else {}
        result.append(CardProperty("LABEL", encode_text(label[0]), params, prop.group))
    return result


def _media_to_v3(prop: CardProperty) -> list[CardProperty]:
    if "ENCODING" in prop.params:
        return [prop]  # already written the 3.0 way
    data = parse_data_uri(prop.value)
    media_type = prop.params.pop("MEDIATYPE", [""])[0]
    prop.params.pop("VALUE", None)
    if data is not None:
        v3_type = v3_type_for_media_type(prop.name, data.media_type)
        prop.value, prop.params["ENCODING"] = data.base64, ["b"]
    else:
        v3_type = v3_type_for_media_type(prop.name, media_type)
        prop.params["VALUE"] = ["uri"]
    if v3_type:
        prop.params["TYPE"] = [v3_type]
    return [prop]


def _tel_to_v3(prop: CardProperty) -> list[CardProperty]:
    # RFC 6350 §6.4.1: TEL SHOULD be a VALUE=uri tel: URI; 3.0 only knows text.
    text = tel_uri_to_text(prop.value)
    if text is not None:
        prop.value = encode_text(text)
        prop.params.pop("VALUE", None)
    return [prop]


def _date_to_v3(prop: CardProperty) -> list[CardProperty]:
    converted = date_to_v3(prop.value)
    if converted is not None:
        prop.value, omit_year = converted
        prop.params.pop("VALUE", None)
        if omit_year is not None:
            prop.params[_OMIT_YEAR] = [omit_year]
    if prop.name == "ANNIVERSARY":
        prop.name = "X-ANNIVERSARY"
    return [prop]


def _gender_to_v3(prop: CardProperty) -> list[CardProperty]:
    fields = [", ".join(values) for values in split_structured(prop.value)] + ["", ""]
    text = gender_to_v3(fields[0], fields[1])
    return [CardProperty("X-GENDER", encode_text(text), prop.params, prop.group)] if text else []


def _kind_to_v3(prop: CardProperty) -> list[CardProperty]:
    if prop.text.strip().lower() == "individual":
        return []  # the default in both versions
    prop.name = APPLE_KIND
    return [prop]


def _geo_to_v3(prop: CardProperty) -> list[CardProperty]:
    converted = geo_to_v3(prop.value)
    if converted is not None:
        prop.value = converted
        prop.params.pop("VALUE", None)
    return [prop]


def _tz_to_v3(prop: CardProperty) -> list[CardProperty]:
    value_type = (prop.first_param("VALUE") or "text").lower()
    offset = utc_offset_to_v3(prop.value) if value_type == "utc-offset" else None
    if offset is not None:
        prop.value = offset
        prop.params.pop("VALUE", None)
    elif value_type == "text":
        prop.params["VALUE"] = ["text"]  # RFC 2426 §3.4.1: the default is utc-offset
    return [prop]


TO_V3: Final[dict[str, Converter]] = {
    **{name: _media_to_v3 for name in _MEDIA_PROPERTIES},
    "N": _fixed_components,
    "ADR": _adr_to_v3,
    "TEL": _tel_to_v3,
    "BDAY": _date_to_v3,
    "ANNIVERSARY": _date_to_v3,
    "GENDER": _gender_to_v3,
    "KIND": _kind_to_v3,
    "MEMBER": _renamed(APPLE_MEMBER),
    "GEO": _geo_to_v3,
    "TZ": _tz_to_v3,
}
