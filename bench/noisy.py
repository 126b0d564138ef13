"""The noisy-neighbour phase: the heaviest requests the limits allow, in a loop, next to
another tenant's GETs.

Two tenants. The *noisy* one is the bench's user (on oxdav the demo user of context 1);
in a calendar of its own it stores what the limits allow, untimed:

- series at CALDAV:max-instances (RFC 4791 §5.2.8): ``maxInstances`` RDATE values each
  (~350 kB), enough of them that together they hold more instances than one report
  may expand (``oxdav.caldav.maxReportInstances``);
- objects of ~95 % of CALDAV:max-resource-size (§5.2.5) of folded DESCRIPTION text.

Then ``noisy_clients`` loops (default 2: the work pool has two threads) send, back to
back, each in turn (:data:`KINDS`): a calendar-multiget of as many hrefs as
``oxdav.dav.maxHrefs`` and the XML body bound allow (hrefs repeating the heavy
objects, so the answer runs into ``oxdav.dav.maxResponseSize``), a text-match
calendar-query over DESCRIPTION that matches nothing (every object must be read and
parsed), a PUT of a max-instances series, a free-busy-query over the year (§7.10), a
PUT of a near-max-size object and a calendar-query with ``expand`` over the year
(§9.6.5). A 507 (the answer cut at a
limit, or a free-busy over the budget) is an allowed outcome.

The *quiet* tenant is a user of another context (created with ``oxdav-admin``) who
GETs one small event ``noisy_rate`` times a second, open loop, from a process of its
own (:mod:`bench.quiet`), first ``noisy_s / 3`` seconds alone (the baseline), then
``noisy_s`` seconds next to the noise. Its latencies under noise are the phase's timed
requests; the baseline, the noisy requests per kind and the set-up go into the notes.
Radicale and Xandikos have no such limits; against them the same requests run with
oxdav's default limits (Xandikos has one user: the quiet calendar is another
collection of the same principal).
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import sys
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import data, davxml
from bench.client import Client, Result
from bench.measure import Recorder, summary
from bench.quiet import run_quiet

if TYPE_CHECKING:
    from bench.phases import Context

__all__ = ["noisy_neighbour", "Limits", "server_limits", "KINDS"]

#: The requests the noisy clients cycle through, in order (the second client starts
#: half-way); the expand, the longest by far, last, so a short phase still sees the rest.
KINDS = ("multiget", "text-match", "put-series", "free-busy", "put-long", "expand")
#: Statuses each kind may answer with (207 multistatus may end in a 507 response).
EXPECTED = {"expand": (207,), "text-match": (207,), "free-busy": (200, 507),
            "multiget": (207,), "put-series": (201, 204), "put-long": (201, 204)}
#: Radicale answers a free-busy-query over more than its ``max_freebusy_occurrence``
#: (10,000) with 400: its own bound, as 507 is oxdav's.
_ALSO_EXPECTED = {("radicale", "free-busy"): (400,)}
#: A multistatus cut at a limit ends with a response of this status.
_TRUNCATED = b"507 Insufficient Storage"
_XML = {"Content-Type": "application/xml; charset=utf-8"}
_QUIET_LOGIN = "quiet@quiet.bench.invalid"
#: Folder id asked for in MKCALENDAR on oxdav (a numeric name asks for that id).
_NOISY_FOLDER = "900"


@dataclass(frozen=True)
class Limits:
    """What one request may do: the server's settings (oxdav's defaults elsewhere)."""

    max_instances: int = 20_000
    max_resource_size: int = 4 * 1024 * 1024
    max_report_instances: int = 200_000
    max_hrefs: int = 100_000
    max_answer_bytes: int = 100 * 1024 * 1024
    xml_body_bytes: int = 4 * 1024 * 1024


def server_limits(config_dir: Path | None) -> Limits:
    """The limits of an oxdav configured in ``config_dir``, else oxdav's defaults."""
    from oxdav.config import load_config
    from oxdav.config.declarations import DECLARATIONS
    from oxdav.dav.xml import DEFAULT_MAX_BODY_BYTES

    if config_dir is not None and config_dir.is_dir():
        get = load_config(config_dir).get
    else:
        def get(name: str) -> Any:
            return DECLARATIONS[name].parse(DECLARATIONS[name].default)
    return Limits(max_instances=get("oxdav.caldav.maxInstances"),
                  max_resource_size=get("oxdav.caldav.maxResourceSize"),
                  max_report_instances=get("oxdav.caldav.maxReportInstances"),
                  max_hrefs=get("oxdav.dav.maxHrefs"),
                  max_answer_bytes=get("oxdav.dav.maxResponseSize"),
                  xml_body_bytes=DEFAULT_MAX_BODY_BYTES)


