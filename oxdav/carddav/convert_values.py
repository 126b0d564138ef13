"""Value-level mappings between vCard 3.0 (RFC 2426) and vCard 4.0 (RFC 6350).

Pure functions on value strings, used by :mod:`oxdav.carddav.convert`: dates
(including Apple's year-less birthdays), inline media (``ENCODING=b`` ⇄ ``data:`` URIs),
``tel:`` URIs, GEO, TZ and GENDER. Each returns ``None`` when a value has no faithful
counterpart, and the caller then carries the property over unchanged.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, unquote_to_bytes

#: Apple writes a year-less date in vCard 3.0 as this (leap) year plus
#: ``X-APPLE-OMIT-YEAR=1604``; vCard 4.0 writes ``--MMDD`` (RFC 6350 §4.3.1).
APPLE_OMIT_YEAR: Final = "1604"

_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")
_DATE_TIME = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2})(?::?(\d{2}))?(?:[.,]\d+)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})?$")


def _basic_zone(zone: str | None) -> str:
    return (zone or "").replace(":", "")


def _extended_zone(zone: str | None) -> str:
    if not zone or zone == "Z" or len(zone) != 5:
        return zone or ""
    return f"{zone[:3]}:{zone[3:]}"


def date_to_v4(value: str, omit_year: str | None = None) -> str | None:
    """A vCard 3.0 date or date-time as vCard 4.0 (ISO 8601 basic format).

    Args:
        value: ``1985-04-15``, ``19850415``, ``--04-15``, ``1985-04-15T12:30:00Z``…
        omit_year: the ``X-APPLE-OMIT-YEAR`` parameter; a date in that year loses it.

    Returns:
        ``19850415``, ``--0415``, ``19850415T123000Z``…, or ``None`` if not a date.
    """
    value = value.strip()
    if m := _NO_YEAR.match(value):
        return f"--{m[1]}{m[2]}"
    if m := _DATE.match(value):
        if omit_year is not None and m[1] == omit_year.strip():
            return f"--{m[2]}{m[3]}"
        return f"{m[1]}{m[2]}{m[3]}"
    if m := _DATE_TIME.match(value):
        return f"{m[1]}{m[2]}{m[3]}T{m[4]}{m[5]}{m[6] or '00'}{_basic_zone(m[7])}"
    return None


def date_to_v3(value: str) -> tuple[str, str | None] | None:
    """A vCard 4.0 date or date-time as vCard 3.0 (ISO 8601 extended format).

    Returns:
        ``(value, omit_year)``: ``("1985-04-15", None)``; ``("1604-04-15", "1604")``
        for the year-less ``--0415`` (Apple's convention, to be written as
        ``X-APPLE-OMIT-YEAR``); ``None`` for forms vCard 3.0 cannot express (a year
        alone, a month alone, a time alone, text).
    """
    value = value.strip()
    if m := _NO_YEAR.match(value):
        return f"{APPLE_OMIT_YEAR}-{m[1]}-{m[2]}", APPLE_OMIT_YEAR
    if m := _DATE.match(value):
        return f"{m[1]}-{m[2]}-{m[3]}", None
    if m := _DATE_TIME.match(value):
        time = f"{m[4]}:{m[5]}:{m[6] or '00'}"
        return f"{m[1]}-{m[2]}-{m[3]}T{time}{_extended_zone(m[7])}", None
    return None


# Media types of inline PHOTO/LOGO/SOUND/KEY: vCard 3.0 TYPE ⇄ vCard 4.0 media type.
_MEDIA_BY_V3_TYPE: Final[dict[str, dict[str, str]]] = {
    "PHOTO": {"JPEG": "image/jpeg", "JPG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
              "BMP": "image/bmp", "TIFF": "image/tiff", "WEBP": "image/webp",
              "HEIC": "image/heic"},
    "SOUND": {"WAVE": "audio/wav", "WAV": "audio/wav", "PCM": "audio/basic",
              "AIFF": "audio/aiff", "MP3": "audio/mpeg", "OGG": "audio/ogg"},
    "KEY": {"PGP": "application/pgp-keys", "X509": "application/pkix-cert"},
}  # fmt: skip
_MEDIA_BY_V3_TYPE["LOGO"] = _MEDIA_BY_V3_TYPE["PHOTO"]
_TOP_LEVEL: Final = {"PHOTO": "image", "LOGO": "image", "SOUND": "audio", "KEY": "application"}
_MAGIC: Final = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG", "image/png"), (b"GIF8", "image/gif"))


def media_type_for_v3_type(prop_name: str, v3_type: str | None, data: bytes | None) -> str:
    """The media type of a vCard 3.0 inline value (``TYPE=JPEG`` → ``image/jpeg``).

    Without a TYPE the data's magic number is looked at (JPEG, PNG, GIF).
    """
    if v3_type:
        if "/" in v3_type:
            return v3_type.lower()
        known = _MEDIA_BY_V3_TYPE.get(prop_name, {}).get(v3_type.upper())
        return known or f"{_TOP_LEVEL.get(prop_name, 'application')}/{v3_type.lower()}"
    for magic, media_type in _MAGIC:
        if data is not None and data.startswith(magic):
            return media_type
    return "application/octet-stream"


def v3_type_for_media_type(prop_name: str, media_type: str) -> str | None:
    """The vCard 3.0 TYPE for a media type (``image/jpeg`` → ``JPEG``), or ``None``."""
    media_type = media_type.lower()
    if not media_type or media_type == "application/octet-stream":
        return None
    for v3_type, known in _MEDIA_BY_V3_TYPE.get(prop_name, {}).items():
        if known == media_type:
            return v3_type
    return media_type.rpartition("/")[2].upper()


@dataclass(frozen=True)
class DataURI:
    """An RFC 2397 ``data:`` URI: its media type and its content as base64 text."""

    media_type: str
    base64: str


def parse_data_uri(uri: str) -> DataURI | None:
    """Split a ``data:`` URI (RFC 2397); ``None`` if ``uri`` is not one or is broken."""
    if not uri[:5].lower() == "data:" or "," not in uri:
        return None
    header, _, payload = uri[5:].partition(",")
    parts = [p.strip() for p in header.split(";")]
    is_base64 = bool(parts) and parts[-1].lower() == "base64"
    media_type = parts[0].lower() if parts and "/" in parts[0] else ""
    if is_base64:
        encoded = re.sub(r"\s+", "", unquote(payload))
        try:
            base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return None
        return DataURI(media_type, encoded)
    return DataURI(media_type, base64.b64encode(unquote_to_bytes(payload)).decode("ascii"))


def clean_base64(text: str) -> str | None:
    """``text`` without whitespace if it is valid base64, else ``None``."""
    encoded = re.sub(r"\s+", "", text)
    try:
        base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return encoded


def tel_uri_to_text(uri: str) -> str | None:
    """A ``tel:`` URI (RFC 3966) as a vCard 3.0 phone number; ``None`` for other URIs.

    ``tel:+1-555-555-0100;ext=42`` → ``+1-555-555-0100 ext. 42``; other URI parameters
    (phone-context, isub) have no place in a 3.0 number and are dropped.
    """
    if uri[:4].lower() != "tel:":
        return None
    number, *params = uri[4:].split(";")
    text = unquote(number)
    for param in params:
        name, _, value = param.partition("=")
        if name.lower() == "ext" and value:
            text += f" ext. {unquote(value)}"
    return text


def geo_to_v4(value: str) -> str | None:
    """vCard 3.0 GEO ``lat;lon`` → vCard 4.0 ``geo:lat,lon`` (RFC 5870)."""
    lat, sep, lon = value.strip().partition(";")
    if not sep or not _is_number(lat) or not _is_number(lon):
        return None
    return f"geo:{lat.strip()},{lon.strip()}"


def geo_to_v3(value: str) -> str | None:
    """vCard 4.0 GEO ``geo:lat,lon[,alt][;params]`` → vCard 3.0 ``lat;lon``."""
    if value[:4].lower() != "geo:":
        return None
    coordinates = value[4:].split(";")[0].split(",")
    if len(coordinates) < 2 or not all(_is_number(c) for c in coordinates[:2]):
        return None
    return f"{coordinates[0].strip()};{coordinates[1].strip()}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def utc_offset_to_v4(value: str) -> str | None:
    """vCard 3.0 ``-05:00`` → vCard 4.0 utc-offset ``-0500`` (RFC 6350 §4.7)."""
    m = _OFFSET.match(value.strip())
    return f"{m[1]}{m[2]}{m[3] or '00'}" if m else None


def utc_offset_to_v3(value: str) -> str | None:
    """vCard 4.0 ``-0500`` → vCard 3.0 ``-05:00`` (RFC 2426 §3.4.1)."""
    m = _OFFSET.match(value.strip())
    return f"{m[1]}{m[2]}:{m[3] or '00'}" if m else None


#: RFC 6350 §6.2.7 sex component ⇄ the X-GENDER words Evolution and KDE write.
_GENDER_WORDS: Final = {"M": "Male", "F": "Female", "O": "Other", "N": "None", "U": "Unknown"}
_GENDER_LETTERS: Final = {w.lower(): letter for letter, w in _GENDER_WORDS.items()}


def gender_to_v3(sex: str, identity: str) -> str:
    """vCard 4.0 GENDER components → an X-GENDER text (the identity only without sex)."""
    word = _GENDER_WORDS.get(sex.strip().upper())
    return word if word is not None else identity


def gender_to_v4(text: str) -> tuple[str, str]:
    """An X-GENDER text → vCard 4.0 GENDER ``(sex, identity)`` components."""
    letter = _GENDER_LETTERS.get(text.strip().lower())
    if letter is None and text.strip().upper() in _GENDER_WORDS:
        letter = text.strip().upper()
    return (letter, "") if letter is not None else ("", text)
