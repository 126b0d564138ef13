"""Collections reached by the name the client made them under.

Folders are addressed by id (``/caldav/12/``), but MKCALENDAR (RFC 4791 §5.3.1) and
extended MKCOL (RFC 5689 §3) name the new collection in the request URI, and clients
such as python-caldav and DAVx5 go on using that URI (a UUID, typically). The name is
kept as a hidden dead property of the folder, so the collection answers at both URLs
(:meth:`oxdav.folders.space.FolderSpace.listed` and ``named``).
"""

from __future__ import annotations

from lxml import etree

from oxdav.folders.base import FolderTree
from oxdav.folders.collection import RESOURCE_NAME, load_value, store_value
from oxdav.store.interfaces import Collection
from oxdav.store.models import MAX_ID

_MAX_ID_DIGITS = len(str(MAX_ID))


def segment_id(segment: str) -> int | None:
    """The id a path segment names (``/caldav/<folderId>/``, ``/principals/users/<id>/``):
    ASCII decimal digits up to ``store.MAX_ID``. Any other segment names no folder, user
    or group, and is never turned into one: neither Unicode digits (``١٢``, ``²``, which
    ``str.isdigit`` accepts) nor a number beyond the 64 bits every database keeps."""
    if not (segment.isascii() and segment.isdigit()) or len(segment) > _MAX_ID_DIGITS:
        return None
    value = int(segment)
    return value if value <= MAX_ID else None


def needs_alias(name: str) -> bool:
    """Whether ``name`` differs from what a folder id gives (a decimal id needs none)."""
    return segment_id(name) is None


async def remember_name(store_collection: Collection, name: str) -> None:
    """Keep ``name`` as the URL segment the client made ``store_collection`` under."""
    element = etree.Element(RESOURCE_NAME)
    element.text = name
    await store_collection.set_dead_properties("", {RESOURCE_NAME: store_value(element)})


async def chosen_names(tree: FolderTree) -> dict[int, str]:
    """The URL segment each readable folder was made under, by folder id (one store
    call for the whole home)."""
    stored = await (await tree.home()).folder_property(RESOURCE_NAME)
    return {folder_id: element.text for folder_id, value in stored.items()
            if (element := load_value(value)) is not None and element.text}


def shown_folder_url(template: str, hostname: str, folder_id: int) -> str:
    """The URL users are shown for a folder: ``com.openexchange.caldav.url`` with its
    ``[hostname]`` and ``[folderId]`` filled in (OX's variables)."""
    return template.replace("[hostname]", hostname).replace("[folderId]", str(folder_id))
