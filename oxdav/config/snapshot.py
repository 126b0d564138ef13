"""Loading a configuration directory into an immutable snapshot, and the holder that
swaps snapshots on reload (DESIGN.md §6, OPS.md §B3).

A :class:`ConfigSnapshot` never changes after it is built. A request reads
``holder.current`` once when it starts and keeps that snapshot, so a reload in the
middle of a request never shows it half of two configurations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oxdav.config.cascade import Scope, ScopedView, resolve_view
from oxdav.config.contextsets import ContextSet, Setting, load_context_sets
from oxdav.config.declarations import DECLARATIONS, OWNED_PREFIXES
from oxdav.config.problems import ConfigError, Problem, Source
from oxdav.config.properties import PropertiesSyntaxError, read_properties


@dataclass(frozen=True, eq=False)
class ConfigSnapshot:
    """One complete, validated configuration.

    Attributes:
        directory: the configuration directory (relative paths are resolved against it).
        settings: every declared property at server level (file value or default).
        context_sets: the context sets, in the order they were read.
        warnings: things worth logging that did not stop the load.
    """

    directory: Path
    settings: Mapping[str, Setting]
    context_sets: tuple[ContextSet, ...]
    warnings: tuple[str, ...] = ()
    _views: dict[Scope, ScopedView] = field(default_factory=dict, compare=False, repr=False)

    def get(self, name: str) -> Any:
        """The server-level value of a declared property."""
        return self.settings[name].value

    def path(self, name: str, base: Path | None = None) -> Path:
        """A path-valued property, resolved against ``base`` (default: config directory)."""
        return ((base or self.directory) / Path(self.get(name)).expanduser()).resolve()

    def explicitly_set(self, name: str) -> bool:
        """Whether the value came from a file rather than the built-in default."""
        return self.settings[name].source is not None

    def for_scope(self, scope: Scope) -> ScopedView:
        """The view of one user through the cascade: user → context → context sets → server.

        Views are cached per scope for the life of this snapshot.
        """
        view = self._views.get(scope)
        if view is None:
            view = resolve_view(self.settings, self.context_sets, scope)
            if len(self._views) > 10_000:  # bounded: scopes of idle users fall out
                self._views.clear()
            self._views[scope] = view
        return view


class ConfigHolder:
    """The current snapshot, replaced whole by :meth:`swap`."""

    def __init__(self, snapshot: ConfigSnapshot) -> None:
        self.current = snapshot

    def swap(self, snapshot: ConfigSnapshot) -> ConfigSnapshot:
        """Make ``snapshot`` current; return the previous one."""
        previous, self.current = self.current, snapshot
        return previous


def load_config(directory: Path) -> ConfigSnapshot:
    """Read ``directory/*.properties`` and ``directory/contextSets/*.yml``.

    Raises:
        ConfigError: listing every problem found (file, line, property, what is allowed).
    """
    directory = directory.resolve()
    problems: list[Problem] = []
    warnings: list[str] = []
    if not directory.is_dir():
        raise ConfigError([Problem(Source(directory), None, "is not a directory")])
    settings = _load_properties(directory, problems, warnings)
    context_sets = load_context_sets(directory / "contextSets", problems)
    if problems:
        raise ConfigError(problems)
    return ConfigSnapshot(directory, settings, tuple(context_sets), tuple(warnings))


def _load_properties(directory: Path, problems: list[Problem],
                     warnings: list[str]) -> dict[str, Setting]:
    found: dict[str, Setting] = {}
    for path in sorted(directory.glob("*.properties")):
        try:
            entries = read_properties(path)
        except PropertiesSyntaxError as error:
            problems.append(Problem(Source(path, error.line), None, str(error)))
            continue
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(Source(path), None, f"cannot read: {error}"))
            continue
        for entry in entries:
            where = Source(path, entry.line)
            declaration = DECLARATIONS.get(entry.key)
            if declaration is None:
                if entry.key.startswith(OWNED_PREFIXES):
                    problems.append(Problem(where, entry.key, "unknown property"))
                else:
                    warnings.append(f"{where}: {entry.key}: not an oxdav property, ignored")
                continue
            if entry.key in found and found[entry.key].source is not None:
                problems.append(Problem(where, entry.key,
                                        f"also set at {found[entry.key].source}"))
                continue
            try:
                found[entry.key] = Setting(declaration.parse(entry.value), entry.value, where)
            except ValueError as error:
                problems.append(Problem(where, entry.key,
                                        f"{error}; allowed: {declaration.kind.allowed}"))
    for name, declaration in DECLARATIONS.items():
        if name not in found:
            found[name] = Setting(declaration.parse(declaration.default), declaration.default,
                                  None)
    return found


def restart_required(old: ConfigSnapshot, new: ConfigSnapshot) -> list[str]:
    """Names of non-reloadable properties whose value differs between two snapshots."""
    return sorted(
        name for name, declaration in DECLARATIONS.items()
        if not declaration.reloadable and old.settings[name].text != new.settings[name].text
    )
