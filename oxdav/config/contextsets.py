"""Context sets: ``contextSets/*.yml`` (DESIGN.md §6).

Each file is a YAML mapping (read with the safe loader only). Each top-level key names a
set; its value is a mapping of

* ``withTags`` (mandatory): a tag expression (:mod:`oxdav.config.tagexpr`), or a YAML
  list of tags that must all be present;
* ``addTags`` (optional): tags added to a user that matches the set, as a
  comma/whitespace-separated string or a YAML list (they may make further sets match:
  tags are collected to a fixpoint);
* any number of cascade-aware properties with their values.

Example (the OX sample, ``contextSets/caldav.yml``)::

    premium:
        com.openexchange.caldav.enabled: true
        withTags: ucInfostore

Files are read in name order and sets in file order; when two matching sets give the
same property different values, the one read last wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from oxdav.config.declarations import DECLARATIONS
from oxdav.config.problems import Problem, Source
from oxdav.config.tagexpr import TagExpression, TagExpressionError, parse_tag_expression

RESERVED = ("withTags", "addTags")


@dataclass(frozen=True)
class Setting:
    """A parsed property value and where it came from."""

    value: Any
    text: str
    source: Source | None


@dataclass(frozen=True)
class ContextSet:
    """One named set of a contextSets file."""

    name: str
    source: Source
    with_tags: TagExpression
    add_tags: frozenset[str]
    settings: dict[str, Setting]


def load_context_sets(directory: Path, problems: list[Problem]) -> list[ContextSet]:
    """Read every ``*.yml``/``*.yaml`` file of ``directory`` (missing = none).

    Problems are appended to ``problems``; sets with problems are left out.
    """
    if not directory.is_dir():
        return []
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml"))
    sets: list[ContextSet] = []
    for path in files:
        sets.extend(_load_file(path, problems))
    return sets


def _load_file(path: Path, problems: list[Problem]) -> list[ContextSet]:
    try:
        # compose, not load: the node tree keeps line numbers and builds no objects.
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        line = getattr(getattr(error, "problem_mark", None), "line", -1) + 1
        problems.append(Problem(Source(path, line or None), None, f"cannot read: {error}"))
        return []
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        problems.append(Problem(_source(path, root), None, "expected a mapping of set names"))
        return []
    sets = []
    for key_node, value_node in root.value:
        found = _load_set(path, key_node, value_node, problems)
        if found is not None:
            sets.append(found)
    return sets


def _source(path: Path, node: yaml.Node) -> Source:
    return Source(path, node.start_mark.line + 1)


def _load_set(path: Path, key_node: yaml.Node, node: yaml.Node,
              problems: list[Problem]) -> ContextSet | None:
    name = str(key_node.value)
    where = _source(path, key_node)
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(where, None, f"context set {name!r} is not a mapping"))
        return None
    fields = {str(k.value): v for k, v in node.value}
    before = len(problems)
    if "withTags" not in fields:
        problems.append(Problem(where, None, f"context set {name!r} has no withTags"))
    with_tags = _with_tags(path, fields.get("withTags"), problems)
    add_tags = _tag_list(path, fields.get("addTags"), problems)
    settings: dict[str, Setting] = {}
    for prop_name, value_node in fields.items():
        if prop_name in RESERVED:
            continue
        setting = _setting(path, prop_name, value_node, problems)
        if setting is not None:
            settings[prop_name] = setting
    if len(problems) > before or with_tags is None:
        return None
    return ContextSet(name, where, with_tags, add_tags, settings)


def _scalar_text(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return None


def _with_tags(path: Path, node: yaml.Node | None,
               problems: list[Problem]) -> TagExpression | None:
    if node is None:
        return None
    text = _scalar_text(node)
    if text is None and isinstance(node, yaml.SequenceNode):
        items = [_scalar_text(item) for item in node.value]
        if all(items) and items:
            text = " & ".join(f"({item})" for item in items if item)
    if not text:
        problems.append(Problem(_source(path, node), "withTags", "needs a tag expression"))
        return None
    try:
        return parse_tag_expression(text)
    except TagExpressionError as error:
        problems.append(Problem(_source(path, node), "withTags", str(error)))
        return None


def _tag_list(path: Path, node: yaml.Node | None, problems: list[Problem]) -> frozenset[str]:
    if node is None:
        return frozenset()
    if isinstance(node, yaml.SequenceNode):
        items = [_scalar_text(item) or "" for item in node.value]
    else:
        items = re.split(r"[\s,]+", _scalar_text(node) or "")
    tags = frozenset(item.strip().lower() for item in items if item.strip())
    if any(re.search(r"[&|!()]", tag) for tag in tags):
        problems.append(Problem(_source(path, node), "addTags", "tags cannot contain & | ! ( )"))
    return tags


def _setting(path: Path, name: str, node: yaml.Node,
             problems: list[Problem]) -> Setting | None:
    where = _source(path, node)
    declaration = DECLARATIONS.get(name)
    if declaration is None:
        problems.append(Problem(where, name, "unknown property"))
        return None
    if not declaration.cascade:
        problems.append(Problem(where, name, "is a server-wide property and cannot be set "
                                             "in a context set (only in *.properties)"))
        return None
    text = _scalar_text(node)
    if text is None:
        problems.append(Problem(where, name, "needs a single value"))
        return None
    try:
        return Setting(declaration.parse(text), text, where)
    except ValueError as error:
        problems.append(Problem(where, name, f"{error}; allowed: {declaration.kind.allowed}"))
        return None
