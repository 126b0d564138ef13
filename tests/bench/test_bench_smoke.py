"""A small end-to-end run of the benchmark machinery, oxdav only (no Radicale/Xandikos,
no network beyond loopback, no timing assertions): every phase, zero errors; the
noisy-neighbour phase briefly and at a hundredth of the limits."""

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
from bench.noisy import server_limits
from bench.phases import PHASES
from oxdav.caldav.errors import CalendarDataError
from oxdav.caldav.ical import parse_calendar_object

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


def test_heavy_series_reach_max_instances_and_no_further() -> None:
    series = data.rdate_event(3, BASE, 2000)
    parsed = parse_calendar_object(series.body, allowed_components=frozenset({"VEVENT"}),
                                   max_size=1 << 20, max_instances=2000)
    assert parsed.recurring
    assert series.name == "r3.ics"
    with pytest.raises(CalendarDataError, match="max-instances|2000"):
        parse_calendar_object(data.rdate_event(3, BASE, 2001).body,
                              allowed_components=frozenset({"VEVENT"}), max_size=1 << 20,
                              max_instances=2000)


def test_long_objects_come_close_to_the_size_asked_for() -> None:
    item = data.long_event(1, BASE, 200_000)
    assert 190_000 < len(item.body) <= 200_000
    event = icalendar.Calendar.from_ical(item.body).walk("VEVENT")[0]
    assert len(str(event["DESCRIPTION"])) > 180_000


def test_noisy_limits_are_read_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "oxdav.properties").write_text("oxdav.caldav.maxInstances = 500\n"
                                               "oxdav.dav.maxHrefs = 70\n")
    limits = server_limits(tmp_path)
    assert (limits.max_instances, limits.max_hrefs) == (500, 70)
    assert server_limits(None).max_instances == 20_000


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


def test_report_says_whether_the_quiet_p99_stays_under_100_ms() -> None:
    def quiet(p99: float) -> dict:
        return {"count": 100, "p50_ms": 2.0, "p95_ms": 5.0, "p99_ms": p99, "max_ms": 300.0,
                "errors": 0, "send_lag_max_ms": 1.0}
    notes = {"quiet_rate_per_s": 20.0, "noise_s": 60.0, "noisy_clients": 2,
             "quiet_alone": quiet(6.0), "quiet_noisy": quiet(250.0),
             "noisy": {"multiget": {"count": 3, "statuses": {"207": 3}, "truncated_507": 3,
                                    "p50_ms": 1500.0, "max_ms": 1800.0, "cut_at_end": 0},
                       "expand": {"count": 0, "statuses": {}, "truncated_507": 0,
                                  "p50_ms": float("nan"), "max_ms": float("nan"),
                                  "cut_at_end": 2}}}
    phase = {"phase": "noisy", "requests": 100, "errors": 0, "median_ms": 2.0, "p95_ms": 5.0,
             "req_per_s": 20.0, "wall_s": 5.0, "server_cpu_s": 1.0,
             "server_peak_rss_mb": 50.0, "client_cpu_s": 0.1, "client_cpu_pct": 2.0,
             "notes": notes}
    text = report.tables({"sizes": [{"items": 10, "servers": [
        {"server": "oxdav", "phases": {"noisy": phase}}]}]})
    assert "| oxdav  | 2.0 / 5.0 / 6.0 / 300.0 | 2.0 / 5.0 / 250.0 / 300.0 |" in text
    assert "| NO " in text
    assert "3 · 207×3 (3) · 1500 / 1800" in text
    assert "0 (cut at end 2)" in text


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One bench run: 50 items, oxdav on its plain listener only, with the floor."""
    out = tmp_path_factory.mktemp("bench") / "results.json"
    subprocess.run(
        [sys.executable, "-m", "bench", "--servers", "oxdav", "--items", "50", "--reps", "2",
         "--mixed-seconds", "1", "--noisy-seconds", "1.5", "--noisy-scale", "0.01",
         "--no-install", "--out", str(out),
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


def test_noisy_phase_measures_the_quiet_tenant_alone_and_next_to_the_noise(run: dict
                                                                          ) -> None:
    notes = run["sizes"][0]["servers"][0]["phases"]["noisy"]["notes"]
    assert notes["quiet_tenant"] == "a user of another context (oxdav-admin)"
    assert notes["quiet_alone"]["count"] > 0 and notes["quiet_noisy"]["count"] > 0
    assert notes["quiet_alone"]["errors"] == notes["quiet_noisy"]["errors"] == 0
    assert notes["series"] == 12 and notes["rdates_per_series"] == 200
    assert notes["multiget_hrefs"] == 1000
    assert sum(k["count"] + k["cut_at_end"] for k in notes["noisy"].values()) >= 2


def test_every_phase_runs_without_errors(run: dict) -> None:
    oxdav = run["sizes"][0]["servers"][0]
    failed = {name: p["error_samples"] for name, p in oxdav["phases"].items() if p["errors"]}
    assert failed == {}
    assert oxdav["floor"]["responses"] == 51


def test_two_nodes_on_postgresql_share_the_load(tmp_path: Path) -> None:
    """``oxdav-pg2``: two nodes on one durable PostgreSQL database, requests in turn."""
    out = tmp_path / "results.json"
    subprocess.run(
        [sys.executable, "-m", "bench", "--servers", "oxdav-pg2", "--items", "20",
         "--reps", "2", "--phases", "put-seq,put-8,propfind-d1-cal,get-16,mixed-20",
         "--mixed-seconds", "1", "--no-install", "--no-floor", "--out", str(out),
         "--workdir", str(tmp_path / "work")],
        cwd=REPO, check=True, timeout=100, capture_output=True)
    result = json.loads(out.read_text())["sizes"][0]["servers"][0]
    assert result["server"] == "oxdav-pg2" and "error" not in result
    assert {name: p["errors"] for name, p in result["phases"].items()} == dict.fromkeys(
        ["put-seq", "put-8", "propfind-d1-cal", "get-16", "mixed-20"], 0)
    logs = tmp_path / "work" / "oxdav-pg2-20"
    for log in ("server.log", "server-node2.log"):
        assert (logs / log).read_text().count('"PUT /dav/caldav/') >= 5, log
