"""``python -m bench``: run every benchmark, print the table, write
``bench/results/latest.json``, ``latest.md`` and a timestamped JSON copy.

``--quick`` runs the same code with tiny numbers (the smoke test uses it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import benchmarks, data, report
from bench.stack import Stack

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/test"


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return None

    import gunicorn
    import sqlalchemy

    return {
        "cpu": cpu, "cpus": os.cpu_count(), "platform": platform.platform(),
        "python": platform.python_version(), "gunicorn": gunicorn.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "redis_server": version(["redis-server", "--version"]),
    }


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny numbers: a smoke run of seconds")
    p.add_argument("--only", default="ussd,latency,alert,throughput,memory,scaling",
                   help="comma-separated subset of: ussd,latency,alert,throughput,memory,scaling,"
                        "data (not run by default: it seeds up to --data-reports)")
    p.add_argument("--data-reports", default="10000,50000,200000",
                   help="data: the report counts to grow to, measuring at each")
    p.add_argument("--data-requests", type=int, default=50, help="data: requests per page")
    p.add_argument("--database", default=os.environ.get("BENCH_DATABASE_URL")
                   or os.environ.get("TEST_DATABASE_URL") or DEFAULT_DB,
                   help="PostgreSQL server URL (a database mpaka_bench is created next to it) "
                        "or 'sqlite'")
    p.add_argument("--phones", type=int, default=200)
    p.add_argument("--dialogues", type=int, default=2, help="dialogues per phone (saturation)")
    p.add_argument("--think", type=float, default=2.0, help="seconds between screens (paced)")
    p.add_argument("--scaling", default="50,200,1000")
    p.add_argument("--gunicorn-workers", type=int, default=4)
    p.add_argument("--worker-class", default="sync")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--patches", default="", help="bench.experiments patches to apply to the app")
    p.add_argument("--out", type=Path, default=RESULTS)
    return p.parse_args(argv)


def run(args) -> dict:
    only = set(args.only.split(","))
    q = args.quick
    database = None if args.database == "sqlite" else args.database
    results: dict = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "machine": machine(), "load_average_start": os.getloadavg(),
        "settings": {
            "gunicorn": f"{args.gunicorn_workers} x {args.worker_class}"
                        + (f" ({args.threads} threads)" if args.threads > 1 else ""),
            "database": "sqlite" if database is None else "postgresql",
            "patches": args.patches or None, "quick": q,
        },
    }
    stack = Stack(
        database=database, gunicorn_workers=args.gunicorn_workers,
        worker_class=args.worker_class, threads=args.threads, team_size=5,
        extra_config={"MPAKA_BENCH_PATCHES": args.patches, "SWEEP_INTERVAL_SECONDS": 3600},
    )
    try:
        app_proc, app_url = stack.serve("bench.experiments:app", "app")
        _, base_url = stack.serve("bench.baseline:app", "baseline")
        if "ussd" in only:
            step("USSD under load vs baseline")
            results["ussd"] = benchmarks.ussd_vs_baseline(
                stack, app_url, base_url, phones=4 if q else args.phones,
                dialogues=1 if q else args.dialogues, rounds=1 if q else 2)
            results["web_memory"] = benchmarks.web_memory(app_proc)
        if "latency" in only:
            step("USSD latency at a human pace")
            results["latency"] = benchmarks.ussd_paced(
                app_url, base_url, phones=4 if q else args.phones, think=0.05 if q else args.think)
        if "scaling" in only:
            results["scaling"] = []
            for n in ([2, 4] if q else [int(x) for x in args.scaling.split(",")]):
                step(f"scaling: {n} phones")
                results["scaling"].append(benchmarks.ussd_paced(
                    app_url, base_url, phones=n, think=0.05 if q else args.think,
                    offset=4_000_000 + n))
        if "alert" in only:
            step("report to alert")
            benchmarks.quiesce(stack)
            results["report_to_alert"] = benchmarks.report_to_alert(
                stack, app_url, rate=5.0 if q else 2.0, total=3 if q else 60, workers=2,
                latency=0.0 if q else 0.1)
        if "throughput" in only:
            step("alert throughput by workers")
            benchmarks.quiesce(stack)
            results["alert_throughput"] = benchmarks.alert_throughput(
                stack, app_url, workers=(1, 2) if q else (1, 2, 4), reports=3 if q else 60,
                latency=0.0 if q else 0.1)
        if "data" in only:
            results["data"] = []
            seeded_so_far = 0
            messages_total = 0
            for target in ([200, 600] if q else [int(x) for x in args.data_reports.split(",")]):
                step(f"data: growing to {target:,} reports")
                seeded = data.seed(stack.database_url, reports=target - seeded_so_far)
                seeded_so_far = target
                messages_total += seeded["messages"]
                seeded["messages_total"] = messages_total
                step(f"data: measuring at {target:,} reports")
                results["data"].append({"reports": target, "seeded": seeded, "pages": data.measure(
                    stack, app_proc, app_url, requests_count=3 if q else args.data_requests)})
        if "memory" in only:
            step("Redis memory per session and draft")
            results["redis_memory"] = benchmarks.redis_memory(
                stack, app_url, sample=10 if q else 500, sessions=100 if q else 10_000)
    except Exception as exc:  # keep what was measured before the failure
        results["error"] = f"{type(exc).__name__}: {exc}"[:500]
        raise
    finally:
        stack.close()
        results["load_average_end"] = os.getloadavg()
        (args.out).mkdir(parents=True, exist_ok=True)
        (args.out / "partial.json").write_text(json.dumps(results, indent=2, default=str))
    results["load_average_end"] = os.getloadavg()
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


def step(name: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {name} ...", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    results = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=2, default=str)
    (args.out / "latest.json").write_text(text)
    (args.out / f"{stamp}.json").write_text(text)
    markdown = report.markdown(results)
    (args.out / "latest.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
