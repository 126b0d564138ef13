"""WebDAV-Push subscriptions as PostgreSQL rows (``core.rows.PushRows``, ``core.push``).

Registrations of one endpoint on several nodes at once meet in the unique key: the
insert that loses does nothing and the core renews the winner's row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from ..models import PushSubscription

_COLUMNS = ("s.id, s.context_id, s.user_id, s.collection, s.endpoint, s.public_key,"
            " s.auth_secret, s.expires,"
            " ARRAY(SELECT folder_id FROM push_watches WHERE subscription_id = s.id"
            "  ORDER BY folder_id)")


def _subscription(row: Any) -> PushSubscription:
    (id_, context_id, user_id, collection, endpoint, public_key, auth_secret, expires,
     folders) = row
    return PushSubscription(id_, context_id, user_id, collection,
                            tuple(int(f) for f in folders), endpoint, public_key,
                            auth_secret, int(expires))


class PostgresPushRows:
    """The ``push_subscriptions`` and ``push_watches`` tables."""

    conn: psycopg.Connection[Any]

    def push_subscription(self, subscription_id: str) -> PushSubscription | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM push_subscriptions s WHERE s.id = %s",
            (subscription_id,)).fetchone()
        return None if row is None else _subscription(row)

    def push_subscription_id(self, context_id: int, user_id: int, collection: str,
                             endpoint: str) -> str | None:
        row = self.conn.execute(
            "SELECT id FROM push_subscriptions WHERE context_id = %s AND user_id = %s"
            " AND collection = %s AND endpoint = %s",
            (context_id, user_id, collection, endpoint)).fetchone()
        return None if row is None else str(row[0])

    def count_push_subscriptions(self, context_id: int, user_id: int, now: int) -> int:
        row = self.conn.execute(
            "SELECT COUNT(*) FROM push_subscriptions WHERE context_id = %s AND user_id = %s"
            " AND expires > %s", (context_id, user_id, now)).fetchone()
        return int(row[0]) if row else 0

    def _watch(self, subscription: PushSubscription) -> None:
        self.conn.execute("DELETE FROM push_watches WHERE subscription_id = %s",
                          (subscription.id,))
        self.conn.execute(
            "INSERT INTO push_watches (subscription_id, context_id, folder_id)"
            " SELECT %s, %s, unnest(%s::bigint[])",
            (subscription.id, subscription.context_id, list(subscription.folder_ids)))

    def insert_push_subscription(self, subscription: PushSubscription, now: int) -> bool:
        s = subscription
        inserted = self.conn.execute(
            "INSERT INTO push_subscriptions (id, context_id, user_id, collection, endpoint,"
            " public_key, auth_secret, created, expires)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (context_id, user_id, collection, endpoint) DO NOTHING",
            (s.id, s.context_id, s.user_id, s.collection, s.endpoint, s.public_key,
             s.auth_secret, now, s.expires)).rowcount
        if inserted:
            self._watch(s)
        return bool(inserted)

    def update_push_subscription(self, subscription: PushSubscription) -> None:
        s = subscription
        self.conn.execute(
            "UPDATE push_subscriptions SET public_key = %s, auth_secret = %s, expires = %s"
            " WHERE id = %s", (s.public_key, s.auth_secret, s.expires, s.id))
        self._watch(s)

    def push_watchers(self, context_id: int, folder_ids: Sequence[int], now: int
                      ) -> list[PushSubscription]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM push_subscriptions s WHERE s.expires > %s AND s.id IN ("
            " SELECT subscription_id FROM push_watches WHERE context_id = %s"
            " AND folder_id = ANY(%s)) ORDER BY s.id",
            (now, context_id, list(folder_ids))).fetchall()
        return [_subscription(row) for row in rows]

    def delete_push_subscriptions(self, subscription_ids: Sequence[str]) -> int:
        return self.conn.execute("DELETE FROM push_subscriptions WHERE id = ANY(%s)",
                                 (list(subscription_ids),)).rowcount

    def prune_push_subscriptions(self, now: int) -> int:
        return self.conn.execute("DELETE FROM push_subscriptions WHERE expires <= %s",
                                 (now,)).rowcount
