"""Turning the harness's results into JSON and markdown, and docs/benchmarks.md from every benchmark.

    python -m bench.report    # rewrite docs/benchmarks.md from bench/results/*.json and bench/*.md
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from bench.common import ROOT, LoadResult

DOC = ROOT / "docs" / "benchmarks.md"
OTHER_BENCHMARKS = (("Check-in throughput", "checkin.md"), ("Points: tally and leaderboards", "points.md"),
                    ("Public reads (leaderboard, own rank, account, honour list, community page)", "reads.md"),
                    ("Residents' requests (what was changed and measured; tables in bench/requests.md)", "requests_notes.md"),
                    ("Honour lists for a city", "honours.md"), ("Leaderboard retention", "retention.md"))
TARGET_READ_P99_MS = 50.0  # issue 18: each city read under 50 ms at p99


def _load(result: LoadResult) -> dict[str, Any]:
    return {"name": result.name, "requests": result.requests, "seconds": round(result.seconds, 2),
            "rate": round(result.rate, 1), "p50_ms": round(result.p50, 1), "p99_ms": round(result.p99, 1),
            "max_ms": round(max(result.latencies_ms), 1) if result.latencies_ms else 0.0, "errors": result.errors,
            "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
            "samples": getattr(result, "samples", [])[:3], "cpu_ms": dict(result.cpu_ms),
            "slowest": [list(pair) for pair in result.slowest]}


def as_json(value: Any) -> Any:
    """The results with every LoadResult turned into plain figures."""
    if isinstance(value, LoadResult):
        out = _load(value)
        kiosk = getattr(value, "kiosk", None)
        if kiosk is not None:
            out["kiosk"] = _load(kiosk)
        return out
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, Decimal):
        return round(float(value), 3)
    return value


def _row(r: dict[str, Any], base: dict[str, Any] | None, target: float | None = None) -> str:
    ratio = f"{r['p99_ms'] / base['p99_ms']:.1f}x" if base and base["p99_ms"] else "—"
    verdict = "" if target is None else (" ✅" if r["p99_ms"] < target and not r["errors"] else " ❌")
    return (f"| {r['name']} | {r['requests']} | {r['rate']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f}{verdict} | "
            f"{ratio} | {r['errors']} |")


HEAD = ["| scenario | requests | req/s | p50 ms | p99 ms | p99 / baseline | errors |",
        "|---|---:|---:|---:|---:|---:|---:|"]


def _festival(data: dict[str, Any]) -> list[str]:
    f = data["festival"]
    shape, lag, mem = f["shape"], f["lag"], data["memory"]
    total = shape["activities"] * shape["per_activity"]
    lines = [f"### Festival: {total} volunteers, {shape['activities']} activities, check-ins within "
             f"{shape['window_s']:.0f} s ({f['seconds']:.0f} s in all)", "",
             f"Arrivals evenly spread over the window ({total / shape['window_s']:.0f}/s, open loop: latency counts "
             f"from each request's scheduled start); {shape['reads_per_second']:.0f} background reads/s (leaderboard "
             "top 100, own rank, organiser dashboard, kiosk live count) and kiosk code refreshes every 10 s. "
             "Baselines at the same arrival rate on the same server just before.", "", *HEAD]
    get, ins = f["baseline_get"], f["baseline_insert"]
    lines += [_row(get, None), _row(ins, None), _row(f["check_in"], ins), _row(f["check_out"], ins)]
    for r in f["readers"].values():
        lines.append(_row(r, get))
    kiosk = f["check_in"].get("kiosk")
    if kiosk:
        lines.append(_row(kiosk, get))
    errors = f["check_in"]["errors"] + f["check_out"]["errors"]
    lines += ["", f"- Errors during the waves: **{errors}** (target 0)"
              + ("" if not errors else f"; e.g. {f['check_in']['samples'] or f['check_out']['samples']}") + ".",
              f"- Points posted: {lag['posted']} of {lag['expected']} attendances, {lag['minutes_posted']:,} minutes.",
              f"- Lag from a check-out to its ledger posting: p50 {_s(lag['posting_lag_p50_s'])}, "
              f"p99 {_s(lag['posting_lag_p99_s'])}, max {_s(lag['posting_lag_max_s'])}.",
              f"- After the last check-out: every posting in the ledger after "
              f"{_s(lag['all_posted_after_last_checkout_s'])}, every volunteer on the public leaderboards after "
              f"{_s(lag['all_on_leaderboards_after_last_checkout_s'])}.",
              *_cpu_lines(f.get("cpu_ms_per_scan")),
              f"- Peak RSS (VmHWM, process and children): API **{mem['api_peak_mb']} MB**, worker "
              f"**{mem['worker_peak_mb']} MB** (target < {mem['target_mb']:.0f} MB each"
              f"{'' if max(mem['api_peak_mb'], mem['worker_peak_mb']) < mem['target_mb'] else ': MISSED'}); "
              f"after the festival {mem['api_now_mb']} / {mem['worker_now_mb']} MB resident."]
    return lines


def _cpu_lines(per_scan: dict[str, dict[str, float]] | None) -> list[str]:
    if not per_scan:
        return []
    waves = "; ".join(f"{wave.replace('_', '-')} wave " + ", ".join(f"{name} {ms:.1f}" for name, ms in procs.items())
                      for wave, procs in per_scan.items())
    return [f"- CPU per scan during each wave, in ms (everything the process did meanwhile, background reads "
            f"and the worker's postings included): {waves}."]


def _s(value: float | None) -> str:
    return "not reached" if value is None else f"{value:.1f} s"


def _reads(data: dict[str, Any]) -> list[str]:
    r = data["reads"]
    results = r["results"]
    base = results[0]
    lines = [f"### City-size reads ({r['requests']} requests each, {r['concurrency']} in flight, month "
             f"{r['month']}; {r['seconds']:.0f} s in all)", "", *HEAD, _row(base, None)]
    lines += [_row(x, base, TARGET_READ_P99_MS) for x in results[1:]]
    missed = [x["name"] for x in results[1:] if x["p99_ms"] >= TARGET_READ_P99_MS]
    lines += ["", f"Target: p99 under {TARGET_READ_P99_MS:.0f} ms. "
              + (f"**Missed** by: {', '.join(missed)}." if missed else "Met by every read.")]
    if not base.get("cpu_ms"):
        lines += ["", "**Withdrawn:** these reads were driven by httpx, which spent more CPU per request than the server "
                  "on the same two cores, so the client set the pace. Figures with the lean client: bench/reads.md "
                  "(city reads at full size) and `python -m bench.run --scenario city`."]
    else:
        names = list(base["cpu_ms"])
        lines += ["", "CPU milliseconds per request (the lean client, bench/rawhttp.py, next to the processes it drives):",
                  "", "| scenario | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        lines += [f"| {x['name']} | " + " | ".join(f"{x['cpu_ms'].get(n, 0):.2f}" for n in names) + " |"
                  for x in results]
    return lines


def _topology(data: dict[str, Any]) -> str:
    """The scale-out pieces the run used (`bench.run --replica --redis-cluster`), when it says."""
    found = data.get("topology")
    if not found:
        return ""
    return (f" Ledger {'partitioned by month' if found['ledger_partitioned'] else 'in plain tables'}; read-only pages "
            f"and reports {'on a streaming replica' if found['replica'] else 'on the primary'}; Redis: {found['redis']}.")


def render_summary(data: dict[str, Any]) -> str:
    """The harness's figures as markdown."""
    m, city = data["machine"], data["city"]
    counts = city["counts"]
    lines = [f"## Harness run: {data['date']}, size {data['size']}, scenario {data['scenario']}", "",
             f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB, Python {m['python']}; load average "
             f"(1/5/15 min) {', '.join(f'{x:.1f}' for x in m['load_average_start'])} at the start, "
             f"{', '.join(f'{x:.1f}' for x in m['load_average_end'])} at the end "
             "(the run's own processes make about 1.5; more means other work shared the machine). "
             "PostgreSQL 15 (fsync off, as the test servers) and Redis on 127.0.0.1; API: uvicorn, 1 process; "
             "worker: dramatiq, 1 process x 8 threads." + _topology(data), "",
             f"Data: {counts['volunteer']:,} volunteers, {city['shape']['communities']} communities, "
             f"{counts['ledger_entry']:,} ledger entries in {counts['ledger_transaction']:,} transactions, "
             f"{counts['attendance']:,} attendances, {counts['activity']:,} activities, {counts['team_member']:,} "
             f"team members, {counts['ledger_period_total']:,} period totals, {counts.get('redis_members', 0):,} "
             f"Redis leaderboard totals; months {city['months'][0]} to {city['months'][-1]}. Load "
             + ", ".join(f"{k} {v:.0f} s" for k, v in city["timings_s"].items()) + ".", "",
             f"Scenario time (after the data set is loaded): **{data['scenarios_s']:.0f} s**; whole run "
             f"{data['total_s']:.0f} s.", ""]
    if "festival" in data:
        lines += _festival(data) + [""]
    if "reads" in data:
        lines += _reads(data) + [""]
    return "\n".join(lines)


def _demote(markdown: str) -> str:
    return re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + 2) + " ", markdown, flags=re.M)


def write_docs() -> None:
    """docs/benchmarks.md from the harness's saved results and the other benchmarks' own outputs."""
    from bench.docs_text import GOALS, INTRO, READING

    parts = [INTRO, GOALS]
    for size in ("full", "small"):
        path = ROOT / "bench" / "results" / f"{size}.json"
        if path.exists():
            parts.append(render_summary(json.loads(path.read_text())))
    parts.append(READING)
    parts.append("## Other benchmarks\n\nTheir own scripts write these files; copied here as they stand.\n")
    for title, name in OTHER_BENCHMARKS:
        path = ROOT / "bench" / name
        if path.exists():
            parts.append(_demote(path.read_text().strip()) + f"\n\n_{title}: copied from bench/{name}._\n")
    DOC.write_text("\n".join(parts).rstrip() + "\n")


if __name__ == "__main__":
    write_docs()
