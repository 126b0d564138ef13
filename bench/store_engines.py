"""PUTs and GETs through the store API, in process, on SQLite and on PostgreSQL.

    python -m bench.store_engines [--items 1000] [--concurrency 1,16]

Each PUT and each GET is a transaction of its own, as an HTTP request's is (a GET
opens the folder with the member prefetched, as the DAV layer does). With N at a time,
N users each write and read their own calendar. PostgreSQL runs in a throwaway
cluster (tests/postgres_cluster.py: loopback TCP, fsync off), SQLite in a temporary
directory (synchronous NORMAL: no fsync per commit either): a comparison of the
engines' own costs on one machine, not of durable deployments.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from twisted.internet import defer, task

from oxdav.store import ObjectIndex, open_store

EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
         "UID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240301T100000Z\r\n"
         "DTEND:20240301T110000Z\r\nSUMMARY:Event {n}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


async def run(store, items: int, concurrency: int) -> dict[str, float]:
    await store.start()
    try:
        async with store.transaction("setup", write=True) as txn:
            context = await txn.create_context("bench")
            owners = []
            for u in range(concurrency):
                user = await txn.create_user(context.id, f"u{u}", display_name=f"U{u}")
                folder = await (await txn.home(context.id, user.id)).create_folder(
                    "calendar", "Calendar")
                owners.append((user.id, folder.id))

        async def put(n: int) -> None:
            user_id, folder_id = owners[n % concurrency]
            async with store.transaction("put", write=True) as txn:
                home = await txn.home(context.id, user_id, quota=10**9)
                collection = await home.collection(folder_id)
                await collection.put(f"{n}.ics", EVENT.format(uid=f"u{n}", n=n).encode(),
                                     ObjectIndex(f"u{n}", "VEVENT", 1709287200, 1709290800))

        async def get(n: int) -> None:
            user_id, folder_id = owners[n % concurrency]
            async with store.transaction("get") as txn:
                home = await txn.home(context.id, user_id)
                collection = await home.collection(folder_id, prefetch=f"{n}.ics")
                await collection.get(f"{n}.ics")

        figures = {}
        for name, operation in (("PUT", put), ("GET", get)):
            began = time.perf_counter()
            for first in range(0, items, concurrency):
                await defer.gatherResults([
                    defer.ensureDeferred(operation(n))
                    for n in range(first, min(items, first + concurrency))])
            figures[name] = items / (time.perf_counter() - began)
        return figures
    finally:
        await store.stop()


async def main(reactor, items: int, levels: list[int]) -> None:
    from tests.postgres_cluster import PostgresCluster

    cluster = PostgresCluster.start()
    try:
        for concurrency in levels:
            with tempfile.TemporaryDirectory() as directory:
                sqlite = await run(open_store("sqlite:bench.sqlite3", Path(directory),
                                              reactor, synchronous="NORMAL"),
                                   items, concurrency)
            database = cluster.new_database()
            postgres = await run(open_store(database.url, Path("."), reactor,
                                            password_file=database.password_file),
                                 items, concurrency)
            cluster.drop_database(database.name)
            for name in ("PUT", "GET"):
                print(f"{items} {name}s, {concurrency} at a time: SQLite {sqlite[name]:7.0f}/s,"
                      f" PostgreSQL {postgres[name]:7.0f}/s"
                      f" (x{postgres[name] / sqlite[name]:.2f})")
    finally:
        cluster.stop()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--concurrency", default="1,16")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    task.react(lambda reactor: defer.ensureDeferred(main(reactor, args.items, levels)))


if __name__ == "__main__":
    cli()
