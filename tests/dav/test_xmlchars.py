"""The XML 1.0 character check of stored text (xmlchars), in both of its forms."""

from __future__ import annotations

import pytest

from oxdav.dav.xmlchars import NotXML, XMLText, xml_text, xml_text_of

SAMPLES = [
    b"", b"BEGIN:VCALENDAR\r\nSUMMARY:Plain\r\n", "Caf\u00e9 \u20ac \U0001F600".encode(),
    b"tab\there", b"del\x7fis allowed", b"nul\x00", b"bell\x07after", b"\x1f",
    "\ufffe".encode(), "ok\uffffno".encode(), "\ufffd is fine".encode(),
    b"\xff not utf-8", b"\xed\xa0\x80 an encoded surrogate", b"cut \xe2\x82",
    "\ud7ff\ue000".encode(), b"\r\n\r\n",
]


@pytest.mark.parametrize("data", SAMPLES)
def test_the_byte_check_answers_as_the_text_check(data: bytes) -> None:
    fast = xml_text_of(data)
    slow = xml_text(data.decode("utf-8", "surrogateescape"))
    assert fast == slow
    assert isinstance(fast, XMLText) == isinstance(slow, XMLText)
    assert isinstance(fast, (XMLText, NotXML))


def test_every_single_byte_is_judged_as_the_text_check_judges_it() -> None:
    for value in range(256):
        data = b"a" + bytes([value]) + b"z"
        assert xml_text_of(data) == xml_text(data.decode("utf-8", "surrogateescape")), value
