"""Every table's rows in the copy's logical kinds (``core.transfer.TransferRows``):
lists, mappings and spans are JSON text here, flags 0/1."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..core.tables import Kind, Row, Table
from .convert import dump_list, dump_mapping, dump_spans, load_spans


def _load(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind == "list":
        return list(json.loads(value))
    if kind == "map":
        return dict(json.loads(value))
    if kind == "spans":
        return load_spans(value)
    if kind == "bytes":
        return bytes(value)
    return value


def _dump(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return int(value)
    if kind == "list":
        return dump_list(value)
    if kind == "map":
        return dump_mapping(value)
    if kind == "spans":
        return dump_spans(tuple(tuple(pair) for pair in value))
    return value


class SQLiteTransferRows:
    """Reads and writes whole tables for ``oxdav-admin store copy``."""

    conn: sqlite3.Connection

    def count_rows(self, table: Table) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0])

    def holds_rows(self, table: Table) -> bool:
        return self.conn.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is not None

    def export_rows(self, table: Table, after: Row | None, limit: int, max_bytes: int
                    ) -> list[Row]:
        keys = ", ".join(table.key)
        where, params = "", []
        if after is not None:
            where = f" WHERE ({keys}) > ({', '.join('?' * len(table.key))})"
            params = list(after)
        cursor = self.conn.execute(
            f"SELECT {', '.join(table.names)} FROM {table.name}{where} ORDER BY {keys}"
            " LIMIT ?", [*params, limit])
        kinds = [kind for _, kind in table.columns]
        rows: list[Row] = []
        size = 0
        for stored in cursor:
            row = tuple(_load(kind, value) for kind, value in zip(kinds, stored, strict=True))
            rows.append(row)
            size += sum(len(v) for v, k in zip(row, kinds, strict=True)
                        if k == "bytes" and v is not None)
            if size >= max_bytes:
                cursor.close()
                break
        return rows

    def import_rows(self, table: Table, rows: Sequence[Row]) -> None:
        kinds = [kind for _, kind in table.columns]
        self.conn.executemany(
            f"INSERT INTO {table.name} ({', '.join(table.names)})"
            f" VALUES ({', '.join('?' * len(kinds))})",
            [tuple(_dump(k, v) for k, v in zip(kinds, row, strict=True)) for row in rows])

    def context_id_counter(self) -> int:
        row = self.conn.execute(
            "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'contexts'), 0),"
            " COALESCE((SELECT max(id) FROM contexts), 0))").fetchone()
        return int(row[0])

    def raise_context_id_counter(self, value: int) -> None:
        if self.conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?)"
                             " WHERE name = 'contexts'", (value,)).rowcount == 0:
            self.conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('contexts', ?)",
                              (value,))

    def refresh_statistics(self) -> None:
        # oxdav never runs ANALYZE on SQLite: its plans come from the schema alone.
        return None
