"""Collections reached by the name the client made them under.

Folders are addressed by id (``/caldav/12/``), but MKCALENDAR (RFC 4791 §5.3.1) and
extended MKCOL (RFC 5689 §3) name the new collection in the request URI, and clients
such as python-caldav and DAVx5 go on using that URI (a UUID, typically). The name is
kept as a hidden dead property of the folder, so the collection answers at both URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
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


async def chosen_names(tree: FolderTree) -> dict[int, str]:
    """The URL segment each readable folder was made under, by folder id (one store
    call for the whole home)."""
    stored = await (await tree.home()).folder_property(RESOURCE_NAME)
    return {folder_id: element.text for folder_id, value in stored.items()
            if (element := load_value(value)) is not None and element.text}


def as_listed(tree: FolderTree, kind: HomeKind, collection: Collection,
              names: Mapping[int, str]) -> FolderCollection:
    """The collection as the home lists it: at the URL its client chose (``names``, from
    :func:`chosen_names`), if any, so a client finds what it made where it made it."""
    name = names.get(collection.folder.id)
    return kind.collection(tree, collection,
                           path=None if name is None else f"/{kind.name}/{name}")


async def find_named(tree: FolderTree, kind: HomeKind, segment: str) -> FolderCollection | None:
    """The folder of ``kind`` a client made under ``segment``, at that path."""
    for folder_id, name in (await chosen_names(tree)).items():
        if name != segment:
            continue
        collection = await (await tree.home()).collection(folder_id)
        folder = collection.folder
        if folder.module in kind.modules and kind.exposes(tree, folder):
            return kind.collection(tree, collection, path=f"/{kind.name}/{segment}")
    return None
