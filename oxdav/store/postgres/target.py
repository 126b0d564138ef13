"""Which PostgreSQL database, as whom: the storage URL and the password's source.

``oxdav.storage = postgresql://user@host:port/db?sslmode=verify-full&…`` is a libpq
connection URL: every libpq parameter (``sslmode``, ``sslrootcert``,
``connect_timeout``, ``target_session_attrs``, …) may be given in it. The password
never is: it comes from ``oxdav.storage.passwordFile``, or else from libpq's own
sources (``PGPASSWORD``, ``PGPASSFILE``, ``~/.pgpass``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from ..errors import StoreError, UnsupportedStorageURL


@dataclass(frozen=True)
class DatabaseTarget:
    """A parsed storage URL and where its password comes from.

    Attributes:
        url: the libpq URL, without a password.
        password_file: the file holding the password (its first line), or None for
            libpq's own sources.
    """

    url: str
    password_file: Path | None = None

    @classmethod
    def parse(cls, url: str, password_file: Path | None = None) -> DatabaseTarget:
        """Check ``url`` without connecting.

        Raises:
            UnsupportedStorageURL: not a libpq URL, or one with a password in it.
        """
        if not url.lower().startswith(("postgresql://", "postgres://")):
            raise UnsupportedStorageURL(f"not a postgresql:// URL: {url!r}")
        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError as e:
            raise UnsupportedStorageURL(f"invalid PostgreSQL URL: {e}") from None
        if params.get("password"):
            raise UnsupportedStorageURL(
                "the storage URL must not hold the password: put it in the file named by"
                " oxdav.storage.passwordFile (or PGPASSWORD, PGPASSFILE, ~/.pgpass)")
        return cls(url, None if password_file is None else Path(password_file))

    @property
    def name(self) -> str:
        """``user@host:port/database`` for messages (libpq's defaults where the URL
        names none); never the password."""
        params = conninfo_to_dict(self.url)
        user = params.get("user") or "(default user)"
        host = params.get("host") or params.get("hostaddr") or "localhost"
        port = params.get("port") or "5432"
        database = params.get("dbname") or user
        return f"{user}@{host}:{port}/{database}"

    def password(self) -> str | None:
        """The password from the file (read at every connection, so that a changed
        password takes effect without a restart), or None.

        Raises:
            StoreError: the file cannot be read; the message names it.
        """
        if self.password_file is None:
            return None
        try:
            text = self.password_file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise StoreError(f"cannot read the database password file"
                             f" {self.password_file}: {e}") from e
        lines = text.splitlines()
        return lines[0] if lines else ""

    def check_password_file(self) -> None:
        """Raises StoreError when the password file cannot be read (``--check-config``)."""
        self.password()
