"""The config cascade: user → context → context sets → server (DESIGN.md §6).

For one user, the value of a cascade-aware property is the first one found in

1. the user's own overrides (stored with the user, set with ``oxdav-admin``),
2. the context's overrides,
3. the context sets whose ``withTags`` match the user's tags (later sets win),
4. the server level (``*.properties``, else the declared default).

Server-wide properties (``cascade=False``) only ever come from level 4.

The user's tags start from the base tags (context name and id, the context's
``taxonomy/types``, ``uc`` + each module permission — :mod:`oxdav.directory.tags`), and
grow by the ``addTags`` of every matching set until nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from oxdav.config.contextsets import ContextSet, Setting
from oxdav.config.declarations import DECLARATIONS
from oxdav.config.tagexpr import normalise_tags


@dataclass(frozen=True)
class Scope:
    """What the cascade needs to know about one user; hashable, so views can be cached."""

    tags: frozenset[str]
    context_config: tuple[tuple[str, str], ...] = ()
    user_config: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, tags: Iterable[str], context_config: Mapping[str, str] | None = None,
           user_config: Mapping[str, str] | None = None) -> Scope:
        """Build a scope from plain collections."""
        return cls(normalise_tags(tags), tuple(sorted((context_config or {}).items())),
                   tuple(sorted((user_config or {}).items())))


@dataclass(frozen=True)
class ScopedView:
    """The configuration as one user sees it.

    Attributes:
        tags: the user's final tag set (lower case), after ``addTags``.
        values: every declared property's value for this user.
        origins: where each value came from, for ``oxdav-admin`` and logs.
        warnings: overrides that were ignored because they are not valid.
    """

    tags: frozenset[str]
    values: Mapping[str, Any]
    origins: Mapping[str, str]
    warnings: tuple[str, ...]

    def get(self, name: str) -> Any:
        """The value of a declared property for this user."""
        return self.values[name]


def matching_sets(context_sets: Iterable[ContextSet],
                  tags: frozenset[str]) -> tuple[frozenset[str], list[ContextSet]]:
    """Grow ``tags`` by ``addTags`` to a fixpoint; return them and the matching sets."""
    sets = list(context_sets)
    while True:
        matched = [s for s in sets if s.with_tags.matches(tags)]
        grown = tags.union(*(s.add_tags for s in matched))
        if grown == tags:
            return tags, matched
        tags = grown


def resolve_view(server: Mapping[str, Setting], context_sets: Iterable[ContextSet],
                 scope: Scope) -> ScopedView:
    """Resolve every declared property for ``scope``."""
    tags, matched = matching_sets(context_sets, scope.tags)
    values = {name: setting.value for name, setting in server.items()}
    origins = {name: f"server ({setting.source})" if setting.source else "default"
               for name, setting in server.items()}
    warnings: list[str] = []
    for context_set in matched:  # later sets override earlier ones
        for name, setting in context_set.settings.items():
            values[name] = setting.value
            origins[name] = f"context set {context_set.name} ({setting.source})"
    for level, overrides in (("context", scope.context_config), ("user", scope.user_config)):
        for name, text in overrides:
            declaration = DECLARATIONS.get(name)
            if declaration is None or not declaration.cascade:
                warnings.append(f"{level} override {name}: not a cascade-aware property")
                continue
            try:
                values[name] = declaration.parse(text)
            except ValueError as error:
                warnings.append(f"{level} override {name}={text!r} ignored: {error}")
                continue
            origins[name] = level
    return ScopedView(tags, values, origins, tuple(warnings))
