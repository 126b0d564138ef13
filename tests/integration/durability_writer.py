"""Commit one calendar object per write transaction and print each acknowledged name.

Run by ``test_durability.py`` as ``python durability_writer.py CONFIG_DIR PREFIX``: it
opens the store from the configuration exactly as the daemon does, makes sure a context
``durability`` with user ``writer`` exists, prints ``ready``, then writes
``PREFIX-<n>.ics`` forever, printing (and flushing) each name only after its
transaction committed. The test kills it with SIGKILL at an arbitrary point.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from twisted.internet.defer import ensureDeferred
from twisted.internet.task import react

from oxdav.config import load_config
from oxdav.directory import provisioning
from oxdav.service import data_directory
from oxdav.store import NotFound, ObjectIndex, open_store

EVENT = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//oxdav//durability test//EN\r
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20260101T000000Z\r
DTSTART:20260101T100000Z\r
DTEND:20260101T110000Z\r
SUMMARY:durability {uid}\r
END:VEVENT\r
END:VCALENDAR\r
"""


async def writer_folder(store: Any) -> tuple[int, int, int]:
    """(context id, user id, default calendar folder id), created on first use."""
    async with store.transaction("durability setup", write=True) as txn:
        try:
            context = next(c for c in await txn.contexts() if c.name == "durability")
        except StopIteration:
            context = await txn.create_context("durability", mappings=("durability.test",))
        try:
            user = await txn.user_by_login(context.id, "writer")
        except NotFound:
            user = await provisioning.create_user(txn, context.id, "writer",
                                                  password_hash="!", display_name="Writer")
        home = await txn.home(context.id, user.id)
        folder = next(f for f in await home.folders("calendar") if f.is_default)
    return context.id, user.id, folder.id


async def write_forever(reactor: Any, config_dir: Path, prefix: str) -> None:
    snapshot = load_config(config_dir)
    store = open_store(snapshot.get("oxdav.storage"), data_directory(snapshot), reactor,
                       synchronous=snapshot.get("oxdav.sqlite.synchronous"))
    await store.start()
    context_id, user_id, folder_id = await writer_folder(store)
    print("ready", flush=True)
    n = 0
    while True:
        name, uid = f"{prefix}-{n}.ics", f"{prefix}-{n}"
        async with store.transaction("durability put", write=True) as txn:
            collection = await (await txn.home(context_id, user_id)).collection(folder_id)
            await collection.put(name, EVENT.format(uid=uid).encode(),
                                 ObjectIndex(uid=uid, component="VEVENT"))
        print(name, flush=True)  # acknowledged: the transaction has committed
        n += 1


if __name__ == "__main__":
    react(lambda reactor: ensureDeferred(
        write_forever(reactor, Path(sys.argv[1]), sys.argv[2])))
