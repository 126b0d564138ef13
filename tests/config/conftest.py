"""Helpers to write configuration directories for the config tests."""

from collections.abc import Callable
from pathlib import Path

import pytest

WriteConfig = Callable[..., Path]


@pytest.fixture
def config_dir(tmp_path: Path) -> WriteConfig:
    """Write files into a fresh config directory: ``config_dir(**{"a.properties": text})``.

    Names under ``contextSets/`` are written into that subdirectory.
    """

    def write(**files: str) -> Path:
        for name, text in files.items():
            path = tmp_path / name.replace("__", "/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return tmp_path

    return write
