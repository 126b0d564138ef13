"""The SQLite engine's rows: everything the core reads and writes, as SQL on one
connection (``core.rows.Rows``)."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..core.cache import MetadataCache
from .content_rows import SQLiteContentRows
from .directory_rows import SQLiteDirectoryRows
from .login_rows import SQLiteLoginRows
from .mail_rows import SQLiteMailRows
from .push_rows import SQLitePushRows
from .transfer_rows import SQLiteTransferRows


class SQLiteRows(SQLiteDirectoryRows, SQLiteLoginRows, SQLitePushRows, SQLiteContentRows,
                 SQLiteTransferRows, SQLiteMailRows):
    """The rows of one connection.

    Args:
        conn: the connection (``isolation_level=None``, ``sqlite3.Row`` rows).
        metadata: the store's shared cache (``core.cache``).
        fills_metadata: whether what this connection reads may fill it (readers only).
    """

    def __init__(self, conn: sqlite3.Connection, metadata: MetadataCache | None = None, *,
                 fills_metadata: bool = False) -> None:
        self.conn = conn
        self.metadata = metadata
        self.fills_metadata = fills_metadata
        #: What the current read call has read of the versions (``core.cache``).
        self.call_memo: dict[Any, Any] | None = None
