"""A lossless vCard model, read and written with vobject's content-line machinery.

vobject unfolds lines, parses ``group.NAME;PARAM=...:value`` content lines and folds
them again on output (RFC 6350 §3.2, RFC 2425 §5.8.1). Its per-property *behaviours*
are not used: they are lossy for a server that must keep what clients send (an unknown
``X-FOO:a,b`` keeps only ``a``, ``NICKNAME:a,b`` likewise, photos are base64-decoded).
So the card is kept as a list of :class:`CardProperty` whose ``value`` is the raw,
still-escaped value text, and only the code that needs a value decodes it, with
vobject's own text helpers.

Parameter values are decoded with RFC 6868 (``^n`` newline, ``^^`` caret, ``^'`` double
quote) when read and encoded again when written.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from vobject.base import (  # type: ignore[import-untyped]
    ContentLine,
    VObjectError,
    backslashEscape,
    getLogicalLines,
    textLineToContentLine,
)
from vobject.icalendar import stringToTextValues  # type: ignore[import-untyped]
from vobject.vcard import splitFields  # type: ignore[import-untyped]

#: RFC 6350 §3.2: lines SHOULD NOT be longer than 75 octets, excluding the line break.
FOLD_OCTETS = 75

_RFC6868_DECODE = re.compile(r"\^([n^'])")
_RFC6868_DECODED = {"n": "\n", "^": "^", "'": '"'}


class CardSyntaxError(ValueError):
    """The text is not a single, well-formed vCard."""


def decode_param_value(value: str) -> str:
    """Decode RFC 6868 caret escapes in a parameter value (``^n``, ``^^``, ``^'``).

    A caret followed by any other character is kept as it is (RFC 6868 §3.1).
    """
    if "^" not in value:
        return value
    return _RFC6868_DECODE.sub(lambda m: _RFC6868_DECODED[m.group(1)], value)


def encode_param_value(value: str) -> str:
    """Encode a parameter value with RFC 6868 so it can be written (even in 3.0).

    A newline or a double quote cannot appear in a parameter value otherwise.
    """
    if not any(c in value for c in '^\n\r"'):
        return value
    value = value.replace("^", "^^").replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\n", "^n").replace('"', "^'")


def decode_text(raw: str) -> str:
    """Unescape a TEXT value (RFC 6350 §3.4, RFC 2426 §4): ``\\,`` ``\\;`` ``\\\\`` ``\\n``."""
    if "\\" not in raw:
        return raw
    return str(stringToTextValues(raw, listSeparator=None)[0])


def encode_text(text: str) -> str:
    """Escape a TEXT value for writing: backslash, comma, semicolon and newline."""
    return str(backslashEscape(text))


def split_text_list(raw: str) -> list[str]:
    """Split a comma-separated list of TEXT values (e.g. NICKNAME, CATEGORIES) and unescape."""
    return [str(v) for v in stringToTextValues(raw)]


def split_structured(raw: str) -> list[list[str]]:
    """Split a structured value (N, ADR, ORG, GENDER) into unescaped components.

    Each component is a list of its comma-separated values (usually one).
    """
    fields: list[list[str]] = []
    for component in splitFields(raw):
        fields.append([component] if isinstance(component, str) else list(component))
    return fields


def join_structured(fields: Iterable[Iterable[str]]) -> str:
    """Escape and join components made by :func:`split_structured`."""
    return ";".join(",".join(encode_text(v) for v in values) for values in fields)


@dataclass
class CardProperty:
    """One content line of a vCard.

    Attributes:
        name: the property name in upper case, without group (``EMAIL``).
        value: the raw value text exactly as written, still escaped.
        params: upper-case parameter names to their RFC 6868-decoded values. ``TYPE``
            values are split at commas, so ``TYPE="home,voice"`` and
            ``TYPE=home;TYPE=voice`` both give ``["home", "voice"]``.
        group: the group prefix (``item1`` in ``item1.EMAIL``) or ``None``.
    """

    name: str
    value: str
    params: dict[str, list[str]] = field(default_factory=dict)
    group: str | None = None

    def param(self, name: str) -> list[str]:
        """The values of parameter ``name`` (any case); empty when absent."""
        return self.params.get(name.upper(), [])

    def first_param(self, name: str) -> str | None:
        """The first value of parameter ``name``, or ``None``."""
        values = self.param(name)
        return values[0] if values else None

    @property
    def text(self) -> str:
        """The value unescaped as one TEXT value."""
        return decode_text(self.value)

    def copy(self) -> CardProperty:
        """A copy whose parameter lists can be changed independently."""
        return CardProperty(
            self.name, self.value, {k: list(v) for k, v in self.params.items()}, self.group
        )

    def to_line(self) -> str:
        """Serialise and fold this property as one or more CRLF-terminated lines."""
        line = ContentLine(self.name, [], self.value, group=self.group, encoded=True)
        line.params = {
            name: [encode_param_value(v) for v in values]
            for name, values in self.params.items()
            if values
        }
        return str(line.serialize(lineLength=FOLD_OCTETS))


@dataclass
class Card:
    """A single vCard: its VERSION and its properties, in the order they were written.

    BEGIN, END and VERSION are not in :attr:`properties`.
    """

    version: str
    properties: list[CardProperty] = field(default_factory=list)

    def find(self, name: str) -> list[CardProperty]:
        """All properties called ``name`` (any case), whatever their group."""
        wanted = name.upper()
        return [p for p in self.properties if p.name == wanted]

    def first(self, name: str) -> CardProperty | None:
        """The first property called ``name``, or ``None``."""
        wanted = name.upper()
        return next((p for p in self.properties if p.name == wanted), None)

    def to_text(self) -> str:
        """Serialise as CRLF-delimited, folded vCard text, VERSION right after BEGIN."""
        lines = [
            CardProperty("BEGIN", "VCARD").to_line(),
            CardProperty("VERSION", self.version).to_line(),
        ]
        lines.extend(p.to_line() for p in self.properties)
        lines.append(CardProperty("END", "VCARD").to_line())
        return "".join(lines)

    def to_bytes(self) -> bytes:
        """:meth:`to_text` encoded as UTF-8 (RFC 6350 §3.1)."""
        return self.to_text().encode("utf-8")


def _property_from_line(line: ContentLine) -> CardProperty:
    params: dict[str, list[str]] = {}
    for name, values in line.params.items():
        decoded = [decode_param_value(v) for v in values]
        if name == "TYPE":
            decoded = [t for v in decoded for t in v.split(",") if t]
        params[name] = decoded
    for bare in line.singletonparams:
        # RFC 2426 §4 (and vCard 2.1): a bare parameter value is a TYPE value; Apple
        # writes a bare BASE64 for ENCODING=b.
        if bare.upper() == "BASE64":
            params["ENCODING"] = ["b"]
        else:
            params.setdefault("TYPE", []).append(bare)
    return CardProperty(line.name, line.value, params, line.group)


def _content_lines(text: str) -> Iterator[ContentLine]:
    try:
        for logical, number in getLogicalLines(io.StringIO(text), allowQP=False):
            if logical.strip():
                yield textLineToContentLine(logical, number)
    except VObjectError as e:
        raise CardSyntaxError(f"unparseable content line: {e}") from None


def read_cards(text: str) -> list[Card]:
    """Read every top-level vCard in ``text``.

    Raises:
        CardSyntaxError: a line cannot be parsed, a component is not closed, text
            appears outside BEGIN:VCARD/END:VCARD, a component is nested, or a card
            has more than one VERSION.
    """
    cards: list[Card] = []
    current: Card | None = None
    for line in _content_lines(text.removeprefix("\ufeff")):
        kind = line.value.strip().upper()
        if line.name == "BEGIN":
            if current is not None:
                raise CardSyntaxError(f"nested BEGIN:{kind} inside a vCard")
            if kind != "VCARD":
                raise CardSyntaxError(f"BEGIN:{kind} is not a vCard")
            current = Card(version="")
        elif current is None:
            raise CardSyntaxError(f"{line.name} outside BEGIN:VCARD/END:VCARD")
        elif line.name == "END":
            if kind != "VCARD":
                raise CardSyntaxError(f"END:{kind} does not close BEGIN:VCARD")
            cards.append(current)
            current = None
        elif line.name == "VERSION":
            if current.version:
                raise CardSyntaxError("more than one VERSION property")
            current.version = line.value.strip()
        else:
            current.properties.append(_property_from_line(line))
    if current is not None:
        raise CardSyntaxError("BEGIN:VCARD without END:VCARD")
    return cards


def read_card(data: bytes | str) -> Card:
    """Read exactly one vCard from ``data`` (UTF-8 when bytes).

    Raises:
        CardSyntaxError: the data is not UTF-8, not well-formed, or holds no or several
            vCards.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CardSyntaxError(f"not UTF-8: {e.reason} at byte {e.start}") from None
    cards = read_cards(data)
    if len(cards) != 1:
        raise CardSyntaxError(f"expected exactly one vCard, found {len(cards)}")
    return cards[0]
