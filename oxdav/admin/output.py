"""Printing listings as an aligned table or as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO


def print_rows(out: TextIO, columns: Sequence[str], rows: Sequence[dict[str, Any]], *,
               as_json: bool) -> None:
    """Print ``rows`` (dicts keyed by ``columns``) as JSON or an aligned text table."""
    if as_json:
        json.dump(list(rows), out, indent=2, sort_keys=False, default=str)
        out.write("\n")
        return
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(column)] + [len(line[i]) for line in cells])
              for i, column in enumerate(columns)]
    for line in [list(columns), *cells]:
        padded = (text.ljust(width) for text, width in zip(line, widths, strict=True))
        out.write("  ".join(padded).rstrip())
        out.write("\n")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | frozenset | set):
        return ",".join(str(item) for item in value) or "-"
    if isinstance(value, dict):
        return ",".join(f"{key}={item}" for key, item in value.items()) or "-"
    return _printable(str(value))


def _printable(text: str) -> str:
    """``text`` with control and other unprintable characters escaped (``\\x1b``), so
    that stored names cannot move the terminal's cursor or hide in the table."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
