"""Copying a whole store into an empty one, row for row (``oxdav-admin store copy``).

Everything a client or an admin could tell apart is copied as it is stored: contexts
with their id counters, users with their password hashes, groups, folders with their
permissions, components, revisions and the names users gave them, objects with their
ETags, index and derived bytes, the change log (so that every sync token and ctag a
client holds stays valid: it names a folder revision), dead properties and locks.
Context versions are the target's own (its triggers set them), and failed-login
counts are not copied: both only ever matter within one database.

The tables are listed once (``tables``), with their columns in logical kinds; an engine
reads and writes them in its own representation (``TransferRows``). The source is read in one
snapshot, in batches ordered by primary key; the target is written in one transaction,
so a copy that fails leaves the target as empty as it found it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import StoreError, TargetNotEmpty
from .rows import Rows
from .store import CoreStore
from .tables import BATCH_BYTES, BATCH_ROWS, TABLES, Row, Table


@dataclass(frozen=True)
class Progress:
    """Where a copy is: ``done`` of ``total`` rows of ``table`` after ``seconds``."""

    table: str
    done: int
    total: int
    seconds: float


# -- database-thread functions ---------------------------------------------------------


def _counts(rows: Rows) -> dict[str, int]:
    return {table.name: rows.count_rows(table) for table in TABLES}


def _export(rows: Rows, table: Table, after: Row | None, limit: int, max_bytes: int
            ) -> list[Row]:
    return rows.export_rows(table, after, limit, max_bytes)


def _check_empty(rows: Rows) -> None:
    full = [table.name for table in TABLES if rows.holds_rows(table)]
    if full:
        raise TargetNotEmpty(f"the target store is not empty (it holds {', '.join(full)});"
                             " copy into an empty database")


def _import(rows: Rows, table: Table, batch: Sequence[Row]) -> None:
    rows.import_rows(table, batch)


def _context_id_counter(rows: Rows) -> int:
    return rows.context_id_counter()


def _raise_context_id_counter(rows: Rows, value: int) -> None:
    rows.raise_context_id_counter(value)


def _refresh_statistics(rows: Rows) -> None:
    rows.refresh_statistics()


# -- the copy --------------------------------------------------------------------------


async def copy_store(source: CoreStore, target: CoreStore, *,
                     progress: Callable[[Progress], None] | None = None,
                     batch_rows: int = BATCH_ROWS, batch_bytes: int = BATCH_BYTES
                     ) -> dict[str, int]:
    """Copy every row of ``source`` into ``target``, which must hold none; both
    started. Returns the rows copied per table.

    Raises:
        TargetNotEmpty: ``target`` holds data; nothing was written.
        StoreError: a row cannot be written (the message names its table); nothing was
            written.
    """
    began = time.monotonic()
    copied: dict[str, int] = {}
    async with source.transaction("store copy: read") as reading, \
            target.transaction("store copy: write", write=True) as writing:
        await writing.call(_check_empty, mutates=True)
        totals = await reading.call(_counts)
        for table in TABLES:
            done, after = 0, None
            while True:
                batch = await reading.call(_export, table, after, batch_rows, batch_bytes)
                if not batch:
                    break
                try:
                    await writing.call(_import, table, batch, mutates=True)
                except StoreError as e:
                    raise StoreError(f"copying {table.name}: {e}") from e
                done += len(batch)
                last = batch[-1]
                after = tuple(last[table.names.index(column)] for column in table.key)
                if progress is not None:
                    progress(Progress(table.name, done, totals[table.name],
                                      time.monotonic() - began))
            copied[table.name] = done
        counter = await reading.call(_context_id_counter)
        await writing.call(_raise_context_id_counter, counter, mutates=True)
        await writing.call(_refresh_statistics)
    return copied
