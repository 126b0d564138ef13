"""Fill a collection up to N items before the measured PUTs (large sizes only).

The measured PUT phases upload the last ``put_items`` events and cards; everything
before them is preloaded, untimed, so that the PUTs (and every later phase) run against
a collection of the full size:

- oxdav: through HTTP PUT with 8 concurrent clients (the server's own write path: parse
  once, index, ``synchronous=FULL``).
- Radicale: the files are written into its ``collection-root`` folder (its storage
  format is one file per item) — uploading 18,000 items through Radicale's serialised
  write path would take the best part of an hour on a 2-core machine.
- Xandikos: the files are written into the collection's git work tree and committed
  with ``git`` (its storage format), for the same reason.

Both file layouts are what those servers write themselves; they build their caches on
first use, so an untimed warm-up (one listing and one query per collection) runs after
the preload for every server alike.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench import data, davxml
from bench.measure import Recorder, pool
from bench.phases import Context, _put
from bench.servers import Running

__all__ = ["preload", "warm_up", "preloaded"]


def preloaded(ctx: Context) -> tuple[list[data.Item], list[data.Item]]:
    """The events and cards that are preloaded (not part of the measured PUTs)."""
    keep = min(ctx.put_items, len(ctx.events))
    return ctx.events[:len(ctx.events) - keep], ctx.cards[:len(ctx.cards) - keep]


async def _git(cwd: Path, *args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "git", "-c", "user.name=bench", "-c", "user.email=bench@bench.invalid", *args,
        cwd=cwd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} in {cwd}: {err.decode()[-300:]}")


def _write(folder: Path, items: list[data.Item]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for item in items:
        (folder / item.name).write_bytes(item.body)


async def preload(ctx: Context, running: Running, rec: Recorder) -> None:
    """Preload :func:`preloaded` into the server's collections."""
    events, cards = preloaded(ctx)
    if not events and not cards:
        return
    name = ctx.target.name
    workdir = running.log.parent
    if name == "radicale":
        root = workdir / "collections" / "collection-root"
        for collection, items in ((ctx.target.calendar, events),
                                  (ctx.target.addressbook, cards)):
            _write(root / collection.strip("/"), items)
        rec.notes["method"] = "files"
    elif name == "xandikos":
        root = workdir / "dav"
        for collection, items in ((ctx.target.calendar, events),
                                  (ctx.target.addressbook, cards)):
            folder = root / collection.strip("/")
            _write(folder, items)
            await _git(folder, "add", "-A", ".")
            await _git(folder, "commit", "-q", "-m", "bench preload")
        rec.notes["method"] = "files+git"
    else:
        uploads = ([(ctx.event_path(e), e) for e in events]
                   + [(ctx.card_path(c), c) for c in cards])

        async def one(entry: tuple[str, data.Item]) -> None:
            rec.add(await _put(ctx, entry[0], entry[1]))
        await pool(8, uploads, one)
        rec.notes["method"] = "http PUT, 8 concurrent"
    rec.notes["items"] = len(events) + len(cards)


async def warm_up(ctx: Context, rec: Recorder) -> None:
    """One untimed listing of each collection and one calendar-query (builds caches)."""
    for collection in (ctx.target.calendar, ctx.target.addressbook):
        rec.add_untimed(await ctx.client.request(
            "PROPFIND", collection, body=davxml.PROPFIND_ETAGS,
            headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}))
    start, end = data.query_month(ctx.base)
    rec.add_untimed(await ctx.client.request(
        "REPORT", ctx.target.calendar, body=davxml.calendar_query(start, end, expand=False),
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}))
