"""The tables of a store as a copy sees them (``core.transfer``): each column in a
logical kind both engines read and write in their own representation
(``TransferRows``), and each table's primary key, which orders its batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

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
    _table("share_replies", "context_id user_id folder_id",
           "context_id user_id folder_id status:text modified"),
    _table("objects", "context_id folder_id name",
           "context_id folder_id name:text uid:text component:text first_start last_end"
           " recurring:bool exact_spans:spans floating_spans:bool etag:text size modseq"
           " created_by created modified data:bytes derived:bytes"),
    _table("instance_windows", "context_id folder_id name",
           "context_id folder_id name:text indexed_from indexed_until floating:bool"),
    _table("object_instances", "context_id folder_id name span_start span_end",
           "context_id folder_id name:text is_long:bool span_start span_end"),
    _table("changes", "context_id folder_id name",
           "context_id folder_id name:text modseq deleted:bool created_by changed"),
    _table("dead_properties", "context_id folder_id resource name",
           "context_id folder_id resource:text name:text value:text"),
    _table("locks", "token",
           "token:text context_id folder_id name:text creator_id exclusive:bool owner:text"
           " timeout created expires"),
    _table("schedule_inbox", "context_id user_id name",
           "context_id user_id name:text data:bytes created"),
    _table("push_subscriptions", "id",
           "id:text context_id user_id collection:text endpoint:text public_key:text"
           " auth_secret:text created expires"),
    _table("push_watches", "subscription_id folder_id",
           "subscription_id:text context_id folder_id"),
    _table("mail_queue", "id",
           "id context_id sender_id recipient:text method:text uid:text token:text"
           " itip:bytes state:text attempts due claim:text lease_until last_error:text"
           " created settled reply_token:text"),
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

    def refresh_statistics(self) -> None:
        """After a bulk import: bring what the engine's query planner knows of the
        tables up to date."""
