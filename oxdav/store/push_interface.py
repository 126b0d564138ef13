"""WebDAV-Push subscriptions of the storage contract (see :mod:`oxdav.store.interfaces`
for the rules every part keeps)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .models import PushSubscription


class PushRegistry(Protocol):
    """WebDAV-Push subscriptions (draft-bitfire-webdav-push §3): who is told of changes
    to which folders. Times are wall-clock epoch seconds (``now`` defaults to the
    clock; tests pass it). No push call moves ``Context.version``."""

    async def register_push(self, context_id: int, user_id: int, collection: str,
                            folder_ids: Sequence[int], *, endpoint: str, public_key: str,
                            auth_secret: str, expires: int, limit: int | None = None,
                            now: float | None = None) -> PushSubscription:
        """Register, for the user, ``endpoint`` as told of changes to ``folder_ids``
        (what ``collection`` shows); the same user, collection and endpoint again
        renews that subscription (same id) with the new keys, folders and expiry.

        Raises:
            NotFound: no such user.
            Forbidden: a folder the user does not read.
            PushLimitExceeded: a new one beyond ``limit`` unexpired ones of the user.
            ValueError: no folder, or ``expires`` not after ``now``.
        """
        ...

    async def push_subscription(self, context_id: int, user_id: int, subscription_id: str,
                                *, now: float | None = None) -> PushSubscription | None:
        """The user's own unexpired subscription; None for an unknown, expired or
        another user's one."""
        ...

    async def unregister_push(self, context_id: int, user_id: int, subscription_id: str,
                              *, now: float | None = None) -> bool:
        """Remove the user's own subscription; False when they hold no such one."""
        ...

    async def push_watchers(self, context_id: int, folder_ids: Sequence[int], *,
                            now: float | None = None) -> list[PushSubscription]:
        """Unexpired subscriptions (of any user) watching one of ``folder_ids`` whose
        user still reads one of them, each with ``folder_ids`` cut to what the user
        reads now (system use: the push sender)."""
        ...

    async def drop_push(self, subscription_ids: Sequence[str]) -> int:
        """Delete subscriptions whatever their user (the push service refused them)."""
        ...

    async def prune_push(self, now: float | None = None) -> int:
        """Delete every expired subscription; returns how many."""
        ...
