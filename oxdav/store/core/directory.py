"""Contexts, users and groups: the rules (database-thread functions).

What must be unique (context names and login mappings, a login within its context, an
address across every context, a group name) is the engine's to enforce, with
``AlreadyExists``; what a new context holds (its global address list), how lists are
normalised and which ids are reserved is decided here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import AlreadyExists, NotFound
from ..models import ALL_USERS_GROUP, UNSET, Context, Group, SearchTerm, Unset, User
from .clock import now_us
from .folders import create_address_list
from .rows import Rows


def unique(values: Iterable[str]) -> list[str]:
    """Strip, drop empties and case-insensitive duplicates, keep order (addresses,
    phone numbers, mappings)."""
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        value = value.strip()
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            result.append(value)
    return result


def _found(value: Any, what: str) -> Any:
    if value is None:
        raise NotFound(what)
    return value


# -- contexts -------------------------------------------------------------------------


def load_context(rows: Rows, context_id: int) -> Context:
    """Raises: NotFound."""
    return _found(rows.context(context_id), f"context {context_id}")  # type: ignore[no-any-return]


def context_by_mapping(rows: Rows, mapping: str) -> Context:
    """Raises: NotFound."""
    context_id = _found(rows.context_id_by_mapping(mapping.strip()),
                        f"login mapping {mapping!r}")
    return load_context(rows, context_id)


def all_contexts(rows: Rows) -> list[Context]:
    """Every context by id."""
    return [load_context(rows, i) for i in rows.context_ids()]


def create_context(rows: Rows, name: str, mappings: Iterable[str],
                   taxonomy_types: Iterable[str], config: Mapping[str, str] | None,
                   context_id: int | None, enabled: bool) -> Context:
    """Insert a context with its login mappings and its global address list."""
    new_id = rows.insert_context(context_id, name, unique(taxonomy_types), dict(config or {}),
                                 enabled, now_us())
    rows.replace_mappings(new_id, unique(mappings))
    create_address_list(rows, new_id)
    return load_context(rows, new_id)


def update_context(rows: Rows, context_id: int, *, name: str | Unset,
                   mappings: Iterable[str] | Unset, taxonomy_types: Iterable[str] | Unset,
                   config: Mapping[str, str] | Unset, enabled: bool | Unset) -> Context:
    """Change the given fields."""
    load_context(rows, context_id)
    columns: dict[str, Any] = {}
    if name is not UNSET:
        columns["name"] = name
    if taxonomy_types is not UNSET:
        columns["taxonomy_types"] = unique(taxonomy_types)
    if config is not UNSET:
        columns["config"] = dict(config)
    if enabled is not UNSET:
        columns["enabled"] = enabled
    rows.update_context(context_id, columns, now_us())
    if mappings is not UNSET:
        rows.replace_mappings(context_id, unique(mappings))
    return load_context(rows, context_id)


def delete_context(rows: Rows, context_id: int) -> None:
    """Delete a context and everything in it."""
    if not rows.delete_context(context_id):
        raise NotFound(f"context {context_id}")


# -- users ----------------------------------------------------------------------------


def load_user(rows: Rows, context_id: int, user_id: int) -> User:
    """Raises: NotFound."""
    return _found(rows.user(context_id, user_id),  # type: ignore[no-any-return]
                  f"user {user_id} in context {context_id}")


def user_by_login(rows: Rows, context_id: int, login: str) -> User:
    """Raises: NotFound."""
    return _found(rows.user_by_login(context_id, login),  # type: ignore[no-any-return]
                  f"login {login!r} in context {context_id}")


def user_by_email(rows: Rows, email: str) -> User:
    """Primary address or alias, in any context. Raises: NotFound."""
    return _found(rows.user_by_address(email.strip()),  # type: ignore[no-any-return]
                  f"address {email!r}")


def login_in_mapping(rows: Rows, mapping: str, login: str) -> tuple[Context, User]:
    """Raises: NotFound."""
    context = context_by_mapping(rows, mapping)
    return context, user_by_login(rows, context.id, login)


def login_by_email(rows: Rows, email: str) -> tuple[Context, User]:
    """Raises: NotFound."""
    user = user_by_email(rows, email)
    return load_context(rows, user.context_id), user


def context_users(rows: Rows, context_id: int) -> list[User]:
    """Every user of a context by id. Raises: NotFound (no context)."""
    load_context(rows, context_id)
    return rows.users(context_id)


def users_and_groups(rows: Rows, context_id: int, user_ids: list[int],
                     group_ids: list[int]) -> tuple[dict[int, User], dict[int, Group]]:
    """The context's users and groups among the ids, unknown ones left out."""
    users = {i: u for i in dict.fromkeys(user_ids) if (u := rows.user(context_id, i))}
    groups = {i: g for i in dict.fromkeys(group_ids) if (g := rows.group(context_id, i))}
    return users, groups


