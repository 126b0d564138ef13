"""The outgoing mail queue as SQLite rows (``core.rows.MailRows``, ``core.mail``).

One writer at a time: a claim's select-and-update is one statement of the only write
transaction running, so no two claims take the same row.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ..core.rows import MAIL_COLUMNS, MailRow


class SQLiteMailRows:
    """The ``mail_queue`` table."""

    conn: sqlite3.Connection

    def insert_mail(self, context_id: int, sender_id: int, recipient: str, method: str,
                    uid: str, token: str, itip: bytes, due: int, created: int,
                    reply_token: str | None = None) -> int:
        cursor = self.conn.execute(
            "INSERT INTO mail_queue (context_id, sender_id, recipient, method, uid, token,"
            " itip, state, due, created, reply_token)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)",
            (context_id, sender_id, recipient, method, uid, token, itip, due, created,
             reply_token))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def claim_mail(self, now: int, lease_until: int, claim: str, limit: int
                   ) -> list[MailRow]:
        return [tuple(row) for row in self.conn.execute(
            "UPDATE mail_queue SET claim = ?, lease_until = ?, attempts = attempts + 1"
            " WHERE id IN (SELECT id FROM mail_queue WHERE state = 'queued' AND due <= ?"
            " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due, id LIMIT ?)"
            f" RETURNING {MAIL_COLUMNS}", (claim, lease_until, now, now, limit)).fetchall()]

    def mail(self, mail_id: int) -> MailRow | None:
        row = self.conn.execute(f"SELECT {MAIL_COLUMNS} FROM mail_queue WHERE id = ?",
                                (mail_id,)).fetchone()
        return None if row is None else tuple(row)

    def invitation_token(self, context_id: int, sender_id: int, uid: str,
                         recipient: str) -> str | None:
        row = self.conn.execute(
            "SELECT coalesce(reply_token, token) FROM mail_queue WHERE context_id = ?"
            " AND uid = ? AND recipient = ? AND sender_id = ?"
            " AND method IN ('REQUEST', 'ADD', 'CANCEL') ORDER BY id DESC LIMIT 1",
            (context_id, uid, recipient, sender_id)).fetchone()
        return None if row is None else str(row[0])

    def mail_by_token(self, token: str) -> MailRow | None:
        row = self.conn.execute(
            f"SELECT {MAIL_COLUMNS} FROM mail_queue WHERE token = ? OR reply_token = ?"
            " ORDER BY method IN ('REQUEST', 'ADD') DESC, id DESC LIMIT 1",
            (token, token)).fetchone()
        return None if row is None else tuple(row)

    def settle_mail(self, mail_id: int, claim: str, state: str, due: int,
                    last_error: str | None, settled: int | None) -> bool:
        return self.conn.execute(
            "UPDATE mail_queue SET state = ?, due = ?, last_error = ?, settled = ?,"
            " claim = NULL, lease_until = NULL WHERE id = ? AND claim = ?",
            (state, due, last_error, settled, mail_id, claim)).rowcount == 1

    def list_mail(self, context_id: int | None, state: str | None, after_id: int,
                  limit: int) -> list[MailRow]:
        where, args = ["id > ?"], [after_id]
        if context_id is not None:
            where.append("context_id = ?")
            args.append(context_id)
        if state is not None:
            where.append("state = ?")
            args.append(state)  # type: ignore[arg-type]
        return [tuple(row) for row in self.conn.execute(
            f"SELECT {MAIL_COLUMNS} FROM mail_queue WHERE {' AND '.join(where)}"
            " ORDER BY id LIMIT ?", [*args, limit])]

    def requeue_mail(self, mail_id: int, context_id: int | None, now: int) -> bool:
        return self.conn.execute(
            "UPDATE mail_queue SET state = 'queued', due = ?, attempts = 0, claim = NULL,"
            " lease_until = NULL, settled = NULL, last_error = NULL"
            " WHERE id = ? AND state IN ('queued', 'failed')"
            " AND (? IS NULL OR context_id = ?)",
            (now, mail_id, context_id, context_id)).rowcount == 1

    def delete_mail(self, mail_id: int, context_id: int | None) -> bool:
        return self.conn.execute(
            "DELETE FROM mail_queue WHERE id = ? AND state <> 'sent'"
            " AND (? IS NULL OR context_id = ?)", (mail_id, context_id, context_id)
        ).rowcount == 1

    def mail_counts(self) -> dict[str, int]:
        rows: Any = self.conn.execute("SELECT state, count(*) FROM mail_queue GROUP BY state")
        return {state: count for state, count in rows}

    def prune_mail(self, before: int) -> int:
        return self.conn.execute(
            "DELETE FROM mail_queue WHERE state <> 'queued' AND settled < ?", (before,)
        ).rowcount
