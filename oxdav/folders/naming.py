"""Collections reached by the name the client made them under.

Folders are addressed by id (``/caldav/12/``), but MKCALENDAR (RFC 4791 §5.3.1) and
extended MKCOL (RFC 5689 §3) name the new collection in the request URI, and clients
such as python-caldav and DAVx5 go on using that URI (a UUID, typically). The name is
kept as a hidden dead property of the folder, so the collection answers at both URLs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from oxdav.folders.base import FolderTree
from oxdav.folders.collection import RESOURCE_NAME, FolderCollection, load_value, store_value
from oxdav.store.interfaces import Collection

if TYPE_CHECKING:
    from oxdav.folders.homes import HomeKind


def needs_alias(name: str) -> bool:
    """Whether ``name`` differs from what a folder id gives (a decimal id needs none)."""
    return not name.isdigit()


async def remember_name(collection: Collection, name: str) -> None:
    """Keep ``name`` as the URL segment the client made ``collection`` under."""
    element = etree.Element(RESOURCE_NAME)
    element.text = name
    await collection.set_dead_properties("", {RESOURCE_NAME: store_value(element)})


async def chosen_name(collection: Collection) -> str | None:
    """The URL segment a client made ``collection`` under, if it named it."""
    stored = (await collection.dead_properties("")).get(RESOURCE_NAME)
    element = None if stored is None else load_value(stored)
    return None if element is None else element.text


async def as_listed(tree: FolderTree, kind: HomeKind, collection: Collection) -> FolderCollection:
    """The collection as the home lists it: at the URL its client chose, if any, so a
    client finds the calendar or address book it made where it made it."""
    name = await chosen_name(collection)
    return kind.collection(tree, collection,
                           path=None if name is None else f"/{kind.name}/{name}")


async def find_named(tree: FolderTree, kind: HomeKind, segment: str) -> FolderCollection | None:
    """The folder of ``kind`` a client made under ``segment``, at that path.

    One dead-property read per readable folder of the kind: only reached for
    non-numeric names, which only such clients use.
    """
    home = await tree.home()
    for collection in await home.collections():
        folder = collection.folder
        if folder.module not in kind.modules or not kind.exposes(tree, folder):
            continue
        if await chosen_name(collection) == segment:
            return kind.collection(tree, collection, path=f"/{kind.name}/{segment}")
    return None