def create_user(rows: Rows, context_id: int, login: str, *, display_name: str,
                first_name: str | None, last_name: str | None, email: str | None,
                aliases: Iterable[str], phones: Iterable[str], password_hash: str | None,
                permissions: Iterable[str], config: Mapping[str, str] | None,
                enabled: bool, user_id: int | None) -> User:
    """Insert a user and their addresses."""
    new_id = _found(rows.next_id(context_id, "user", user_id), f"context {context_id}")
    aliases = unique(aliases)
    fields = {"login": login, "display_name": display_name, "first_name": first_name,
              "last_name": last_name, "email": email, "aliases": aliases,
              "phones": unique(phones), "password_hash": password_hash,
              "permissions": sorted(set(permissions)), "config": dict(config or {}),
              "enabled": enabled}
    rows.insert_user(context_id, new_id, fields, now_us())
    rows.replace_addresses(context_id, new_id, unique([email or "", *aliases]))
    return load_user(rows, context_id, new_id)


def update_user(rows: Rows, context_id: int, user_id: int, changes: Mapping[str, Any]
                ) -> User:
    """Apply ``changes`` (field → new value; UNSET fields already dropped)."""
    current = load_user(rows, context_id, user_id)
    columns = dict(changes)
    for listed in ("aliases", "phones"):
        if listed in columns:
            columns[listed] = unique(columns[listed])
    if "permissions" in columns:
        columns["permissions"] = sorted(set(columns["permissions"]))
    if "config" in columns:
        columns["config"] = dict(columns["config"])
    rows.update_user(context_id, user_id, columns, now_us())
    if "email" in changes or "aliases" in changes:
        email = changes.get("email", current.email)
        rows.replace_addresses(context_id, user_id, unique(
            [email or "", *unique(changes.get("aliases", current.aliases))]))
    return load_user(rows, context_id, user_id)


def delete_user(rows: Rows, context_id: int, user_id: int) -> None:
    """Delete a user with their folders (and objects), memberships, addresses and the
    permission entries naming them."""
    load_user(rows, context_id, user_id)
    rows.delete_user(context_id, user_id)


# -- searches -------------------------------------------------------------------------


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"a search returns at least one match, not {limit}")


def find_users(rows: Rows, context_id: int, terms: tuple[SearchTerm, ...], any_term: bool,
               limit: int) -> list[User]:
    """Enabled users of a context meeting the terms (all, or any with ``any_term``), by
    id, at most ``limit``; matched caselessly in the engine. Raises: NotFound (no
    context), ValueError."""
    _check_limit(limit)
    load_context(rows, context_id)
    return rows.find_users(context_id, terms, any_term, limit)


def find_groups(rows: Rows, context_id: int, terms: tuple[SearchTerm, ...], any_term: bool,
                limit: int) -> list[Group]:
    """Groups of a context meeting the terms, by id, at most ``limit``.
    Raises: NotFound (no context), ValueError."""
    _check_limit(limit)
    load_context(rows, context_id)
    return [load_group(rows, context_id, i)
            for i in rows.find_group_ids(context_id, terms, any_term, limit)]


# -- groups ---------------------------------------------------------------------------


def load_group(rows: Rows, context_id: int, group_id: int) -> Group:
    """Raises: NotFound."""
    return _found(rows.group(context_id, group_id),  # type: ignore[no-any-return]
                  f"group {group_id} in context {context_id}")


def context_groups(rows: Rows, context_id: int, member: int | None) -> list[Group]:
    """Groups of a context by id, or those ``member`` belongs to."""
    load_context(rows, context_id)
    return [load_group(rows, context_id, i) for i in rows.group_ids(context_id, member)]


def _check_members(rows: Rows, context_id: int, members: Iterable[int]) -> list[int]:
    """The member ids, each a user of the context. Raises: NotFound."""
    ids = sorted(set(members))
    for user_id in ids:
        load_user(rows, context_id, user_id)
    return ids


def create_group(rows: Rows, context_id: int, name: str, display_name: str | None,
                 members: Iterable[int], group_id: int | None) -> Group:
    """Insert a group with its members."""
    if group_id is not None and group_id <= ALL_USERS_GROUP:
        raise AlreadyExists(f"group id {group_id} is reserved")
    new_id = _found(rows.next_id(context_id, "group", group_id), f"context {context_id}")
    ids = _check_members(rows, context_id, members)
    rows.insert_group(context_id, new_id, name, display_name or name, now_us())
    rows.replace_members(context_id, new_id, ids)
    return load_group(rows, context_id, new_id)


def update_group(rows: Rows, context_id: int, group_id: int, *, name: str | Unset,
                 display_name: str | Unset, members: Iterable[int] | Unset) -> Group:
    """Change the given fields."""
    load_group(rows, context_id, group_id)
    columns: dict[str, Any] = {}
    if name is not UNSET:
        columns["name"] = name
    if display_name is not UNSET:
        columns["display_name"] = display_name
    ids = None if members is UNSET else _check_members(rows, context_id, members)
    rows.update_group(context_id, group_id, columns, now_us())
    if ids is not None:
        rows.replace_members(context_id, group_id, ids)
    return load_group(rows, context_id, group_id)


def delete_group(rows: Rows, context_id: int, group_id: int) -> None:
    """Delete a group and the folder permissions naming it."""
    load_group(rows, context_id, group_id)
    rows.delete_group(context_id, group_id)
