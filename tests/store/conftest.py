"""Fixtures of the store contract suite.

Every test that takes the ``store`` fixture runs once per backend in ``BACKENDS``; a new
backend joins the contract suite with one line there (STYLE.md: one suite for every
backend, after CalendarServer's ``txdav/.../test/common.py`` and Xandikos'
``test_store.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_twisted

from oxdav.store import Context, Group, Store, User, open_store


def _reactor():  # the reactor pytest-twisted installed
    from twisted.internet import reactor

    return reactor


def _postgresql(tmp: Path, request: pytest.FixtureRequest) -> Store:
    """A store in a fresh database of the test cluster (``migrated_postgres_database``)."""
    database = request.getfixturevalue("migrated_postgres_database")
    return open_store(database.url, tmp, _reactor(), password_file=database.password_file)


#: Backend name → a new, unstarted store (in the test's ``tmp_path``, for the request).
BACKENDS: dict[str, Callable[[Path, pytest.FixtureRequest], Store]] = {
    "sqlite": lambda tmp, request: open_store("sqlite:store.sqlite3", tmp, _reactor()),
    "postgresql": _postgresql,
}


@pytest_twisted.async_yield_fixture(params=sorted(BACKENDS))
async def store(request, tmp_path: Path) -> AsyncIterator[Store]:
    """A started, empty store of each backend; stopped after the test."""
    backend = BACKENDS[request.param](tmp_path, request)
    await backend.start()
    yield backend
    await backend.stop()


@dataclass(frozen=True)
class World:
    """A context ``acme`` with users alice, bob, carol and group ``team`` = {bob}."""

    context: Context
    alice: User
    bob: User
    carol: User
    team: Group


@pytest_twisted.async_fixture()
async def world(store: Store) -> World:
    """Populate ``store`` with the ``World`` tenants."""
    async with store.transaction("world", write=True) as txn:
        context = await txn.create_context("acme", ["acme.example"])
        alice = await txn.create_user(context.id, "alice", display_name="Alice",
                                      email="alice@acme.example")
        bob = await txn.create_user(context.id, "bob", display_name="Bob",
                                    email="bob@acme.example")
        carol = await txn.create_user(context.id, "carol", display_name="Carol",
                                      email="carol@acme.example")
        team = await txn.create_group(context.id, "team", members=[bob.id])
    return World(context, alice, bob, carol, team)


async def alice_folder(txn, world: World, module: str, quota: int | None = None):
    """Alice's home (opened with ``quota``) and a new folder of ``module`` in it."""
    home = await txn.home(world.context.id, world.alice.id, quota=quota)
    folder = await home.create_folder(module, module.capitalize())
    return home, await home.collection(folder.id)
