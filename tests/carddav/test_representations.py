"""Both vCard versions from stored bytes (issue 7): the alternate made on write is what
the conversion on a read returned, byte for byte, on the whole corpus; reads use it
without parsing, and fall back to converting when it is missing or stale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
import pytest_twisted
from twisted.logger import globalLogPublisher

from oxdav.carddav import representations
from oxdav.carddav.convert import PRODID, convert, stored_version
from oxdav.carddav.errors import ConversionError
from oxdav.carddav.representations import (
    alternate_of,
    in_version,
    other_version,
    render_for_get,
    stored_in_version,
)
from oxdav.carddav.tasks import checked_card
from oxdav.carddav.vcard import parse_address_object

from .conftest import CORPUS, CORPUS_DIR, RFC_DIR, answered

#: Every card the tests have: the real-world corpus and RFC 6352's examples.
CARDS = [CORPUS_DIR / name for name in CORPUS] + sorted(RFC_DIR.glob("*.vcf"))
CARD3 = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ann\r\nN:;Ann;;;\r\nEND:VCARD\r\n"


def parsed(data: bytes):
    return parse_address_object(data, content_type=None, max_size=10**7)


def loader(value: bytes | None, calls: list[int] | None = None
           ) -> Callable[[], Awaitable[bytes | None]]:
    async def read() -> bytes | None:
        if calls is not None:
            calls.append(1)
        return value
    return read


def test_corpus_has_cards_of_both_versions() -> None:
    versions = {stored_version(path.read_bytes()) for path in CARDS}
    assert versions == {"3.0", "4.0"} and len(CARDS) >= 10


@pytest.mark.parametrize("path", CARDS, ids=lambda p: p.name)
def test_alternate_made_on_write_is_what_a_read_converted(path) -> None:
    data = path.read_bytes()
    target = other_version(stored_version(data))
    expected = convert(data, target)  # the read path before issue 7
    assert alternate_of(parsed(data)) == expected
    assert alternate_of(data) == expected  # from bytes (the GAL card)
    assert stored_version(expected) == target


@pytest.mark.parametrize("path", CARDS, ids=lambda p: p.name)
@pytest.mark.parametrize("version", ["3.0", "4.0"])
@pytest_twisted.ensureDeferred
async def test_reads_in_either_version_equal_the_conversion(path, version) -> None:
    data = path.read_bytes()
    alternate = alternate_of(parsed(data))
    expected = convert(data, version)
    assert await in_version(data, version, loader(alternate)) == expected
    assert await in_version(data, version, loader(None)) == expected  # an old row
    assert await in_version(data, version) == expected


@pytest.mark.parametrize("path", CARDS, ids=lambda p: p.name)
@pytest_twisted.ensureDeferred
async def test_a_stored_alternate_is_returned_without_parsing(path, monkeypatch) -> None:
    data = path.read_bytes()
    target = other_version(stored_version(data))
    alternate = alternate_of(parsed(data))

    def no_conversion(*args: object) -> bytes:
        raise AssertionError("converted on a read")

    monkeypatch.setattr(representations, "convert", no_conversion)
    assert await in_version(data, target, loader(alternate)) == alternate


@pytest_twisted.ensureDeferred
async def test_the_alternate_is_not_read_for_the_stored_version() -> None:
    calls: list[int] = []
    assert await in_version(CARD3, "3.0", loader(b"unused", calls)) == CARD3
    assert calls == []


def test_an_alternate_of_another_release_is_not_served() -> None:
    alternate = alternate_of(CARD3)
    assert alternate is not None and PRODID.encode() in alternate
    stale = alternate.replace(PRODID.encode(), b"-//oxdav//oxdav 0.0.1//EN")
    assert stored_in_version(CARD3, alternate, "4.0") == alternate
    assert stored_in_version(CARD3, stale, "4.0") is None


def test_an_alternate_in_the_wrong_version_is_not_served() -> None:
    assert stored_in_version(CARD3, CARD3, "4.0") is None


def test_card_index_carries_the_alternate() -> None:
    index = checked_card(CARD3, None, len(CARD3)).index
    assert (index.uid, index.component) == ("u1", "VCARD")
    assert index.derived == convert(CARD3, "4.0")


def test_a_converter_failure_stores_no_alternate_and_is_logged(monkeypatch) -> None:
    def broken(*args: object) -> bytes:
        raise ValueError("converter bug")

    logged: list[dict] = []
    monkeypatch.setattr(representations, "convert", broken)
    globalLogPublisher.addObserver(logged.append)
    try:
        assert alternate_of(parsed(CARD3)) is None
    finally:
        globalLogPublisher.removeObserver(logged.append)
    assert any("log_failure" in event for event in logged)


def test_no_alternate_for_an_unknown_version() -> None:
    assert alternate_of(CARD3.replace(b"VERSION:3.0", b"VERSION:2.1")) is None


# --- GET (RFC 6352 §5.1.1) ----------------------------------------------------------


@pytest_twisted.ensureDeferred
async def test_get_without_accept_returns_the_stored_bytes() -> None:
    calls: list[int] = []
    assert await render_for_get(CARD3, None, None, loader(None, calls)) == (
        CARD3, "text/vcard; charset=utf-8")
    assert calls == []


@pytest_twisted.ensureDeferred
async def test_get_accepting_4_0_converts() -> None:
    body, content_type = await render_for_get(CARD3, "text/vcard;version=4.0", None)
    assert b"VERSION:4.0" in body and "version=4.0" in content_type


@pytest_twisted.ensureDeferred
async def test_get_accepting_4_0_returns_the_stored_alternate() -> None:
    alternate = alternate_of(CARD3)
    body, _ = await render_for_get(CARD3, "text/vcard;version=4.0", None, loader(alternate))
    assert body is alternate


@pytest_twisted.ensureDeferred
async def test_get_accepting_nothing_usable_is_406() -> None:
    with pytest.raises(ConversionError) as caught:
        await render_for_get(CARD3, "application/json", None)
    assert answered(caught.value).status == 406
