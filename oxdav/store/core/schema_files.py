"""An engine's numbered schema migrations: the ``schema/NNNN_<what>.sql`` files its
package ships, in order (each engine applies them in its own way)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    """One schema file."""

    version: int
    name: str
    sql: str


def shipped_migrations(package: str) -> list[Migration]:
    """The migration files in ``<package>/schema/``, by version.

    Raises:
        RuntimeError: two files share a version, or versions have gaps.
    """
    found: list[Migration] = []
    for entry in (resources.files(package) / "schema").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"schema migrations must be numbered 1..n: {[m.name for m in found]}")
    return found
