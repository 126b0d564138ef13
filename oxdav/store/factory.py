"""Choose and build a store backend from the ``oxdav.storage`` URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from twisted.internet.interfaces import IReactorFromThreads

from .errors import UnsupportedStorageURL
from .interfaces import Store
from .sqlite import SQLiteStore, Synchronous


def sqlite_path(url: str, data_dir: Path) -> Path:
    """The database file of a ``sqlite:`` URL.

    ``sqlite:oxdav.sqlite3`` is relative to ``data_dir``; ``sqlite:/abs/path`` and
    ``sqlite:///abs/path`` are absolute.

    Raises:
        UnsupportedStorageURL: not a usable ``sqlite:`` URL.
    """
    if not url.startswith("sqlite:"):
        raise UnsupportedStorageURL(f"not a sqlite: URL: {url!r}")
    rest = unquote(url[len("sqlite:"):])
    if rest.startswith("//"):
        if not rest.startswith("///"):
            raise UnsupportedStorageURL(
                f"{url!r}: sqlite URLs name a file (sqlite:name or sqlite:/abs/path), not a host")
        rest = rest[2:]
    if not rest or rest.endswith("/") or "?" in rest:
        raise UnsupportedStorageURL(f"{url!r}: expected sqlite:<file> or sqlite:/abs/path")
    path = Path(rest)
    return path if path.is_absolute() else Path(data_dir) / path


def open_store(url: str, data_dir: Path, reactor: IReactorFromThreads, *,
               synchronous: Synchronous = "FULL") -> Store:
    """Build the store for ``url``; call ``start()`` on it before use.

    Args:
        url: ``oxdav.storage``, e.g. ``sqlite:oxdav.sqlite3``.
        data_dir: the data directory relative SQLite paths live in.
        reactor: the reactor results are delivered on.
        synchronous: SQLite ``synchronous`` level, ``"FULL"`` or ``"NORMAL"``.

    Raises:
        UnsupportedStorageURL: the scheme has no backend (PostgreSQL comes later).
    """
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "sqlite":
        return SQLiteStore(sqlite_path(url, data_dir), reactor, synchronous=synchronous)
    if scheme in ("postgresql", "postgres"):
        raise UnsupportedStorageURL(f"{scheme}: storage is not implemented yet; use sqlite:")
    raise UnsupportedStorageURL(
        f"unsupported storage URL {url!r}: expected sqlite:<file> or sqlite:/abs/path")
