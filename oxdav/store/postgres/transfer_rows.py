"""Every table's rows in the copy's logical kinds (``core.transfer.TransferRows``):
lists are text arrays here, mappings JSONB, spans flattened BIGINT arrays; the columns
kept for case-insensitive searches are computed on the way in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from ..core.tables import Kind, Row, Table
from .convert import dump_spans, folded, load_spans

#: Columns only this engine keeps, each computed from a column the copy carries.
_DERIVED: dict[str, dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "users": {"display_name_folded": ("display_name", folded)},
    "groups": {"display_name_folded": ("display_name", folded)},
    "user_addresses": {"address_folded": ("address", folded)},
}


def _load(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind == "list":
        return list(value)
    if kind == "map":
        return dict(value)
    if kind == "spans":
        return load_spans(value)
    if kind == "bytes":
        return bytes(value)
    return value


def _dump(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind == "list":
        return list(value)
    if kind == "map":
        return Jsonb(dict(value))
    if kind == "spans":
        return dump_spans(tuple(tuple(pair) for pair in value))
    return value


class PostgresTransferRows:
    """Reads and writes whole tables for ``oxdav-admin store copy``."""

    conn: psycopg.Connection[Any]

    def count_rows(self, table: Table) -> int:
        row = self.conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table.name))).fetchone()
        assert row is not None
        return int(row[0])

    def holds_rows(self, table: Table) -> bool:
        return self.conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(
            sql.Identifier(table.name))).fetchone() is not None

    def export_rows(self, table: Table, after: Row | None, limit: int, max_bytes: int
                    ) -> list[Row]:
        keys = sql.SQL(", ").join(map(sql.Identifier, table.key))
        where: sql.Composable = sql.SQL("")
        params: list[Any] = []
        if after is not None:
            where = sql.SQL(" WHERE ({}) > ({})").format(
                keys, sql.SQL(", ").join(sql.Placeholder() * len(table.key)))
            params = list(after)
        query = sql.SQL("SELECT {} FROM {}{} ORDER BY {} LIMIT %s").format(
            sql.SQL(", ").join(map(sql.Identifier, table.names)), sql.Identifier(table.name),
            where, keys)
        kinds = [kind for _, kind in table.columns]
        rows: list[Row] = []
        size = 0
        for stored in self.conn.execute(query, [*params, limit]):
            row = tuple(_load(kind, value) for kind, value in zip(kinds, stored, strict=True))
            rows.append(row)
            size += sum(len(v) for v, k in zip(row, kinds, strict=True)
                        if k == "bytes" and v is not None)
            if size >= max_bytes:
                break
        return rows

    def import_rows(self, table: Table, rows: Sequence[Row]) -> None:
        kinds = [kind for _, kind in table.columns]
        derived = _DERIVED.get(table.name, {})
        sources = [table.names.index(source) for source, _ in derived.values()]
        functions = [function for _, function in derived.values()]
        names = [*table.names, *derived]
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(", ").join(sql.Placeholder() * len(names)))
        self.conn.cursor().executemany(query, [
            (*(_dump(k, v) for k, v in zip(kinds, row, strict=True)),
             *(function(row[i]) for i, function in zip(sources, functions, strict=True)))
            for row in rows])

    def context_id_counter(self) -> int:
        row = self.conn.execute(
            "SELECT GREATEST((SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
            " FROM contexts_id_seq), (SELECT COALESCE(max(id), 0) FROM contexts))").fetchone()
        assert row is not None
        return int(row[0])

    def raise_context_id_counter(self, value: int) -> None:
        if value > 0:
            self.conn.execute(
                "SELECT setval('contexts_id_seq', GREATEST(%s, (SELECT CASE WHEN is_called"
                " THEN last_value ELSE 0 END FROM contexts_id_seq)))", (value,))

    def refresh_statistics(self) -> None:
        # A bulk-filled table has no statistics until autovacuum gets to it; plans made
        # meanwhile can take a whole folder for one row.
        self.conn.execute("ANALYZE")