@dataclass
class _Setup:
    """The two tenants' collections and what the noisy one sends."""

    calendar: str
    quiet_headers: dict[str, str]
    quiet_path: str
    separation: str
    series: int
    dates: int
    long_objects: int
    long_size: int
    multiget: bytes = b""
    hrefs: int = 0
    puts: dict[tuple[str, int], list[data.Item]] = field(default_factory=dict)
    sent: Counter[tuple[str, int]] = field(default_factory=Counter)
    notes: dict[str, Any] = field(default_factory=dict)


def _basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


async def _admin(config: Path, *args: str, stdin: bytes = b"") -> bool:
    """Run ``oxdav-admin -c config ARGS``; whether it made something ("already exists",
    exit 3, is fine: a kept ``--workdir``)."""
    env = dict(os.environ)
    repo = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "oxdav-admin"), "-c", str(config), *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, env=env)
    _, err = await process.communicate(stdin)
    if process.returncode not in (0, 3):
        raise RuntimeError(f"oxdav-admin {' '.join(args)}: exit {process.returncode}: "
                           f"{err.decode(errors='replace')[-300:]}")
    return process.returncode == 0


async def _make_calendar(client: Client, path: str) -> None:
    from bench.servers import MKCALENDAR

    result = await client.request("MKCALENDAR", path, body=MKCALENDAR, headers=_XML,
                                  expect=(201, 405))
    if not result.ok:
        raise RuntimeError(f"MKCALENDAR {path}: {result.status} {result.body[:200]!r}")


async def _quiet_tenant(ctx: Context) -> tuple[Client, str, str]:
    """The quiet tenant's client (for the set-up), its calendar and how it is separated."""
    target = ctx.target
    headers = {k: v for k, v in target.headers.items() if k != "Authorization"}
    if target.name.startswith("oxdav"):
        assert ctx.server_dir is not None
        password = secrets.token_urlsafe(16)
        config = ctx.server_dir / "etc"
        await _admin(config, "context", "create", "quiet", "--mapping", "quiet.bench.invalid")
        if not await _admin(config, "user", "create", "quiet", "quiet", "--email",
                            _QUIET_LOGIN, "--password-stdin", stdin=password.encode() + b"\n"):
            await _admin(config, "user", "change", "quiet", "quiet", "--password-stdin",
                         stdin=password.encode() + b"\n")
        quiet = Client(target.base_url, {**headers, "Authorization": _basic(
            _QUIET_LOGIN, password)}, connections=16, ssl_context=target.ssl_context)
        found = await quiet.request("PROPFIND", "/dav/caldav/", body=davxml.PROPFIND_HOME,
                                    headers={"Depth": "1", **_XML})
        calendars = [p for p, types, comps in davxml.home_collections(found.body)
                     if "calendar" in types and (not comps or "VEVENT" in comps)]
        if not calendars:
            raise RuntimeError(f"no calendar for the quiet user: {found.status} "
                               f"{found.body[:200]!r}")
        return quiet, calendars[0], "a user of another context (oxdav-admin)"
    if target.name == "radicale":
        quiet = Client(target.base_url, {**headers, "Authorization": _basic("quiet", "quiet")},
                       connections=16, ssl_context=target.ssl_context)
        await quiet.request("PROPFIND", "/quiet/", headers={"Depth": "0"})
        await _make_calendar(quiet, "/quiet/calendar/")
        return quiet, "/quiet/calendar/", "another user (auth=none)"
    quiet = Client(target.base_url, dict(target.headers), connections=16,
                   ssl_context=target.ssl_context)
    path = target.calendar.rstrip("/").rsplit("/", 1)[0] + "/quiet/"
    await _make_calendar(quiet, path)
    return quiet, path, "another calendar of the same principal (single-user server)"


