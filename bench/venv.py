"""The bench's own environment, ``.venv-bench``: Radicale and Xandikos from PyPI.

Kept apart from ``.venv`` so their pinned dependencies (vobject, icalendar, dulwich…)
never change what oxdav runs with. Created on first use; pass ``--no-install`` to use
it as it is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.servers import BENCH_VENV

__all__ = ["ensure_bench_venv", "versions", "PACKAGES"]

PACKAGES = ("radicale", "xandikos")


def ensure_bench_venv(venv: Path = BENCH_VENV) -> None:
    """Create ``venv`` with :data:`PACKAGES` unless their commands are already there."""
    if all((venv / "bin" / name).exists() for name in PACKAGES):
        return
    print(f"bench: installing {', '.join(PACKAGES)} into {venv}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    *PACKAGES], check=True)


def versions(venv: Path = BENCH_VENV) -> dict[str, str]:
    """Installed versions of the compared servers (empty if the venv is missing)."""
    python = venv / "bin" / "python"
    if not python.exists():
        return {}
    code = ("import importlib.metadata as m\n"
            "for n in ('radicale', 'xandikos'):\n"
            "    try: print(n, m.version(n))\n"
            "    except m.PackageNotFoundError: pass\n")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
