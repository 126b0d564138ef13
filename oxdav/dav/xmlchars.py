"""Which characters XML 1.0 can carry (XML 1.0 §2.2, the Char production).

C0 controls other than HTAB, LF and CR, lone surrogates, U+FFFE and U+FFFF cannot be
written into an XML document at all: lxml refuses text holding them. Content that is
later served inside XML (calendar data, address data) is checked with
:func:`non_xml_character` before it is stored; text that reaches XML anyway is found
by the same check where it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

#: One character outside the Char production.
_NOT_XML_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def non_xml_character(text: str) -> str | None:
    """Where ``text`` holds a character XML 1.0 cannot carry: ``"U+0000 at character
    12"``; ``None`` when it holds none. One compiled scan, none for printable ASCII."""
    if text.isascii() and text.isprintable():
        return None
    found = _NOT_XML_CHAR.search(text)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at character {found.start()}"


class XMLText(str):
    """Text already checked to hold only characters XML can carry (:func:`xml_text`),
    where it was made (a worker process), so that writing it checks nothing again."""

    __slots__ = ()


@dataclass(frozen=True)
class NotXML:
    """Text that XML cannot carry, and where (:func:`non_xml_character`)."""

    where: str


def xml_text(text: str) -> XMLText | NotXML:
    """``text`` as :class:`XMLText`, or what keeps it out of XML."""
    where = non_xml_character(text)
    return XMLText(text) if where is None else NotXML(where)


#: Bytes of UTF-8 text that are XML characters on their own or parts of one: all but
#: the C0 controls other than HTAB, LF and CR.
_XML_BYTES: Final = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x100)])
#: U+FFFE and U+FFFF in UTF-8: the only XML-excluded characters made of such bytes
#: (strict UTF-8 holds no surrogates).
_NOT_XML_UTF8: Final = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")


def xml_text_of(data: bytes) -> XMLText | NotXML:
    """UTF-8 ``data`` as :class:`XMLText`, or what keeps it out of XML (bytes that are
    no UTF-8 become unwritable surrogates). A few byte scans for text that is fine,
    several times faster than :func:`xml_text` on the decoded text."""
    if not data.translate(None, _XML_BYTES) and (
            data.isascii() or (_NOT_XML_UTF8[0] not in data and _NOT_XML_UTF8[1] not in data)):
        try:
            return XMLText(data.decode("utf-8"))
        except UnicodeDecodeError:
            pass
    return xml_text(data.decode("utf-8", "surrogateescape"))


def xml_safe(text: str) -> str:
    """``text`` with each character XML cannot carry replaced by U+FFFD, for messages
    that quote what a client sent."""
    if text.isascii() and text.isprintable():
        return text
    return _NOT_XML_CHAR.sub("\ufffd", text)
