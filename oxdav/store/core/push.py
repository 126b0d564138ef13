"""WebDAV-Push subscriptions: the rules (database-thread functions).

A subscription belongs to one user and watches the folders of one collection; it is
registered only by a user who reads every one of them, is renewed by registering the
same endpoint on the same collection again, and lasts until a wall-clock expiry in
epoch seconds (the clock every node on a shared database agrees on). Reads leave
expired subscriptions out; ``prune_push`` deletes them. Who is told of a change is
decided when it is told: a subscriber who no longer reads the changed folder is not.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from ..errors import AlreadyExists, Forbidden, NotFound, PushLimitExceeded
from ..models import PushSubscription
from .clock import seconds
from .folders import readable_folders, user_groups
from .rows import Rows

#: The most folders one subscription watches (the aggregated address book's set).
MAX_WATCHED_FOLDERS = 1000


def _readable_ids(rows: Rows, context_id: int, user_id: int) -> set[int]:
    groups = user_groups(rows, context_id, user_id)
    return {f.id for f in readable_folders(rows, context_id, user_id, groups, None)}


def register(rows: Rows, context_id: int, user_id: int, collection: str,
             folder_ids: Sequence[int], endpoint: str, public_key: str, auth_secret: str,
             expires: int, limit: int | None, now: int) -> PushSubscription:
    """Register or renew (``Transaction.register_push``).

    Raises: NotFound (no such user), Forbidden (a folder the user does not read),
    PushLimitExceeded, ValueError (no folder, too many, an expiry in the past).
    """
    watched = tuple(sorted(set(folder_ids)))
    if not watched or len(watched) > MAX_WATCHED_FOLDERS:
        raise ValueError(f"a subscription watches 1 to {MAX_WATCHED_FOLDERS} folders")
    if expires <= now:
        raise ValueError("a subscription expires in the future")
    unreadable = set(watched) - _readable_ids(rows, context_id, user_id)
    if unreadable:
        raise Forbidden("read", f"push on folders {sorted(unreadable)}")
    existing = rows.push_subscription_id(context_id, user_id, collection, endpoint)
    subscription = PushSubscription(existing or secrets.token_urlsafe(24), context_id,
                                    user_id, collection, watched, endpoint, public_key,
                                    auth_secret, expires)
    if existing is None:
        if limit is not None and rows.count_push_subscriptions(context_id, user_id,
                                                               now) >= limit:
            raise PushLimitExceeded(limit)
        if rows.insert_push_subscription(subscription, now):
            return subscription
        # Another node registered the same endpoint meanwhile: renew that one.
        existing = rows.push_subscription_id(context_id, user_id, collection, endpoint)
        if existing is None:
            raise AlreadyExists(f"push subscription for {endpoint!r}")
        subscription = replace(subscription, id=existing)
    rows.update_push_subscription(subscription)
    return subscription


def own_subscription(rows: Rows, context_id: int, user_id: int, subscription_id: str,
                     now: int) -> PushSubscription | None:
    """The user's unexpired subscription ``subscription_id``; None for anyone else's."""
    found = rows.push_subscription(subscription_id)
    if found is None or found.expires <= now or (found.context_id, found.user_id) != (
            context_id, user_id):
        return None
    return found


def unregister(rows: Rows, context_id: int, user_id: int, subscription_id: str,
               now: int) -> bool:
    """Remove the user's own subscription; False when they hold no such one (another
    user's is not theirs to remove, nor to learn of)."""
    if own_subscription(rows, context_id, user_id, subscription_id, now) is None:
        return False
    return rows.delete_push_subscriptions([subscription_id]) > 0


def watchers(rows: Rows, context_id: int, folder_ids: Sequence[int], now: int
             ) -> list[PushSubscription]:
    """Unexpired subscriptions watching any of ``folder_ids`` whose user reads, now,
    at least one of those changed folders; ``folder_ids`` of each is cut to what the
    user still reads."""
    changed = set(folder_ids)
    readable: dict[int, set[int]] = {}
    told: list[PushSubscription] = []
    for subscription in rows.push_watchers(context_id, sorted(changed), now):
        if subscription.user_id not in readable:
            try:
                readable[subscription.user_id] = _readable_ids(rows, context_id,
                                                               subscription.user_id)
            except NotFound:  # the user is gone: the row goes with them
                readable[subscription.user_id] = set()
        shown = tuple(f for f in subscription.folder_ids
                      if f in readable[subscription.user_id])
        if changed & set(shown):
            told.append(replace(subscription, folder_ids=shown))
    return told


def drop(rows: Rows, subscription_ids: Sequence[str]) -> int:
    """Delete subscriptions the push service no longer knows (any user's)."""
    return rows.delete_push_subscriptions(list(subscription_ids)) if subscription_ids else 0


def prune_expired(rows: Rows, now: int) -> int:
    """Delete every expired subscription; returns how many."""
    return rows.prune_push_subscriptions(now)


class PushCalls:
    """The push part of ``CoreTransaction`` (``interfaces.PushRegistry``)."""

    call: Callable[..., Awaitable[Any]]

    async def register_push(self, context_id: int, user_id: int, collection: str,
                            folder_ids: Sequence[int], *, endpoint: str, public_key: str,
                            auth_secret: str, expires: int, limit: int | None = None,
                            now: float | None = None) -> PushSubscription:
        """See ``PushRegistry.register_push``."""
        found: PushSubscription = await self.call(
            register, context_id, user_id, collection, list(folder_ids), endpoint,
            public_key, auth_secret, int(expires), limit, int(seconds(now)), mutates=True)
        return found

    async def push_subscription(self, context_id: int, user_id: int, subscription_id: str,
                                *, now: float | None = None) -> PushSubscription | None:
        """See ``PushRegistry.push_subscription``."""
        found: PushSubscription | None = await self.call(
            own_subscription, context_id, user_id, subscription_id, int(seconds(now)))
        return found

    async def unregister_push(self, context_id: int, user_id: int, subscription_id: str,
                              *, now: float | None = None) -> bool:
        """See ``PushRegistry.unregister_push``."""
        done: bool = await self.call(unregister, context_id, user_id, subscription_id,
                                     int(seconds(now)), mutates=True)
        return done

    async def push_watchers(self, context_id: int, folder_ids: Sequence[int], *,
                            now: float | None = None) -> list[PushSubscription]:
        """See ``PushRegistry.push_watchers``."""
        found: list[PushSubscription] = await self.call(
            watchers, context_id, list(folder_ids), int(seconds(now)))
        return found

    async def drop_push(self, subscription_ids: Sequence[str]) -> int:
        """See ``PushRegistry.drop_push``."""
        count: int = await self.call(drop, list(subscription_ids), mutates=True)
        return count

    async def prune_push(self, now: float | None = None) -> int:
        """See ``PushRegistry.prune_push``."""
        count: int = await self.call(prune_expired, int(seconds(now)), mutates=True)
        return count
