"""The five benchmarks of issue 6, each a function of a ``Stack`` returning a
JSON-serialisable dict.  ``bench.__main__`` runs them and writes the results."""

from __future__ import annotations

import time

import psutil

from bench import load
from bench.stack import Stack

# -- 1. USSD dialogue under load, against the in-run baseline -------------------------


def ussd_vs_baseline(stack: Stack, app_url: str, baseline_url: str, *, phones: int,
                     dialogues: int, rounds: int = 2) -> dict:
    """Saturation: ``phones`` phones walking without pauses, app and baseline
    interleaved ``rounds`` times (A B A B ...) so that both see the same noise;
    the best round of each counts, and every round is recorded."""
    load.run_phones(app_url, 20, 1, seed=99, number_offset=9_000_000)  # warm every worker
    load.run_phones(baseline_url, 20, 1, baseline=True, seed=99)
    app_runs, base_runs = [], []
    for r in range(rounds):
        app_runs.append(load.run_phones(app_url, phones, dialogues, seed=10 + r,
                                        number_offset=(r + 1) * 100_000).summary())
        base_runs.append(load.run_phones(baseline_url, phones, dialogues, baseline=True,
                                         seed=10 + r).summary())
    app = max(app_runs, key=lambda s: s["requests_per_s"])
    base = max(base_runs, key=lambda s: s["requests_per_s"])
    return {
        "phones": phones, "dialogues_per_phone": dialogues, "rounds": rounds,
        "app": app, "baseline": base,
        "ratio": round(app["requests_per_s"] / base["requests_per_s"], 3),
        "app_rounds": app_runs, "baseline_rounds": base_runs,
    }


def ussd_paced(app_url: str, baseline_url: str, *, phones: int, think: float,
               dialogues: int = 1, offset: int = 3_000_000) -> dict:
    """Realistic pacing: every phone pauses ``think`` seconds (±50 %) between screens."""
    app = load.run_phones(app_url, phones, dialogues, think=think, seed=20 + phones,
                          number_offset=offset).summary()
    base = load.run_phones(baseline_url, phones, dialogues, baseline=True, think=think,
                           seed=20 + phones).summary()
    return {"phones": phones, "think_s": think, "app": app, "baseline": base}


def web_memory(app_proc) -> dict:
    """Resident memory of the gunicorn master and each worker (after the load)."""
    master = psutil.Process(app_proc.pid)
    workers = [p.memory_info().rss for p in master.children()]
    return {
        "master_rss_mb": round(master.memory_info().rss / 2**20, 1),
        "worker_rss_mb": [round(r / 2**20, 1) for r in workers],
        "worker_rss_mb_mean": round(sum(workers) / len(workers) / 2**20, 1) if workers else None,
    }


# -- 2. Report to alert -----------------------------------------------------------------


def report_to_alert(stack: Stack, app_url: str, *, rate: float, total: int, workers: int,
                    latency: float) -> dict:
    """Dialogues completed at ``rate`` per second; for each report the time from
    its ``END`` to the fake provider answering (accepting) the county team's alert."""
    import requests

    requests.post(stack.fake_url + "/_mode", data={"mode": "ok", "latency": latency}, timeout=5)
    stack.fake_reset()
    stack.start_workers(workers)
    try:
        # The USSD runs before this one ran without workers: their ledger rows
        # wait in the stream.  Measure once the workers have written them, as
        # in a deployment, where workers write the stream as it fills.
        stack.wait_for_ledger()
        result = load.run_paced(app_url, rate, total, number_offset=5_000_000)
        deadline = time.monotonic() + 60
        accepted: dict[str, float] = {}
        while time.monotonic() < deadline:
            accepted = first_acceptance(stack.fake_log()["messages"])
            if all(ref in accepted for ref in result.ended):
                break
            time.sleep(0.25)
    finally:
        stack.stop_workers()
    delays = [accepted[ref] - end for ref, end in result.ended.items() if ref in accepted]
    ms = [d * 1000 for d in delays]
    return {
        "rate_per_s": rate, "dialogues": total, "workers": workers, "provider_latency_s": latency,
        "completed": len(result.ended), "alerted": len(delays),
        "missing": len(result.ended) - len(delays), "dialogue_errors": result.errors,
        "p50_ms": round(load.percentile(ms, 50), 1), "p95_ms": round(load.percentile(ms, 95), 1),
        "p99_ms": round(load.percentile(ms, 99), 1), "max_ms": round(max(ms), 1) if ms else None,
    }


