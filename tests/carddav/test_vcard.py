"""Parse-once validation of PUT bodies: every RFC 6352 §6.3.2.1 precondition."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from oxdav.carddav.errors import CARDDAV_NS, AddressDataError
from oxdav.carddav.vcard import ParsedAddressObject, parse_address_object

from .conftest import CORPUS

LIMIT = 100_000


def card(*lines: str, version: str = "3.0", uid: str | None = "u1", fn: str | None = "A") -> bytes:
    head = ["BEGIN:VCARD", f"VERSION:{version}"]
    head += [f"UID:{uid}"] if uid is not None else []
    head += [f"FN:{fn}"] if fn is not None else []
    return "\r\n".join([*head, *lines, "END:VCARD", ""]).encode()


def parse(data: bytes, content_type: str | None = "text/vcard") -> ParsedAddressObject:
    return parse_address_object(data, content_type=content_type, max_size=LIMIT)


def refused(data: bytes, content_type: str | None = "text/vcard", limit: int = LIMIT) -> str:
    with pytest.raises(AddressDataError) as e:
        parse_address_object(data, content_type=content_type, max_size=limit)
    assert e.value.message
    return e.value.precondition


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_cards_are_accepted_unchanged(
    name: str, corpus_card: Callable[[str], bytes]
) -> None:
    data = corpus_card(name)
    parsed = parse(data, "text/vcard; charset=utf-8")
    assert parsed.data is data
    assert parsed.version in ("3.0", "4.0") and parsed.uid and parsed.fn


def test_index_fields_are_extracted(corpus_card: Callable[[str], bytes]) -> None:
    parsed = parse(corpus_card("apple-contacts-3.0.vcf"))
    assert parsed.uid == "5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE"
    assert parsed.version == "3.0"
    assert parsed.kind == "individual"
    assert parsed.fn == "Dr. Johnny Q. Appleseed Jr."
    assert parsed.emails == (
        "johnny@example.com",
        "jappleseed@apple.example",
        "johnny.old@example.net",
    )
    assert parsed.members == ()


def test_apple_group_kind_and_members(corpus_card: Callable[[str], bytes]) -> None:
    parsed = parse(corpus_card("apple-group-3.0.vcf"))
    assert parsed.kind == "group"
    assert parsed.members[0] == "urn:uuid:5AD380FD-B2DE-4261-BA99-DE1D1DB52FBE"
    assert len(parsed.members) == 3


def test_vcard4_group_kind_and_members(corpus_card: Callable[[str], bytes]) -> None:
    parsed = parse(corpus_card("group-4.0.vcf"))
    assert (parsed.kind, parsed.version) == ("group", "4.0")
    assert parsed.members[-1] == "mailto:reader@example.com"


def test_fn_is_unescaped() -> None:
    assert parse(card(fn="Doe\\, John")).fn == "Doe, John"


def test_missing_content_type_is_tolerated() -> None:
    assert parse(card(), content_type=None).uid == "u1"


@pytest.mark.parametrize(
    "content_type",
    ["text/vcard", "TEXT/VCARD; charset=UTF-8", "text/x-vcard", "text/directory; profile=vcard"],
)
def test_vcard_media_types_are_accepted(content_type: str) -> None:
    assert parse(card(), content_type).version == "3.0"


def test_version_parameter_matching_the_card_is_accepted() -> None:
    assert parse(card(version="4.0"), "text/vcard; version=4.0").version == "4.0"


# --- CARDDAV:max-resource-size ------------------------------------------------------


def test_larger_than_max_resource_size() -> None:
    data = card()
    assert refused(data, limit=len(data) - 1) == "max-resource-size"


def test_exactly_max_resource_size_is_accepted() -> None:
    data = card()
    assert parse_address_object(data, content_type=None, max_size=len(data)).uid == "u1"


# --- CARDDAV:supported-address-data -------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/calendar", "application/json", "text/plain"])
def test_other_media_type(content_type: str) -> None:
    assert refused(card(), content_type) == "supported-address-data"


def test_charset_other_than_utf8() -> None:
    assert refused(card(), "text/vcard; charset=iso-8859-1") == "supported-address-data"


def test_unsupported_version_parameter() -> None:
    assert refused(card(), "text/vcard; version=2.1") == "supported-address-data"


def test_vcard_2_1() -> None:
    assert refused(card(version="2.1")) == "supported-address-data"


# --- CARDDAV:valid-address-data -----------------------------------------------------


def test_not_a_vcard() -> None:
    assert refused(b"hello world") == "valid-address-data"


def test_empty_body() -> None:
    assert refused(b"") == "valid-address-data"


def test_two_vcards() -> None:
    assert refused(card() + card(uid="u2")) == "valid-address-data"


def test_unterminated_vcard() -> None:
    assert refused(card().replace(b"END:VCARD\r\n", b"")) == "valid-address-data"


def test_icalendar_body() -> None:
    assert refused(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n") == "valid-address-data"


def test_missing_uid() -> None:
    assert refused(card(uid=None)) == "valid-address-data"


def test_empty_uid() -> None:
    assert refused(card(uid="")) == "valid-address-data"


def test_two_uids() -> None:
    assert refused(card("UID:u2")) == "valid-address-data"


def test_missing_fn() -> None:
    assert refused(card("N:Doe;John;;;", fn=None)) == "valid-address-data"


def test_missing_n_in_3_0_is_tolerated() -> None:
    assert parse(card(version="3.0")).fn == "A"


def test_missing_version() -> None:
    assert refused(b"BEGIN:VCARD\r\nUID:u\r\nFN:A\r\nEND:VCARD\r\n") == "valid-address-data"


def test_unknown_version() -> None:
    assert refused(card(version="5.0")) == "valid-address-data"


def test_version_parameter_contradicting_the_card() -> None:
    assert refused(card(version="3.0"), "text/vcard; version=4.0") == "valid-address-data"


def test_invalid_utf8() -> None:
    assert refused(card(fn="M\xfcller").replace(b"M\xc3\xbcller", b"M\xfcller")) == (
        "valid-address-data"
    )


def test_unparseable_line() -> None:
    assert refused(card("this line has no colon")) == "valid-address-data"


def test_error_names_the_carddav_condition() -> None:
    with pytest.raises(AddressDataError) as e:
        parse(card(uid=None))
    assert e.value.clark_name == f"{{{CARDDAV_NS}}}valid-address-data"
    assert "UID" in str(e.value)
