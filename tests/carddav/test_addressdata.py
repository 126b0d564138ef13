"""address-data requests (RFC 6352 §10.4) and GET Accept negotiation (§5.1.1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from oxdav.carddav.addressdata import (
    SUPPORTED_ADDRESS_DATA_TYPES,
    AddressDataRequest,
    PropertySelection,
    negotiate_get,
    parse_address_data,
)
from oxdav.carddav.card import read_card
from oxdav.carddav.errors import CARDDAV_NS, AddressDataRequestError, ConversionError
from oxdav.carddav.vcard import parse_address_object

from .conftest import RFC_DIR

C = f"{{{CARDDAV_NS}}}"
V102 = (RFC_DIR / "v102.vcf").read_bytes()


def address_data(attributes: str = "", inner: str = "") -> AddressDataRequest:
    return parse_address_data(
        etree.fromstring(
            f'<C:address-data xmlns:C="{CARDDAV_NS}" {attributes}>{inner}</C:address-data>'
        )
    )


def from_request(name: str) -> AddressDataRequest:
    element = etree.parse(str(RFC_DIR / name)).getroot().find(f".//{C}address-data")
    assert element is not None
    return parse_address_data(element)


# --- the RFC examples -----------------------------------------------------------------


def test_rfc_8_6_3_partial_retrieval() -> None:
    request = from_request("query-8.6.3.xml")
    assert request.properties == tuple(
        PropertySelection(n) for n in ("VERSION", "UID", "NICKNAME", "EMAIL", "FN")
    )
    assert request.render(V102) == (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nNICKNAME:me\r\nUID:34222-232@example.com\r\n"
        b"FN:Cyrus Daboo\r\nEMAIL:daboo@example.com\r\nEND:VCARD\r\n"
    )


def test_rfc_8_7_1_multiget_partial_retrieval() -> None:
    assert from_request("multiget-8.7.1.xml") == from_request("query-8.6.4.xml")


def test_rfc_8_7_2_multiget_asks_for_vcard_4() -> None:
    request = from_request("multiget-8.7.2.xml")
    assert (request.content_type, request.version, request.properties) == (
        "text/vcard",
        "4.0",
        None,
    )
    assert read_card(request.render(V102)).version == "4.0"


# --- media type and version -----------------------------------------------------------


def test_defaults_are_vcard_3_and_the_whole_card() -> None:
    request = address_data()
    assert request == AddressDataRequest("text/vcard", "3.0", False, None)


def test_whole_card_in_the_stored_version_is_the_stored_bytes() -> None:
    assert address_data().render(V102) is V102
    parsed = parse_address_object(V102, content_type=None, max_size=10**6)
    assert address_data().render(parsed) is V102


def test_whole_card_is_converted_to_the_requested_version() -> None:
    rendered = address_data('version="4.0"').render(V102)
    assert read_card(rendered).version == "4.0"
    assert b"\r\nTEL;TYPE=work,voice:412 605 0499\r\n" in rendered


def test_version_given_is_recorded() -> None:
    assert address_data('content-type="text/vcard" version="4.0"').version_given
    assert not address_data('content-type="text/vcard"').version_given


def test_version_from_the_content_type_parameter() -> None:
    assert address_data('content-type="text/vcard; version=4.0"').version == "4.0"


@pytest.mark.parametrize(
    "attributes",
    ['content-type="application/vcard+json"', 'content-type="text/calendar"', 'version="2.1"'],
)
def test_unsupported_media_type_or_version(attributes: str) -> None:
    with pytest.raises(AddressDataRequestError) as e:
        address_data(attributes)
    assert e.value.precondition == "supported-address-data"


def test_unreadable_stored_card_cannot_be_converted() -> None:
    with pytest.raises(ConversionError) as e:
        address_data('version="4.0"').render(b"not a card")
    assert e.value.precondition == "supported-address-data-conversion"


def test_supported_address_data_lists_3_and_4() -> None:
    assert SUPPORTED_ADDRESS_DATA_TYPES == (("text/vcard", "3.0"), ("text/vcard", "4.0"))


# --- property selection ------------------------------------------------------------------


def test_allprop_returns_everything() -> None:
    assert address_data(inner="<C:allprop/>").properties is None


def test_only_requested_properties_and_version_are_returned() -> None:
    rendered = address_data(inner='<C:prop name="EMAIL"/>').render(V102)
    assert rendered == b"BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:daboo@example.com\r\nEND:VCARD\r\n"


def test_novalue_keeps_name_and_parameters() -> None:
    rendered = address_data(inner='<C:prop name="TEL" novalue="yes"/>').render(V102)
    assert b"\r\nTEL;TYPE=WORK,VOICE:\r\n" in rendered


def test_selection_applies_after_conversion() -> None:
    group = (
        b"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g\r\nFN:G\r\nKIND:group\r\n"
        b"MEMBER:urn:uuid:a\r\nEND:VCARD\r\n"
    )
    request = address_data('version="3.0"', '<C:prop name="X-ADDRESSBOOKSERVER-MEMBER"/>')
    assert request.render(group) == (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:a\r\nEND:VCARD\r\n"
    )


def test_name_without_group_selects_every_group(corpus_card: Callable[[str], bytes]) -> None:
    rendered = address_data(inner='<C:prop name="email"/>').render(
        corpus_card("apple-contacts-3.0.vcf")
    )
    assert len(read_card(rendered).find("EMAIL")) == 3


def test_name_with_group_selects_that_group_only(corpus_card: Callable[[str], bytes]) -> None:
    request = address_data(inner='<C:prop name="item1.EMAIL"/><C:prop name="item1.X-ABLabel"/>')
    card = read_card(request.render(corpus_card("apple-contacts-3.0.vcf")))
    assert [(p.group, p.name) for p in card.properties] == [
        ("item1", "EMAIL"),
        ("item1", "X-ABLABEL"),
    ]


def test_unknown_and_x_names_are_allowed() -> None:
    request = address_data(inner='<C:prop name="X-UNKNOWN"/><C:prop name="not a name"/>')
    assert read_card(request.render(V102)).properties == []


def test_no_prop_elements_means_the_whole_card() -> None:
    assert address_data(inner="<!-- nothing -->").properties is None


# --- GET negotiation ---------------------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "", "*/*", "text/*", "text/vcard", "text/x-vcard"])
def test_stored_version_by_default(accept: str | None) -> None:
    assert negotiate_get(accept, "4.0").version == "4.0"
    assert negotiate_get(accept, "3.0").version == "3.0"


def test_explicit_version_is_chosen() -> None:
    assert negotiate_get("text/vcard; version=3.0", "4.0").version == "3.0"
    assert negotiate_get('text/vcard; version="4.0"', "3.0").version == "4.0"


def test_q_values_pick_the_preferred_version() -> None:
    accept = "text/vcard; version=3.0; q=0.5, text/vcard; version=4.0"
    assert negotiate_get(accept, "3.0").version == "4.0"
    accept = "text/vcard;version=4.0;q=0.2, text/vcard;version=3.0;q=0.9"
    assert negotiate_get(accept, "4.0").version == "3.0"


def test_equal_q_keeps_the_stored_version() -> None:
    accept = "text/vcard; version=4.0, text/vcard; version=3.0"
    assert negotiate_get(accept, "3.0").version == "3.0"
    assert negotiate_get(accept, "4.0").version == "4.0"


@pytest.mark.parametrize("accept", [None, "*/*", "text/vcard"])
def test_preferred_version_decides_an_open_choice(accept: str | None) -> None:
    assert negotiate_get(accept, "4.0", prefer="3.0").version == "3.0"


def test_preferred_version_does_not_override_the_header() -> None:
    assert negotiate_get("text/vcard; version=4.0", "4.0", prefer="3.0").version == "4.0"


def test_most_specific_range_decides() -> None:
    # vCard 4.0 is refused explicitly although */* would accept it.
    assert negotiate_get("text/vcard; version=4.0; q=0, */*", "4.0").version == "3.0"


def test_nothing_acceptable_is_a_conversion_error() -> None:
    with pytest.raises(ConversionError) as e:
        negotiate_get("application/json, text/html", "3.0")
    assert e.value.precondition == "supported-address-data-conversion"


def test_everything_refused_is_a_conversion_error() -> None:
    with pytest.raises(ConversionError):
        negotiate_get("text/vcard; q=0", "3.0")


def test_unparseable_q_is_ignored() -> None:
    assert (
        negotiate_get("text/vcard; version=4.0; q=x, text/vcard; version=3.0", "4.0").version
        == "3.0"
    )


def test_response_content_types() -> None:
    assert negotiate_get(None, "3.0").content_type == "text/vcard; charset=utf-8"
    assert negotiate_get(None, "4.0").content_type == "text/vcard; charset=utf-8; version=4.0"


def test_commas_inside_quoted_accept_parameters_do_not_split() -> None:
    accept = 'text/plain; x="a, text/vcard; version=4.0", text/vcard; version=3.0'
    assert negotiate_get(accept, "4.0").version == "3.0"
