"""Which folder, as whom, with which rights: what every object call is bound by."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Forbidden
from ..models import FolderPermission


@dataclass(frozen=True)
class Scope:
    """Which folder, as whom, with which rights (``user_id`` None: the system).

    ``quota`` is the limit in bytes of ``user_id``, set only when the folder is theirs
    (the contract's ``Home`` quota rule); None means writes are not checked.
    ``creates``: whether new objects may be made (``permissions.may_create_objects``).
    ``owner_id``: the folder's owner (None: a system folder), whose bytes a write counts.
    """

    context_id: int
    folder_id: int
    user_id: int | None
    rights: FolderPermission
    quota: int | None = None
    creates: bool = True
    owner_id: int | None = None

    @property
    def own_only(self) -> bool:
        """Whether reads are limited to objects the user created (read = own); an
        engine's reads of this scope filter on ``created_by = user_id`` then."""
        return self.rights.read == "own"

    def admits(self, created_by: int | None) -> bool:
        """Whether the scope reads an object of ``created_by``."""
        return not self.own_only or created_by == self.user_id

    def require(self, right: str, created_by: int | None, what: str) -> None:
        """Raise Forbidden unless the rights allow ``right`` on an object of ``created_by``."""
        if not self.rights.allows(right, created_by, self.user_id):  # type: ignore[arg-type]
            raise Forbidden(right, f"no {right} permission for {what}")
