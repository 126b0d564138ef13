"""A small end-to-end run of the benchmark machinery, oxdav only (no Radicale/Xandikos,
no network beyond loopback, no timing assertions): every phase, zero errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import icalendar
import pytest
import vobject

from bench import data, report
from bench.phases import PHASES

REPO = Path(__file__).resolve().parents[2]
BASE = date(2026, 3, 1)


def test_generator_gives_the_same_bytes_every_time() -> None:
    assert data.events(30, BASE) == data.events(30, BASE)
    assert data.cards(30) == data.cards(30)


def test_generator_covers_every_kind_of_event() -> None:
    text = b"".join(item.body for item in data.events(20, BASE))
    for needle in (b"BEGIN:VTIMEZONE", b"RRULE:", b"EXDATE;", b"RECURRENCE-ID:",
                   b"ATTENDEE;", b"BEGIN:VALARM", b"DTSTART;VALUE=DATE:"):
        assert needle in text, needle


def test_generated_events_parse_as_icalendar() -> None:
    for item in data.events(20, BASE):
        calendar = icalendar.Calendar.from_ical(item.body)
        assert {str(e["UID"]) for e in calendar.walk("VEVENT")} == {item.uid}


def test_generated_cards_parse_in_both_versions_with_photos() -> None:
    versions, photos = set(), 0
    for item in data.cards(20):
        card = vobject.readOne(item.body.decode())
        versions.add(card.version.value)
        photos += "photo" in card.contents
        assert card.uid.value == item.uid
    assert versions == {"3.0", "4.0"}
    assert photos == 2


def test_report_shows_ratios_and_failures() -> None:
    def phase(median: float, errors: int = 0) -> dict:
        return {"phase": "propfind-d1-cal", "requests": 3, "errors": errors,
                "median_ms": median, "p95_ms": median, "req_per_s": 10.0, "wall_s": 1.0,
                "server_cpu_s": 0.1, "server_peak_rss_mb": 50.0, "client_cpu_s": 0.1,
                "client_cpu_pct": 10.0}
    document = {"sizes": [{"items": 10, "servers": [
        {"server": "oxdav", "phases": {"propfind-d1-cal": phase(2.0),
                                       "query-month": phase(1.0, errors=3)}},
        {"server": "radicale", "phases": {"propfind-d1-cal": phase(30.0),
                                          "query-month": phase(5.0)}}]}]}
    text = report.tables(document)
    assert "15.0×" in text
    assert "ERR(3)" in text


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One bench run: 50 items, oxdav on its plain listener only, with the floor."""
    out = tmp_path_factory.mktemp("bench") / "results.json"
    subprocess.run(
        [sys.executable, "-m", "bench", "--servers", "oxdav", "--items", "50", "--reps", "2",
         "--mixed-seconds", "1", "--no-install", "--out", str(out),
         "--workdir", str(out.parent / "work")],
        cwd=REPO, check=True, timeout=100, capture_output=True)
    return json.loads(out.read_text())


def test_run_records_every_phase(run: dict) -> None:
    oxdav = run["sizes"][0]["servers"][0]
    assert oxdav["server"] == "oxdav"
    assert list(oxdav["phases"]) == list(PHASES)
    assert run["machine"]["cpus"]


def test_run_finds_the_demo_calendar_and_address_book(run: dict) -> None:
    oxdav = run["sizes"][0]["servers"][0]
    assert oxdav["calendar"].startswith("/dav/caldav/")
    assert oxdav["addressbook"].startswith("/dav/carddav/")


def test_initial_sync_answers_and_the_floor_runs(run: dict) -> None:
    oxdav = run["sizes"][0]["servers"][0]
    assert oxdav["phases"]["sync-initial"]["requests"] == 2
    assert oxdav["floor"]["runs"] >= 2


def test_every_phase_runs_without_errors(run: dict) -> None:
    oxdav = run["sizes"][0]["servers"][0]
    failed = {name: p["error_samples"] for name, p in oxdav["phases"].items() if p["errors"]}
    assert failed == {}
    assert oxdav["floor"]["responses"] == 51
