"""The PostgreSQL engine's rows: everything the core reads and writes, as SQL on one
connection (``core.rows.Rows``)."""

from __future__ import annotations

from typing import Any

import psycopg

from ..core.cache import MetadataCache
from .content_rows import PostgresContentRows
from .directory_rows import PostgresDirectoryRows
from .login_rows import PostgresLoginRows
from .mail_rows import PostgresMailRows
from .push_rows import PostgresPushRows
from .transfer_rows import PostgresTransferRows


class PostgresRows(PostgresDirectoryRows, PostgresLoginRows, PostgresPushRows, PostgresContentRows,
                   PostgresTransferRows, PostgresMailRows):
    """The rows of one connection.

    Args:
        conn: the connection (autocommit mode: the session sends BEGIN and COMMIT).
        metadata: the store's shared cache (``core.cache``).
        fills_metadata: whether what this connection reads may fill it (reads only).
    """

    def __init__(self, conn: psycopg.Connection[Any], metadata: MetadataCache | None = None,
                 *, fills_metadata: bool = False) -> None:
        self.conn = conn
        self.metadata = metadata
        self.fills_metadata = fills_metadata
        #: What the current read call has read of the versions (``core.cache``).
        self.call_memo: dict[Any, Any] | None = None
