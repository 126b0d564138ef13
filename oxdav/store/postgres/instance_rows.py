"""The instance index (``ObjectIndex.instances``) as PostgreSQL rows: the part of
``core.rows.ContentRows`` that writes a series' instance window and spans and reads
the spans near a range (``core.objects.candidates``), mixed into
:class:`~oxdav.store.postgres.content_rows.PostgresContentRows`.
"""

from __future__ import annotations

from typing import Any

import psycopg

from ..core.rows import LONG_SPAN, InstanceSpansNear, spans_near
from ..core.scope import Scope
from ..models import InstanceSpans

#: The indexed objects whose instance window holds ``[low, high]``.
WINDOWS_QUERY = ("SELECT name, floating FROM instance_windows WHERE context_id = %(c)s"
                 " AND folder_id = %(f)s AND indexed_from <= %(low)s"
                 " AND indexed_until >= %(high)s")
_SPANS = ("SELECT name, span_start, span_end FROM object_instances WHERE context_id = %(c)s"
          " AND folder_id = %(f)s AND {} is_long AND span_start")
#: By name, the first indexed span starting inside the open interval ``(a, b)``.
INNER_SPAN_QUERY = ("SELECT DISTINCT ON (name) * FROM (" + " UNION ALL ".join(
    _SPANS.format(long) + " > %(a)s AND span_start < %(b)s" for long in ("NOT", ""))
    + ") q ORDER BY name, span_start, span_end")
#: The indexed spans meeting ``[low, high]`` that start at or before ``a`` or at or
#: after ``b``; short ones start at most a week before ``low``.
EDGE_SPANS_QUERY = " UNION ALL ".join(
    _SPANS.format(long) + f" BETWEEN {first} AND {last} AND span_end >= %(low)s"
    for long, first, last in (("NOT", "%(short_from)s", "%(a)s"), ("NOT", "%(b)s", "%(high)s"),
                              ("", "%(long_from)s", "%(a)s"), ("", "%(b)s", "%(high)s"))
) + " ORDER BY 2"


class PostgresInstanceRows:
    """The instance-index half of :class:`PostgresContentRows`."""

    conn: psycopg.Connection[Any]

    def store_instances(self, context_id: int, folder_id: int, name: str,
                        instances: InstanceSpans | None) -> None:
        key = {"c": context_id, "f": folder_id, "n": name}
        # Deleted and inserted in separate statements: a statement's parts share one
        # snapshot, so an insert would not see the rows it replaces gone.
        self.conn.execute(
            "WITH gone AS (DELETE FROM object_instances WHERE context_id = %(c)s"
            " AND folder_id = %(f)s AND name = %(n)s) DELETE FROM instance_windows"
            " WHERE context_id = %(c)s AND folder_id = %(f)s AND name = %(n)s", key)
        if instances is None:
            return
        self.conn.execute(
            "INSERT INTO instance_windows (context_id, folder_id, name, indexed_from,"
            " indexed_until, floating) VALUES (%(c)s, %(f)s, %(n)s, %(low)s, %(high)s,"
            " %(floating)s)", {**key, "low": instances.indexed_from,
                               "high": instances.indexed_until,
                               "floating": instances.floating})
        if not instances.spans:
            return
        with self.conn.cursor() as cursor:
            with cursor.copy("COPY object_instances (context_id, folder_id, name, is_long,"
                             " span_start, span_end) FROM STDIN") as copy:
                for start, end in instances.spans:
                    copy.write_row((context_id, folder_id, name, end - start > LONG_SPAN,
                                    start, end))

    def aging_instance_indexes(self, until_before: int, limit: int
                               ) -> list[tuple[int, int, str]]:
        return [(int(c), int(f), str(n)) for c, f, n in self.conn.execute(
            "SELECT context_id, folder_id, name FROM instance_windows WHERE indexed_until < %s"
            " ORDER BY indexed_until, context_id, folder_id, name LIMIT %s",
            (until_before, limit))]

    def instance_spans(self, scope: Scope, low: int, high: int, inner: tuple[int, int]
                       ) -> InstanceSpansNear:
        return spans_near(self.conn, (WINDOWS_QUERY, INNER_SPAN_QUERY, EDGE_SPANS_QUERY),
                          scope, low, high, inner)
