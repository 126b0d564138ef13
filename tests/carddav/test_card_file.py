"""An address book as one vCard file and a file as address objects (issue 21)."""

from __future__ import annotations

import pytest

from oxdav.carddav.card_file import (
    CARD_FILE_TYPE,
    CardFileError,
    card_objects,
    ending_with_line_break,
    file_version,
)
from oxdav.carddav.errors import ConversionError

THREE = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:A\r\nN:;A;;;\r\nEND:VCARD\r\n"
FOUR = b"BEGIN:VCARD\nVERSION:4.0\nUID:b-with-a\n  long-uid\nFN:B\nEND:VCARD\n"


def test_each_card_keeps_its_own_bytes_and_uid() -> None:
    found = card_objects(THREE + b"\r\n" + FOUR)
    assert [(o.uid, o.data) for o in found] == [("a", THREE), ("b-with-a long-uid", FOUR)]


def test_a_card_without_uid_has_none() -> None:
    [card] = card_objects(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\nEND:VCARD")
    assert card.uid is None and card.data.endswith(b"END:VCARD\r\n")


@pytest.mark.parametrize("text", [b"", b"hello\r\n", THREE[:-11], b"END:VCARD\r\n"])
def test_text_that_is_no_vcard_is_refused(text: bytes) -> None:
    with pytest.raises(CardFileError):
        card_objects(text)


def test_the_file_version_follows_accept_and_the_client() -> None:
    assert file_version(None, None) == (None, CARD_FILE_TYPE)
    assert file_version("text/vcard; version=4.0", None)[0] == "4.0"
    assert file_version(None, "iOS/17.0 (21A329) dataaccessd/1.0")[0] == "3.0"
    with pytest.raises(ConversionError):
        file_version("application/json", None)


def test_a_card_ends_with_a_line_break_in_the_file() -> None:
    assert ending_with_line_break(b"END:VCARD") == b"END:VCARD\r\n"
    assert ending_with_line_break(FOUR) == FOUR
