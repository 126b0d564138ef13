"""The outgoing mail queue as PostgreSQL rows (``core.rows.MailRows``, ``core.mail``).

Several nodes claim at once: a claim locks the rows it takes with ``FOR UPDATE SKIP
LOCKED``, so a concurrent claim passes them over instead of waiting or taking them
too, and once it commits their lease keeps later claims off until it runs out.
"""

from __future__ import annotations

from typing import Any

import psycopg

from ..core.rows import MAIL_COLUMNS, MailRow


class PostgresMailRows:
    """The ``mail_queue`` table."""

    conn: psycopg.Connection[Any]

    def insert_mail(self, context_id: int, sender_id: int, recipient: str, method: str,
                    uid: str, token: str, itip: bytes, due: int, created: int,
                    reply_token: str | None = None) -> int:
        row = self.conn.execute(
            "INSERT INTO mail_queue (context_id, sender_id, recipient, method, uid, token,"
            " itip, state, due, created, reply_token) VALUES (%s, %s, %s, %s, %s, %s, %s,"
            " 'queued', %s, %s, %s) RETURNING id",
            (context_id, sender_id, recipient, method, uid, token, itip, due, created,
             reply_token)).fetchone()
        assert row is not None
        return int(row[0])

    def claim_mail(self, now: int, lease_until: int, claim: str, limit: int
                   ) -> list[MailRow]:
        return [tuple(row) for row in self.conn.execute(
            "UPDATE mail_queue SET claim = %s, lease_until = %s, attempts = attempts + 1"
            " WHERE id IN (SELECT id FROM mail_queue WHERE state = 'queued' AND due <= %s"
            " AND (lease_until IS NULL OR lease_until <= %s) ORDER BY due, id LIMIT %s"
            f" FOR UPDATE SKIP LOCKED) RETURNING {MAIL_COLUMNS}",
            (claim, lease_until, now, now, limit)).fetchall()]

    def mail(self, mail_id: int) -> MailRow | None:
        row = self.conn.execute(f"SELECT {MAIL_COLUMNS} FROM mail_queue WHERE id = %s",
                                (mail_id,)).fetchone()
        return None if row is None else tuple(row)

    def invitation_token(self, context_id: int, sender_id: int, uid: str,
                         recipient: str) -> str | None:
        row = self.conn.execute(
            "SELECT coalesce(reply_token, token) FROM mail_queue WHERE context_id = %s"
            " AND uid = %s AND recipient = %s AND sender_id = %s"
            " AND method IN ('REQUEST', 'ADD', 'CANCEL') ORDER BY id DESC LIMIT 1",
            (context_id, uid, recipient, sender_id)).fetchone()
        return None if row is None else str(row[0])

    def mail_by_token(self, token: str) -> MailRow | None:
        row = self.conn.execute(
            f"SELECT {MAIL_COLUMNS} FROM mail_queue WHERE token = %s OR reply_token = %s"
            " ORDER BY method IN ('REQUEST', 'ADD') DESC, id DESC LIMIT 1",
            (token, token)).fetchone()
        return None if row is None else tuple(row)

    def settle_mail(self, mail_id: int, claim: str, state: str, due: int,
                    last_error: str | None, settled: int | None) -> bool:
        return self.conn.execute(
            "UPDATE mail_queue SET state = %s, due = %s, last_error = %s, settled = %s,"
            " claim = NULL, lease_until = NULL WHERE id = %s AND claim = %s",
            (state, due, last_error, settled, mail_id, claim)).rowcount == 1

    def list_mail(self, context_id: int | None, state: str | None, after_id: int,
                  limit: int) -> list[MailRow]:
        return [tuple(row) for row in self.conn.execute(
            f"SELECT {MAIL_COLUMNS} FROM mail_queue WHERE id > %s"
            " AND (%s::bigint IS NULL OR context_id = %s)"
            " AND (%s::text IS NULL OR state = %s) ORDER BY id LIMIT %s",
            (after_id, context_id, context_id, state, state, limit))]

    def requeue_mail(self, mail_id: int, context_id: int | None, now: int) -> bool:
        return self.conn.execute(
            "UPDATE mail_queue SET state = 'queued', due = %s, attempts = 0, claim = NULL,"
            " lease_until = NULL, settled = NULL, last_error = NULL"
            " WHERE id = %s AND state IN ('queued', 'failed')"
            " AND (%s::bigint IS NULL OR context_id = %s)",
            (now, mail_id, context_id, context_id)).rowcount == 1

    def delete_mail(self, mail_id: int, context_id: int | None) -> bool:
        return self.conn.execute(
            "DELETE FROM mail_queue WHERE id = %s AND state <> 'sent'"
            " AND (%s::bigint IS NULL OR context_id = %s)",
            (mail_id, context_id, context_id)).rowcount == 1

    def mail_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT state, count(*) FROM mail_queue GROUP BY state")
        return {state: int(count) for state, count in rows}

    def prune_mail(self, before: int) -> int:
        return self.conn.execute(
            "DELETE FROM mail_queue WHERE state <> 'queued' AND settled < %s", (before,)
        ).rowcount
