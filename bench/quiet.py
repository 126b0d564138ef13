"""The quiet tenant's GETs, in a process of their own (``python -m bench.quiet``).

The noisy-neighbour phase (:mod:`bench.noisy`) reads answers of a hundred megabytes
and sends bodies of four in the bench's own event loop; timing the quiet tenant's
GETs in that loop would add the load generator's own delays to them. Here they run
alone: ``rate`` GETs a second for ``seconds`` (open loop: a GET leaves on schedule
whether or not the earlier ones were answered, so a stalled server shows in the
latencies instead of delaying the next GET), over up to 16 connections.

The parent sends ``{"url", "path", "headers", "seconds", "rate", "cafile"}`` as JSON on
stdin (the Authorization header stays off the command line) and reads one JSON line:
per GET its status, seconds and (for a failure) the start of its body, and how late
each GET left against its schedule (this process's own delay).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
from pathlib import Path
from typing import Any

from bench.client import Client, Result

__all__ = ["steady_gets", "run_quiet"]

REPO = Path(__file__).resolve().parents[1]


async def steady_gets(client: Client, path: str, seconds: float, rate: float
                      ) -> tuple[list[Result], list[float]]:
    """GET ``path`` ``rate`` times a second for ``seconds`` (open loop); the results and
    how late each GET left against its schedule."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks: list[asyncio.Future[Result]] = []
    lags: list[float] = []
    for number in range(max(1, int(seconds * rate))):
        at = start + number / rate
        await asyncio.sleep(max(0.0, at - loop.time()))
        lags.append(loop.time() - at)
        tasks.append(asyncio.ensure_future(client.request("GET", path, expect=(200,))))
    return list(await asyncio.gather(*tasks)), lags


async def _main(job: dict[str, Any]) -> dict[str, Any]:
    context = None
    if job.get("cafile"):
        context = ssl.create_default_context(cafile=job["cafile"])
        context.check_hostname = False  # the dev certificate names localhost
    client = Client(job["url"], job["headers"], connections=16, ssl_context=context)
    try:
        results, lags = await steady_gets(client, job["path"], job["seconds"], job["rate"])
    finally:
        await client.close()
    return {"gets": [[r.status, r.seconds, "" if r.ok else r.body[:160].decode(
        errors="replace")] for r in results], "lags": lags}


async def run_quiet(url: str, path: str, headers: dict[str, str], seconds: float,
                    rate: float, cafile: str | None = None
                    ) -> tuple[list[Result], list[float]]:
    """:func:`steady_gets` in a child process; its results and send lags."""
    job = {"url": url, "path": path, "headers": headers, "seconds": seconds, "rate": rate,
           "cafile": cafile}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.quiet", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=REPO)
    out, err = await process.communicate(json.dumps(job).encode())
    if process.returncode != 0:
        raise RuntimeError(f"quiet client: exit {process.returncode}: "
                           f"{err.decode(errors='replace')[-400:]}")
    answer = json.loads(out)
    return ([Result(status, body.encode(), took, status == 200)
             for status, took, body in answer["gets"]], answer["lags"])


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_main(json.loads(sys.stdin.read())))))
