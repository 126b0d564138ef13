"""``./dev bench`` (``python -m bench``): oxdav against Radicale and Xandikos.

    ./dev bench                         1,000 items, all four columns
    ./dev bench --items 1000 --items 10000
    ./dev bench --servers oxdav --items 200 --mixed-seconds 5

Prints the side-by-side tables and writes the raw results to
``bench/results/<UTC time>.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import oxdav
from bench import data, report, servers
from bench.phases import NOISY_KINDS, PHASES
from bench.run import Options, run_server
from bench.venv import ensure_bench_venv, versions

__all__ = ["main", "bench"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, action="append",
                        help="events and cards per collection (repeatable; default 1000)")
    parser.add_argument("--servers", default=",".join(servers.SERVERS),
                        help=f"comma-separated columns (default {','.join(servers.SERVERS)})")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help="comma-separated phases (default: all, in order)")
    parser.add_argument("--reps", type=int, default=10,
                        help="repetitions of each single-request phase (default 10)")
    parser.add_argument("--budget", type=float, default=30.0,
                        help="seconds after which a repeated phase stops early (default 30)")
    parser.add_argument("--mixed-seconds", type=float, default=20.0,
                        help="duration of the mixed load (default 20)")
    parser.add_argument("--put-items", type=int, default=1000,
                        help="events and cards uploaded by the measured PUT phases; the "
                             "rest of a larger collection is preloaded first (default 1000)")
    parser.add_argument("--noisy-seconds", type=float, default=60.0,
                        help="noisy phase: seconds of noise next to the quiet tenant's GETs; "
                             "a third of it first without noise (default 60)")
    parser.add_argument("--noisy-rate", type=float, default=20.0,
                        help="noisy phase: the quiet tenant's GETs per second (default 20)")
    parser.add_argument("--noisy-clients", type=int, default=2,
                        help="noisy phase: heavy requests in flight at once (default 2)")
    parser.add_argument("--noisy-scale", type=float, default=1.0,
                        help="noisy phase: fraction of the limits the heavy data and the "
                             "multiget use (default 1: all the limits allow)")
    parser.add_argument("--noisy-kinds", default=",".join(NOISY_KINDS),
                        help="noisy phase: the heavy requests each noisy client sends in "
                             f"turn (default {','.join(NOISY_KINDS)})")
    parser.add_argument("--out", type=Path, help="JSON results file")
    parser.add_argument("--workdir", type=Path, help="keep server data here (default: temp)")
    parser.add_argument("--no-install", action="store_true",
                        help="do not create .venv-bench (Radicale/Xandikos columns fail "
                             "if it is missing)")
    parser.add_argument("--profile", action="store_true",
                        help="run oxdav under cProfile (reactor thread) and print the top "
                             "functions; use with --phases and --workdir")
    parser.add_argument("--no-floor", action="store_true", help="skip the in-process floor")
    return parser


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    try:
        with open("/proc/cpuinfo") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle
                          if line.startswith("model name")), "")
    except OSError:
        model = ""
    return {"cpus": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_at_start": os.getloadavg()}


async def bench(options: Options, names: list[str], workdir: Path,
                sizes: list[int]) -> dict[str, Any]:
    """Run every size against every server; returns the JSON document."""
    document: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
        "versions": {"oxdav": oxdav.__version__, **versions()},
        "command": " ".join(["./dev bench", *sys.argv[1:]]), "sizes": []}
    base = data.base_date()
    document["data_base_date"] = base.isoformat()
    for size in sizes:
        events, cards = data.events(size, base), data.cards(size)
        result: dict[str, Any] = {"items": size, "servers": []}
        for name in names:
            opts = dataclasses.replace(options, items=size)
            start = time.perf_counter()
            outcome = await run_server(name, workdir / f"{name}-{size}", opts, base,
                                       events, cards)
            outcome["total_s"] = time.perf_counter() - start
            result["servers"].append(outcome)
        document["sizes"].append(result)
    document["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return document


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    args = _parser().parse_args(argv)
    names = [n.strip() for n in args.servers.split(",") if n.strip()]
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    kinds = tuple(k.strip() for k in args.noisy_kinds.split(",") if k.strip())
    unknown = [n for n in names if n not in servers.SERVERS] + [
        p for p in phases if p not in PHASES] + [k for k in kinds if k not in NOISY_KINDS]
    if unknown:
        print(f"bench: unknown server, phase or noisy request: {', '.join(unknown)}",
              file=sys.stderr)
        return 2
    if not args.no_install and {"radicale", "xandikos"} & set(names):
        ensure_bench_venv()
    servers.PROFILE_OXDAV = args.profile
    options = Options(0, phases, args.reps, args.budget, args.mixed_seconds, not args.no_floor,
                      args.put_items, noisy_s=args.noisy_seconds, noisy_rate=args.noisy_rate,
                      noisy_clients=args.noisy_clients, noisy_scale=args.noisy_scale,
                      noisy_kinds=kinds or NOISY_KINDS)
    sizes = args.items or [1000]
    with tempfile.TemporaryDirectory(prefix="oxdav-bench-") as temp:
        workdir = args.workdir or Path(temp)
        try:
            document = asyncio.run(bench(options, names, workdir, sizes))
        finally:
            servers.shutdown()
    out = args.out or (servers.REPO / "bench" / "results" /
                       f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1) + "\n")
    print(report.tables(document))
    if args.profile and args.workdir:
        for stats in sorted(args.workdir.glob("oxdav*/oxdav*.pstats")):
            print(f"\n### profile {stats}\n")
            for order in ("tottime", "cumulative"):
                pstats.Stats(str(stats)).sort_stats(order).print_stats(20)
    print(f"raw results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
