"""addressbook-query filters (RFC 6352 §10.5): parsing, errors and evaluation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

from oxdav.carddav.card import Card, read_card
from oxdav.carddav.errors import CARDDAV_NS, FilterError
from oxdav.carddav.filters import Filter, PropFilter, TextMatch, parse_filter

from .conftest import CORPUS, RFC_DIR

C = f"{{{CARDDAV_NS}}}"
RFC_CARDS = {name: (RFC_DIR / f"{name}.vcf").read_bytes() for name in ("v102", "v104", "v105")}


def xml_filter(inner: str, test: str | None = None) -> etree._Element:
    attribute = f' test="{test}"' if test else ""
    return etree.fromstring(
        f'<C:filter xmlns:C="{CARDDAV_NS}" xmlns:X="urn:x"{attribute}>{inner}</C:filter>'
    )


def tm(text: str, **attributes: str) -> str:
    """A text-match element; attribute names with underscores become hyphens."""
    attrs = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attributes.items())
    return f"<C:text-match{attrs}>{text}</C:text-match>"


def prop_filter(name: str, inner: str = "") -> str:
    return f'<C:prop-filter name="{name}">{inner}</C:prop-filter>'


def param_filter(name: str, inner: str = "") -> str:
    return f'<C:param-filter name="{name}">{inner}</C:param-filter>'


def parse(inner: str, test: str | None = None) -> Filter:
    return parse_filter(xml_filter(inner, test))


def card(*lines: str, version: str = "4.0") -> Card:
    text = "\r\n".join(
        ["BEGIN:VCARD", f"VERSION:{version}", "UID:u", "FN:Anne Example", *lines, "END:VCARD"]
    )
    return read_card(text)


def matches(inner: str, *lines: str, test: str | None = None, version: str = "4.0") -> bool:
    return parse(inner, test).matches(card(*lines, version=version))


def query_filter(name: str) -> Filter:
    query = etree.parse(str(RFC_DIR / name)).getroot()
    element = query.find(f"{C}filter")
    assert element is not None
    return parse_filter(element)


def matching(flt: Filter) -> list[str]:
    return [name for name, data in RFC_CARDS.items() if flt.matches_data(data)]


# --- the RFC 6352 examples ----------------------------------------------------------


def test_rfc_8_6_3_nickname_equals_me() -> None:
    flt = query_filter("query-8.6.3.xml")
    assert flt == Filter(
        "anyof",
        (PropFilter("NICKNAME", text_matches=(TextMatch("me", match_type="equals"),)),),
    )
    assert matching(flt) == ["v102"]


def test_rfc_8_6_4_full_name_or_email_contains_daboo() -> None:
    assert matching(query_filter("query-8.6.4.xml")) == ["v102", "v104"]


def test_rfc_8_6_5_full_name_contains_daboo() -> None:
    assert matching(query_filter("query-8.6.5.xml")) == ["v102", "v104"]


# --- structure and tests ------------------------------------------------------------


def test_empty_filter_matches_everything() -> None:
    assert parse("").matches(card())


def test_empty_prop_filter_tests_existence() -> None:
    assert matches('<C:prop-filter name="FN"/>')
    assert not matches('<C:prop-filter name="NICKNAME"/>')


def test_is_not_defined_on_a_property() -> None:
    inner = '<C:prop-filter name="NICKNAME"><C:is-not-defined/></C:prop-filter>'
    assert matches(inner)
    assert not matches(inner, "NICKNAME:an")


def test_filter_anyof_and_allof() -> None:
    inner = '<C:prop-filter name="FN"/><C:prop-filter name="NICKNAME"/>'
    assert matches(inner)
    assert matches(inner, test="anyof")
    assert not matches(inner, test="allof")
    assert matches(inner, "NICKNAME:an", test="allof")


def test_prop_filter_anyof_and_allof_combine_text_and_param_tests() -> None:
    tests = (
        "<C:text-match>example.com</C:text-match>"
        '<C:param-filter name="TYPE"><C:text-match match-type="equals">work</C:text-match>'
        "</C:param-filter>"
    )
    anyof = f'<C:prop-filter name="EMAIL">{tests}</C:prop-filter>'
    allof = f'<C:prop-filter name="EMAIL" test="allof">{tests}</C:prop-filter>'
    home = "EMAIL;TYPE=home:anne@example.com"
    assert matches(anyof, home)
    assert not matches(allof, home)
    assert matches(allof, home, "EMAIL;TYPE=work:anne@work.example.com")


def test_prop_filter_tests_each_property_on_its_own() -> None:
    # The work address is not at example.com and the example.com one is not work.
    allof = (
        '<C:prop-filter name="EMAIL" test="allof"><C:text-match>@example.com</C:text-match>'
        '<C:param-filter name="TYPE"><C:text-match match-type="equals">work</C:text-match>'
        "</C:param-filter></C:prop-filter>"
    )
    assert not matches(allof, "EMAIL;TYPE=home:a@example.com", "EMAIL;TYPE=work:a@work.example")


def test_several_text_matches() -> None:
    inner = (
        '<C:prop-filter name="FN" test="allof"><C:text-match match-type="starts-with">anne'
        '</C:text-match><C:text-match match-type="ends-with">example</C:text-match>'
        "</C:prop-filter>"
    )
    assert matches(inner)


@pytest.mark.parametrize(
    "match_type, text, expected",
    [
        ("equals", "anne example", True),
        ("equals", "anne", False),
        ("contains", "NE EX", True),
        ("starts-with", "Anne", True),
        ("starts-with", "Example", False),
        ("ends-with", "PLE", True),
    ],
)
def test_match_types_on_a_property(match_type: str, text: str, expected: bool) -> None:
    inner = prop_filter("FN", tm(text, match_type=match_type))
    assert matches(inner) is expected


def test_default_match_type_is_contains() -> None:
    assert matches('<C:prop-filter name="FN"><C:text-match>ne ex</C:text-match></C:prop-filter>')


def test_negate_condition() -> None:
    inner = (
        '<C:prop-filter name="CATEGORIES"><C:text-match negate-condition="yes" '
        'match-type="equals">PERSON</C:text-match></C:prop-filter>'
    )
    assert matches(inner, "CATEGORIES:company")
    assert not matches(inner, "CATEGORIES:person")
    assert not matches(inner, "CATEGORIES:friend,person")
    assert not matches(inner)  # no CATEGORIES at all: no property to test


def test_negate_condition_no_is_the_default() -> None:
    inner = prop_filter("FN", tm("anne", negate_condition="no"))
    assert matches(inner)


@pytest.mark.parametrize(
    "collation, text, expected",
    [
        ("i;unicode-casemap", "MÜLLER", True),
        ("i;ascii-casemap", "MÜLLER", False),
        ("i;ascii-casemap", "MüLLER", True),
        ("i;octet", "müller", True),
        ("i;octet", "Müller", False),
        ("default", "MÜLLER", True),
    ],
)
def test_collations(collation: str, text: str, expected: bool) -> None:
    inner = (
        f'<C:prop-filter name="N"><C:text-match collation="{collation}" match-type="equals">'
        f"{text}</C:text-match></C:prop-filter>"
    )
    assert matches(inner, "N:müller;anne;;;") is expected


def test_default_collation_is_caseless() -> None:
    assert matches('<C:prop-filter name="FN"><C:text-match>ANNE</C:text-match></C:prop-filter>')


# --- names, groups, values ----------------------------------------------------------


def test_property_names_are_caseless() -> None:
    assert matches('<C:prop-filter name="email"/>', "Email:a@b")


def test_group_prefix_is_ignored_when_the_name_has_none() -> None:
    assert matches('<C:prop-filter name="EMAIL"/>', "item1.EMAIL:a@b")


def test_group_prefix_in_the_name_must_match_exactly() -> None:
    assert matches('<C:prop-filter name="item1.EMAIL"/>', "ITEM1.EMAIL:a@b")
    assert not matches('<C:prop-filter name="item1.EMAIL"/>', "item2.EMAIL:a@b")
    assert not matches('<C:prop-filter name="item1.EMAIL"/>', "EMAIL:a@b")


def test_structured_values_match_by_component() -> None:
    inner = prop_filter("N", tm("Daboo", match_type="equals"))
    assert matches(inner, "N:Daboo;Cyrus;;;")


def test_list_values_match_by_item() -> None:
    inner = prop_filter("NICKNAME", tm("b,c", match_type="equals"))
    assert matches(inner, "NICKNAME:a,b\\,c")


def test_escaped_text_is_matched_unescaped() -> None:
    inner = '<C:prop-filter name="NOTE"><C:text-match>a, b; c</C:text-match></C:prop-filter>'
    assert matches(inner, "NOTE:a\\, b\\; c")


def test_tel_uri_matches_its_number() -> None:
    inner = prop_filter("TEL", tm("+1-555-0100", match_type="equals"))
    assert matches(inner, "TEL;VALUE=uri:tel:+1-555-0100")
    assert matches(inner, "TEL:+1-555-0100", version="3.0")


def test_version_can_be_filtered() -> None:
    inner = prop_filter("VERSION", tm("3.0", match_type="equals"))
    assert matches(inner, version="3.0")
    assert not matches(inner, version="4.0")


# --- param-filter -------------------------------------------------------------------


def test_empty_param_filter_tests_existence() -> None:
    inner = '<C:prop-filter name="TEL"><C:param-filter name="type"/></C:prop-filter>'
    assert matches(inner, "TEL;TYPE=cell:1")
    assert not matches(inner, "TEL:1")


def test_param_filter_is_not_defined() -> None:
    inner = prop_filter("TEL", param_filter("TYPE", "<C:is-not-defined/>"))
    assert matches(inner, "TEL:1")
    assert not matches(inner, "TEL;TYPE=cell:1")


def test_param_filter_matches_any_value_of_a_list() -> None:
    inner = (
        '<C:prop-filter name="TEL"><C:param-filter name="TYPE"><C:text-match match-type="equals">'
        "VOICE</C:text-match></C:param-filter></C:prop-filter>"
    )
    assert matches(inner, "TEL;TYPE=home,voice:1")
    assert matches(inner, 'TEL;TYPE="home,voice":1')
    assert matches(inner, "TEL;TYPE=HOME;TYPE=VOICE:1", version="3.0")
    assert not matches(inner, "TEL;TYPE=home:1")


def test_param_filter_negated() -> None:
    inner = (
        '<C:prop-filter name="EMAIL"><C:param-filter name="TYPE"><C:text-match '
        'negate-condition="yes" match-type="equals">work</C:text-match></C:param-filter>'
        "</C:prop-filter>"
    )
    assert matches(inner, "EMAIL;TYPE=home:a@b")
    assert not matches(inner, "EMAIL;TYPE=work:a@b")
    assert not matches(inner, "EMAIL:a@b")  # no TYPE parameter to test


def test_param_filter_on_an_x_parameter() -> None:
    inner = (
        '<C:prop-filter name="IMPP"><C:param-filter name="X-SERVICE-TYPE"><C:text-match>jabber'
        "</C:text-match></C:param-filter></C:prop-filter>"
    )
    assert matches(inner, "IMPP;X-SERVICE-TYPE=Jabber:xmpp:a@b")


# --- corpus ------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORPUS)
def test_every_corpus_card_has_an_fn_and_matches_its_uid(
    name: str, corpus_card: Callable[[str], bytes]
) -> None:
    data = corpus_card(name)
    uid = read_card(data).first("UID")
    assert uid is not None
    inner = (
        f'<C:prop-filter name="UID"><C:text-match collation="i;octet" match-type="equals">'
        f"{uid.text}</C:text-match></C:prop-filter>"
    )
    assert parse(inner).matches_data(data)
    assert parse('<C:prop-filter name="FN"/>').matches_data(data)


def test_non_ascii_names_match(corpus_card: Callable[[str], bytes]) -> None:
    inner = '<C:prop-filter name="FN"><C:text-match>山田</C:text-match></C:prop-filter>'
    assert parse(inner).matches_data(corpus_card("non-ascii-3.0.vcf"))


def test_unreadable_data_matches_nothing() -> None:
    assert not parse('<C:prop-filter name="FN"/>').matches_data(b"garbage")


# --- errors --------------------------------------------------------------------------


def refused(inner: str, test: str | None = None) -> FilterError:
    with pytest.raises(FilterError) as e:
        parse(inner, test)
    return e.value


def test_unsupported_collation() -> None:
    error = refused(prop_filter("FN", tm("a", collation="i;basic")))
    assert error.precondition == "supported-collation"
    assert error.clark_name == f"{C}supported-collation"


def test_unsupported_property_name_reports_the_prop_filter() -> None:
    error = refused('<C:prop-filter name="BAD NAME"/>')
    assert error.precondition == "supported-filter"
    assert error.offending is not None and error.offending.get("name") == "BAD NAME"


def test_begin_is_not_a_property() -> None:
    assert refused('<C:prop-filter name="BEGIN"/>').precondition == "supported-filter"


def test_unsupported_parameter_name_reports_the_param_filter() -> None:
    error = refused('<C:prop-filter name="TEL"><C:param-filter name="a b"/></C:prop-filter>')
    assert error.precondition == "supported-filter"
    assert error.offending is not None and error.offending.tag == f"{C}param-filter"


@pytest.mark.parametrize(
    "inner, test",
    [
        ("<C:prop-filter/>", None),
        (prop_filter("FN"), "some"),
        ('<C:prop-filter name="FN" test="none"/>', None),
        (prop_filter("FN", tm("a", match_type="like")), None),
        (prop_filter("FN", tm("a", negate_condition="maybe")), None),
        (prop_filter("FN", "<C:is-not-defined/>" + tm("a")), None),
        (prop_filter("FN", "<C:time-range/>"), None),
        (prop_filter("FN", tm("<C:x/>")), None),
        (prop_filter("TEL", "<C:param-filter/>"), None),
        (prop_filter("TEL", param_filter("TYPE", "<C:is-not-defined/>" + tm("a"))), None),
        ("<C:comp-filter/>", None),
    ],
)
def test_malformed_filters_are_valid_filter_errors(inner: str, test: str | None) -> None:
    assert refused(inner, test).precondition == "valid-filter"


def test_other_root_element_is_refused() -> None:
    with pytest.raises(FilterError) as e:
        parse_filter(etree.fromstring(f'<C:prop-filter xmlns:C="{CARDDAV_NS}" name="FN"/>'))
    assert e.value.precondition == "valid-filter"


def test_extension_elements_and_comments_are_ignored() -> None:
    flt = parse('<!-- hi --><X:ext/><C:prop-filter name="FN"><X:ext/></C:prop-filter>')
    assert flt == Filter("anyof", (PropFilter("FN"),))
