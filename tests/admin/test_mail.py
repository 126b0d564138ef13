"""``oxdav-admin mail list|retry|drop``: the queue for admins, one context at a time
for the commands that change it."""

from __future__ import annotations

import pytest_twisted

from oxdav.store import RetryPolicy
from tests.admin.conftest import Admin

ITIP = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


async def queue_two(acme: Admin) -> tuple[int, int]:
    """A failed message of acme's alice and a queued one of context other's olga."""
    acme.ok("context", "create", "other")
    acme.ok("user", "create", "other", "olga", "--password-stdin", stdin="pw\n")
    async with acme.transaction(write=True) as txn:
        [acme_ctx] = [c for c in await txn.contexts() if c.name == "acme"]
        [other] = [c for c in await txn.contexts() if c.name == "other"]
        [alice] = await txn.users(acme_ctx.id)
        [olga] = await txn.users(other.id)
        ours = await txn.enqueue_mail(acme_ctx.id, alice.id, "guest@outside.example",
                                      "REQUEST", "m1", ITIP)
        theirs = await txn.enqueue_mail(other.id, olga.id, "g@x.example", "REQUEST", "m2",
                                        ITIP)
    async with acme.transaction(write=True) as txn:
        [claimed] = [m for m in await txn.claim_mail(10, 60) if m.id == ours.id]
        await txn.mark_mail_failed(ours.id, claimed.claim, "550 no such user",
                                   RetryPolicy(max_attempts=1))
    return ours.id, theirs.id


@pytest_twisted.ensureDeferred
async def test_mail_is_listed_per_context_with_its_state_and_error(acme: Admin) -> None:
    ours, theirs = await queue_two(acme)
    [row] = acme.ok("mail", "list", "acme", "--json").json()
    assert (row["id"], row["sender"], row["recipient"], row["state"], row["attempts"],
            row["last_error"]) == (ours, "alice", "guest@outside.example", "failed", 1,
                                   "550 no such user")
    assert {r["id"] for r in acme.ok("mail", "list", "--json").json()} == {ours, theirs}
    assert [r["id"] for r in acme.ok("mail", "list", "--state", "queued", "--json").json()
            ] == [theirs]
    table = acme.ok("mail", "list").out
    assert "guest@outside.example" in table and "failed" in table


@pytest_twisted.ensureDeferred
async def test_retry_and_drop_act_only_within_the_context_named(acme: Admin) -> None:
    ours, theirs = await queue_two(acme)
    assert acme("mail", "retry", "acme", str(theirs)).code == 2
    assert acme("mail", "drop", "acme", str(theirs)).code == 2
    acme.ok("mail", "retry", "acme", str(ours))
    async with acme.transaction() as txn:
        again = await txn.mail(ours)
        assert (again.state, again.attempts, again.last_error) == ("queued", 0, None)
        assert (await txn.mail(theirs)).state == "queued"
    acme.ok("mail", "drop", "other", str(theirs))
    assert [r["id"] for r in acme.ok("mail", "list", "--json").json()] == [ours]
    assert acme("mail", "drop", "acme", "999").code == 2
