"""What a gathered burst tells whom: the latest token, and nobody the writer muted."""

from __future__ import annotations

from oxdav.dav.sync import decode_sync_token
from oxdav.push.notifier import _Batch, sync_token
from oxdav.store.core.events import NOBODY_MUTED, Muted, ObjectChanged
from oxdav.store.models import PushSubscription


def subscription(id_: str, user: int, collection: str, folders: tuple[int, ...]
                 ) -> PushSubscription:
    return PushSubscription(id_, 1, user, collection, folders, "https://p/x", "k", "a", 99)


def test_a_burst_carries_each_folders_latest_revision() -> None:
    batch = _Batch()
    for revision in (5, 7, 6):
        batch.add(ObjectChanged(1, 12, "a.ics", False, revision), NOBODY_MUTED)
    assert batch.revisions == {12: 7}


def test_only_the_writers_own_named_subscriptions_are_muted() -> None:
    mine, other, colleague = (subscription("s1", 3, "1/12", (12,)),
                              subscription("s2", 3, "1/12", (12,)),
                              subscription("s3", 4, "1/12", (12,)))
    batch = _Batch()
    batch.add(ObjectChanged(1, 12, "a.ics", False, 2), Muted((1, 3), frozenset({"s1", "s3"})))
    assert [batch.mutes(s) for s in (mine, other, colleague)] == [True, False, False]
    everything = _Batch()
    everything.add(ObjectChanged(1, 12, "a.ics", False, 2), Muted((1, 3), everything=True))
    assert [everything.mutes(s) for s in (mine, other, colleague)] == [True, True, False]
    # Another writer's change in the same burst is told to everyone.
    batch.add(ObjectChanged(1, 12, "b.ics", False, 3), NOBODY_MUTED)
    assert not batch.mutes(mine)


def test_tokens_are_the_collections_own() -> None:
    plain = decode_sync_token(sync_token(subscription("s", 3, "1/12", (12,)), {12: 9}))
    assert (plain.collection, plain.revision) == ("1/12", 9)
    aggregated = decode_sync_token(sync_token(
        subscription("s", 3, "1/Contacts/3", (6, 12)), {6: 4, 12: 9}))
    assert aggregated.revision_map == {"6": 4, "12": 9}
    assert sync_token(subscription("s", 3, "1/Contacts/3", (6, 12)), {12: 9}) is None
