"""The lossless vCard model: reading with vobject's line parser, writing with its folding."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from oxdav.carddav.card import (
    Card,
    CardProperty,
    CardSyntaxError,
    decode_param_value,
    decode_text,
    encode_param_value,
    encode_text,
    join_structured,
    read_card,
    read_cards,
    split_structured,
    split_text_list,
)

from .conftest import CORPUS


def body(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCARD", "VERSION:4.0", *lines, "END:VCARD", ""])


def test_folded_lines_are_unfolded() -> None:
    card = read_card(body("NOTE:abc", " def", "\tghi"))
    assert card.first("NOTE").value == "abcdefghi"  # type: ignore[union-attr]


def test_escape_split_by_a_fold_is_one_escape() -> None:
    card = read_card(body("NOTE:a\\", " ,b"))
    assert card.first("NOTE").text == "a,b"  # type: ignore[union-attr]


def test_lf_only_line_ends_are_read() -> None:
    card = read_card(body("FN:A").replace("\r\n", "\n"))
    assert [p.name for p in card.properties] == ["FN"]


def test_byte_order_mark_is_ignored() -> None:
    assert read_card(("\ufeff" + body("FN:A")).encode()).version == "4.0"


def test_names_are_upper_cased_and_groups_kept() -> None:
    card = read_card(body("item1.x-ablabel:Work"))
    assert (card.properties[0].group, card.properties[0].name) == ("item1", "X-ABLABEL")


def test_raw_value_is_kept_escaped() -> None:
    card = read_card(body("X-FOO:a,b\\,c;d"))
    assert card.first("X-FOO").value == "a,b\\,c;d"  # type: ignore[union-attr]


def test_type_values_are_split_however_written() -> None:
    card = read_card(
        body('TEL;TYPE="home,voice":1', "TEL;type=HOME;type=VOICE:2", "TEL;TYPE=a,b:3")
    )
    assert [p.param("type") for p in card.find("TEL")] == [
        ["home", "voice"],
        ["HOME", "VOICE"],
        ["a", "b"],
    ]


def test_bare_parameters_are_type_values() -> None:
    card = read_card(body("TEL;CELL;VOICE:1"))
    assert card.first("TEL").params == {"TYPE": ["CELL", "VOICE"]}  # type: ignore[union-attr]


def test_bare_base64_is_encoding_b() -> None:
    card = read_card(body("PHOTO;BASE64:AAAA"))
    assert card.first("PHOTO").params == {"ENCODING": ["b"]}  # type: ignore[union-attr]


def test_quoted_parameter_value_keeps_separators() -> None:
    card = read_card(body('ADR;LABEL="a;b:c,d":;;;;;;'))
    assert card.first("ADR").param("LABEL") == ["a;b:c,d"]  # type: ignore[union-attr]


def test_rfc6868_is_decoded_on_read() -> None:
    card = read_card(body("ADR;LABEL=\"x^ny ^'q^' ^^ ^a\":;;;;;;"))
    assert card.first("ADR").param("LABEL") == ['x\ny "q" ^ ^a']  # type: ignore[union-attr]


def test_rfc6868_round_trip() -> None:
    for value in ["a\nb", 'say "hi"', "^", "^n literal", "plain"]:
        assert decode_param_value(encode_param_value(value)) == value


def test_parameter_with_newline_and_quote_is_written_encoded() -> None:
    prop = CardProperty("ADR", ";;;;;;", {"LABEL": ['1 "Main"\nTown']})
    assert prop.to_line() == "ADR;LABEL=1 ^'Main^'^nTown:;;;;;;\r\n"


def test_parameter_with_separator_is_quoted() -> None:
    assert CardProperty("X-A", "v", {"X-P": ["a:b"]}).to_line() == 'X-A;X-P="a:b":v\r\n'


def test_long_lines_are_folded_at_75_octets() -> None:
    line = CardProperty("NOTE", "x" * 200).to_line()
    physical = line.split("\r\n")[:-1]
    assert all(len(p) <= 75 for p in physical) and len(physical) == 3
    assert "".join(p.removeprefix(" ") for p in physical) == "NOTE:" + "x" * 200


def test_folding_never_splits_utf8() -> None:
    line = CardProperty("NOTE", "ü" * 100).to_line()
    for physical in line.encode().split(b"\r\n"):
        physical.decode("utf-8")
        assert len(physical) <= 75


def test_version_is_written_right_after_begin() -> None:
    card = Card("4.0", [CardProperty("FN", "A"), CardProperty("UID", "u")])
    assert card.to_text() == "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nUID:u\r\nEND:VCARD\r\n"


@pytest.mark.parametrize("name", CORPUS)
def test_written_card_reads_back_identically(
    name: str, corpus_card: Callable[[str], bytes]
) -> None:
    card = read_card(corpus_card(name))
    assert read_card(card.to_bytes()) == card


def test_text_helpers() -> None:
    assert decode_text("a\\, b\\; c\\n d\\\\") == "a, b; c\n d\\"
    assert encode_text("a, b; c\n d\\") == "a\\, b\\; c\\n d\\\\"
    assert split_text_list("a,b\\,c") == ["a", "b,c"]
    fields = split_structured("Doe;John,Johnny;;Dr.\\;x;")
    assert fields[:4] == [["Doe"], ["John", "Johnny"], [""], ["Dr.;x"]]
    assert join_structured([["Doe"], ["John", "Johnny"], ["a;b"]]) == "Doe;John,Johnny;a\\;b"


def test_two_cards_are_read_by_read_cards_but_refused_by_read_card() -> None:
    text = body("FN:A") + body("FN:B")
    assert len(read_cards(text)) == 2
    with pytest.raises(CardSyntaxError, match="exactly one"):
        read_card(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "exactly one"),
        ("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\n", "without END"),
        ("FN:A\r\n" + body(), "outside"),
        (body("BEGIN:VCARD", "END:VCARD"), "nested"),
        ("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "not a vCard"),
        (body("VERSION:3.0"), "more than one VERSION"),
        (body("no colon here"), "unparseable"),
        ("BEGIN:VCARD\r\nEND:VEVENT\r\n", "does not close"),
    ],
)
def test_malformed_text_is_refused(text: str, message: str) -> None:
    with pytest.raises(CardSyntaxError, match=message):
        read_card(text)


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(CardSyntaxError, match="not UTF-8"):
        read_card(body("FN:\xff").encode("latin-1"))
