"""WebDAV-Push subscriptions as SQLite rows (``core.rows.PushRows``, ``core.push``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..models import PushSubscription

_COLUMNS = ("s.id, s.context_id, s.user_id, s.collection, s.endpoint, s.public_key,"
            " s.auth_secret, s.expires,"
            " (SELECT json_group_array(w.folder_id) FROM (SELECT folder_id FROM push_watches"
            "  WHERE subscription_id = s.id ORDER BY folder_id) w) AS folders")


def _subscription(row: Any) -> PushSubscription:
    return PushSubscription(row["id"], row["context_id"], row["user_id"], row["collection"],
                            tuple(json.loads(row["folders"])), row["endpoint"],
                            row["public_key"], row["auth_secret"], row["expires"])


class SQLitePushRows:
    """The ``push_subscriptions`` and ``push_watches`` tables."""

    conn: sqlite3.Connection

    def push_subscription(self, subscription_id: str) -> PushSubscription | None:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM push_subscriptions s WHERE s.id = ?",
                                (subscription_id,)).fetchone()
        return None if row is None else _subscription(row)

    def push_subscription_id(self, context_id: int, user_id: int, collection: str,
                             endpoint: str) -> str | None:
        row = self.conn.execute(
            "SELECT id FROM push_subscriptions WHERE context_id = ? AND user_id = ?"
            " AND collection = ? AND endpoint = ?",
            (context_id, user_id, collection, endpoint)).fetchone()
        return None if row is None else str(row[0])

    def count_push_subscriptions(self, context_id: int, user_id: int, now: int) -> int:
        return int(self.conn.execute(
            "SELECT COUNT(*) FROM push_subscriptions WHERE context_id = ? AND user_id = ?"
            " AND expires > ?", (context_id, user_id, now)).fetchone()[0])

    def _watch(self, subscription: PushSubscription) -> None:
        self.conn.execute("DELETE FROM push_watches WHERE subscription_id = ?",
                          (subscription.id,))
        self.conn.executemany(
            "INSERT INTO push_watches (subscription_id, context_id, folder_id)"
            " VALUES (?, ?, ?)",
            [(subscription.id, subscription.context_id, f) for f in subscription.folder_ids])

    def insert_push_subscription(self, subscription: PushSubscription, now: int) -> bool:
        s = subscription
        inserted = self.conn.execute(
            "INSERT INTO push_subscriptions (id, context_id, user_id, collection, endpoint,"
            " public_key, auth_secret, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (context_id, user_id, collection, endpoint) DO NOTHING",
            (s.id, s.context_id, s.user_id, s.collection, s.endpoint, s.public_key,
             s.auth_secret, now, s.expires)).rowcount
        if inserted:
            self._watch(s)
        return bool(inserted)

    def update_push_subscription(self, subscription: PushSubscription) -> None:
        s = subscription
        self.conn.execute(
            "UPDATE push_subscriptions SET public_key = ?, auth_secret = ?, expires = ?"
            " WHERE id = ?", (s.public_key, s.auth_secret, s.expires, s.id))
        self._watch(s)

    def push_watchers(self, context_id: int, folder_ids: Sequence[int], now: int
                      ) -> list[PushSubscription]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM push_subscriptions s WHERE s.expires > ? AND s.id IN ("
            " SELECT subscription_id FROM push_watches WHERE context_id = ?"
            " AND folder_id IN (SELECT value FROM json_each(?))) ORDER BY s.id",
            (now, context_id, json.dumps(list(folder_ids)))).fetchall()
        return [_subscription(row) for row in rows]

    def delete_push_subscriptions(self, subscription_ids: Sequence[str]) -> int:
        return self.conn.execute(
            "DELETE FROM push_subscriptions WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(subscription_ids)),)).rowcount

    def prune_push_subscriptions(self, now: int) -> int:
        return self.conn.execute("DELETE FROM push_subscriptions WHERE expires <= ?",
                                 (now,)).rowcount
