"""The global-address-list card follows the user directory (DESIGN.md §2, issue 6)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_twisted
import vobject

from oxdav.directory import provisioning
from oxdav.store import GAL_FOLDER_ID, Store, open_store


@pytest_twisted.async_yield_fixture()
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A started SQLite store with context ``acme``; stopped after the test."""
    from twisted.internet import reactor

    backend = open_store("sqlite:store.sqlite3", tmp_path, reactor)
    await backend.start()
    async with backend.transaction("acme", write=True) as txn:
        await txn.create_context("acme", ["acme.example"])
    yield backend
    await backend.stop()


async def gal_tels(store: Store, user_id: int) -> list[tuple[str, list[str]]]:
    """(number, TYPE parameters) of each TEL on the user's GAL card, in order."""
    async with store.transaction("read card") as txn:
        gal = await txn.system_collection(1, GAL_FOLDER_ID)
        card = vobject.readOne((await gal.get(provisioning.gal_card_name(user_id))).data
                               .decode("utf-8"))
    return [(tel.value, tel.params.get("TYPE", [])) for tel in card.contents.get("tel", [])]


async def create_alice(store: Store, **fields: object) -> int:
    async with store.transaction("create", write=True) as txn:
        user = await provisioning.create_user(txn, 1, "alice", password_hash="x",
                                              display_name="Alice", **fields)  # type: ignore[arg-type]
    return user.id


@pytest_twisted.ensureDeferred
async def test_gal_card_has_one_work_voice_tel_per_phone(store: Store) -> None:
    user_id = await create_alice(store, phones=["+49 30 1234", "+1 555 0100"])
    assert await gal_tels(store, user_id) == [("+49 30 1234", ["WORK", "VOICE"]),
                                              ("+1 555 0100", ["WORK", "VOICE"])]


@pytest_twisted.ensureDeferred
async def test_gal_card_of_a_user_without_phones_has_no_tel(store: Store) -> None:
    user_id = await create_alice(store)
    assert await gal_tels(store, user_id) == []


@pytest_twisted.ensureDeferred
async def test_update_user_keeps_the_gal_card_tels_in_step(store: Store) -> None:
    user_id = await create_alice(store, phones=["111"])
    async with store.transaction("change", write=True) as txn:
        await provisioning.update_user(txn, 1, user_id, phones=["222", "333"])
    assert [number for number, _ in await gal_tels(store, user_id)] == ["222", "333"]
    async with store.transaction("clear", write=True) as txn:
        await provisioning.update_user(txn, 1, user_id, phones=())
    assert await gal_tels(store, user_id) == []


@pytest_twisted.ensureDeferred
async def test_update_user_without_phones_keeps_the_tels(store: Store) -> None:
    user_id = await create_alice(store, phones=["111"])
    async with store.transaction("rename", write=True) as txn:
        await provisioning.update_user(txn, 1, user_id, display_name="Alice Liddell")
    assert await gal_tels(store, user_id) == [("111", ["WORK", "VOICE"])]


def other_version(data: bytes) -> bytes:
    """A stand-in for the CardDAV converter (the directory does not import CardDAV)."""
    return data.replace(b"VERSION:3.0", b"VERSION:4.0")


async def gal_alternate(store: Store, user_id: int) -> tuple[bytes, bytes | None]:
    async with store.transaction("read card") as txn:
        gal = await txn.system_collection(1, GAL_FOLDER_ID)
        stored = await gal.get(provisioning.gal_card_name(user_id), derived=True)
    return stored.data, stored.derived


@pytest_twisted.ensureDeferred
async def test_gal_card_is_stored_with_the_alternate_the_caller_makes(store: Store) -> None:
    user_id = await create_alice(store, card_alternate=other_version)
    data, alternate = await gal_alternate(store, user_id)
    assert alternate == other_version(data)


@pytest_twisted.ensureDeferred
async def test_update_user_rewrites_the_gal_alternate_with_the_card(store: Store) -> None:
    user_id = await create_alice(store, card_alternate=other_version)
    async with store.transaction("update", write=True) as txn:
        await provisioning.update_user(txn, 1, user_id, display_name="Alice Liddell",
                                       card_alternate=other_version)
    data, alternate = await gal_alternate(store, user_id)
    assert b"Alice Liddell" in data and alternate == other_version(data)


@pytest_twisted.ensureDeferred
async def test_gal_card_without_a_converter_has_no_alternate(store: Store) -> None:
    user_id = await create_alice(store)
    assert (await gal_alternate(store, user_id))[1] is None
