"""RFC 4790 / RFC 5051 collations with the four CardDAV match types (RFC 6352 §8.3)."""

from __future__ import annotations

import pytest

from oxdav.carddav.collation import (
    ASCII_CASEMAP,
    OCTET,
    SUPPORTED_COLLATIONS,
    UNICODE_CASEMAP,
    resolve_collation,
    text_matches,
)


def test_unicode_and_ascii_casemap_are_advertised() -> None:
    assert {ASCII_CASEMAP, UNICODE_CASEMAP} <= set(SUPPORTED_COLLATIONS)


@pytest.mark.parametrize("identifier", [None, "default", "i;unicode-casemap"])
def test_default_collation_is_unicode_casemap(identifier: str | None) -> None:
    assert resolve_collation(identifier) == UNICODE_CASEMAP


@pytest.mark.parametrize("identifier", ["i;basic", "en;*", "i;ascii-numeric", ""])
def test_unknown_collations_are_unsupported(identifier: str) -> None:
    assert resolve_collation(identifier) is None


@pytest.mark.parametrize(
    "match_type, wanted, value, expected",
    [
        ("equals", "daboo", "Daboo", True),
        ("equals", "dab", "Daboo", False),
        ("contains", "ABO", "Daboo", True),
        ("contains", "xyz", "Daboo", False),
        ("starts-with", "DA", "Daboo", True),
        ("starts-with", "boo", "Daboo", False),
        ("ends-with", "BOO", "Daboo", True),
        ("ends-with", "dab", "Daboo", False),
        ("contains", "", "anything", True),
    ],
)
def test_match_types(match_type: str, wanted: str, value: str, expected: bool) -> None:
    assert text_matches(UNICODE_CASEMAP, match_type, wanted, value) is expected  # type: ignore[arg-type]


def test_unicode_casemap_folds_non_ascii_case() -> None:
    assert text_matches(UNICODE_CASEMAP, "equals", "MÜLLER", "müller")
    assert text_matches(UNICODE_CASEMAP, "equals", "ΣΩΚΡΆΤΗΣ", "σωκράτης")


def test_unicode_casemap_normalises_composed_and_decomposed() -> None:
    assert text_matches(UNICODE_CASEMAP, "equals", "Jos\u00e9", "JOSE\u0301")


def test_unicode_casemap_compatibility_decomposes() -> None:
    assert text_matches(UNICODE_CASEMAP, "contains", "fi", "\ufb01le")  # the "ﬁ" ligature


def test_ascii_casemap_folds_only_ascii() -> None:
    assert text_matches(ASCII_CASEMAP, "equals", "DABOO", "daboo")
    assert not text_matches(ASCII_CASEMAP, "equals", "MÜLLER", "müller")
    assert text_matches(ASCII_CASEMAP, "equals", "MüLLER", "müller")


def test_octet_is_case_sensitive() -> None:
    assert not text_matches(OCTET, "equals", "Daboo", "daboo")
    assert text_matches(OCTET, "starts-with", "Da", "Daboo")
    assert not text_matches(OCTET, "equals", "Jos\u00e9", "Jose\u0301")
