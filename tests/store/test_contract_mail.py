"""Contract: the outgoing scheduling mail queue (iMIP, RFC 6047): queued with the change
that caused it, claimed by one sender at a time, settled by the claim's holder, retried
with back-off, listed and retried for admins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_twisted
from twisted.internet.defer import ensureDeferred, gatherResults

from oxdav.store import NotFound, ReadOnlyTransaction, RetryPolicy, Store
from oxdav.store.core.events import MailQueued

from .conftest import BACKENDS

T = 1_800_000_000.0  # epoch seconds
ITIP = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
POLICY = RetryPolicy(max_attempts=3, first_delay=10, max_delay=15)


async def enqueue(store: Store, world, recipient: str = "guest@outside.example",
                  uid: str = "uid-1", method: str = "REQUEST", now: float = T):
    async with store.transaction("enqueue", write=True) as txn:
        return await txn.enqueue_mail(world.context.id, world.alice.id, recipient, method,
                                      uid, ITIP, now=now)


async def claim(store: Store, now: float = T, limit: int = 10, lease: float = 60):
    async with store.transaction("claim", write=True) as txn:
        return await txn.claim_mail(limit, lease, now=now)


@pytest_twisted.async_yield_fixture()
async def other_store(store, request, tmp_path) -> AsyncIterator[Store]:
    """A second store of the same backend on the same database (another node)."""
    other = BACKENDS[request.node.callspec.params["store"]](tmp_path, request)
    await other.start()
    yield other
    await other.stop()


@pytest_twisted.ensureDeferred
async def test_a_queued_mail_keeps_what_was_given_with_a_token_of_its_own(store, world
                                                                          ) -> None:
    one = await enqueue(store, world)
    two = await enqueue(store, world, "other@outside.example")
    assert (one.context_id, one.sender_id, one.recipient, one.method, one.uid, one.itip,
            one.state, one.attempts, one.due, one.created) == (
        world.context.id, world.alice.id, "guest@outside.example", "REQUEST", "uid-1", ITIP,
        "queued", 0, T, T)
    assert one.token != two.token and one.token.isalnum() and len(one.token) == 24
    async with store.transaction("read") as txn:
        assert await txn.mail_by_token(one.token) == one
        assert await txn.mail_by_token("nosuchtoken") is None
        assert await txn.mail(two.id) == two


@pytest_twisted.ensureDeferred
async def test_the_messages_of_one_invitation_share_one_reply_token(store, world) -> None:
    first = await enqueue(store, world)
    update = await enqueue(store, world)
    cancel = await enqueue(store, world, method="CANCEL")
    other_uid = await enqueue(store, world, uid="uid-2")
    other_guest = await enqueue(store, world, "other@outside.example")
    assert first.reply_token is None and first.invitation_token == first.token
    assert update.reply_token == cancel.reply_token == first.token
    assert update.invitation_token == first.token != update.token
    assert first.token not in (other_uid.invitation_token, other_guest.invitation_token)
    async with store.transaction("other", write=True) as txn:
        # The same meeting and guest in another context is another invitation.
        other = await txn.create_context("other")
        olga = await txn.create_user(other.id, "olga", display_name="Olga")
        theirs = await txn.enqueue_mail(other.id, olga.id, "guest@outside.example",
                                        "REQUEST", "uid-1", ITIP, now=T)
        # bob's own messages about the same UID to the same guest too.
        bobs = await txn.enqueue_mail(world.context.id, world.bob.id,
                                      "guest@outside.example", "REQUEST", "uid-1", ITIP, now=T)
        # A reply (the attendee's message) has no invitation token.
        reply = await txn.enqueue_mail(world.context.id, world.alice.id,
                                       "guest@outside.example", "REPLY", "uid-1", ITIP, now=T)
    assert theirs.reply_token is None and bobs.reply_token is None
    assert reply.reply_token is None
    async with store.transaction("read") as txn:
        # Any of its tokens names the invitation: its newest REQUEST.
        assert (await txn.mail_by_token(first.token)).id == update.id
        assert (await txn.mail_by_token(cancel.token)).id == cancel.id
        assert (await txn.mail_by_token(theirs.token)).context_id == other.id


@pytest_twisted.ensureDeferred
async def test_a_mail_queued_in_a_rolled_back_transaction_does_not_exist(store, world
                                                                         ) -> None:
    told: list = []
    store.events.subscribe(told.extend)
    with pytest.raises(RuntimeError):
        async with store.transaction("enqueue", write=True) as txn:
            await txn.enqueue_mail(world.context.id, world.alice.id, "g@x.example",
                                   "REQUEST", "u", ITIP, now=T)
            raise RuntimeError("the change failed")
    assert await claim(store) == []
    assert told == []
    await enqueue(store, world)
    assert told == [MailQueued(world.context.id)]


@pytest_twisted.ensureDeferred
async def test_bad_mail_is_refused(store, world) -> None:
    async with store.transaction("enqueue", write=True) as txn:
        with pytest.raises(ValueError):
            await txn.enqueue_mail(world.context.id, world.alice.id, "g@x.example",
                                   "SHOUT", "u", ITIP)
        with pytest.raises(ValueError):
            await txn.enqueue_mail(world.context.id, world.alice.id, "nobody", "REQUEST",
                                   "u", ITIP)
        with pytest.raises(ValueError):
            await txn.enqueue_mail(world.context.id, world.alice.id, "g@x.example",
                                   "REQUEST", "", ITIP)
        with pytest.raises(NotFound):
            await txn.enqueue_mail(world.context.id, 999, "g@x.example", "REQUEST", "u",
                                   ITIP)
    async with store.transaction("read") as txn:
        with pytest.raises(ReadOnlyTransaction):
            await txn.enqueue_mail(world.context.id, world.alice.id, "g@x.example",
                                   "REQUEST", "u", ITIP)


@pytest_twisted.ensureDeferred
async def test_a_claim_takes_due_rows_once_until_its_lease_runs_out(store, world) -> None:
    first = await enqueue(store, world, now=T)
    later = await enqueue(store, world, uid="later", now=T + 100)
    taken = await claim(store, now=T + 1, lease=60)
    assert [m.id for m in taken] == [first.id]
    assert taken[0].attempts == 1 and taken[0].claim
    assert await claim(store, now=T + 30) == []  # held by the lease
    again = await claim(store, now=T + 101)  # the lease ran out, the other is due
    assert [m.id for m in again] == [first.id, later.id]
    assert again[0].attempts == 2 and again[0].claim != taken[0].claim
    async with store.transaction("settle", write=True) as txn:
        # The first claim was overtaken: its holder settles nothing any more.
        assert not await txn.mark_mail_sent(first.id, taken[0].claim, now=T + 102)
        assert await txn.mark_mail_sent(first.id, again[0].claim, now=T + 102)
        assert await txn.mark_mail_skipped(later.id, again[1].claim, "over", now=T + 102)
    assert await claim(store, now=T + 10_000) == []
    async with store.transaction("read") as txn:
        sent, skipped = await txn.mail(first.id), await txn.mail(later.id)
    assert (sent.state, sent.settled, sent.claim) == ("sent", T + 102, None)
    assert (skipped.state, skipped.last_error) == ("skipped", "over")


@pytest_twisted.ensureDeferred
async def test_a_failed_attempt_backs_off_doubling_then_gives_up(store, world) -> None:
    mail = await enqueue(store, world)
    now = T
    dues = []
    for _ in range(3):
        [taken] = await claim(store, now=now)
        async with store.transaction("fail", write=True) as txn:
            after = await txn.mark_mail_failed(mail.id, taken.claim, "421 busy", POLICY,
                                               now=now)
        assert after is not None and after.last_error == "421 busy"
        dues.append(after.due - now)
        now = after.due
        assert await claim(store, now=now - 0.5) == []
    assert dues == [10, 15, 0]
    assert (after.state, after.attempts, after.settled) == ("failed", 3, now)
    assert await claim(store, now=now + 10_000) == []


@pytest_twisted.ensureDeferred
async def test_two_nodes_claiming_at_once_never_take_one_row_twice(store, other_store,
                                                                   world) -> None:
    for i in range(30):
        await enqueue(store, world, uid=f"uid-{i}")
    claims = await gatherResults([
        ensureDeferred(claim(s, now=T + 1, limit=4)) for s in [store, other_store] * 8])
    ids = [m.id for taken in claims for m in taken]
    assert len(ids) == len(set(ids)) == 30


@pytest_twisted.ensureDeferred
async def test_admins_list_retry_and_drop_within_a_context(store, world) -> None:
    async with store.transaction("other", write=True) as txn:
        other = await txn.create_context("other")
        olga = await txn.create_user(other.id, "olga", display_name="Olga")
        theirs = await txn.enqueue_mail(other.id, olga.id, "g@x.example", "REQUEST", "o",
                                        ITIP, now=T)
    ours = await enqueue(store, world)
    [taken] = [m for m in await claim(store) if m.id == ours.id]
    async with store.transaction("fail", write=True) as txn:
        await txn.mark_mail_failed(ours.id, taken.claim, "550 no",
                                   RetryPolicy(max_attempts=1), now=T)
    async with store.transaction("admin", write=True) as txn:
        listed = await txn.list_mail(context_id=world.context.id)
        assert [m.id for m in listed] == [ours.id]
        assert [m.id for m in await txn.list_mail(state="failed")] == [ours.id]
        assert {m.id for m in await txn.list_mail()} == {ours.id, theirs.id}
        # Another context's row is out of reach of a scoped command.
        assert not await txn.retry_mail(theirs.id, context_id=world.context.id)
        assert not await txn.drop_mail(theirs.id, context_id=world.context.id)
        with pytest.raises(NotFound):
            await txn.mail(theirs.id, context_id=world.context.id)
        assert await txn.retry_mail(ours.id, context_id=world.context.id, now=T + 5)
        assert (await txn.mail_counts())["queued"] == 2
    again = await claim(store, now=T + 5)
    assert {m.id for m in again} == {ours.id} and again[0].attempts == 1
    async with store.transaction("sent", write=True) as txn:
        await txn.mark_mail_sent(ours.id, again[0].claim, now=T + 6)
        assert not await txn.retry_mail(ours.id)  # never sent twice
        assert not await txn.drop_mail(ours.id)
        assert await txn.drop_mail(theirs.id, context_id=other.id)
        assert await txn.mail_counts() == {"queued": 0, "sent": 1, "failed": 0,
                                           "skipped": 0}


@pytest_twisted.ensureDeferred
async def test_settled_rows_are_pruned_and_queued_ones_kept(store, world) -> None:
    sent = await enqueue(store, world)
    kept = await enqueue(store, world, uid="kept", now=T + 1000)
    [taken] = await claim(store, now=T)
    async with store.transaction("settle", write=True) as txn:
        await txn.mark_mail_sent(sent.id, taken.claim, now=T)
        assert await txn.prune_mail(T - 1) == 0
        assert await txn.prune_mail(T + 1) == 1
    async with store.transaction("read") as txn:
        assert [m.id for m in await txn.list_mail()] == [kept.id]


@pytest_twisted.ensureDeferred
async def test_a_deleted_context_takes_its_mail_along(store, world) -> None:
    mail = await enqueue(store, world)
    async with store.transaction("delete", write=True) as txn:
        await txn.delete_context(world.context.id)
    async with store.transaction("read") as txn:
        assert await txn.mail_by_token(mail.token) is None
