"""vCard 3.0 ⇄ 4.0 conversion (RFC 6352 §5.1.1) on the corpus and feature by feature."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from oxdav.carddav.card import Card, read_card
from oxdav.carddav.convert import PRODID, convert, convert_card, stored_version
from oxdav.carddav.errors import ConversionError
from oxdav.carddav.vcard import parse_address_object

from .card_meaning import meaning
from .conftest import CORPUS

V3 = [name for name in CORPUS if name.endswith("-3.0.vcf")]
V4 = [name for name in CORPUS if name.endswith("-4.0.vcf")]


def card3(*lines: str) -> bytes:
    body = ["BEGIN:VCARD", "VERSION:3.0", "UID:u1", "FN:X", *lines, "END:VCARD", ""]
    return "\r\n".join(body).encode()


def card4(*lines: str) -> bytes:
    body = ["BEGIN:VCARD", "VERSION:4.0", "UID:u1", "FN:X", *lines, "END:VCARD", ""]
    return "\r\n".join(body).encode()


def lines(data: bytes) -> list[str]:
    """The unfolded content lines of a single card, BEGIN/END included."""
    card = read_card(data)
    return [p.to_line().replace("\r\n ", "").rstrip("\r\n") for p in card.properties]


def prop(data: bytes, name: str) -> str:
    """The one unfolded line of property ``name`` (any group)."""
    found = [
        line for line in lines(data) if line.split(";")[0].split(":")[0].split(".")[-1] == name
    ]
    assert len(found) == 1, found
    return found[0]


# --- corpus -------------------------------------------------------------------------


def test_corpus_has_both_versions() -> None:
    assert len(V3) >= 5 and len(V4) >= 3


@pytest.mark.parametrize("name", V3)
def test_3_to_4_keeps_meaning(name: str, corpus_card: Callable[[str], bytes]) -> None:
    original = corpus_card(name)
    converted = convert(original, "4.0")
    assert read_card(converted).version == "4.0"
    assert meaning(converted) == meaning(original)


@pytest.mark.parametrize("name", V4)
def test_4_to_3_keeps_meaning(name: str, corpus_card: Callable[[str], bytes]) -> None:
    original = corpus_card(name)
    converted = convert(original, "3.0")
    assert read_card(converted).version == "3.0"
    assert meaning(converted) == meaning(original)


@pytest.mark.parametrize("name", V3)
def test_round_trip_3_4_3_keeps_meaning(name: str, corpus_card: Callable[[str], bytes]) -> None:
    original = corpus_card(name)
    back = convert(convert(original, "4.0"), "3.0")
    assert meaning(back) == meaning(original)


@pytest.mark.parametrize("name", V4)
def test_round_trip_4_3_4_keeps_meaning(name: str, corpus_card: Callable[[str], bytes]) -> None:
    original = corpus_card(name)
    back = convert(convert(original, "3.0"), "4.0")
    assert meaning(back) == meaning(original)


@pytest.mark.parametrize("name", CORPUS)
def test_converted_cards_are_valid_address_data(
    name: str, corpus_card: Callable[[str], bytes]
) -> None:
    original = parse_address_object(corpus_card(name), content_type=None, max_size=10**6)
    target = "3.0" if original.version == "4.0" else "4.0"
    converted = parse_address_object(
        convert(original, target), content_type="text/vcard", max_size=10**6
    )
    assert (converted.uid, converted.fn, converted.emails, converted.kind, converted.members) == (
        original.uid,
        original.fn,
        original.emails,
        original.kind,
        original.members,
    )


@pytest.mark.parametrize("name", CORPUS)
def test_same_version_returns_the_stored_bytes(
    name: str, corpus_card: Callable[[str], bytes]
) -> None:
    data = corpus_card(name)
    version = read_card(data).version
    assert convert(data, version) is data
    parsed = parse_address_object(data, content_type=None, max_size=10**6)
    assert convert(parsed, version) is data


def test_apple_photo_is_byte_identical_after_round_trip(
    corpus_card: Callable[[str], bytes],
) -> None:
    original = read_card(corpus_card("apple-contacts-3.0.vcf"))
    photo = base64.b64decode(original.first("PHOTO").value)  # type: ignore[union-attr]
    v4 = read_card(convert(original, "4.0")).first("PHOTO")
    assert v4 is not None and v4.value.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(v4.value.partition(",")[2]) == photo
    v3 = read_card(convert(convert(original, "4.0"), "3.0")).first("PHOTO")
    assert v3 is not None and base64.b64decode(v3.value) == photo
    assert v3.params == {"ENCODING": ["b"], "TYPE": ["JPEG"]}


def test_item_groups_and_ablabels_survive(corpus_card: Callable[[str], bytes]) -> None:
    converted = read_card(convert(corpus_card("apple-contacts-3.0.vcf"), "4.0"))
    grouped = {(p.group, p.name, p.text) for p in converted.properties if p.group}
    assert ("item1", "EMAIL", "johnny.old@example.net") in grouped
    assert ("item1", "X-ABLABEL", "_$!<Other>!$_") in grouped
    assert ("item2", "X-ABADR", "us") in grouped


def test_converted_long_lines_are_folded(corpus_card: Callable[[str], bytes]) -> None:
    # vobject folds at 75 octets once a line has 75 characters; a shorter line of
    # multi-byte characters is left whole (RFC 6350 §3.2 says SHOULD, not MUST).
    for name in ("non-ascii-3.0.vcf", "apple-contacts-3.0.vcf", "folded-4.0.vcf"):
        converted = convert(corpus_card(name), "4.0" if "3.0" in name else "3.0")
        text = converted.decode("utf-8")  # folding never splits a UTF-8 sequence
        assert all(len(line) <= 75 for line in text.split("\r\n"))
        assert all(len(line.encode()) <= 75 for line in text.split("\r\n") if len(line) >= 75)


# --- version and PRODID -------------------------------------------------------------


def test_version_and_prodid_are_replaced() -> None:
    converted = convert(card3("PRODID:-//Apple Inc.//macOS 14.2//EN"), "4.0")
    card = read_card(converted)
    assert card.version == "4.0"
    assert [p.text for p in card.find("PRODID")] == [PRODID]
    assert converted.startswith(b"BEGIN:VCARD\r\nVERSION:4.0\r\n")


def test_unsupported_target_version_is_a_conversion_error() -> None:
    with pytest.raises(ConversionError) as e:
        convert(card3(), "2.1")
    assert e.value.precondition == "supported-address-data-conversion"


def test_unreadable_stored_data_is_a_conversion_error() -> None:
    with pytest.raises(ConversionError) as e:
        convert(b"BEGIN:VCARD\r\nVERSION:3.0\r\n", "4.0")
    assert e.value.precondition == "supported-address-data-conversion"


def test_convert_card_to_same_version_copies() -> None:
    card = read_card(card4("NOTE:x"))
    copy = convert_card(card, "4.0")
    copy.properties[0].value = "changed"
    assert card.properties[0].value == "u1"


# --- parameters ---------------------------------------------------------------------


def test_type_pref_becomes_pref_1() -> None:
    assert prop(convert(card3("TEL;TYPE=HOME,VOICE,pref:1"), "4.0"), "TEL") == (
        "TEL;PREF=1;TYPE=home,voice:1"
    )


def test_pref_1_becomes_type_pref() -> None:
    assert prop(convert(card4("TEL;TYPE=home;PREF=1:1"), "3.0"), "TEL") == ("TEL;TYPE=HOME,pref:1")


def test_pref_other_than_1_is_dropped_in_3() -> None:
    assert prop(convert(card4("TEL;TYPE=home;PREF=2:1"), "3.0"), "TEL") == "TEL;TYPE=HOME:1"


def test_internet_type_is_dropped_in_4_and_written_in_3() -> None:
    assert prop(convert(card3("EMAIL;TYPE=INTERNET:a@b"), "4.0"), "EMAIL") == "EMAIL:a@b"
    assert prop(convert(card4("EMAIL;TYPE=work:a@b"), "3.0"), "EMAIL") == (
        "EMAIL;TYPE=INTERNET,WORK:a@b"
    )


def test_unknown_types_are_kept_verbatim() -> None:
    assert prop(convert(card3("TEL;TYPE=iPhone,CELL:1"), "4.0"), "TEL") == "TEL;TYPE=iPhone,cell:1"


def test_rfc6868_parameter_values_survive_both_ways() -> None:
    v4 = card4("X-A;X-P=\"say ^'hi^'^nbye ^^\":v")
    converted = read_card(convert(v4, "3.0")).first("X-A")
    assert converted is not None and converted.params["X-P"] == ['say "hi"\nbye ^']
    assert prop(convert(convert(v4, "3.0"), "4.0"), "X-A") == "X-A;X-P=say ^'hi^'^nbye ^^:v"


def test_x_properties_and_unknown_parameters_are_carried() -> None:
    converted = convert(card3("X-FOO;X-BAR=1;LANGUAGE=de:a,b\\,c"), "4.0")
    assert prop(converted, "X-FOO") == "X-FOO;LANGUAGE=de;X-BAR=1:a,b\\,c"


# --- media --------------------------------------------------------------------------


def test_inline_photo_becomes_data_uri() -> None:
    assert prop(convert(card3("PHOTO;ENCODING=b;TYPE=PNG:iVBORw0K"), "4.0"), "PHOTO") == (
        "PHOTO:data:image/png;base64,iVBORw0K"
    )


def test_apple_bare_base64_photo_becomes_data_uri() -> None:
    assert prop(convert(card3("PHOTO;BASE64:/9j/4AAQ"), "4.0"), "PHOTO") == (
        "PHOTO:data:image/jpeg;base64,/9j/4AAQ"
    )


def test_data_uri_becomes_inline_photo() -> None:
    assert prop(convert(card4("LOGO:data:image/gif;base64,R0lGODlh"), "3.0"), "LOGO") == (
        "LOGO;ENCODING=b;TYPE=GIF:R0lGODlh"
    )


def test_percent_encoded_data_uri_is_base64_encoded() -> None:
    converted = read_card(convert(card4("KEY:data:application/pgp-keys,hello%20world"), "3.0"))
    key = converted.first("KEY")
    assert key is not None and key.params == {"ENCODING": ["b"], "TYPE": ["PGP"]}
    assert base64.b64decode(key.value) == b"hello world"


def test_photo_uri_gets_value_uri_in_3_and_mediatype_in_4() -> None:
    v3 = convert(card4("PHOTO;MEDIATYPE=image/jpeg:https://x.example/a.jpg"), "3.0")
    assert prop(v3, "PHOTO") == "PHOTO;TYPE=JPEG;VALUE=uri:https://x.example/a.jpg"
    assert prop(convert(v3, "4.0"), "PHOTO") == (
        "PHOTO;MEDIATYPE=image/jpeg:https://x.example/a.jpg"
    )


def test_sound_and_key_types_map_to_media_types() -> None:
    converted = convert(
        card3("SOUND;ENCODING=b;TYPE=WAVE:UklGRg==", "KEY;ENCODING=b;TYPE=X509:MII="), "4.0"
    )
    assert prop(converted, "SOUND") == "SOUND:data:audio/wav;base64,UklGRg=="
    assert prop(converted, "KEY") == "KEY:data:application/pkix-cert;base64,MII="


# --- TEL ----------------------------------------------------------------------------


def test_tel_uri_becomes_text_in_3() -> None:
    assert prop(convert(card4("TEL;VALUE=uri;TYPE=cell:tel:+1-555-0100"), "3.0"), "TEL") == (
        "TEL;TYPE=CELL:+1-555-0100"
    )


def test_tel_uri_extension_is_written_out() -> None:
    assert prop(convert(card4("TEL;VALUE=uri:tel:+1-555-0100;ext=7"), "3.0"), "TEL") == (
        "TEL:+1-555-0100 ext. 7"
    )


def test_tel_text_stays_text_in_4() -> None:
    assert prop(convert(card3("TEL;TYPE=WORK:+49 30 1234"), "4.0"), "TEL") == (
        "TEL;TYPE=work:+49 30 1234"
    )


def test_non_tel_uri_is_kept() -> None:
    assert prop(convert(card4("TEL;VALUE=uri:sip:a@b.example"), "3.0"), "TEL") == (
        "TEL;VALUE=uri:sip:a@b.example"
    )


# --- groups -------------------------------------------------------------------------


def test_kind_group_and_members_become_apple_extensions() -> None:
    converted = convert(card4("KIND:group", "MEMBER:urn:uuid:a", "MEMBER:mailto:b@c"), "3.0")
    assert prop(converted, "X-ADDRESSBOOKSERVER-KIND") == "X-ADDRESSBOOKSERVER-KIND:group"
    members = [p.value for p in read_card(converted).find("X-ADDRESSBOOKSERVER-MEMBER")]
    assert members == ["urn:uuid:a", "mailto:b@c"]


def test_apple_group_becomes_kind_and_members() -> None:
    converted = read_card(
        convert(
            card3("X-ADDRESSBOOKSERVER-KIND:group", "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:a"), "4.0"
        )
    )
    assert [p.value for p in converted.find("KIND")] == ["group"]
    assert [p.value for p in converted.find("MEMBER")] == ["urn:uuid:a"]


def test_kind_individual_is_left_out_in_3() -> None:
    assert (
        read_card(convert(card4("KIND:individual"), "3.0")).find("X-ADDRESSBOOKSERVER-KIND") == []
    )


# --- dates --------------------------------------------------------------------------


def test_year_less_birthday_becomes_apple_omit_year() -> None:
    assert prop(convert(card4("BDAY:--0315"), "3.0"), "BDAY") == (
        "BDAY;X-APPLE-OMIT-YEAR=1604:1604-03-15"
    )


def test_apple_omit_year_becomes_year_less_birthday() -> None:
    assert prop(convert(card3("BDAY;X-APPLE-OMIT-YEAR=1604:1604-03-15"), "4.0"), "BDAY") == (
        "BDAY:--0315"
    )


def test_leap_day_without_year_survives() -> None:
    back = convert(convert(card4("BDAY:--0229"), "3.0"), "4.0")
    assert prop(back, "BDAY") == "BDAY:--0229"


def test_dates_switch_between_extended_and_basic_format() -> None:
    assert prop(convert(card3("BDAY;VALUE=date:1980-06-15"), "4.0"), "BDAY") == "BDAY:19800615"
    assert prop(convert(card4("BDAY:19800615"), "3.0"), "BDAY") == "BDAY:1980-06-15"


def test_date_time_birthday_converts() -> None:
    assert prop(convert(card4("BDAY:19800615T123000Z"), "3.0"), "BDAY") == (
        "BDAY:1980-06-15T12:30:00Z"
    )


def test_text_birthday_is_kept() -> None:
    assert prop(convert(card4("BDAY;VALUE=text:circa 1800"), "3.0"), "BDAY") == (
        "BDAY;VALUE=text:circa 1800"
    )


def test_anniversary_becomes_x_anniversary_and_back() -> None:
    v3 = convert(card4("ANNIVERSARY:--0612"), "3.0")
    assert prop(v3, "X-ANNIVERSARY") == "X-ANNIVERSARY;X-APPLE-OMIT-YEAR=1604:1604-06-12"
    assert prop(convert(v3, "4.0"), "ANNIVERSARY") == "ANNIVERSARY:--0612"


# --- other properties -------------------------------------------------------------------


def test_gender_becomes_x_gender_and_back() -> None:
    v3 = convert(card4("GENDER:F"), "3.0")
    assert prop(v3, "X-GENDER") == "X-GENDER:Female"
    assert prop(convert(v3, "4.0"), "GENDER") == "GENDER:F"


def test_free_text_gender_is_the_identity_component() -> None:
    v4 = convert(card3("X-GENDER:nonbinary"), "4.0")
    assert prop(v4, "GENDER") == "GENDER:;nonbinary"
    assert prop(convert(v4, "3.0"), "X-GENDER") == "X-GENDER:nonbinary"


def test_x_gender_is_kept_when_gender_exists() -> None:
    converted = read_card(convert(card3("GENDER:M", "X-GENDER:Female"), "4.0"))
    assert [(p.name, p.value) for p in converted.properties if "GENDER" in p.name] == [
        ("GENDER", "M"),
        ("X-GENDER", "Female"),
    ]


def test_label_moves_onto_its_adr() -> None:
    converted = convert(
        card3("ADR;TYPE=WORK:;;Main St 1;Town;;12345;", "LABEL;TYPE=WORK:Main St 1\\nTown"), "4.0"
    )
    assert prop(converted, "ADR") == "ADR;LABEL=Main St 1^nTown;TYPE=work:;;Main St 1;Town;;12345;"
    assert read_card(converted).find("LABEL") == []


def test_label_in_the_adr_group_is_attached_to_it() -> None:
    converted = read_card(
        convert(
            card3(
                "item1.ADR:;;A;;;;",
                "item2.ADR:;;B;;;;",
                "item2.LABEL:B label",
                "item1.LABEL:A label",
            ),
            "4.0",
        )
    )
    assert [(p.group, p.param("LABEL")) for p in converted.find("ADR")] == [
        ("item1", ["A label"]),
        ("item2", ["B label"]),
    ]


def test_label_without_adr_stays_a_label() -> None:
    assert prop(convert(card3("LABEL;TYPE=HOME:Somewhere"), "4.0"), "LABEL") == (
        "LABEL;TYPE=home:Somewhere"
    )


def test_adr_label_parameter_becomes_label_property() -> None:
    converted = convert(card4('item3.ADR;TYPE=home;PREF=1;LABEL="A^nB, C":;;A;B;;;'), "3.0")
    assert prop(converted, "ADR") == "item3.ADR;TYPE=HOME,pref:;;A;B;;;"
    assert prop(converted, "LABEL") == "item3.LABEL;TYPE=HOME,pref:A\\nB\\, C"


def test_n_and_adr_get_their_component_counts() -> None:
    converted = convert(card3("N:Daboo;Cyrus", "ADR:;;Street"), "4.0")
    assert prop(converted, "N") == "N:Daboo;Cyrus;;;"
    assert prop(converted, "ADR") == "ADR:;;Street;;;;"


def test_extra_n_components_are_cut_in_3() -> None:
    assert prop(convert(card4("N:A;B;C;D;E;F;G"), "3.0"), "N") == "N:A;B;C;D;E"


def test_geo_converts_both_ways() -> None:
    v3 = convert(card4("GEO:geo:37.386013,-122.082932"), "3.0")
    assert prop(v3, "GEO") == "GEO:37.386013;-122.082932"
    assert prop(convert(v3, "4.0"), "GEO") == "GEO:geo:37.386013,-122.082932"


def test_utc_offset_tz_converts_both_ways() -> None:
    v4 = convert(card3("TZ:-05:00"), "4.0")
    assert prop(v4, "TZ") == "TZ;VALUE=utc-offset:-0500"
    assert prop(convert(v4, "3.0"), "TZ") == "TZ:-05:00"


def test_text_tz_gets_value_text_in_3() -> None:
    assert prop(convert(card4("TZ:Europe/Berlin"), "3.0"), "TZ") == "TZ;VALUE=text:Europe/Berlin"


def test_escaped_url_colon_is_unescaped_in_4() -> None:
    assert prop(convert(card3("URL:http\\://a.example"), "4.0"), "URL") == "URL:http://a.example"


def test_uid_is_never_changed() -> None:
    data = card4().replace(b"UID:u1", b"UID:urn:uuid:4f1e\\,x")
    assert read_card(convert(data, "3.0")).first("UID").value == "urn:uuid:4f1e\\,x"  # type: ignore[union-attr]


def test_card_object_input_is_serialised() -> None:
    card = read_card(card3())
    assert isinstance(convert(card, "3.0"), bytes)
    assert isinstance(convert(Card("4.0", card.properties), "3.0"), bytes)


def test_stored_version_is_read_from_the_version_line_only() -> None:
    card = (b"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:u\r\nFN:A\r\n"
            b"NOTE:line one\\nVERSION:3.0\r\n folded VERSION:3.0\r\nEND:VCARD\r\n")
    assert stored_version(card) == "4.0"
    assert stored_version(b"BEGIN:VCARD\r\nEND:VCARD\r\n") is None


def test_a_stored_card_in_the_wanted_version_comes_back_as_the_same_bytes() -> None:
    card = b"BEGIN:VCARD\r\nversion:3.0\r\nUID:u\r\nFN:A\r\nEND:VCARD\r\n"
    assert convert(card, "3.0") is card
