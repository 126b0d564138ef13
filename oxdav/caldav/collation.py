"""Collations for CALDAV:text-match (RFC 4791 §7.5, §9.7.5; RFC 4790; RFC 5051).

CalDAV's text-match is a substring match under a collation:

* ``i;ascii-casemap`` (the default, RFC 4790 §9.2): ASCII letters compare
  case-insensitively, every other character exactly.
* ``i;octet`` (RFC 4790 §9.3): exact comparison. Substrings of code points and of
  their UTF-8 octets coincide, so plain ``str`` containment is exact.
* ``i;unicode-casemap`` (RFC 5051): approximated by Unicode case folding
  followed by NFKD normalisation. RFC 5051 maps each character to its titlecase
  before decomposing; ``str.casefold`` differs from that only for a few
  characters (e.g. ``ß`` folds to ``ss``), which makes the approximation match
  slightly more, never less, for ordinary text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from oxdav.caldav.errors import FilterError

DEFAULT_COLLATION = "i;ascii-casemap"

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _ascii_casemap(text: str) -> str:
    return text.translate(_ASCII_UPPER)


def _octet(text: str) -> str:
    return text


def _unicode_casemap(text: str) -> str:
    return unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())


_FOLDS: dict[str, Callable[[str], str]] = {
    "i;ascii-casemap": _ascii_casemap,
    "i;octet": _octet,
    "i;unicode-casemap": _unicode_casemap,
}

#: The collations the server supports, for CALDAV:supported-collation-set.
SUPPORTED_COLLATIONS = tuple(_FOLDS)


def check_collation(name: str) -> None:
    """Raise unless ``name`` is supported.

    Raises:
        FilterError: ``supported-collation``.
    """
    if name not in _FOLDS:
        raise FilterError("supported-collation", f"collation {name!r} is not supported")


@dataclass(frozen=True)
class TextMatch:
    """A CALDAV:text-match (RFC 4791 §9.7.5): substring search under a collation.

    Attributes:
        text: The substring sought.
        collation: One of :data:`SUPPORTED_COLLATIONS`.
        negate: ``negate-condition="yes"``: match when the substring is absent.
    """

    text: str
    collation: str = DEFAULT_COLLATION
    negate: bool = False

    def __post_init__(self) -> None:
        check_collation(self.collation)

    def matches(self, value: str) -> bool:
        """Whether ``value`` satisfies the match (after negation)."""
        fold = _FOLDS[self.collation]
        found = fold(self.text) in fold(value)
        return found != self.negate
