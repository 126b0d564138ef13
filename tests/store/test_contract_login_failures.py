"""Contract: failed logins counted per key in the store, so that every process on it
sees the same counts (the directory's throttle decides what they mean)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_twisted
from twisted.internet.defer import ensureDeferred, gatherResults

from oxdav.store import LoginFailures, ReadOnlyTransaction, Store
from oxdav.store.models import MAX_LOGIN_FAILURE_KEY

from .conftest import BACKENDS

T = 1_700_000_000.0  # epoch seconds
FOREVER = 0.0  # a restart time no failure comes before


async def record(store: Store, keys: dict[str, float], now: float) -> dict[str, LoginFailures]:
    async with store.transaction("failure", write=True) as txn:
        return await txn.record_login_failures(keys, now)


async def read(store: Store, *keys: str) -> dict[str, LoginFailures]:
    async with store.transaction("read") as txn:
        return await txn.login_failures(keys)


@pytest_twisted.async_yield_fixture()
async def other_store(store, request, tmp_path) -> AsyncIterator[Store]:
    """A second store of the same backend on the same database (another node)."""
    other = BACKENDS[request.node.callspec.params["store"]](tmp_path, request)
    await other.start()
    yield other
    await other.stop()


@pytest_twisted.ensureDeferred
async def test_failures_are_counted_per_key_with_the_time_of_the_last(store) -> None:
    assert await read(store, "login a", "address b") == {}
    assert await record(store, {"login a": FOREVER, "address b": FOREVER}, T) == {
        "login a": LoginFailures(1, T), "address b": LoginFailures(1, T)}
    assert await record(store, {"login a": FOREVER}, T + 2.5) == {
        "login a": LoginFailures(2, T + 2.5)}
    assert await read(store, "login a", "address b", "login c") == {
        "login a": LoginFailures(2, T + 2.5), "address b": LoginFailures(1, T)}


@pytest_twisted.ensureDeferred
async def test_a_key_whose_last_failure_is_not_after_its_restart_time_starts_over(
        store) -> None:
    await record(store, {"k": FOREVER}, T)
    await record(store, {"k": FOREVER}, T + 1)
    assert await record(store, {"k": T + 0.5}, T + 100) == {"k": LoginFailures(3, T + 100)}
    assert await record(store, {"k": T + 200}, T + 300) == {"k": LoginFailures(1, T + 300)}
    await record(store, {"k": FOREVER}, T + 301)
    assert await record(store, {"k": T + 301}, T + 400) == {"k": LoginFailures(1, T + 400)}


@pytest_twisted.ensureDeferred
async def test_failures_counted_at_once_through_two_stores_all_count(store, other_store
                                                                     ) -> None:
    stores = [store, other_store] * 10
    await gatherResults([ensureDeferred(record(s, {"k": FOREVER, "a": FOREVER},
                                               T + i))
                         for i, s in enumerate(stores)])
    counted = await read(other_store, "k", "a")
    assert (counted["k"].failures, counted["a"].failures) == (20, 20)
    assert counted["k"].last == T + 19


@pytest_twisted.ensureDeferred
async def test_failures_taken_back_keep_the_time_and_none_left_is_forgotten(store) -> None:
    for i in range(3):
        await record(store, {"a": FOREVER, "b": FOREVER}, T + i)
    await record(store, {"b": FOREVER}, T + 5)
    async with store.transaction("forgive", write=True) as txn:
        assert await txn.take_back_login_failures(["a", "b", "c"], 3) == {
            "b": LoginFailures(1, T + 5)}
    assert await read(store, "a", "b") == {"b": LoginFailures(1, T + 5)}


@pytest_twisted.ensureDeferred
async def test_forgetting_says_what_was_counted(store) -> None:
    await record(store, {"a": FOREVER, "b": FOREVER}, T)
    async with store.transaction("forget", write=True) as txn:
        assert await txn.forget_login_failures(["a", "c"]) == {"a": LoginFailures(1, T)}
    assert await read(store, "a", "b") == {"b": LoginFailures(1, T)}


@pytest_twisted.ensureDeferred
async def test_pruning_forgets_the_keys_whose_last_failure_is_older(store) -> None:
    await record(store, {"old": FOREVER}, T)
    await record(store, {"new": FOREVER}, T + 60)
    async with store.transaction("prune", write=True) as txn:
        assert await txn.prune_login_failures(T + 30) == 1
    assert await read(store, "old", "new") == {"new": LoginFailures(1, T + 60)}


@pytest_twisted.ensureDeferred
async def test_counting_needs_a_write_transaction_and_keys_are_bounded(store) -> None:
    async with store.transaction("read") as txn:
        with pytest.raises(ReadOnlyTransaction):
            await txn.record_login_failures({"k": FOREVER}, T)
    async with store.transaction("long", write=True) as txn:
        with pytest.raises(ValueError):
            await txn.record_login_failures({"k" * (MAX_LOGIN_FAILURE_KEY + 1): FOREVER}, T)
    long_key = "é" * MAX_LOGIN_FAILURE_KEY
    assert (await record(store, {long_key: FOREVER}, T))[long_key] == LoginFailures(1, T)


@pytest_twisted.ensureDeferred
async def test_failure_counts_are_no_directory_change(store) -> None:
    async with store.transaction("world", write=True) as txn:
        context = await txn.create_context("acme", ["acme.example"])
    seen = []
    store.events.subscribe(seen.append)
    await record(store, {"login context 1 user 1": FOREVER}, T)
    async with store.transaction("read") as txn:
        assert (await txn.context(context.id)).version == context.version
    assert seen == []
