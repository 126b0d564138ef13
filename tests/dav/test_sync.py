"""RFC 6578 sync tokens and sync-collection bodies (oxdav.dav.sync)."""

from __future__ import annotations

import base64

import pytest

from oxdav.dav.errors import DAVError
from oxdav.dav.property_results import PropFindType
from oxdav.dav.sync import (
    MAX_SYNC_TOKEN_CHARS,
    SYNC_TOKEN_PREFIX,
    SyncLevel,
    SyncToken,
    decode_sync_token,
    format_sync_token,
    parse_sync_collection,
    parse_sync_token,
)
from oxdav.dav.xml import parse_body


def _refused(text: str, collection: str = "1/12") -> None:
    with pytest.raises(DAVError) as info:
        parse_sync_token(text, collection=collection)
    assert info.value.status == 403
    assert info.value.precondition == "{DAV:}valid-sync-token"


def test_collection_token_round_trips() -> None:
    token = SyncToken.for_collection("1/12", 42)
    text = format_sync_token(token)
    assert text.startswith(SYNC_TOKEN_PREFIX)
    assert parse_sync_token(text, collection="1/12") == token


def test_aggregate_token_round_trips() -> None:
    token = SyncToken.for_aggregate("1/Contacts-ab12", {"6": 3, "15": 7})
    parsed = parse_sync_token(str(token), collection="1/Contacts-ab12")
    assert parsed is not None and parsed.is_aggregate
    assert parsed.revision_map == {"6": 3, "15": 7}


def test_token_text_is_stable() -> None:
    a = SyncToken.for_aggregate("c", {"b": 1, "a": 2})
    b = SyncToken.for_aggregate("c", {"a": 2, "b": 1})
    assert str(a) == str(b)


def test_token_is_an_absolute_uri_without_padding() -> None:
    text = str(SyncToken.for_collection("1/12", 1))
    assert "=" not in text and " " not in text


def test_empty_token_means_initial_sync() -> None:
    assert parse_sync_token("", collection="1/12") is None
    assert parse_sync_token(None, collection="1/12") is None


def test_token_of_another_collection_is_foreign() -> None:
    _refused(str(SyncToken.for_collection("1/13", 5)))


def test_token_of_another_aggregate_set_is_foreign() -> None:
    _refused(str(SyncToken.for_aggregate("1/Contacts-old", {"6": 1})), "1/Contacts-new")


def test_bare_uuid_token_from_macos_is_refused() -> None:
    _refused("0f5e2a1c-8b1d-4f57-9a63-0c7c3a7e7a11")


def test_other_servers_token_is_refused() -> None:
    _refused("http://sabre.io/ns/sync/17")


@pytest.mark.parametrize(
    "opaque",
    ["", "!!!", "bm90IGpzb24", "W10", "eyJjIjoiMS8xMiJ9", "eyJjIjoiMS8xMiIsInIiOi0xfQ"],
    ids=["empty", "not-base64", "not-json", "json-list", "no-revision", "negative"],
)
def test_malformed_tokens_are_refused(opaque: str) -> None:
    _refused(SYNC_TOKEN_PREFIX + opaque)


def _opaque(raw: str) -> str:
    return SYNC_TOKEN_PREFIX + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000,
                                 '{"c":' * 10_000 + '"1/12"' + "}" * 10_000],
                         ids=["deep-list", "deep-object"])
def test_deeply_nested_tokens_are_refused_not_a_recursion_error(raw: str) -> None:
    _refused(_opaque(raw)[:MAX_SYNC_TOKEN_CHARS])
    _refused(_opaque(raw))


@pytest.mark.parametrize("revision", [2**63, 2**70, 10**4000])
def test_revisions_beyond_64_bits_are_refused(revision: int) -> None:
    _refused(_opaque(f'{{"c":"1/12","r":{revision}}}'))
    _refused(_opaque(f'{{"c":"1/12","m":{{"6":{revision}}}}}'), "1/12")
    assert parse_sync_token(str(SyncToken.for_collection("1/12", 2**63 - 1)),
                            collection="1/12") is not None


def test_a_token_longer_than_any_this_server_makes_is_refused() -> None:
    members = {str(n): n for n in range(5000)}
    _refused(str(SyncToken.for_aggregate("1/Contacts", members)), "1/Contacts")


def test_non_canonical_encoding_is_refused() -> None:
    text = str(SyncToken.for_collection("1/12", 1))
    with pytest.raises(DAVError):
        decode_sync_token(text + "==")


def test_sync_collection_body_parses() -> None:
    root = parse_body(
        b"<?xml version='1.0'?><D:sync-collection xmlns:D='DAV:'>"
        b"<D:sync-token>http://oxdav.org/ns/sync/x</D:sync-token><D:sync-level>1</D:sync-level>"
        b"<D:limit><D:nresults>100</D:nresults></D:limit>"
        b"<D:prop><D:getetag/><D:getcontenttype/></D:prop></D:sync-collection>"
    )
    assert root is not None
    request = parse_sync_collection(root)
    assert request.sync_token == "http://oxdav.org/ns/sync/x"
    assert request.level is SyncLevel.ONE
    assert request.limit == 100
    assert request.properties.type is PropFindType.PROP
    assert request.properties.names == ("{DAV:}getetag", "{DAV:}getcontenttype")


def test_missing_sync_level_means_one() -> None:
    root = parse_body(
        b"<sync-collection xmlns='DAV:'><sync-token/><prop><getetag/></prop></sync-collection>"
    )
    assert root is not None
    request = parse_sync_collection(root)
    assert request.level is SyncLevel.ONE
    assert request.sync_token == ""
    assert request.limit is None


def test_infinite_sync_level_parses() -> None:
    root = parse_body(
        b"<sync-collection xmlns='DAV:'><sync-level>infinite</sync-level></sync-collection>"
    )
    assert root is not None
    assert parse_sync_collection(root).level is SyncLevel.INFINITE


@pytest.mark.parametrize("level", [b"2", b"", b"deep"])
def test_bad_sync_level_is_400(level: bytes) -> None:
    root = parse_body(
        b"<sync-collection xmlns='DAV:'><sync-level>" + level + b"</sync-level></sync-collection>"
    )
    assert root is not None
    with pytest.raises(DAVError) as info:
        parse_sync_collection(root)
    assert info.value.status == 400


@pytest.mark.parametrize("nresults", [b"0", b"-1", b"x", b""])
def test_bad_limit_is_400(nresults: bytes) -> None:
    root = parse_body(
        b"<sync-collection xmlns='DAV:'><limit><nresults>"
        + nresults
        + b"</nresults></limit></sync-collection>"
    )
    assert root is not None
    with pytest.raises(DAVError) as info:
        parse_sync_collection(root)
    assert info.value.status == 400


def test_sync_collection_other_root_is_400() -> None:
    root = parse_body(b"<propfind xmlns='DAV:'/>")
    assert root is not None
    with pytest.raises(DAVError):
        parse_sync_collection(root)
