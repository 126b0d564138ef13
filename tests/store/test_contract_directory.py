"""Contract: contexts, users and groups."""

from __future__ import annotations

import pytest
import pytest_twisted

from oxdav.store import AlreadyExists, NotFound, ReadOnlyTransaction


@pytest_twisted.ensureDeferred
async def test_create_context_returns_it_with_fields(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme", ["acme.example", "acme.test"],
                                           ["gold"], {"k": "v"}, context_id=42)
    assert (context.id, context.name, context.mappings) == (
        42, "acme", ("acme.example", "acme.test"))
    assert context.taxonomy_types == ("gold",)
    assert dict(context.config) == {"k": "v"}
    assert context.enabled


@pytest_twisted.ensureDeferred
async def test_context_found_by_id_and_listed(store):
    async with store.transaction("t", write=True) as txn:
        first = await txn.create_context("one")
        second = await txn.create_context("two")
    async with store.transaction("r") as txn:
        assert await txn.context(first.id) == first
        assert [c.id for c in await txn.contexts()] == [first.id, second.id]


@pytest_twisted.ensureDeferred
async def test_context_by_mapping_ignores_case(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme", ["acme.example"])
    async with store.transaction("r") as txn:
        assert (await txn.context_by_mapping("ACME.Example")).id == context.id
        with pytest.raises(NotFound):
            await txn.context_by_mapping("other.example")


@pytest_twisted.ensureDeferred
async def test_mapping_belongs_to_one_context(store):
    async with store.transaction("t", write=True) as txn:
        await txn.create_context("acme", ["acme.example"])
        with pytest.raises(AlreadyExists):
            await txn.create_context("other", ["Acme.example"])
        with pytest.raises(AlreadyExists):
            await txn.create_context("acme")
        assert [c.name for c in await txn.contexts()] == ["acme"]


@pytest_twisted.ensureDeferred
async def test_update_context_changes_only_given_fields(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme", ["a.example"], ["x"], {"k": "v"})
        updated = await txn.update_context(context.id, mappings=["b.example"], enabled=False)
        assert updated.name == "acme" and updated.taxonomy_types == ("x",)
        assert updated.mappings == ("b.example",) and not updated.enabled
        assert (await txn.context_by_mapping("b.example")).id == context.id
        with pytest.raises(NotFound):
            await txn.context_by_mapping("a.example")


@pytest_twisted.ensureDeferred
async def test_delete_context_removes_users_and_mappings(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme", ["acme.example"])
        await txn.create_user(context.id, "alice", display_name="A", email="a@acme.example")
        await txn.delete_context(context.id)
        with pytest.raises(NotFound):
            await txn.context(context.id)
        with pytest.raises(NotFound):
            await txn.user_by_email("a@acme.example")
        with pytest.raises(NotFound):
            await txn.delete_context(context.id)


@pytest_twisted.ensureDeferred
async def test_create_user_returns_all_fields(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme")
        user = await txn.create_user(
            context.id, "alice", display_name="Alice A", first_name="Alice",
            last_name="A", email="alice@acme.example", aliases=["al@acme.example"],
            password_hash="$argon2$x", permissions=["calendar", "contacts"],
            config={"k": "v"})
        assert await txn.user(context.id, user.id) == user
    assert (user.login, user.display_name, user.first_name, user.last_name) == (
        "alice", "Alice A", "Alice", "A")
    assert user.email == "alice@acme.example" and user.aliases == ("al@acme.example",)
    assert user.password_hash == "$argon2$x"
    assert user.permissions == frozenset({"calendar", "contacts"})
    assert dict(user.config) == {"k": "v"} and user.enabled
    assert user.created.tzinfo is not None and user.modified >= user.created


@pytest_twisted.ensureDeferred
async def test_user_ids_are_unique_per_context(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme")
        first = await txn.create_user(context.id, "a", display_name="A")
        second = await txn.create_user(context.id, "b", display_name="B")
        explicit = await txn.create_user(context.id, "c", display_name="C", user_id=100)
        after = await txn.create_user(context.id, "d", display_name="D")
        with pytest.raises(AlreadyExists):
            await txn.create_user(context.id, "e", display_name="E", user_id=100)
    assert first.id != second.id and explicit.id == 100 and after.id > 100


@pytest_twisted.ensureDeferred
async def test_login_unique_per_context_not_across(store):
    async with store.transaction("t", write=True) as txn:
        one = await txn.create_context("one")
        two = await txn.create_context("two")
        await txn.create_user(one.id, "alice", display_name="A")
        await txn.create_user(two.id, "alice", display_name="A")
        with pytest.raises(AlreadyExists):
            await txn.create_user(one.id, "ALICE", display_name="A")


@pytest_twisted.ensureDeferred
async def test_user_by_login_ignores_case(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme")
        user = await txn.create_user(context.id, "Alice", display_name="A")
        assert (await txn.user_by_login(context.id, "alice")).id == user.id
        with pytest.raises(NotFound):
            await txn.user_by_login(context.id, "bob")


@pytest_twisted.ensureDeferred
async def test_login_in_mapping_reads_context_and_user_in_one_call(store):
    async with store.transaction("t", write=True) as txn:
        one = await txn.create_context("one", ["one.example"])
        two = await txn.create_context("two", ["two.example"])
        await txn.create_user(one.id, "alice", display_name="A1")
        alice2 = await txn.create_user(two.id, "alice", display_name="A2")
    async with store.transaction("r", snapshot=False) as txn:
        context, user = await txn.login_in_mapping("TWO.example", "Alice")
        assert (context.id, user.id, user.context_id) == (two.id, alice2.id, two.id)
        with pytest.raises(NotFound):
            await txn.login_in_mapping("three.example", "alice")
        with pytest.raises(NotFound):
            await txn.login_in_mapping("one.example", "bob")


@pytest_twisted.ensureDeferred
async def test_login_by_email_reads_user_and_context_in_one_call(store):
    async with store.transaction("t", write=True) as txn:
        await txn.create_context("one")
        two = await txn.create_context("two")
        bob = await txn.create_user(two.id, "bob", display_name="B", email="bob@x.example",
                                    aliases=["robert@x.example"])
    async with store.transaction("r", snapshot=False) as txn:
        context, user = await txn.login_by_email("Robert@X.example")
        assert (context.id, user.id) == (two.id, bob.id)
        with pytest.raises(NotFound):
            await txn.login_by_email("nobody@x.example")


@pytest_twisted.ensureDeferred
async def test_email_unique_across_contexts_including_aliases(store):
    async with store.transaction("t", write=True) as txn:
        one = await txn.create_context("one")
        two = await txn.create_context("two")
        await txn.create_user(one.id, "a", display_name="A", email="a@x.example",
                              aliases=["alias@x.example"])
        with pytest.raises(AlreadyExists):
            await txn.create_user(two.id, "b", display_name="B", email="A@X.example")
        with pytest.raises(AlreadyExists):
            await txn.create_user(two.id, "c", display_name="C", email="c@x.example",
                                  aliases=["alias@x.example"])
        assert await txn.users(two.id) == []


@pytest_twisted.ensureDeferred
async def test_user_by_email_finds_primary_and_alias(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme")
        user = await txn.create_user(context.id, "a", display_name="A", email="a@x.example",
                                     aliases=["alias@x.example"])
        assert (await txn.user_by_email("a@x.example")).id == user.id
        assert (await txn.user_by_email("ALIAS@x.example")).id == user.id
        with pytest.raises(NotFound):
            await txn.user_by_email("nobody@x.example")


@pytest_twisted.ensureDeferred
async def test_update_user_changes_addresses(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme")
        user = await txn.create_user(context.id, "a", display_name="A", email="old@x.example")
        updated = await txn.update_user(context.id, user.id, email="new@x.example",
                                        aliases=["n2@x.example"], enabled=False,
                                        first_name=None)
        assert updated.email == "new@x.example" and not updated.enabled
        assert updated.display_name == "A"
        assert (await txn.user_by_email("n2@x.example")).id == user.id
        with pytest.raises(NotFound):
            await txn.user_by_email("old@x.example")
        other = await txn.create_user(context.id, "b", display_name="B", email="old@x.example")
        with pytest.raises(AlreadyExists):
            await txn.update_user(context.id, other.id, login="a")
        with pytest.raises(AlreadyExists):
            await txn.update_user(context.id, other.id, aliases=["new@x.example"])


@pytest_twisted.ensureDeferred
async def test_user_has_no_phones_unless_given(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme")
        user = await txn.create_user(context.id, "a", display_name="A")
    assert user.phones == ()


@pytest_twisted.ensureDeferred
async def test_create_user_keeps_phones_in_order_stripped_without_duplicates(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme")
        user = await txn.create_user(context.id, "a", display_name="A",
                                     phones=[" +49 30 1234 ", "", "+1 555 0100", "+49 30 1234"])
    assert user.phones == ("+49 30 1234", "+1 555 0100")
    async with store.transaction("t") as txn:
        assert (await txn.user(context.id, user.id)).phones == user.phones


@pytest_twisted.ensureDeferred
async def test_update_user_replaces_phones_and_leaves_them_when_unset(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme")
        user = await txn.create_user(context.id, "a", display_name="A", phones=["111"])
        renamed = await txn.update_user(context.id, user.id, display_name="B")
        assert renamed.phones == ("111",)
        replaced = await txn.update_user(context.id, user.id, phones=("222", "333"))
        assert replaced.phones == ("222", "333")
        cleared = await txn.update_user(context.id, user.id, phones=())
        assert cleared.phones == ()
    async with store.transaction("t") as txn:
        assert (await txn.user(context.id, user.id)).phones == ()


@pytest_twisted.ensureDeferred
async def test_delete_user_frees_login_and_address(store):
    async with store.transaction("t", write=True) as txn:
        context = await txn.create_context("acme")
        user = await txn.create_user(context.id, "a", display_name="A", email="a@x.example")
        await txn.delete_user(context.id, user.id)
        with pytest.raises(NotFound):
            await txn.user(context.id, user.id)
        again = await txn.create_user(context.id, "a", display_name="A", email="a@x.example")
        assert again.id != user.id
        with pytest.raises(NotFound):
            await txn.delete_user(context.id, user.id)


@pytest_twisted.ensureDeferred
async def test_user_of_unknown_context_is_not_found(store):
    async with store.transaction("t", write=True) as txn:
        with pytest.raises(NotFound):
            await txn.create_user(999, "a", display_name="A")
        with pytest.raises(NotFound):
            await txn.users(999)


@pytest_twisted.ensureDeferred
async def test_groups_create_list_update_delete(store, world):
    cid = world.context.id
    async with store.transaction("t", write=True) as txn:
        assert world.team.members == frozenset({world.bob.id})
        assert world.team.display_name == "team"
        other = await txn.create_group(cid, "other", display_name="Others",
                                       members=[world.alice.id, world.bob.id])
        assert [g.id for g in await txn.groups(cid)] == [world.team.id, other.id]
        assert [g.id for g in await txn.groups(cid, member=world.alice.id)] == [other.id]
        updated = await txn.update_group(cid, other.id, members=[world.carol.id])
        assert updated.members == frozenset({world.carol.id})
        assert updated.display_name == "Others"
        await txn.delete_group(cid, other.id)
        with pytest.raises(NotFound):
            await txn.group(cid, other.id)


@pytest_twisted.ensureDeferred
async def test_group_name_unique_and_members_must_exist(store, world):
    cid = world.context.id
    async with store.transaction("t", write=True) as txn:
        with pytest.raises(AlreadyExists):
            await txn.create_group(cid, "TEAM")
        with pytest.raises(NotFound):
            await txn.create_group(cid, "ghosts", members=[9999])
        with pytest.raises(NotFound):
            await txn.update_group(cid, world.team.id, members=[9999])
        assert (await txn.group(cid, world.team.id)).members == frozenset({world.bob.id})


@pytest_twisted.ensureDeferred
async def test_deleting_user_removes_group_membership(store, world):
    cid = world.context.id
    async with store.transaction("t", write=True) as txn:
        await txn.delete_user(cid, world.bob.id)
        assert (await txn.group(cid, world.team.id)).members == frozenset()


@pytest_twisted.ensureDeferred
async def test_read_transaction_refuses_writes(store):
    async with store.transaction("r") as txn:
        with pytest.raises(ReadOnlyTransaction):
            await txn.create_context("acme")


@pytest_twisted.ensureDeferred
async def test_users_and_groups_are_read_by_ids_in_one_call(store, world):
    async with store.transaction("r") as txn:
        users, groups = await txn.users_and_groups(
            world.context.id, [world.bob.id, 999_999, world.alice.id, world.bob.id],
            [world.team.id, 999_999])
        assert {i: u.login for i, u in users.items()} == {world.bob.id: "bob",
                                                          world.alice.id: "alice"}
        assert {i: g.name for i, g in groups.items()} == {world.team.id: "team"}
        assert await txn.users_and_groups(world.context.id + 1000, [world.bob.id]) == ({}, {})
