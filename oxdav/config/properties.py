"""A parser for Java ``.properties`` files, as ``java.util.Properties.load`` reads them.

OX keeps its configuration in such files, so oxdav reads the same syntax:

* a *natural line* ends with ``\\n``, ``\\r`` or ``\\r\\n``; a *logical line* continues
  onto the next natural line when it ends with an odd number of backslashes, and the
  leading whitespace of the continuation is dropped;
* blank lines and lines whose first non-blank character is ``#`` or ``!`` are comments
  (a comment line never continues, even when it ends with a backslash);
* the key ends at the first unescaped ``=``, ``:`` or whitespace; whitespace around the
  separator is skipped, and at most one ``=``/``:`` is consumed;
* escapes in keys and values: ``\\t \\n \\r \\f``, ``\\uXXXX``, and ``\\c`` for any
  other character ``c`` (the backslash is dropped). A malformed ``\\u`` escape is an
  error here (Java throws ``IllegalArgumentException``).

The one deliberate difference: files are read as UTF-8 (Java 9+ does the same for
resource bundles; ``Properties.load(InputStream)`` would use ISO-8859-1). ``\\uXXXX``
escapes work either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_WHITESPACE = " \t\f"
_SEPARATORS = "=:"
_SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


class PropertiesSyntaxError(ValueError):
    """A file that ``Properties.load`` would reject.

    Attributes:
        line: the 1-based line where the offending logical line starts.
    """

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Entry:
    """One key/value pair and the line its logical line starts on (1-based)."""

    key: str
    value: str
    line: int


def parse_properties(text: str) -> list[Entry]:
    """Parse the text of a properties file into entries, in file order.

    Duplicate keys are kept (the caller decides: Java keeps the last one).

    Raises:
        PropertiesSyntaxError: on a malformed ``\\u`` escape.
    """
    return [_split_entry(logical, line) for logical, line in _logical_lines(text)]


def read_properties(path: Path) -> list[Entry]:
    """Read and parse one properties file (UTF-8)."""
    return parse_properties(path.read_text(encoding="utf-8"))


def _natural_lines(text: str) -> list[str]:
    # str.splitlines() also splits on \v, \x1c, \u2028 ...; Java only on \r, \n.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _continues(line: str) -> bool:
    """True when the line ends with an odd number of backslashes."""
    stripped = line.rstrip("\\")
    return (len(line) - len(stripped)) % 2 == 1


def _logical_lines(text: str) -> Iterator[tuple[str, int]]:
    lines = _natural_lines(text)
    index = 0
    while index < len(lines):
        start = index
        line = lines[index].lstrip(_WHITESPACE)
        index += 1
        if not line or line[0] in "#!":
            continue
        parts = []
        while _continues(line):
            parts.append(line[:-1])
            if index >= len(lines):
                line = ""
                break
            line = lines[index].lstrip(_WHITESPACE)
            index += 1
        parts.append(line)
        yield "".join(parts), start + 1


def _split_entry(logical: str, line: int) -> Entry:
    # Find the end of the key: the first unescaped separator or whitespace.
    position = 0
    escaped = False
    while position < len(logical):
        char = logical[position]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _SEPARATORS or char in _WHITESPACE:
            break
        position += 1
    raw_key = logical[:position]
    rest = logical[position:].lstrip(_WHITESPACE)
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(_WHITESPACE)
    return Entry(_unescape(raw_key, line), _unescape(rest, line), line)


def _unescape(text: str, line: int) -> str:
    if "\\" not in text:
        return text
    out = []
    position = 0
    while position < len(text):
        char = text[position]
        position += 1
        if char != "\\":
            out.append(char)
            continue
        if position >= len(text):
            break  # a lone trailing backslash (end of file) is dropped, as in Java
        code = text[position]
        position += 1
        if code == "u":
            digits = text[position : position + 4]
            if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise PropertiesSyntaxError(line, f"malformed \\uXXXX escape: \\u{digits}")
            out.append(chr(int(digits, 16)))
            position += 4
        else:
            out.append(_SIMPLE_ESCAPES.get(code, code))
    # Java strings are UTF-16: \uD83D\uDE00 is one character written as a pair.
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16")
