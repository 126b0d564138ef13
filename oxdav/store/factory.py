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


def storage_scheme(url: str) -> str:
    """``sqlite`` or ``postgresql``: the engine ``url`` names.

    Raises:
        UnsupportedStorageURL: neither.
    """
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    if scheme == "sqlite":
        return scheme
    raise UnsupportedStorageURL(
        f"unsupported storage URL {url!r}: expected sqlite:<file>, sqlite:/abs/path or"
        " postgresql://user@host:port/database")


def open_store(url: str, data_dir: Path, reactor: IReactorFromThreads, *,
               synchronous: Synchronous = "FULL", password_file: Path | None = None,
               pool_size: int = 10, statement_timeout: float = 30.0) -> Store:
    """Build the store for ``url``; call ``start()`` on it before use. Nothing is
    opened or connected here.

    Args:
        url: ``oxdav.storage``: ``sqlite:oxdav.sqlite3`` or
            ``postgresql://user@host:port/database?sslmode=…``.
        data_dir: the data directory relative SQLite paths live in.
        reactor: the reactor results are delivered on.
        synchronous: SQLite ``synchronous`` level, ``"FULL"`` or ``"NORMAL"``.
        password_file: PostgreSQL: the file holding the password (None: libpq's
            ``PGPASSWORD``, ``PGPASSFILE``, ``~/.pgpass``).
        pool_size: PostgreSQL: connections at most (and threads per pool).
        statement_timeout: PostgreSQL: seconds a statement may run.

    Raises:
        UnsupportedStorageURL: the URL names no engine, or is malformed.
    """
    if storage_scheme(url) == "postgresql":
        from .postgres import PostgresStore

        return PostgresStore(url, reactor, password_file=password_file, pool_size=pool_size,
                             statement_timeout=statement_timeout)
    return SQLiteStore(sqlite_path(url, data_dir), reactor, synchronous=synchronous)
