"""Run every phase against one server: start it fresh, find its collections, measure,
stop it. Servers run one after the other, so they never compete for the CPU."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench import data, davxml, servers
from bench.client import Client
from bench.measure import PhaseResult, Recorder, run_phase
from bench.phases import NOISY_KINDS, PHASES, Context
from bench.preload import preload, preloaded, warm_up

__all__ = ["Options", "run_server"]


@dataclass
class Options:
    """What to run (from the command line)."""

    items: int
    phases: list[str]
    reps: int = 10
    budget_s: float = 30.0
    mixed_s: float = 20.0
    floor: bool = True
    put_items: int = 1000
    noisy_s: float = 60.0
    noisy_rate: float = 20.0
    noisy_clients: int = 2
    noisy_scale: float = 1.0
    noisy_kinds: tuple[str, ...] = NOISY_KINDS


async def _discover(target: servers.Target, client: Client) -> list[str]:
    """Find oxdav's default calendar and address book in the homes; create the
    collections of the others. Returns problems (empty when all is well)."""
    problems = []
    for method, path, body in target.create:
        result = await client.request(method, path, body=body or None, headers={
            "Content-Type": "application/xml; charset=utf-8", "Depth": "0"})
        if not result.ok:
            problems.append(f"{method} {path}: {result.status} {result.body[:200]!r}")
    if target.home is not None:
        result = await client.request("PROPFIND", target.home, body=davxml.PROPFIND_HOME,
                                      headers={"Depth": "1"})
        calendars = [p for p, types, comps in davxml.home_collections(result.body)
                     if "calendar" in types and (not comps or "VEVENT" in comps)]
        if calendars:
            target.calendar = calendars[0]
        else:
            problems.append(f"no calendar in {target.home}: {result.status} "
                            f"{result.body[:200]!r}")
    if target.card_home is not None:
        result = await client.request("PROPFIND", target.card_home, body=davxml.PROPFIND_HOME,
                                      headers={"Depth": "1"})
        books = [p for p, types, _ in davxml.home_collections(result.body)
                 if "addressbook" in types and not p.rstrip("/").endswith("/6")]
        if books:
            target.addressbook = books[0]
        else:
            problems.append(f"no address book in {target.card_home}: {result.status} "
                            f"{result.body[:200]!r}")
    return problems


async def _floor(running: servers.Running, target: servers.Target, runs: int
                 ) -> dict[str, Any]:
    """Run :mod:`bench.floor` against the oxdav data directory (a subprocess)."""
    data_dir = running.log.parent / "data"
    login = (data_dir / "demo-login.txt").read_text().split()[0]
    folder = target.calendar.rstrip("/").rsplit("/", 1)[-1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.floor", "--data", str(data_dir), "--login", login,
        "--folder", folder, "--runs", str(runs), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, cwd=servers.REPO)
    out, err = await process.communicate()
    try:
        if process.returncode != 0:
            raise ValueError(f"exit {process.returncode}")
        return dict(json.loads(out.decode().strip().splitlines()[-1]))
    except (ValueError, IndexError) as error:
        return {"error": f"{error}: {err.decode(errors='replace')[-400:]}"}


async def run_server(name: str, workdir: Path, options: Options, base: date,
                     events: list[data.Item], cards: list[data.Item]) -> dict[str, Any]:
    """All phases against server ``name``; a server that fails to start gives a result
    with ``error`` and no phases."""
    outcome: dict[str, Any] = {"server": name, "items": options.items, "phases": {}}
    try:
        running = await servers.start(name, workdir)
    except Exception as error:  # noqa: BLE001 - one server must not end the run
        outcome["error"] = f"could not start: {error}"
        return outcome
    target = running.target
    client = Client(target.urls, target.headers, connections=20,
                    ssl_context=target.ssl_context)
    try:
        problems = await _discover(target, client)
        if problems:
            outcome["setup_problems"] = problems
        outcome["calendar"], outcome["addressbook"] = target.calendar, target.addressbook
        ctx = Context(target, client, options.items, base, events, cards, reps=options.reps,
                      budget_s=options.budget_s, mixed_s=options.mixed_s,
                      put_items=options.put_items, noisy_s=options.noisy_s,
                      noisy_rate=options.noisy_rate, noisy_clients=options.noisy_clients,
                      noisy_scale=options.noisy_scale, noisy_kinds=options.noisy_kinds,
                      server_dir=running.log.parent)
        if preloaded(ctx)[0]:
            print(f"bench: {name} {options.items} items: preload ...", file=sys.stderr,
                  flush=True)

            async def fill(rec: Recorder) -> None:
                await preload(ctx, running, rec)
                await warm_up(ctx, rec)
            outcome["preload"] = (await run_phase("preload", running.pids, fill)).as_dict()
        for phase in options.phases:
            print(f"bench: {name} {options.items} items: {phase} ...", file=sys.stderr,
                  flush=True)
            result: PhaseResult = await run_phase(
                phase, running.pids, lambda rec, p=phase: PHASES[p](ctx, rec))
            outcome["phases"][phase] = result.as_dict()
            if result.errors:
                print(f"bench:   {result.errors} errors, e.g. {result.error_samples[:1]}",
                      file=sys.stderr, flush=True)
            if phase == "propfind-d1-cal" and options.floor and name == "oxdav":
                # the same rows as the PROPFIND just measured, before later phases add any
                outcome["floor"] = await _floor(running, target, max(3, options.reps))
    finally:
        await client.close()
        await servers.stop(running)
    return outcome