def _noisy_calendar(ctx: Context) -> str:
    parent = ctx.target.calendar.rstrip("/").rsplit("/", 1)[0]
    return f"{parent}/{_NOISY_FOLDER if ctx.target.name.startswith('oxdav') else 'noisy'}/"


def _multiget_body(setup: _Setup, limits: Limits, scale: float) -> tuple[bytes, int]:
    """The largest calendar-multiget allowed: ``maxHrefs`` hrefs naming the heavy objects
    in turn, as many as fit the XML body bound."""
    names = ([f"r{i}.ics" for i in range(setup.series)]
             + [f"t{i}.ics" for i in range(setup.long_objects)])
    paths = [setup.calendar + names[i % len(names)] for i in range(max(1, int(
        limits.max_hrefs * scale)))]
    body = davxml.multiget("cal", paths)
    while len(body) > limits.xml_body_bytes * 0.99:
        paths = paths[:int(len(paths) * limits.xml_body_bytes * 0.98 / len(body))]
        body = davxml.multiget("cal", paths)
    return body, len(paths)


async def _prepare(ctx: Context, rec: Recorder) -> _Setup:
    """Create both tenants' collections and store the heavy objects (untimed)."""
    config = ctx.server_dir / "etc" if ctx.server_dir is not None else None
    limits = server_limits(config if ctx.target.name.startswith("oxdav") else None)
    scale = ctx.noisy_scale
    quiet, quiet_calendar, separation = await _quiet_tenant(ctx)
    calendar = _noisy_calendar(ctx)
    await _make_calendar(ctx.client, calendar)
    setup = _Setup(calendar, quiet.headers, quiet_calendar + "quiet.ics", separation,
                   series=limits.max_report_instances // limits.max_instances + 2,
                   dates=max(2, int(limits.max_instances * scale)), long_objects=4,
                   long_size=int(limits.max_resource_size * 0.95 * scale))
    setup.multiget, setup.hrefs = _multiget_body(setup, limits, scale)
    # Made now: generating 4 MB of text takes the load generator a noticeable while.
    for number in range(ctx.noisy_clients):
        setup.puts["put-series", number] = [
            data.rdate_event(number, ctx.base, setup.dates, revision=r) for r in (1, 2)]
        setup.puts["put-long", number] = [
            data.long_event(number, ctx.base, setup.long_size, revision=r) for r in (1, 2)]
    small = data.small_event(ctx.base)
    try:
        rec.add_untimed(await quiet.request("PUT", setup.quiet_path, body=small.body,
                                            headers={"Content-Type": small.content_type},
                                            expect=(201, 204)))
    finally:
        await quiet.close()
    start = time.perf_counter()
    items = ([data.rdate_event(i, ctx.base, setup.dates) for i in range(setup.series)]
             + [data.long_event(i, ctx.base, setup.long_size)
                for i in range(setup.long_objects)])

    async def put(item: data.Item) -> None:
        rec.add_untimed(await ctx.client.request(
            "PUT", calendar + item.name, body=item.body,
            headers={"Content-Type": item.content_type}, expect=(201, 204)))
    for first in range(0, len(items), 2):
        await asyncio.gather(*(put(item) for item in items[first:first + 2]))
    setup.notes = {"limits": vars(limits), "scale": scale, "quiet_tenant": separation,
                   "noisy_calendar": calendar, "series": setup.series,
                   "rdates_per_series": setup.dates,
                   "series_bytes": len(items[0].body), "long_objects": setup.long_objects,
                   "long_object_bytes": len(items[-1].body), "multiget_hrefs": setup.hrefs,
                   "multiget_body_bytes": len(setup.multiget),
                   "preload_s": round(time.perf_counter() - start, 1)}
    return setup


