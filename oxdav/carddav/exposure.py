"""Which address books the ``/carddav/`` home shows to this request (DESIGN.md §5).

OX's ``com.openexchange.carddav.*`` settings decide it:

- ``exposedCollections``: ``1`` one collection per readable contacts folder, ``2`` only
  the aggregated collection, ``0`` (default) the aggregated collection when the
  User-Agent matches ``userAgentForAggregatedCollection`` (a case-insensitive search,
  as OX's ``find()``), the per-folder collections otherwise: never both.
- ``ignoreFolders``: folder ids left out everywhere (per-folder and aggregated).
- ``reducedAggregatedCollection``: the aggregated collection spans only "the global
  addressbook and the personal contacts folders" (OX), i.e. every contacts folder the
  user owns and folder 6, instead of every readable folder; shared folders stay out.

The aggregated collection is ``/carddav/Contacts/`` for every user and whatever its
folder set, as in OX, so a client keeps its URL when folders are shared, made or
ignored; a changed set shows up in sync-collection (:mod:`oxdav.carddav.aggregate`).
Earlier versions named it ``Contacts`` plus a hash of the set: such a name still
reaches it, so clients set up then keep working.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from oxdav.store.models import GAL_FOLDER_ID, Folder

EXPOSED_COLLECTIONS: Final = "com.openexchange.carddav.exposedCollections"
AGGREGATED_USER_AGENT: Final = "com.openexchange.carddav.userAgentForAggregatedCollection"
IGNORE_FOLDERS: Final = "com.openexchange.carddav.ignoreFolders"
REDUCED_AGGREGATED: Final = "com.openexchange.carddav.reducedAggregatedCollection"

#: The aggregated collection's path segment (OX's, which clients rely on).
AGGREGATED_NAME: Final = "Contacts"
#: The segments earlier versions gave it: ``Contacts`` + 12 hex digits of a set hash.
_LEGACY_SEGMENT: Final = re.compile(r"Contacts[0-9a-f]{12}")
#: The display name of the aggregated collection.
AGGREGATED_DISPLAYNAME: Final = "All Contacts"


class Exposure(enum.Enum):
    """What the home shows: per-folder collections or the aggregated one."""

    PER_FOLDER = "per-folder"
    AGGREGATED = "aggregated"


def _setting(settings: Any, name: str, default: Any) -> Any:
    value = settings.get(name) if settings is not None else None
    return default if value is None else value


def exposure_for(settings: Any, user_agent: str | None) -> Exposure:
    """The exposure mode for one request (``exposedCollections`` 0/1/2)."""
    mode = str(_setting(settings, EXPOSED_COLLECTIONS, "0"))
    if mode == "1":
        return Exposure.PER_FOLDER
    if mode == "2":
        return Exposure.AGGREGATED
    pattern = _setting(settings, AGGREGATED_USER_AGENT, None)
    if pattern is None or not user_agent:
        return Exposure.PER_FOLDER
    if isinstance(pattern, str):
        pattern = re.compile(pattern, re.IGNORECASE)
    return Exposure.AGGREGATED if pattern.search(user_agent) else Exposure.PER_FOLDER


def ignored_folders(settings: Any) -> frozenset[int]:
    """Folder ids left out everywhere (``ignoreFolders``)."""
    return frozenset(int(i) for i in _setting(settings, IGNORE_FOLDERS, ()))


@dataclass(frozen=True)
class FolderSet:
    """The folders the aggregated collection spans.

    Attributes:
        folders: the folders, the default contacts folder first, then by id.
        default: the user's default contacts folder (where new cards go), if visible.
    """

    folders: tuple[Folder, ...]
    default: Folder | None

    @property
    def ids(self) -> tuple[int, ...]:
        """The folder ids, in the set's order."""
        return tuple(f.id for f in self.folders)


def names_aggregated(segment: str) -> bool:
    """Whether a home member segment names the aggregated collection: ``Contacts``, or
    a name earlier versions gave it."""
    return segment == AGGREGATED_NAME or _LEGACY_SEGMENT.fullmatch(segment) is not None


def aggregated_set(settings: Any, user_id: int, readable: Sequence[Folder]) -> FolderSet:
    """The aggregated folder set from the readable contacts folders.

    Args:
        settings: the user's configuration view.
        user_id: the user (whose default folder leads the set).
        readable: the user's readable contacts folders (already without ignored ones).
    """
    default = next((f for f in readable if f.is_default and f.owner_id == user_id), None)
    if _setting(settings, REDUCED_AGGREGATED, False):
        chosen = [f for f in readable if f.owner_id == user_id or f.id == GAL_FOLDER_ID]
    else:
        chosen = list(readable)
    chosen.sort(key=lambda f: (f is not default, f.id))
    return FolderSet(tuple(chosen), default)
