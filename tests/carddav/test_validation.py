"""The HTTP face of address object validation (RFC 6352 §6.3.2.1)."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.carddav.collection import check_card
from oxdav.carddav.errors import AddressDataError
from oxdav.carddav.validation import (
    content_type_of,
    stored_version,
    takes_only_vcard3,
)
from oxdav.work import INLINE, INLINE_BYTES
from tests.carddav.conftest import answered
from tests.work import RecordingWork

CARD3 = b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ann\r\nN:;Ann;;;\r\nEND:VCARD\r\n"

#: The max-resource-size these tests validate against.
LIMIT = 200_000


@pytest.mark.parametrize("agent", [
    "Mac OS X/10.13.1 (17B48) AddressBook/1806",
    "iOS/12.1.4 (16D57) dataaccessd/1.0",
    "iOS/12.1.4 (16D57) accountsd/1.0",
])
def test_apple_clients_take_only_vcard_3(agent: str) -> None:
    assert takes_only_vcard3(agent)


@pytest.mark.parametrize("agent", [
    None, "DAVx5/4.5.9-ose (dav4jvm; okhttp/5.3.2) Android/15", "vdirsyncer/0.19.3",
    "Mozilla/5.0 (X11; Linux x86_64; rv:52.0) Gecko/20100101 Thunderbird/52.6.0"])
def test_other_clients_take_vcard_4(agent: str | None) -> None:
    assert not takes_only_vcard3(agent)


def test_stored_version_is_read_without_parsing() -> None:
    assert stored_version(CARD3) == "3.0"
    assert stored_version(CARD3.replace(b"3.0", b"4.0")) == "4.0"


def test_content_type_names_version_4_only() -> None:
    assert content_type_of("3.0") == "text/vcard; charset=utf-8"
    assert content_type_of("4.0").endswith("version=4.0")


@pytest_twisted.ensureDeferred
async def test_valid_body_gives_the_index() -> None:
    index = (await check_card(INLINE, CARD3, "text/vcard", LIMIT)).index
    assert (index.uid, index.component) == ("u1", "VCARD")


@pytest_twisted.ensureDeferred
async def test_unsupported_media_type_is_415() -> None:
    with pytest.raises(AddressDataError) as caught:
        await check_card(INLINE, CARD3, "text/calendar", LIMIT)
    answer = answered(caught.value)
    assert answer.status == 415
    assert answer.precondition_name.endswith("supported-address-data")


@pytest_twisted.ensureDeferred
async def test_oversized_body_is_403_max_resource_size() -> None:
    with pytest.raises(AddressDataError) as caught:
        await check_card(INLINE, b"x" * (LIMIT + 1), None, LIMIT)
    answer = answered(caught.value)
    assert answer.status == 403
    assert answer.precondition_name.endswith("max-resource-size")


@pytest_twisted.ensureDeferred
async def test_large_body_is_parsed_in_a_worker_process_and_a_small_one_inline() -> None:
    work = RecordingWork()
    note = "NOTE:" + "x" * INLINE_BYTES + "\r\n"
    body = CARD3.replace(b"END:VCARD", note.encode() + b"END:VCARD")
    assert (await check_card(work, body, None, 10 * LIMIT)).uid == "u1"
    assert (await check_card(work, CARD3, None, 10 * LIMIT)).uid == "u1"
    assert work.sent == ["checked_card"]
