"""The embedded SQLite engine: connections (:mod:`.engine`), rows (:mod:`.rows`),
numbered schema migrations (:mod:`.migrate`, ``schema/``)."""

from .engine import SQLiteEngine, SQLiteStore, Synchronous

__all__ = ["SQLiteEngine", "SQLiteStore", "Synchronous"]
