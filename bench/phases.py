"""The benchmark operations, in the order they run against one server.

Each phase is ``async def phase(ctx, rec)``; it records every timed request in ``rec``
and never raises for a server's failure (a failed request is an error in its row).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bench import data, davxml
from bench.client import Client, Result
from bench.measure import Recorder, pool, repeat
from bench.noisy import KINDS as NOISY_KINDS
from bench.noisy import noisy_neighbour
from bench.servers import Target

__all__ = ["Context", "PHASES"]


@dataclass
class Context:
    """Everything the phases share for one server and one collection size."""

    target: Target
    client: Client
    items: int
    base: date
    events: list[data.Item]
    cards: list[data.Item]
    reps: int = 10
    budget_s: float = 30.0
    mixed_s: float = 20.0
    put_items: int = 1000
    noisy_s: float = 60.0
    noisy_rate: float = 20.0
    noisy_clients: int = 2
    noisy_scale: float = 1.0
    noisy_kinds: tuple[str, ...] = NOISY_KINDS
    server_dir: Path | None = None
    seed: int = 7
    sync_token: str | None = None
    revision: int = 0
    state: dict[str, object] = field(default_factory=dict)

    def event_path(self, item: data.Item) -> str:
        return self.target.calendar + item.name

    def card_path(self, item: data.Item) -> str:
        return self.target.addressbook + item.name


def _put(ctx: Context, path: str, item: data.Item, *, create: bool = True
         ) -> Awaitable[Result]:
    headers = {"Content-Type": item.content_type}
    if create:
        headers["If-None-Match"] = "*"
    return ctx.client.request("PUT", path, body=item.body, headers=headers,
                              expect=(201, 204))


def _uploads(ctx: Context, half: int) -> list[tuple[str, data.Item]]:
    """Half ``0`` or ``1`` of the measured uploads: the last ``put_items`` events and
    cards (the ones before them are preloaded, see :mod:`bench.preload`)."""
    keep = min(ctx.put_items, len(ctx.events))
    measured_e, measured_c = ctx.events[-keep:] if keep else [], ctx.cards[-keep:] if keep else []
    cut = keep // 2
    events = measured_e[:cut] if half == 0 else measured_e[cut:]
    cards = measured_c[:cut] if half == 0 else measured_c[cut:]
    return [(ctx.event_path(e), e) for e in events] + [(ctx.card_path(c), c) for c in cards]


async def put_sequential(ctx: Context, rec: Recorder) -> None:
    """PUT (create) the first half of the measured events and cards, one at a time."""
    for path, item in _uploads(ctx, 0):
        rec.add(await _put(ctx, path, item))


async def put_concurrent(ctx: Context, rec: Recorder) -> None:
    """PUT (create) the second half with 8 concurrent clients."""
    async def one(entry: tuple[str, data.Item]) -> None:
        rec.add(await _put(ctx, entry[0], entry[1]))
    await pool(8, _uploads(ctx, 1), one)


def _propfind(path: str) -> Callable[[Context, Recorder], Awaitable[None]]:
    async def phase(ctx: Context, rec: Recorder) -> None:
        collection = getattr(ctx.target, path)

        async def once() -> None:
            result = await ctx.client.request(
                "PROPFIND", collection, body=davxml.PROPFIND_ETAGS,
                headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
            found = davxml.count_responses(result.body) if result.ok else 0
            rec.notes["responses"] = found
            rec.add(result, ok=result.ok and found >= ctx.items)
        await repeat(once, ctx.reps, ctx.budget_s)
    return phase


def _multiget(kind: str) -> Callable[[Context, Recorder], Awaitable[None]]:
    async def phase(ctx: Context, rec: Recorder) -> None:
        rng = random.Random(ctx.seed)
        source = ctx.events if kind == "cal" else ctx.cards
        collection = ctx.target.calendar if kind == "cal" else ctx.target.addressbook
        size = min(100, len(source))

        async def once() -> None:
            paths = [collection + i.name for i in rng.sample(source, size)]
            result = await ctx.client.request(
                "REPORT", collection, body=davxml.multiget(kind, paths),
                headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
            found = davxml.count_responses(result.body) if result.ok else 0
            rec.add(result, ok=result.ok and found == size)
        await repeat(once, ctx.reps * 2, ctx.budget_s)
    return phase


def _query(expand: bool) -> Callable[[Context, Recorder], Awaitable[None]]:
    async def phase(ctx: Context, rec: Recorder) -> None:
        start, end = data.query_month(ctx.base)
        body = davxml.calendar_query(start, end, expand=expand)

        async def once() -> None:
            result = await ctx.client.request(
                "REPORT", ctx.target.calendar, body=body,
                headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
            rec.notes["responses"] = davxml.count_responses(result.body) if result.ok else 0
            rec.add(result)
        await repeat(once, ctx.reps, ctx.budget_s)
    return phase


async def _sync(ctx: Context, token: str | None) -> Result:
    return await ctx.client.request(
        "REPORT", ctx.target.calendar, body=davxml.sync_collection(token),
        headers={"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})


async def sync_initial(ctx: Context, rec: Recorder) -> None:
    """sync-collection with an empty token: every member."""
    async def once() -> None:
        result = await _sync(ctx, None)
        found = davxml.count_responses(result.body) if result.ok else 0
        rec.notes["responses"] = found
        rec.add(result, ok=result.ok and found >= ctx.items)
        if result.ok:
            ctx.sync_token = davxml.sync_token(result.body)
    await repeat(once, ctx.reps, ctx.budget_s)


async def sync_after_changes(ctx: Context, rec: Recorder) -> None:
    """Change 10 events (untimed), then sync-collection from the previous token."""
    if not ctx.sync_token:
        rec.fail("no sync token from the initial sync")
        return

    async def once() -> None:
        ctx.revision += 1
        start = (ctx.revision * 10) % max(1, len(ctx.events) - 10)
        for index in range(start, start + 10):
            item = data.changed_event(index, ctx.base, ctx.revision)
            rec.add_untimed(await _put(ctx, ctx.event_path(item), item, create=False))
        result = await _sync(ctx, ctx.sync_token)
        found = davxml.count_responses(result.body) if result.ok else 0
        rec.notes["responses"] = found
        rec.add(result, ok=result.ok and found >= 10)
        if result.ok:
            ctx.sync_token = davxml.sync_token(result.body) or ctx.sync_token
    await repeat(once, ctx.reps, ctx.budget_s)
    rec.notes["cpu"] = "includes the 10 untimed PUTs per sync"


async def get_concurrent(ctx: Context, rec: Recorder) -> None:
    """GET events and cards with 16 concurrent connections (up to 4,000 requests)."""
    rng = random.Random(ctx.seed + 1)
    paths = [ctx.event_path(e) for e in ctx.events] + [ctx.card_path(c) for c in ctx.cards]
    rng.shuffle(paths)

    async def one(path: str) -> None:
        rec.add(await ctx.client.request("GET", path, expect=(200,)))
    await pool(16, paths[:4000], one)


async def mixed(ctx: Context, rec: Recorder) -> None:
    """20 simulated clients polling for ``mixed_s`` seconds, back to back: ctag and
    sync-token of the calendar and the address book (PROPFIND Depth 0), a
    sync-collection when the calendar's token moved, and a PUT in one loop of 20."""
    deadline = time.monotonic() + ctx.mixed_s
    start_token = ctx.sync_token

    async def client(number: int) -> None:
        rng = random.Random(ctx.seed * 100 + number)
        seen = start_token
        loop = 0
        while time.monotonic() < deadline:
            loop += 1
            for collection in (ctx.target.calendar, ctx.target.addressbook):
                result = rec.add(await ctx.client.request(
                    "PROPFIND", collection, body=davxml.PROPFIND_CTAG,
                    headers={"Depth": "0", "Content-Type": "application/xml; charset=utf-8"}))
                if collection == ctx.target.calendar and result.ok:
                    token = davxml.sync_token(result.body)
                    if token and token != seen:
                        synced = rec.add(await _sync(ctx, seen))
                        if synced.ok:
                            seen = davxml.sync_token(synced.body) or token
            if rng.randrange(20) == 0:
                item = data.event(1_000_000 + number * 10_000 + loop, ctx.base)
                rec.add(await _put(ctx, ctx.event_path(item), item))

    await asyncio.gather(*(client(n) for n in range(20)))


PHASES: dict[str, Callable[[Context, Recorder], Awaitable[None]]] = {
    "put-seq": put_sequential,
    "put-8": put_concurrent,
    "propfind-d1-cal": _propfind("calendar"),
    "propfind-d1-card": _propfind("addressbook"),
    "multiget-cal-100": _multiget("cal"),
    "multiget-card-100": _multiget("card"),
    "query-month": _query(False),
    "query-month-expand": _query(True),
    "sync-initial": sync_initial,
    "sync-10-changes": sync_after_changes,
    "get-16": get_concurrent,
    "mixed-20": mixed,
    "noisy": noisy_neighbour,
}
"""Phase name → operation, in running order (later phases need the data of put-*)."""
