"""Copying a whole store into an empty one, row for row (``oxdav-admin store copy``).

Everything a client or an admin could tell apart is copied as it is stored: contexts
with their id counters, users with their password hashes, groups, folders with their
permissions, components, revisions and the names users gave them, objects with their
ETags, index and derived bytes, the change log (so that every sync token and ctag a
client holds stays valid: it names a folder revision), dead properties and locks.
Context versions are the target's own (its triggers set them), and failed-login
counts are not copied: both only ever matter within one database.

The tables are listed once here, with their columns in logical kinds; an engine reads
and writes them in its own representation (``TransferRows``). The source is read in one
snapshot, in batches ordered by primary key; the target is written in one transaction,
so a copy that fails leaves the target as empty as it found it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ..errors import StoreError, TargetNotEmpty

if TYPE_CHECKING:
    from .rows import Rows
    from .store import CoreStore

#: How a column's value is represented between engines: int, str, bool, bytes, a list
#: of str, a str → str mapping, or an object's exact spans (a tuple of (start, end)
#: pairs, or None).
Kind = Literal["int", "text", "bool", "bytes", "list", "map", "spans"]


@dataclass(frozen=True)
class Table:
    """One table as the copy sees it: its columns (name, kind) and primary key."""

    name: str
    columns: tuple[tuple[str, Kind], ...]
    key: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


def _table(name: str, key: str, columns: str) -> Table:
    """``columns``: ``name:kind`` words (kind ``int`` when left out)."""
    parsed: list[tuple[str, Kind]] = []
    for word in columns.split():
        column, _, kind = word.partition(":")
        parsed.append((column, kind or "int"))  # type: ignore[arg-type]
    return Table(name, tuple(parsed), tuple(key.split()))


#: Every table with data, parents before children (foreign keys hold at every row).
TABLES: tuple[Table, ...] = (
    _table("contexts", "id", "id name:text taxonomy_types:list config:map enabled:bool"
           " next_user_id next_group_id next_folder_id created modified"),
    _table("context_mappings", "mapping", "mapping:text context_id position"),
    _table("users", "context_id id",
           "context_id id login:text display_name:text first_name:text last_name:text"
           " email:text aliases:list phones:list password_hash:text permissions:list"
           " config:map enabled:bool created modified"),
    _table("user_addresses", "address", "address:text context_id user_id"),
    _table("groups", "context_id id",
           "context_id id name:text display_name:text created modified"),
    _table("group_members", "context_id group_id user_id", "context_id group_id user_id"),
    _table("folders", "context_id id",
           "context_id id module:text owner_id name:text color:text description:text"
           " is_default:bool components:list revision pruned_revision created modified"),
    _table("folder_permissions", "context_id folder_id is_group entity",
           "context_id folder_id entity is_group:bool read_level write_level delete_level"
           " admin:bool position"),
    _table("folder_own_names", "context_id user_id folder_id",
           "context_id user_id folder_id name:text"),
    _table("objects", "context_id folder_id name",
           "context_id folder_id name:text uid:text component:text first_start last_end"
           " recurring:bool exact_spans:spans floating_spans:bool etag:text size modseq"
           " created_by created modified data:bytes derived:bytes"),
    _table("changes", "context_id folder_id name",
           "context_id folder_id name:text modseq deleted:bool created_by changed"),
    _table("dead_properties", "context_id folder_id resource name",
           "context_id folder_id resource:text name:text value:text"),
    _table("locks", "token",
           "token:text context_id folder_id name:text creator_id exclusive:bool owner:text"
           " timeout created expires"),
)

#: Rows per batch, and the bytes of object data a batch stops after (at least a row).
BATCH_ROWS = 1000
BATCH_BYTES = 32 * 1024 * 1024

Row = tuple[Any, ...]


class TransferRows(Protocol):
    """What an engine offers the copy (database-thread methods, on its rows)."""

    def count_rows(self, table: Table) -> int: ...

    def export_rows(self, table: Table, after: Row | None, limit: int, max_bytes: int
                    ) -> list[Row]:
        """Up to ``limit`` rows with a key above ``after``, by key, in the table's
        column order and logical kinds; fewer once their ``bytes`` columns passed
        ``max_bytes`` (at least one)."""

    def import_rows(self, table: Table, rows: Sequence[Row]) -> None:
        """Insert rows as ``export_rows`` gives them."""

    def holds_rows(self, table: Table) -> bool: ...

    def context_id_counter(self) -> int:
        """The highest context id handed out so far (deleted ones included)."""

    def raise_context_id_counter(self, value: int) -> None:
        """Hand out no context id up to ``value`` any more."""


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
    return copied
