"""A user's base tags for matching context sets (DESIGN.md §6, OX config cascade).

The config cascade matches ``withTags`` expressions of context sets against these
tags and then adds ``addTags`` to a fixpoint; that part lives in ``oxdav.config``.
"""

from __future__ import annotations

from oxdav.directory.lookup import ContextRecord, UserRecord

#: Prefix OX puts before a module permission ("user configuration") to make a tag.
PERMISSION_TAG_PREFIX = "uc"


def permission_tag(permission: str) -> str:
    """The tag for one module permission: ``calendar`` → ``ucCalendar``.

    Only the first letter is upper-cased, so ``editPassword`` → ``ucEditPassword``.

    Args:
        permission: A module permission name as stored for the user.
    """
    return PERMISSION_TAG_PREFIX + permission[:1].upper() + permission[1:]


def user_base_tags(context: ContextRecord, user: UserRecord) -> frozenset[str]:
    """The tags a user carries before any context set adds more.

    They are the context name, the context id as a decimal string, every
    ``taxonomy/types`` entry of the context and ``uc`` + each granted module
    permission (``ucCalendar``, ``ucContacts``, ``ucInfostore``, ``ucTasks``...).

    Args:
        context: The user's context.
        user: The user.

    Returns:
        The base tag set; empty strings are left out.

    Raises:
        ValueError: The user does not belong to ``context``.
    """
    if user.context_id != context.id:
        raise ValueError(f"user {user.id} is not in context {context.id}")
    tags = {context.name, str(context.id), *context.taxonomy_types}
    tags.update(permission_tag(p) for p in user.permissions if p)
    tags.discard("")
    return frozenset(tags)
