"""Text-match collations for addressbook-query (RFC 6352 §8.3, RFC 4790, RFC 5051).

A collation is applied as a canonicalising function on both the searched-for text and
the vCard value; the four CardDAV match types (equals, contains, starts-with,
ends-with) are RFC 4790 §4.2 equality and substring (prefix, suffix) operations on the
canonical forms.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Final, Literal

MatchType = Literal["equals", "contains", "starts-with", "ends-with"]
MATCH_TYPES: Final[tuple[MatchType, ...]] = ("equals", "contains", "starts-with", "ends-with")

#: RFC 6352 §8.3: the default, also for the RFC 4790 §3.1 "default" identifier.
UNICODE_CASEMAP: Final = "i;unicode-casemap"
ASCII_CASEMAP: Final = "i;ascii-casemap"
OCTET: Final = "i;octet"
#: The collations listed in CARDDAV:supported-collation-set (§8.3.1).
SUPPORTED_COLLATIONS: Final = (ASCII_CASEMAP, OCTET, UNICODE_CASEMAP)

_ASCII_UPPER: Final = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _octet(text: str) -> str:
    # i;octet compares the UTF-8 octets; equal code point strings have equal octets,
    # and substrings of code points are substrings of octets.
    return text


def _ascii_casemap(text: str) -> str:
    """RFC 4790 §9.2: only the ASCII letters a-z are mapped to upper case."""
    return text.translate(_ASCII_UPPER)


@lru_cache(maxsize=4096)
def _titlecase(char: str) -> str:
    # RFC 5051 §2 step 1 uses the *simple* titlecase mapping (one character to one);
    # str.title() gives the full mapping, which is only taken when it is one character.
    mapped = char.title()
    return mapped if len(mapped) == 1 else char


def _unicode_casemap(text: str) -> str:
    """RFC 5051 §2: titlecase every character, then normalise to NFKD.

    The titlecase mapping is applied once more after NFKD, so that characters that
    only decompose into letters (the ligature "ﬁ" into "fi") are case-folded too.
    """
    if text.isascii():
        return _ascii_casemap(text)
    decomposed = unicodedata.normalize("NFKD", "".join(_titlecase(c) for c in text))
    return "".join(_titlecase(c) for c in decomposed)


_CANONICAL: Final[dict[str, Callable[[str], str]]] = {
    UNICODE_CASEMAP: _unicode_casemap,
    ASCII_CASEMAP: _ascii_casemap,
    OCTET: _octet,
}


def resolve_collation(identifier: str | None) -> str | None:
    """The supported collation an identifier names, or ``None`` if unsupported.

    An absent identifier and RFC 4790's ``default`` mean ``i;unicode-casemap``
    (RFC 6352 §8.3).
    """
    if identifier is None or identifier.strip().lower() == "default":
        return UNICODE_CASEMAP
    identifier = identifier.strip().lower()
    return identifier if identifier in _CANONICAL else None


def canonical(collation: str, text: str) -> str:
    """``text`` in the canonical form of ``collation`` (a supported identifier)."""
    return _CANONICAL[collation](text)


def text_matches(collation: str, match_type: MatchType, wanted: str, value: str) -> bool:
    """Whether ``value`` matches ``wanted`` under ``collation`` and ``match_type``.

    Args:
        collation: a supported identifier (see :func:`resolve_collation`).
        match_type: ``equals``, ``contains``, ``starts-with`` or ``ends-with``.
        wanted: the text-match text, canonicalised here.
        value: the vCard property or parameter value.
    """
    key, target = canonical(collation, wanted), canonical(collation, value)
    if match_type == "equals":
        return target == key
    if match_type == "starts-with":
        return target.startswith(key)
    if match_type == "ends-with":
        return target.endswith(key)
    return key in target
