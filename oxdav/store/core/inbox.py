"""Users' scheduling inboxes (RFC 6638 §2.2): database-thread functions.

The inbox is the user's own: the store takes the context and user it is given, and the
layers above open only the requester's inbox for reading and deleting, and deliver into
another user's only as scheduling decides.
"""

from __future__ import annotations

from ..errors import NotFound
from ..models import InboxItem
from .clock import now_us, to_datetime
from .objects import compute_etag
from .rows import Rows

#: Longest inbox item name (a resource name of a URL segment).
MAX_NAME = 255


def _item(name: str, data: bytes, created: int) -> InboxItem:
    return InboxItem(name, data, compute_etag(data), to_datetime(created))


def _require_user(rows: Rows, context_id: int, user_id: int) -> None:
    if rows.user(context_id, user_id) is None:
        raise NotFound(f"user {user_id} of context {context_id}")


def inbox_items(rows: Rows, context_id: int, user_id: int) -> list[InboxItem]:
    """The user's inbox items by name."""
    return [_item(*row) for row in rows.inbox_items(context_id, user_id, None)]


def inbox_item(rows: Rows, context_id: int, user_id: int, name: str) -> InboxItem:
    """One item. Raises: NotFound."""
    found = rows.inbox_items(context_id, user_id, name)
    if not found:
        raise NotFound(name)
    return _item(*found[0])


def deliver(rows: Rows, context_id: int, user_id: int, name: str, data: bytes) -> InboxItem:
    """Put an item into the inbox (replacing one of that name).

    Raises: NotFound (no such user), ValueError (empty or overlong name).
    """
    if not name or len(name) > MAX_NAME or "/" in name:
        raise ValueError(f"bad inbox item name {name!r}")
    _require_user(rows, context_id, user_id)
    now = now_us()
    rows.insert_inbox_item(context_id, user_id, name, data, now)
    return _item(name, data, now)


def remove(rows: Rows, context_id: int, user_id: int, name: str) -> None:
    """Delete one item. Raises: NotFound."""
    if not rows.delete_inbox_item(context_id, user_id, name):
        raise NotFound(name)
