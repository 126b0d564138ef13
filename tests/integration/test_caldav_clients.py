"""Real clients against the server over TLS: the python ``caldav`` library and
vdirsyncer (run as a subprocess), both on loopback only."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import caldav
import pytest_twisted
from twisted.internet.threads import deferToThread

from tests.integration.caldav_requests import (
    NEXT_YEAR,
    NS,
    folders,
    ics,
    put,
    vevent,
    xml_request,
)
from tests.integration.harness import start_server

VDIRSYNCER = Path(sys.executable).parent / "vdirsyncer"


@pytest_twisted.async_yield_fixture
async def server(tmp_path):
    server = await start_server(tmp_path / "server")
    yield server
    await server.stop()


def caldav_round_trip(url: str, login: str, password: str, cert: str) -> dict[str, object]:
    """Blocking: what a python-caldav user does (runs in a thread beside the reactor)."""
    start = datetime(NEXT_YEAR, 3, 10, 10, tzinfo=UTC)
    with caldav.DAVClient(url=url, username=login, password=password,
                          ssl_verify_cert=cert) as client:
        principal = client.principal()
        calendar = principal.make_calendar(name="Round trip")
        calendar.save_event(dtstart=start, dtend=start + timedelta(hours=1),
                            summary="Inside", uid="rt-inside")
        calendar.save_event(dtstart=start + timedelta(days=30),
                            dtend=start + timedelta(days=30, hours=1),
                            summary="Outside", uid="rt-outside")
        tasks = principal.make_calendar(name="Round trip tasks",
                                        supported_calendar_component_set=["VTODO"])
        tasks.save_todo(summary="Buy milk", uid="rt-todo")
        found = calendar.search(start=start - timedelta(days=1), end=start + timedelta(days=1),
                                event=True)
        again = principal.calendar(cal_id=str(calendar.url).rstrip("/").rsplit("/", 1)[1])
        return {
            "found": [str(e.icalendar_component["summary"]) for e in found],
            "todos": [str(t.icalendar_component["summary"]) for t in tasks.todos()],
            "names": sorted(str(c.get_display_name()) for c in principal.calendars()),
            "events": len(again.events()),
        }


@pytest_twisted.ensureDeferred
async def test_python_caldav_makes_calendars_saves_and_searches(server) -> None:
    cert = str(server.config / "data" / "tls" / "fullchain.pem")
    result = await deferToThread(caldav_round_trip, server.https + "/dav/", *server.demo, cert)
    assert result["found"] == ["Inside"]
    assert result["todos"] == ["Buy milk"]
    assert {"Round trip", "Round trip tasks"} <= set(result["names"])
    assert result["events"] == 2


def vdirsyncer_config(tmp_path: Path, url: str, cert: Path, login: str, password: str) -> Path:
    local = tmp_path / "local"
    local.mkdir()
    config = tmp_path / "vdirsyncer.conf"
    config.write_text(f"""[general]
status_path = "{tmp_path / 'status'}"

[pair cal]
a = "local"
b = "remote"
collections = null
conflict_resolution = "a wins"

[storage local]
type = "filesystem"
path = "{local}"
fileext = ".ics"

[storage remote]
type = "caldav"
url = "{url}"
username = "{login}"
password = "{password}"
verify = "{cert}"
""")
    return config


def vdirsyncer(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Blocking: run vdirsyncer with ``config`` (in a thread beside the reactor)."""
    return subprocess.run([str(VDIRSYNCER), "-c", str(config), *args], capture_output=True,
                          text=True, timeout=120, check=False)


@pytest_twisted.ensureDeferred
async def test_vdirsyncer_syncs_a_calendar_both_ways(server, tmp_path) -> None:
    calendar = (await folders(server))["VEVENT"]
    await put(server, calendar + "from-server.ics", ics(vevent("from-server", "SUMMARY:S")))
    cert = server.config / "data" / "tls" / "fullchain.pem"
    config = vdirsyncer_config(tmp_path, server.https + calendar, cert, *server.demo)
    for args in (("discover",), ("sync",)):
        run = await deferToThread(vdirsyncer, config, *args)
        assert run.returncode == 0, run.stderr
    local = tmp_path / "local"
    pulled = [p.read_text() for p in local.glob("*.ics")]
    assert any("UID:from-server" in text for text in pulled)
    (local / "from-client.ics").write_bytes(ics(vevent("from-client", "SUMMARY:C")))
    run = await deferToThread(vdirsyncer, config, "sync")
    assert run.returncode == 0, run.stderr
    _, doc = await xml_request(server, "PROPFIND", calendar, depth="1")
    bodies = [(await server.request("GET", href, auth=server.demo))[1]
              for href in doc.xpath("//D:href/text()", namespaces=NS) if href.endswith(".ics")]
    assert any(b"UID:from-client" in body for body in bodies)
    assert any(b"UID:from-server" in body for body in bodies)