def _request(ctx: Context, setup: _Setup, kind: str, client_no: int
             ) -> tuple[str, str, bytes, dict[str, str]]:
    """Method, path, body and headers of one noisy request of ``kind``."""
    start, end = data.year_window(ctx.base)
    if kind == "expand":
        return ("REPORT", setup.calendar, davxml.calendar_query(start, end, expand=True),
                {"Depth": "1", **_XML})
    if kind == "text-match":
        return ("REPORT", setup.calendar, davxml.text_match_query("no such words anywhere"),
                {"Depth": "1", **_XML})
    if kind == "free-busy":
        return ("REPORT", setup.calendar, davxml.free_busy_query(start, end),
                {"Depth": "1", **_XML})
    if kind == "multiget":
        return "REPORT", setup.calendar, setup.multiget, {"Depth": "1", **_XML}
    versions = setup.puts[kind, client_no]
    item = versions[setup.sent[kind, client_no] % len(versions)]
    setup.sent[kind, client_no] += 1
    return "PUT", setup.calendar + item.name, item.body, {"Content-Type": item.content_type}


@dataclass
class _KindStats:
    seconds: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    truncated: int = 0
    bytes: int = 0
    cut_at_end: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {**summary(self.seconds), "statuses": {str(k): v for k, v in
                                                      sorted(self.statuses.items())},
                "truncated_507": self.truncated, "answer_mb": round(self.bytes / 2**20, 1),
                "cut_at_end": self.cut_at_end}


async def _noisy_loop(ctx: Context, setup: _Setup, client_no: int,
                      stats: dict[str, _KindStats], rec: Recorder) -> None:
    """Send ``ctx.noisy_kinds`` in turn, back to back, until cancelled."""
    kinds = ctx.noisy_kinds
    turn = client_no * (len(kinds) // 2)
    while True:
        kind = kinds[turn % len(kinds)]
        turn += 1
        method, path, body, headers = _request(ctx, setup, kind, client_no)
        try:
            expect = EXPECTED[kind] + _ALSO_EXPECTED.get((ctx.target.name, kind), ())
            result = await ctx.client.request(method, path, body=body, headers=headers,
                                              expect=expect, tail=4096)
        except asyncio.CancelledError:  # the noise ends: a request in flight is dropped
            stats[kind].cut_at_end += 1
            raise
        entry = stats[kind]
        entry.seconds.append(result.seconds)
        entry.statuses[result.status] += 1
        entry.bytes += result.length
        entry.truncated += result.status == 207 and _TRUNCATED in result.body
        rec.add_untimed(result)


def _quiet_notes(results: list[Result], lags: list[float]) -> dict[str, Any]:
    return {**summary([r.seconds for r in results]),
            "errors": sum(not r.ok for r in results),
            "send_lag_max_ms": round(max(lags) * 1000, 1) if lags else 0.0}


async def noisy_neighbour(ctx: Context, rec: Recorder) -> None:
    """The phase (see the module docstring)."""
    setup = await _prepare(ctx, rec)

    def quiet(seconds: float) -> Awaitable[tuple[list[Result], list[float]]]:
        return run_quiet(ctx.target.base_url, setup.quiet_path, setup.quiet_headers,
                         seconds, ctx.noisy_rate, ctx.target.cafile)

    alone, lags = await quiet(max(1.0, ctx.noisy_s / 3))
    for result in alone:
        rec.add_untimed(result)
    stats = {kind: _KindStats() for kind in ctx.noisy_kinds}
    loops = [asyncio.ensure_future(_noisy_loop(ctx, setup, n, stats, rec))
             for n in range(ctx.noisy_clients)]
    try:
        await asyncio.sleep(0.5)  # the first heavy requests are being worked on
        noisy, noisy_lags = await quiet(ctx.noisy_s)
    finally:
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
    for result in noisy:
        rec.add(result)
    rec.notes.update(setup.notes)
    rec.notes.update({
        "quiet_rate_per_s": ctx.noisy_rate, "noisy_clients": ctx.noisy_clients,
        "noise_s": ctx.noisy_s, "quiet_alone": _quiet_notes(alone, lags),
        "quiet_noisy": _quiet_notes(noisy, noisy_lags),
        "noisy": {kind: entry.as_dict() for kind, entry in stats.items()},
        "cpu": "server CPU and RSS include the untimed preload and the baseline"})
