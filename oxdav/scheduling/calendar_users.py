"""Calendar users' own things scheduling needs to find, over a store transaction."""

from __future__ import annotations

from oxdav.store.interfaces import Transaction


async def default_calendar_id(txn: Transaction, context_id: int, user_id: int,
                              module: str = "calendar") -> int | None:
    """The id of the user's default calendar (RFC 6638 §9.2), None when they have none."""
    for folder in await txn.folders(context_id, module=module):  # type: ignore[arg-type]
        if folder.owner_id == user_id and folder.is_default:
            return int(folder.id)
    return None
