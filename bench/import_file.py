"""Import and export of one large calendar file with ``oxdav-admin folder import|export``.

    ./dev shell -c 'python -m bench.import_file --events 10000'

Makes a fresh configuration and store (SQLite in a temporary directory), a context, a
user and an empty calendar, writes the bench's deterministic events (``bench.data``,
all ten kinds, series with overrides, VTIMEZONEs) as one iCalendar file the way a GET
of a calendar writes one, and times the real command line: the import (every object
split by UID, validated as a PUT, stored 200 per transaction) and the export of the
filled folder. Prints one JSON document: wall and CPU seconds, events per second, the
peak RSS of the command, and the counts the import reported.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import data
from oxdav.caldav.calendar_file import CALENDAR_END, calendar_chunk, calendar_header

REPO = Path(__file__).resolve().parents[1]


def calendar_file(count: int) -> bytes:
    """``count`` bench events as one iCalendar file (each VTIMEZONE once)."""
    bodies = [item.body for item in data.events(count, data.base_date())]
    chunk, _, broken = calendar_chunk(bodies, frozenset())
    assert not broken
    return calendar_header("bench") + chunk + CALENDAR_END


def admin(config: Path, *args: str, stdin: str | None = None) -> tuple[str, dict[str, float]]:
    """Run ``oxdav-admin``; its output and the wall, CPU and peak RSS it took."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "oxdav.admin.main", "-c", str(config), *args], input=stdin,
        capture_output=True, text=True, check=False,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"oxdav-admin {' '.join(args)} failed ({done.returncode}):\n"
                         f"{done.stderr[-2000:]}")
    return done.stdout, {
        "wall_s": round(wall, 2),
        "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2),
        "peak_rss_mb": round(after.ru_maxrss / 1024, 1)}


def run(count: int, directory: Path) -> dict[str, Any]:
    config = directory / "etc"
    config.mkdir()
    (config / "oxdav.properties").write_text(
        "oxdav.dataDir = data\noxdav.listen.https = 127.0.0.1:0\n")
    admin(config, "context", "create", "bench", "--mapping", "bench.test")
    admin(config, "user", "create", "bench", "ann", "--password-stdin", "--email",
          "ann@bench.test", stdin="bench-secret\n")
    out, _ = admin(config, "folder", "create", "bench", "ann", "Imported",
                   "--module", "calendar")
    folder = out.split()[2]
    file = directory / "events.ics"
    file.write_bytes(calendar_file(count))
    out, imported = admin(config, "folder", "import", "bench", "ann", folder, str(file))
    summary = out.strip().splitlines()[-1]
    exported_file = directory / "export.ics"
    _, exported = admin(config, "folder", "export", "bench", "ann", folder, "-o",
                        str(exported_file))
    return {
        "events": count, "file_bytes": file.stat().st_size, "import": {
            **imported, "events_per_s": round(count / imported["wall_s"], 1),
            "report": summary},
        "export": {**exported, "bytes": exported_file.stat().st_size,
                   "events_per_s": round(count / exported["wall_s"], 1)},
        "cpus": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.import_file",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="oxdav-bench-import-") as directory:
        print(json.dumps(run(args.events, Path(directory)), indent=2))


if __name__ == "__main__":
    main()
