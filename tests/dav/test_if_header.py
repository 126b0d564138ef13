"""The WebDAV If header (RFC 4918 §10.4), parser and evaluator (oxdav.dav.conditions)."""

from __future__ import annotations

from collections.abc import Collection

import pytest
import pytest_twisted

from oxdav.dav.conditions import (
    EntityTag,
    IfCondition,
    IfList,
    check_if_header,
    evaluate_if_header,
    parse_if_header,
)
from oxdav.dav.errors import DAVError

LOCK_A = "urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2"
LOCK_B = "urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092"

State = tuple[str | None, Collection[str]] | None


def lookup_from(states: dict[str, State]):  # type: ignore[no-untyped-def]
    def lookup(url: str) -> State:
        return states.get(url)

    return lookup


def test_no_tag_lists_parse() -> None:
    # RFC 4918 §10.4.6
    header = parse_if_header(f'(<{LOCK_A}>\r\n  ["I am an ETag"])\r\n  (["I am another ETag"])')
    assert not header.tagged
    assert header.lists == (
        IfList(
            None,
            (
                IfCondition(False, state_token=LOCK_A),
                IfCondition(False, etag=EntityTag("I am an ETag")),
            ),
        ),
        IfList(None, (IfCondition(False, etag=EntityTag("I am another ETag")),)),
    )


def test_not_with_no_tag_list_parses() -> None:
    # RFC 4918 §10.4.7
    header = parse_if_header(f"(Not <{LOCK_A}> <{LOCK_B}>)")
    assert header.lists[0].conditions == (
        IfCondition(True, state_token=LOCK_A),
        IfCondition(False, state_token=LOCK_B),
    )


def test_tagged_list_with_weak_etag_parses() -> None:
    # RFC 4918 §10.4.9
    header = parse_if_header(f'</resource1> (<{LOCK_A}> [W/"A weak ETag"]) (["strong ETag"])')
    assert header.tagged
    assert [lst.resource for lst in header.lists] == ["/resource1", "/resource1"]
    assert header.lists[0].conditions[1].etag == EntityTag("A weak ETag", weak=True)


def test_several_tagged_resources_parse() -> None:
    header = parse_if_header(f'<http://h/a> (<{LOCK_A}>) <http://h/b> (["x"]) (["y"])')
    assert [lst.resource for lst in header.lists] == ["http://h/a", "http://h/b", "http://h/b"]


def test_state_tokens_lists_submitted_tokens() -> None:
    header = parse_if_header(f"(<{LOCK_A}>) (Not <DAV:no-lock>)")
    assert header.state_tokens() == {LOCK_A, "DAV:no-lock"}


def test_not_keyword_is_case_insensitive() -> None:
    assert parse_if_header('(NOT ["a"])').lists[0].conditions[0].negated


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "()",
        '(["a"]',
        '["a"]',
        "(<a>) <http://h/b> (<c>)",
        "(<>)",
        "(<a)",
        "</r>",
        "(x)",
        '([")',
    ],
)
def test_malformed_if_headers_are_400(bad: str) -> None:
    with pytest.raises(DAVError) as info:
        parse_if_header(bad)
    assert info.value.status == 400


@pytest_twisted.ensureDeferred
async def test_matching_etag_in_second_list_is_true() -> None:
    header = parse_if_header(f'(<{LOCK_A}> ["I am an ETag"]) (["I am another ETag"])')
    lookup = lookup_from({"/r": ('"I am another ETag"', ())})
    assert await evaluate_if_header(header, "/r", lookup)


@pytest_twisted.ensureDeferred
async def test_unheld_lock_token_is_false() -> None:
    header = parse_if_header(f'(<{LOCK_A}> ["e"])')
    assert not await evaluate_if_header(header, "/r", lookup_from({"/r": ('"e"', ())}))


@pytest_twisted.ensureDeferred
async def test_held_lock_token_and_etag_is_true() -> None:
    header = parse_if_header(f'(<{LOCK_A}> ["e"])')
    assert await evaluate_if_header(header, "/r", lookup_from({"/r": ('"e"', {LOCK_A})}))


@pytest_twisted.ensureDeferred
async def test_not_no_lock_always_evaluates_true() -> None:
    # RFC 4918 §10.4.8
    header = parse_if_header(f"(<{LOCK_A}>) (Not <DAV:no-lock>)")
    assert await evaluate_if_header(header, "/r", lookup_from({"/r": ('"e"', ())}))


@pytest_twisted.ensureDeferred
async def test_etag_on_unmapped_url_does_not_match() -> None:
    # RFC 4918 §10.4.11
    lookup = lookup_from({})
    assert not await evaluate_if_header(
        parse_if_header('</specs/rfc2518.doc> (["4217"])'), "/x", lookup
    )
    assert await evaluate_if_header(
        parse_if_header('</specs/rfc2518.doc> (Not ["4217"])'), "/x", lookup
    )


@pytest_twisted.ensureDeferred
async def test_tagged_list_is_evaluated_against_its_own_resource() -> None:
    header = parse_if_header('</other> (["o"])')
    lookup = lookup_from({"/r": ('"o"', ()), "/other": ('"x"', ())})
    assert not await evaluate_if_header(header, "/r", lookup)


@pytest_twisted.ensureDeferred
async def test_weak_etag_never_matches_strongly() -> None:
    header = parse_if_header('([W/"e"])')
    assert not await evaluate_if_header(header, "/r", lookup_from({"/r": ('"e"', ())}))


@pytest_twisted.ensureDeferred
async def test_async_lookup_is_awaited() -> None:
    async def lookup(url: str) -> State:
        return ('"e"', ())

    assert await evaluate_if_header(parse_if_header('(["e"])'), "/r", lookup)


@pytest_twisted.ensureDeferred
async def test_check_if_header_raises_412_when_false() -> None:
    with pytest.raises(DAVError) as info:
        await check_if_header('(["old"])', "/r", lookup_from({"/r": ('"new"', ())}))
    assert info.value.status == 412


@pytest_twisted.ensureDeferred
async def test_check_if_header_accepts_absent_header() -> None:
    await check_if_header(None, "/r", lookup_from({}))
