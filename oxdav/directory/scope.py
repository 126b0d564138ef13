"""A user's place in the config cascade (DESIGN.md §6)."""

from __future__ import annotations

from oxdav.config import Scope
from oxdav.directory.lookup import ContextRecord, UserRecord
from oxdav.directory.tags import user_base_tags


def scope_for(context: ContextRecord, user: UserRecord) -> Scope:
    """The cascade scope of ``user``: base tags plus context and user overrides."""
    return Scope.of(user_base_tags(context, user), context.config, user.config)
