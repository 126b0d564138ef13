"""Contract: directory searches (``find_users``, ``find_groups``) -- caseless, bounded,
one context only."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import NotFound, SearchTerm


@pytest_twisted.async_fixture()
async def people(store):
    """Context ``acme`` with four users (one disabled) and two groups; context ``other``
    with a user of the same name."""
    async with store.transaction("people", write=True) as txn:
        acme = await txn.create_context("acme")
        anna = await txn.create_user(acme.id, "anna", display_name="Anna Smith",
                                     email="anna@acme.example", aliases=["a.smith@ACME.org"])
        jorg = await txn.create_user(acme.id, "jorg", display_name="Jörg Größer",
                                     email="joerg@acme.example")
        bob = await txn.create_user(acme.id, "bob", display_name="Bob Annan",
                                    email="bob@acme.example")
        await txn.create_user(acme.id, "gone", display_name="Anna Gone", enabled=False)
        team = await txn.create_group(acme.id, "team", display_name="Anna's Team")
        await txn.create_group(acme.id, "ops", display_name="Operations")
        other = await txn.create_context("other")
        await txn.create_user(other.id, "anna", display_name="Anna Other",
                              email="anna@other.example")
    return {"acme": acme.id, "other": other.id, "anna": anna.id, "jorg": jorg.id,
            "bob": bob.id, "team": team.id}


async def user_ids(store, context_id, terms=(), **options):
    options.setdefault("limit", 100)
    async with store.transaction("r") as txn:
        return [u.id for u in await txn.find_users(context_id, terms, **options)]


@pytest_twisted.ensureDeferred
async def test_find_users_by_name_is_a_caseless_substring(store, people):
    found = await user_ids(store, people["acme"], [SearchTerm(("name",), "ANN")])
    assert found == [people["anna"], people["bob"]]


@pytest_twisted.ensureDeferred
async def test_find_users_folds_unicode_case(store, people):
    found = await user_ids(store, people["acme"], [SearchTerm(("name",), "GRÖSSER")])
    assert found == [people["jorg"]]


@pytest_twisted.ensureDeferred
async def test_find_users_by_address_searches_primary_and_aliases(store, people):
    acme = people["acme"]
    assert await user_ids(store, acme, [SearchTerm(("address",), "a.smith@acme")]) == [
        people["anna"]]
    assert await user_ids(store, acme, [SearchTerm(("address",), "BOB@ACME.EXAMPLE",
                                                   "equals")]) == [people["bob"]]


@pytest_twisted.ensureDeferred
async def test_find_users_match_kinds(store, people):
    acme = people["acme"]
    assert await user_ids(store, acme, [SearchTerm(("name",), "anna", "starts-with")]) == [
        people["anna"]]
    assert await user_ids(store, acme, [SearchTerm(("name",), "anna", "equals")]) == []
    assert await user_ids(store, acme, [SearchTerm(("name",), "bob annan", "equals")]) == [
        people["bob"]]


@pytest_twisted.ensureDeferred
async def test_find_users_every_term_or_any_term(store, people):
    acme = people["acme"]
    terms = [SearchTerm(("name",), "smith"), SearchTerm(("address",), "bob@")]
    assert await user_ids(store, acme, terms) == []
    assert await user_ids(store, acme, terms, any_term=True) == [people["anna"],
                                                                 people["bob"]]


@pytest_twisted.ensureDeferred
async def test_a_term_over_several_fields_is_met_by_any_of_them(store, people):
    acme = people["acme"]
    either = SearchTerm(("name", "address"), "smith")
    assert await user_ids(store, acme, [either]) == [people["anna"]]
    assert await user_ids(store, acme, [either, SearchTerm(("address",), "a.smith")]) == [
        people["anna"]]
    with pytest.raises(ValueError):
        SearchTerm((), "x")


@pytest_twisted.ensureDeferred
async def test_find_users_without_terms_lists_the_enabled_users(store, people):
    assert await user_ids(store, people["acme"]) == [people["anna"], people["jorg"],
                                                     people["bob"]]


@pytest_twisted.ensureDeferred
async def test_find_users_stops_at_the_limit(store, people):
    assert await user_ids(store, people["acme"], limit=2) == [people["anna"], people["jorg"]]
    with pytest.raises(ValueError):
        await user_ids(store, people["acme"], limit=0)


@pytest_twisted.ensureDeferred
async def test_find_users_stays_in_its_context(store, people):
    found = await user_ids(store, people["acme"], [SearchTerm(("name",), "other")])
    assert found == []
    async with store.transaction("r") as txn:
        in_other = await txn.find_users(people["other"], [SearchTerm(("address",), "acme")],
                                        limit=100)
        assert in_other == []
        with pytest.raises(NotFound):
            await txn.find_users(999, limit=10)


@pytest_twisted.ensureDeferred
async def test_find_groups_by_name_never_by_address(store, people):
    async with store.transaction("r") as txn:
        named = await txn.find_groups(people["acme"], [SearchTerm(("name",), "anna")], limit=10)
        assert [g.id for g in named] == [people["team"]]
        assert await txn.find_groups(people["acme"], [SearchTerm(("address",), "")],
                                     limit=10) == []
        listed = await txn.find_groups(people["acme"], limit=1)
        assert [g.id for g in listed] == [people["team"]]
        assert await txn.find_groups(people["other"], limit=10) == []
