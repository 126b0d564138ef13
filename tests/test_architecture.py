"""The layering rule of ARCHITECTURE.md: which package of oxdav may import which, read
from the table on that page, and no import circles between modules."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "oxdav"


def layer_table() -> dict[str, tuple[set[str], set[str]]]:
    """package -> (oxdav packages it may import, what it never imports), from the page."""
    text = (REPO / "ARCHITECTURE.md").read_text()
    rows = text.split("<!-- layers:", 1)[1].split("\n\n", 1)[0].splitlines()
    table = {}
    for row in rows:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        names = [set(re.findall(r"`([\w.]+)`", cell)) for cell in cells]
        (package,) = names[0]
        table[package] = (names[2], names[3])
    return table


TABLE = layer_table()


def modules() -> Iterator[tuple[str, Path]]:
    """Every module of oxdav by dotted name."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def imports(name: str, path: Path) -> Iterator[str]:
    """The absolute names ``path`` imports, also inside functions and TYPE_CHECKING;
    ``from a import b`` gives ``a.b`` (a module or a name in ``a``)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                stem = package[:len(package) - node.level + 1]
                base = ".".join([*stem, base] if base else stem)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def layer_of(module: str) -> str:
    """``oxdav.web.root`` -> ``web``; ``oxdav.tls`` -> ``tls``."""
    return module.split(".")[1]


MODULES = dict(modules())
LAYERS = {layer_of(name) for name in MODULES if name != "oxdav"}


def test_every_package_and_module_of_oxdav_has_a_row() -> None:
    assert set(TABLE) == LAYERS, "ARCHITECTURE.md's layer table and oxdav/ differ"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "oxdav"))
def test_imports_follow_the_layer_table(name: str) -> None:
    layer = layer_of(name)
    allowed, banned = TABLE[layer]
    for imported in set(imports(name, MODULES[name])):
        if imported.startswith("oxdav.") and layer_of(imported) in LAYERS:  # not __version__
            other = layer_of(imported)
            assert other == layer or other in allowed, (
                f"{name} imports {imported}: ARCHITECTURE.md lets {layer} import "
                f"{sorted(allowed) or 'nothing of oxdav'}")
        for ban in banned:
            assert imported != ban and not imported.startswith(f"{ban}."), (
                f"{name} imports {imported}, which {layer} never imports")


def module_graph() -> dict[str, set[str]]:
    """module -> the oxdav modules it imports (its own ancestors left out: Python runs a
    package's __init__ before its modules anyway)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        graph[name] = {i for i in imports(name, path)
                       if i in MODULES and i != name and i not in ancestors}
    return graph


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = module_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert circles == []


@pytest.mark.parametrize("name", ["oxdav.scheduling.itip", "oxdav.scheduling.busy"])
def test_the_itip_side_of_scheduling_is_protocol_free(name: str) -> None:
    """iTIP over iCalendar knows neither HTTP, XML, DAV nor the store."""
    for imported in set(imports(name, MODULES[name])):
        assert not imported.startswith(("oxdav.dav", "oxdav.caldav", "oxdav.store", "lxml",
                                        "twisted")), f"{name} imports {imported}"


def test_push_sits_above_the_protocol_and_the_store() -> None:
    # The DAV layer names what it needs of push (dav.push.PushService); oxdav.push
    # sends, and nothing it builds on imports it back.
    allowed, _ = TABLE["push"]
    assert allowed <= {"dav", "store", "config", "work"}
    assert all("push" not in TABLE[below][0] for below in ("dav", "store", "config"))