def first_acceptance(messages: list[dict]) -> dict[str, float]:
    """Reference -> when the fake provider first answered a message carrying it."""
    firsts: dict[str, float] = {}
    for m in messages:
        match = load.REFERENCE.search(m["message"])
        if match:
            ref = match.group(0)
            firsts[ref] = min(firsts.get(ref, m["answered"]), m["answered"])
    return firsts


# -- 3. Alert throughput by workers -------------------------------------------------------


def alert_throughput(stack: Stack, app_url: str, *, workers: tuple[int, ...], reports: int,
                     latency: float) -> dict:
    """A burst of ``reports`` reports per run, each routed to one team of five
    (Turkana, a category the national desk does not take), the fake provider
    answering after ``latency``: alerts delivered per second with each worker count.

    The reports are made through the USSD dialogue with no worker running; their
    routing jobs are then dropped and re-enqueued at once when the workers are
    up, so the clock measures routing and sending, not worker start-up.
    """
    import requests
    from sqlalchemy import select

    from gateway.core.services import QUEUE_NAMES
    from gateway.intake import reports as reports_module
    from gateway.store.models import Report

    requests.post(stack.fake_url + "/_mode", data={"mode": "ok", "latency": latency}, timeout=5)
    svc = stack.services()
    runs = []
    try:
        for n, count in enumerate(workers):
            made = load.run_phones(app_url, min(reports, 50), -(-reports // min(reports, 50)),
                                   seed=40 + n, number_offset=7_000_000 + n * 100_000,
                                   category="3", county="1")
            references = list(made.ended)[:reports]
            with svc.db() as db:
                ids = list(db.scalars(select(Report.id).where(Report.reference.in_(references))))
            for name in QUEUE_NAMES:
                svc.queue(name).empty()
            stack.fake_reset()
            stack.start_workers(count)
            start = time.time()
            for report_id in ids:
                reports_module.enqueue_routing(svc, report_id)
            expected = len(ids) * 5
            deadline = time.monotonic() + 180
            log: list[dict] = []
            while time.monotonic() < deadline:
                log = [m for m in stack.fake_log()["messages"]
                       if load.REFERENCE.search(m["message"])
                       and load.REFERENCE.search(m["message"]).group(0) in references]
                if len(log) >= expected:
                    break
                time.sleep(0.1)
            stack.stop_workers()
            elapsed = max(m["answered"] for m in log) - start if log else float("nan")
            alerts = len({load.REFERENCE.search(m["message"]).group(0) for m in log})
            runs.append({
                "workers": count, "reports": len(ids), "alerts_delivered": alerts,
                "messages_delivered": len(log), "messages_expected": expected,
                "elapsed_s": round(elapsed, 2),
                "alerts_per_s": round(alerts / elapsed, 2) if log else 0.0,
                "messages_per_s": round(len(log) / elapsed, 2) if log else 0.0,
                "dialogue_errors": made.errors,
            })
    finally:
        svc.close()
    one = runs[0]["alerts_per_s"] or float("nan")
    for run in runs:
        run["speedup"] = round(run["alerts_per_s"] / one, 2)
        run["efficiency"] = round(run["speedup"] / (run["workers"] / runs[0]["workers"]), 2)
    return {"provider_latency_s": latency, "team_size": 5, "runs": runs}


# -- 4. Redis memory per session and per draft ---------------------------------------------


def redis_memory(stack: Stack, app_url: str, *, sample: int, sessions: int) -> dict:
    """Redis's own accounting of what dialogues cost it.

    ``sample`` real dialogues are walked through the app and abandoned at every
    step from the first menu to the description (so each leaves its live
    session and, once it has an answer, its resumable draft); their keys are
    then copied (``DUMP``/``RESTORE`` with the same TTL) under new names up to
    ``sessions`` sessions, and ``INFO memory`` is read before and after.  Live
    sessions are then deleted, as when USSD sessions expire, leaving the drafts.
    """
    r = stack.redis_client()
    r.flushdb()
    r.memory_purge() if hasattr(r, "memory_purge") else None
    for step in range(1, 6):
        load.run_phones(app_url, max(1, sample // 5), 1, seed=60 + step,
                        number_offset=8_000_000 + step * 10_000, stop_after=step)
    session_keys = list(r.scan_iter("mpaka:session:*", count=1000))
    draft_keys = list(r.scan_iter("mpaka:draft:*", count=1000))
    templates_s = [(r.dump(k), r.pttl(k)) for k in session_keys]
    templates_d = [(r.dump(k), r.pttl(k)) for k in draft_keys]
    sizes_s = [r.memory_usage(k, samples=0) for k in session_keys]
    sizes_d = [r.memory_usage(k, samples=0) for k in draft_keys]
    value_s = [r.strlen(k) for k in session_keys]
    value_d = [r.strlen(k) for k in draft_keys]
    r.flushdb()
    before = r.info("memory")["used_memory"]
    pipe = r.pipeline(transaction=False)
    for i in range(sessions):
        data, ttl = templates_s[i % len(templates_s)]
        pipe.restore(f"mpaka:session:ussd:ATUid_bench{i:08d}", max(ttl, 60_000), data)
        if i % 500 == 499:
            pipe.execute()
    pipe.execute()
    with_sessions = r.info("memory")["used_memory"]
    for i in range(sessions):
        data, ttl = templates_d[i % len(templates_d)]
        pipe.restore(f"mpaka:draft:{i:040x}", max(ttl, 60_000), data)
        if i % 500 == 499:
            pipe.execute()
    pipe.execute()
    with_drafts = r.info("memory")["used_memory"]
    r.flushdb()
    r.close()
    mean = lambda xs: round(sum(xs) / len(xs), 1) if xs else None  # noqa: E731
    return {
        "sample_sessions": len(session_keys), "sample_drafts": len(draft_keys),
        "sessions": sessions,
        "bytes_per_session": round((with_sessions - before) / sessions, 1),
        "bytes_per_draft": round((with_drafts - with_sessions) / sessions, 1),
        "memory_usage_session_mean": mean(sizes_s), "memory_usage_session_max": max(sizes_s),
        "memory_usage_draft_mean": mean(sizes_d), "memory_usage_draft_max": max(sizes_d),
        "value_bytes_session_mean": mean(value_s), "value_bytes_draft_mean": mean(value_d),
    }


def quiesce(stack: Stack) -> None:
    """Before a benchmark that runs workers: no job left over from the load
    tests (they ran without workers) and no unrouted report for the sweeper."""
    from sqlalchemy import update

    from gateway.core.services import QUEUE_NAMES
    from gateway.store.models import Report

    svc = stack.services()
    try:
        for name in QUEUE_NAMES:
            queue = svc.queue(name)
            queue.empty()
            for registry in (queue.scheduled_job_registry, queue.failed_job_registry):
                for job_id in registry.get_job_ids():
                    registry.remove(job_id, delete_job=True)
        with svc.db() as db:
            db.execute(update(Report).where(Report.routed_at.is_(None))
                       .values(routed_at=Report.created_at))
            db.commit()
    finally:
        svc.close()
