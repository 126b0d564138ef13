"""The in-process floor for PROPFIND Depth 1: the same rows, the same multistatus, no HTTP.

Run as ``python -m bench.floor --data DIR --login LOGIN --folder ID --kind caldav``
(in oxdav's venv) against the data directory of the oxdav server the bench just
filled. It opens the store as the daemon does, lists the folder's objects as the
demo user, and serialises a ``207`` body with ``getetag`` and ``getcontenttype`` for the
collection and every member through :func:`oxdav.dav.multistatus.iter_multistatus`. It
prints one JSON line: ``{"median_ms", "p95_ms", "runs", "responses", "bytes"}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lxml import etree
from twisted.internet import defer, task

from bench.measure import percentile

_CONTENT_TYPES = {"caldav": "text/calendar; charset=utf-8",
                  "carddav": "text/vcard; charset=utf-8"}


def _prop(name: str, text: str) -> etree._Element:
    element = etree.Element(name)
    element.text = text
    return element


async def _once(store: Any, login: str, folder: int, kind: str) -> tuple[int, int]:
    from oxdav.dav.multistatus import PropStat, ResponseEntry, iter_multistatus

    async with store.transaction("bench floor") as txn:
        user = await txn.user_by_email(login)
        home = await txn.home(user.context_id, user.id)
        collection = await home.collection(folder)
        metas = await collection.list()
    base = f"/dav/{kind}/{folder}/"
    content_type = _CONTENT_TYPES[kind]

    def entries() -> Any:
        yield ResponseEntry(base, [PropStat(200, [_prop("{DAV:}getetag", f'"{folder}"')])])
        for meta in metas:
            yield ResponseEntry(base + quote(meta.name), [PropStat(200, [
                _prop("{DAV:}getetag", f'"{meta.etag}"'),
                _prop("{DAV:}getcontenttype", content_type)])])

    size = sum(len(chunk) for chunk in iter_multistatus(entries()))
    return len(metas) + 1, size


async def _main(reactor: Any, args: argparse.Namespace) -> None:
    from oxdav.store.factory import open_store

    store = open_store(args.storage, Path(args.data), reactor)
    await store.start()
    try:
        timings = []
        responses = size = 0
        for _ in range(args.runs):
            start = time.perf_counter()
            responses, size = await _once(store, args.login, args.folder, args.kind)
            timings.append(time.perf_counter() - start)
    finally:
        await store.stop()
    print(json.dumps({"median_ms": statistics.median(timings) * 1000,
                      "p95_ms": percentile(timings, 0.95) * 1000, "runs": len(timings),
                      "responses": responses, "bytes": size}))


def main(argv: list[str] | None = None) -> None:
    """Command line entry point (prints one JSON line)."""
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("--data", required=True, help="the oxdav data directory")
    parser.add_argument("--storage", default="sqlite:oxdav.sqlite3")
    parser.add_argument("--login", required=True)
    parser.add_argument("--folder", type=int, required=True)
    parser.add_argument("--kind", choices=sorted(_CONTENT_TYPES), default="caldav")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    task.react(lambda reactor: defer.ensureDeferred(_main(reactor, args)))


if __name__ == "__main__":
    main(sys.argv[1:])
