"""What the iMIP tests share: iTIP texts, a configuration, a store with a tenant,
waiting without blocking the reactor."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from twisted.internet.task import deferLater

from oxdav.config import ConfigHolder
from oxdav.config.snapshot import load_config


def reactor() -> Any:  # the reactor pytest-twisted installed
    from twisted.internet import reactor as installed

    return installed


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def itip(method: str = "REQUEST", *, uid: str = "meeting-1", days: float = 7,
         attendee: str = "guest@outside.example", organizer: str = "alice@acme.example",
         summary: str = "Café planning", partstat: str = "NEEDS-ACTION") -> bytes:
    """An iTIP message about a one-hour event ``days`` from now (negative: past)."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        f"METHOD:{method}\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
        f"DTSTAMP:{_stamp(datetime.now(UTC))}\r\nDTSTART:{_stamp(start)}\r\n"
        f"DTEND:{_stamp(start + timedelta(hours=1))}\r\nSUMMARY:{summary}\r\n"
        "LOCATION:Room 1\r\n"
        f"ORGANIZER;CN=Alice:mailto:{organizer}\r\n"
        f"ATTENDEE;PARTSTAT={partstat};CN=Guest:mailto:{attendee}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def config(directory: Path, properties: str) -> ConfigHolder:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "oxdav.properties").write_text(properties)
    return ConfigHolder(load_config(directory))


async def until(condition: Any, timeout: float = 15.0) -> None:
    """Wait (without blocking the reactor) until ``condition()`` is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await deferLater(reactor(), 0.02)


async def until_async(condition: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await deferLater(reactor(), 0.05)


async def tenant(store: Any, name: str = "acme", config: dict[str, str] | None = None
                 ) -> tuple[Any, Any]:
    """A context ``name`` with user alice (alice@<name>.example): (context, alice)."""
    async with store.transaction("tenant", write=True) as txn:
        context = await txn.create_context(name, [f"{name}.example"])
        alice = await txn.create_user(context.id, "alice", display_name="Alice Organizer",
                                      email=f"alice@{name}.example", config=config or {})
    return context, alice


async def enqueue(store: Any, context: Any, user: Any, data: bytes, *,
                  recipient: str = "guest@outside.example", method: str = "REQUEST",
                  uid: str = "meeting-1") -> Any:
    async with store.transaction("schedule", write=True) as txn:
        return await txn.enqueue_mail(context.id, user.id, recipient, method, uid, data)


async def mail_state(store: Any, mail_id: int) -> Any:
    async with store.transaction("read") as txn:
        return await txn.mail(mail_id)
