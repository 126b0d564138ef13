"""The instance index (``ObjectIndex.instances``) as SQLite rows: the part of
``core.rows.ContentRows`` that writes a series' instance window and spans and reads
the spans near a range (``core.objects.candidates``), mixed into
:class:`~oxdav.store.sqlite.content_rows.SQLiteContentRows`.
"""

from __future__ import annotations

import sqlite3

from ..core.rows import LONG_SPAN, InstanceSpansNear, spans_near
from ..core.scope import Scope
from ..models import InstanceSpans

#: The indexed objects whose instance window holds ``[:low, :high]``.
WINDOWS_QUERY = ("SELECT name, floating FROM instance_windows WHERE context_id = :c"
                 " AND folder_id = :f AND indexed_from <= :low AND indexed_until >= :high")
#: By name, the first indexed span starting inside the open interval ``(:a, :b)``.
INNER_SPAN_QUERY = (
    "SELECT name, MIN(span_start), span_end FROM (SELECT name, span_start, span_end"
    " FROM object_instances WHERE context_id = :c AND folder_id = :f AND is_long = 0"
    " AND span_start > :a AND span_start < :b UNION ALL SELECT name, span_start, span_end"
    " FROM object_instances WHERE context_id = :c AND folder_id = :f AND is_long = 1"
    " AND span_start > :a AND span_start < :b) GROUP BY name")  # SQLite: span_end of the MIN
#: The indexed spans meeting ``[:low, :high]`` that start at or before ``:a`` or at or
#: after ``:b``; short ones start at most a week before ``:low``.
EDGE_SPANS_QUERY = " UNION ALL ".join(
    "SELECT name, span_start, span_end FROM object_instances WHERE context_id = :c"
    f" AND folder_id = :f AND is_long = {long} AND span_start BETWEEN {first} AND {last}"
    " AND span_end >= :low"
    for long, first, last in ((0, ":short_from", ":a"), (0, ":b", ":high"),
                              (1, ":long_from", ":a"), (1, ":b", ":high"))) + " ORDER BY 2"


class SQLiteInstanceRows:
    """The instance-index half of :class:`SQLiteContentRows`."""

    conn: sqlite3.Connection

    def store_instances(self, context_id: int, folder_id: int, name: str,
                        instances: InstanceSpans | None) -> None:
        key = (context_id, folder_id, name)
        self.conn.execute("DELETE FROM instance_windows WHERE context_id = ? AND folder_id = ?"
                          " AND name = ?", key)
        self.conn.execute("DELETE FROM object_instances WHERE context_id = ? AND folder_id = ?"
                          " AND name = ?", key)
        if instances is None:
            return
        self.conn.execute(
            "INSERT INTO instance_windows (context_id, folder_id, name, indexed_from,"
            " indexed_until, floating) VALUES (?, ?, ?, ?, ?, ?)",
            (*key, instances.indexed_from, instances.indexed_until, int(instances.floating)))
        self.conn.executemany(
            "INSERT INTO object_instances (context_id, folder_id, name, is_long, span_start,"
            " span_end) VALUES (?, ?, ?, ?, ?, ?)",
            [(*key, int(end - start > LONG_SPAN), start, end) for start, end in instances.spans])

    def aging_instance_indexes(self, until_before: int, limit: int
                               ) -> list[tuple[int, int, str]]:
        return [(int(c), int(f), str(n)) for c, f, n in self.conn.execute(
            "SELECT context_id, folder_id, name FROM instance_windows WHERE indexed_until < ?"
            " ORDER BY indexed_until, context_id, folder_id, name LIMIT ?",
            (until_before, limit))]

    def instance_spans(self, scope: Scope, low: int, high: int, inner: tuple[int, int]
                       ) -> InstanceSpansNear:
        return spans_near(self.conn, (WINDOWS_QUERY, INNER_SPAN_QUERY, EDGE_SPANS_QUERY),
                          scope, low, high, inner)
