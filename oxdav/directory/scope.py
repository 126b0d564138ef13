"""A user's place in the config cascade (DESIGN.md §6)."""

from __future__ import annotations

from oxdav.config import Scope
from oxdav.directory.lookup import ContextRecord, UserRecord
from oxdav.directory.tags import user_base_tags

#: Scopes made, by the identity of their (immutable) records: a remembered login hands
#: every request the same two objects, and each request asks twice (about 7 µs each).
_MADE: dict[tuple[int, int], tuple[ContextRecord, UserRecord, Scope]] = {}
_MADE_MAX = 4096


def scope_for(context: ContextRecord, user: UserRecord) -> Scope:
    """The cascade scope of ``user``: base tags plus context and user overrides."""
    key = (id(context), id(user))
    made = _MADE.get(key)
    if made is not None and made[0] is context and made[1] is user:
        return made[2]
    scope = Scope.of(user_base_tags(context, user), context.config, user.config)
    if len(_MADE) >= _MADE_MAX:
        _MADE.clear()
    _MADE[key] = (context, user, scope)
    return scope
