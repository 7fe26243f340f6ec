"""The results as a Markdown table (printed, and written to ``latest.md``)."""

from __future__ import annotations

TARGETS = {
    "ratio": 0.7, "p99_ms_200": 50.0, "alert_p99_ms": 250.0, "bytes_per_session": 1024,
    "data_p95_ms": 300.0, "export_rss_mb": 150,
}


def _ok(flag: bool) -> str:
    return "met" if flag else "**missed**"


def markdown(r: dict) -> str:
    m = r["machine"]
    out = [
        f"# Mpaka benchmark results ({r['started']})", "",
        f"Machine: {m['cpus']} CPU ({m['cpu']}), {m['platform']}, Python {m['python']}, "
        f"gunicorn {m['gunicorn']}, {m['redis_server']}.  ",
        f"App and baseline: gunicorn {r['settings']['gunicorn']}; database "
        f"{r['settings']['database']}; patches: {r['settings']['patches'] or 'none'}.  ",
        f"Load average at start {fmt_load(r['load_average_start'])}, "
        f"at end {fmt_load(r.get('load_average_end'))}.  ",
        f"Command: `{r['command']}`", "",
    ]
    rows: list[tuple[str, str, str, str]] = []
    if "ussd" in r:
        u = r["ussd"]
        a, b = u["app"], u["baseline"]
        rows.append((f"USSD req/s, {u['phones']} phones, no pauses (app / baseline)",
                     f"{a['requests_per_s']} / {b['requests_per_s']}", "", ""))
        rows.append(("USSD ratio to baseline (headline)", f"{u['ratio']}", "≥ 0.7",
                     _ok(u["ratio"] >= TARGETS["ratio"])))
        rows.append(("USSD dialogues/s (app)", f"{a['dialogues_per_s']}", "", ""))
        rows.append(("USSD saturated latency p50/p95/p99/max ms (app)",
                     f"{a['p50_ms']} / {a['p95_ms']} / {a['p99_ms']} / {a['max_ms']}", "", ""))
        rows.append(("USSD saturated latency p50/p95/p99/max ms (baseline)",
                     f"{b['p50_ms']} / {b['p95_ms']} / {b['p99_ms']} / {b['max_ms']}", "", ""))
        rows.append(("USSD errors (app / baseline)", f"{a['errors']} / {b['errors']}", "0",
                     _ok(a["errors"] == 0)))
    if "latency" in r:
        lat = r["latency"]
        a = lat["app"]
        rows.append((f"USSD latency, {lat['phones']} phones at {lat['think_s']} s/screen "
                     "p50/p95/p99/max ms", f"{a['p50_ms']} / {a['p95_ms']} / {a['p99_ms']} / "
                     f"{a['max_ms']} ({a['requests_per_s']} req/s, {a['errors']} errors)",
                     "p99 < 50, 0 errors",
                     _ok(a["p99_ms"] < TARGETS["p99_ms_200"] and a["errors"] == 0)))
        b = lat["baseline"]
        rows.append(("  same, baseline", f"{b['p50_ms']} / {b['p95_ms']} / {b['p99_ms']} / "
                     f"{b['max_ms']}", "", ""))
    for s in r.get("scaling", []):
        a, b = s["app"], s["baseline"]
        rows.append((f"Scaling: {s['phones']} phones at {s['think_s']} s/screen, p50/p99 ms "
                     "(app | baseline)",
                     f"{a['p50_ms']} / {a['p99_ms']} ({a['requests_per_s']} req/s, "
                     f"{a['errors']} err) | {b['p50_ms']} / {b['p99_ms']}", "", ""))
    if "report_to_alert" in r:
        t = r["report_to_alert"]
        rows.append((f"Report to alert p50/p95/p99 ms ({t['rate_per_s']}/s, {t['workers']} "
                     f"workers, provider {t['provider_latency_s']} s)",
                     f"{t['p50_ms']} / {t['p95_ms']} / {t['p99_ms']} (max {t['max_ms']}, "
                     f"{t['alerted']}/{t['completed']} alerted)", "p99 < 250",
                     _ok(t["p99_ms"] < TARGETS["alert_p99_ms"] and t["missing"] == 0)))
    if "alert_throughput" in r:
        t = r["alert_throughput"]
        for run in t["runs"]:
            rows.append((f"Alerts/s, team of 5, provider {t['provider_latency_s']} s, "
                         f"{run['workers']} worker(s)",
                         f"{run['alerts_per_s']} ({run['messages_per_s']} SMS/s; speed-up "
                         f"{run['speedup']}, efficiency {run['efficiency']})",
                         "near-linear", ""))
    if "redis_memory" in r:
        mem = r["redis_memory"]
        rows.append((f"Redis bytes per live session (INFO, {mem['sessions']} sessions)",
                     f"{mem['bytes_per_session']} (MEMORY USAGE mean "
                     f"{mem['memory_usage_session_mean']}, max {mem['memory_usage_session_max']})",
                     "< 1024", _ok(mem["bytes_per_session"] < TARGETS["bytes_per_session"])))
        rows.append((f"Redis bytes per resumable draft (INFO, {mem['sessions']} drafts)",
                     f"{mem['bytes_per_draft']} (MEMORY USAGE mean "
                     f"{mem['memory_usage_draft_mean']}, max {mem['memory_usage_draft_max']})",
                     "", ""))
    if "web_memory" in r:
        w = r["web_memory"]
        rows.append(("Web worker RSS after the load test, MB (mean; each)",
                     f"{w['worker_rss_mb_mean']}; {w['worker_rss_mb']}", "", ""))
    for size in r.get("data", []):
        seeded = size["seeded"]
        label = f"{size['reports']:,} reports, {seeded['messages_total']:,} ledger rows"
        for name, m in size["pages"].items():
            if "p95_ms" in m:
                rows.append((f"{name} ({label}) p50/p95 ms",
                             f"{m['p50_ms']} / {m['p95_ms']} (HTTP {m['status']})", "p95 < 300",
                             _ok(m["p95_ms"] < TARGETS["data_p95_ms"] and m["status"] == 200)))
            else:
                rows.append((f"{name} ({label}): s to first byte / last byte, web RSS peak MB",
                             f"{m['first_byte_s']} / {m['seconds']} s, {m['rss_peak_mb']} MB "
                             f"(before {m['rss_before_mb']}; HTTP {m['status']}, {m['bytes']:,} B, "
                             f"{'streamed' if m.get('streamed') else 'not streamed'})",
                             "streams, RSS < 150 MB",
                             _ok(m["rss_peak_mb"] < TARGETS["export_rss_mb"] and m["status"] == 200
                                 and m.get("streamed", False))))
    out.append("| measure | result | target | |")
    out.append("|---|---|---|---|")
    out.extend(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    out.append("")
    return "\n".join(out)


def fmt_load(value) -> str:
    if not value:
        return "?"
    return " ".join(f"{x:.2f}" for x in value)
