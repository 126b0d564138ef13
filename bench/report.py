"""The side-by-side tables printed at the end of a run (and pasted into RESULTS.md).

Ratios are ``other / oxdav`` of the medians (so ``12.0×`` means oxdav's median is twelve
times shorter) and ``oxdav / other`` of requests per second for the throughput phases.
A failed phase shows ``ERR`` (with its error count), a missing one ``n/a``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["tables", "ratio", "merge", "main"]

THROUGHPUT = {"put-seq", "put-8", "get-16", "mixed-20"}
REFERENCE = "oxdav"


def _ok(phase: dict[str, Any] | None) -> bool:
    return bool(phase) and phase["errors"] == 0 and phase["requests"] > 0


def _cell(phase: dict[str, Any] | None) -> str:
    if not phase:
        return "n/a"
    if not _ok(phase):
        return f"ERR({phase['errors']})"
    return f"{phase['median_ms']:.1f} / {phase['p95_ms']:.1f}"


def ratio(reference: dict[str, Any] | None, other: dict[str, Any] | None, phase: str) -> str:
    """``other``'s cost relative to oxdav's (n/a when either failed)."""
    if not (_ok(reference) and _ok(other)):
        return "n/a"
    assert reference is not None and other is not None
    if phase in THROUGHPUT:
        value = reference["req_per_s"] / other["req_per_s"] if other["req_per_s"] else math.inf
    else:
        value = other["median_ms"] / reference["median_ms"] if reference["median_ms"] else math.inf
    return f"{value:.1f}×"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule] + [line(r) for r in rows])


def tables(run: dict[str, Any]) -> str:
    """Markdown tables for every collection size in ``run`` (the JSON document)."""
    out = []
    for size in run["sizes"]:
        results = {r["server"]: r for r in size["servers"]}
        names = list(results)
        phases = list(dict.fromkeys(p for r in results.values() for p in r.get("phases", {})))
        others = [n for n in names if n != REFERENCE]
        out.append(f"### {size['items']} events + {size['items']} cards\n")
        header = ["phase"] + [f"{n} med/p95 ms" for n in names] + (
            [f"{n} vs oxdav" for n in others] if REFERENCE in results else [])
        rows = []
        for phase in phases:
            cells = [_cell(results[n].get("phases", {}).get(phase)) for n in names]
            if REFERENCE in results:
                ref = results[REFERENCE].get("phases", {}).get(phase)
                cells += [ratio(ref, results[n].get("phases", {}).get(phase), phase)
                          for n in others]
            rows.append([phase] + cells)
        out.append(_table(header, rows))
        out.append("\nThroughput and cost: req/s · errors · server CPU s · server peak RSS MB "
                   "· load-generator CPU % of wall\n")
        header = ["phase"] + names
        rows = []
        for phase in phases:
            cells = []
            for n in names:
                p = results[n].get("phases", {}).get(phase)
                cells.append("n/a" if not p else
                             f"{p['req_per_s']:.0f} · {p['errors']} · {p['server_cpu_s']:.1f} · "
                             f"{p['server_peak_rss_mb']:.0f} · {p['client_cpu_pct']:.0f}%")
            rows.append([phase] + cells)
        out.append(_table(header, rows))
        floor = results.get(REFERENCE, {}).get("floor")
        if floor and "median_ms" in floor:
            http = results[REFERENCE]["phases"].get("propfind-d1-cal")
            versus = (f"; oxdav over HTTP is {http['median_ms'] / floor['median_ms']:.1f}× "
                      "the floor" if _ok(http) else "")
            out.append(f"\nIn-process floor, PROPFIND Depth 1 calendar (store + multistatus, "
                       f"no HTTP): median {floor['median_ms']:.1f} ms, p95 "
                       f"{floor['p95_ms']:.1f} ms, {floor['responses']} responses{versus}.")
        elif floor:
            out.append(f"\nIn-process floor failed: {floor.get('error', '')[-200:]}")
        for n in names:
            preload = results[n].get("preload")
            if preload:
                out.append(f"\n{n}: preloaded {preload['notes'].get('items', 0)} items "
                           f"({preload['notes'].get('method', '')}) in {preload['wall_s']:.0f} s"
                           + (f", {preload['errors']} ERRORS" if preload["errors"] else ""))
            if results[n].get("error") or results[n].get("setup_problems"):
                out.append(f"\n{n}: {results[n].get('error') or ''} "
                           f"{'; '.join(results[n].get('setup_problems', []))[:300]}")
        noisy = _noisy(results)
        if noisy:
            out.append(noisy)
        out.append("")
    return "\n".join(out)


def _four(entry: dict[str, Any]) -> str:
    return " / ".join(f"{entry[k]:.1f}" for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))


def _noisy(results: dict[str, Any]) -> str:
    """The noisy-neighbour tables: the quiet tenant's GETs alone and next to the noise
    (target: p99 under 100 ms), and what the noisy requests did."""
    runs = {n: r["phases"]["noisy"]["notes"] for n, r in results.items()
            if "quiet_noisy" in r.get("phases", {}).get("noisy", {}).get("notes", {})}
    if not runs:
        return ""
    first = next(iter(runs.values()))
    out = [f"\nNoisy neighbour: the quiet tenant GETs one small event {first['quiet_rate_per_s']:g}"
           f" times a second, {first['noise_s']:g} s next to {first['noisy_clients']} noisy "
           "clients (a third of that first alone). Quiet GET p50 / p95 / p99 / max ms:\n"]
    rows = [[n, _four(r["quiet_alone"]), _four(r["quiet_noisy"]),
             f"{r['quiet_alone']['errors']} / {r['quiet_noisy']['errors']}",
             f"{r['quiet_noisy']['send_lag_max_ms']:.1f}",
             "yes" if r["quiet_noisy"]["p99_ms"] < 100 else "NO"] for n, r in runs.items()]
    out.append(_table(["server", "alone", "with noise", "errors alone / noise",
                       "max send lag ms", "p99 < 100 ms"], rows))
    out.append("\nNoisy requests: count · statuses (507 inside a 207) · p50 / max ms\n")
    kinds = list(dict.fromkeys(k for r in runs.values() for k in r["noisy"]))
    rows = []
    for kind in kinds:
        cells = []
        for r in runs.values():
            k = r["noisy"].get(kind)
            if not k or not k["count"]:
                cells.append("n/a" if not k else f"0 (cut at end {k['cut_at_end']})")
                continue
            statuses = ", ".join(f"{c}×{v}" for c, v in k["statuses"].items())
            cut = f" ({k['truncated_507']})" if k["truncated_507"] else ""
            cells.append(f"{k['count']} · {statuses}{cut} · {k['p50_ms']:.0f} / "
                         f"{k['max_ms']:.0f}")
        rows.append([kind] + cells)
    out.append(_table(["request"] + list(runs), rows))
    return "\n".join(out)


def merge(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Combine the servers of several result files by collection size (first file's
    metadata kept; every run's command and machine noted under ``runs``)."""
    merged: dict[str, Any] = dict(documents[0]) if documents else {"sizes": []}
    merged["runs"] = [{k: d.get(k) for k in ("command", "started", "machine", "versions")}
                      for d in documents]
    sizes: dict[int, dict[str, Any]] = {}
    for document in documents:
        for size in document["sizes"]:
            entry = sizes.setdefault(size["items"], {"items": size["items"], "servers": []})
            entry["servers"] += size["servers"]
    for entry in sizes.values():
        entry["servers"].sort(key=lambda s: ORDER.index(s["server"])
                              if s["server"] in ORDER else len(ORDER))
    merged["sizes"] = [sizes[k] for k in sorted(sizes)]
    return merged


ORDER = ("oxdav", "oxdav-tls", "oxdav-pg", "oxdav-pg2", "radicale", "xandikos")


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.report A.json [B.json …]``: the tables of one or more runs."""
    import json
    import sys

    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m bench.report RESULTS.json [MORE.json …]", file=sys.stderr)
        return 2
    documents = [json.loads(open(path).read()) for path in paths]
    print(tables(merge(documents)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
