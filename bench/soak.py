"""``python -m bench.soak``: load held (not in CI).

For ``--minutes`` (default 10): a steady mix of USSD dialogues, SMS dialogues
(AT inbound SMS webhook) and WhatsApp dialogues (Twilio webhook, no signature
token configured), with ``--workers`` RQ workers of which one is SIGKILLed and
replaced every ``--restart-every`` seconds (default 60).  Afterwards, once the
queues drain: every completed dialogue has exactly one report, and every
report its alerts with every delivery sent.  Prints and writes
``bench/results/soak-latest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bench import load
from bench.stack import Stack

RESULTS = Path(__file__).resolve().parent / "results"


async def message_dialogue(http, url: str, channel: str, number: str, rng, result) -> None:
    """One SMS or WhatsApp dialogue: each answer a new inbound message."""
    inputs = ["RIPOTI", *load.dialogue_inputs(rng)[1:]]
    for i, text in enumerate(inputs):
        if channel == "sms":
            path, form = "/webhooks/africastalking/sms", {
                "from": number, "to": "28901", "text": text, "id": f"ATXid_{rng.getrandbits(96):024x}",
                "date": "2026-01-01T08:00:00.000Z", "networkCode": "63902"}
        else:
            path, form = "/webhooks/twilio/messages", {
                "From": f"whatsapp:{number}", "To": "whatsapp:+14155238886", "Body": text,
                "MessageSid": f"SM{rng.getrandbits(128):032x}", "AccountSid": "AC" + "0" * 32,
                "NumMedia": "0", "WaId": number.lstrip("+")}
        start = time.perf_counter()
        try:
            async with http.post(url + path, data=form) as response:
                await response.text()
                result.latencies.append(time.perf_counter() - start)
                result.requests += 1
                if response.status != 200:
                    result.error(f"{channel} HTTP {response.status}")
                    return
        except (TimeoutError, aiohttp.ClientError) as exc:
            result.requests += 1
            result.error(f"{channel} {type(exc).__name__}")
            return
        await asyncio.sleep(rng.uniform(0.2, 1.0))
        if i == len(inputs) - 1:
            result.dialogues += 1


async def drive(url: str, minutes: float, rate: float) -> tuple[load.LoadResult, dict]:
    result = load.LoadResult(phones=0)
    counts = {"ussd": 0, "sms": 0, "whatsapp": 0}
    rng = random.Random(2026)
    deadline = time.monotonic() + minutes * 60
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http:
        tasks = []
        i = 0
        while time.monotonic() < deadline:
            channel = rng.choices(["ussd", "sms", "whatsapp"], weights=[6, 2, 2])[0]
            number = f"+2547{30_000_000 + i:08d}"
            counts[channel] += 1
            if channel == "ussd":
                phone = load.Phone(http, url, number, result, baseline=False, think=0.3,
                                   rng=random.Random(i))
                tasks.append(asyncio.create_task(phone.dialogue(load.dialogue_inputs(rng))))
            else:
                tasks.append(asyncio.create_task(
                    message_dialogue(http, url, channel, number, random.Random(i), result)))
            i += 1
            await asyncio.sleep(rng.expovariate(rate))
        await asyncio.gather(*tasks)
    return result, counts


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak")
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--rate", type=float, default=2.0, help="dialogues started per second")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--restart-every", type=float, default=60)
    p.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    args = p.parse_args(argv)

    from gateway.store.models import Alert, Delivery, Message, Report

    stack = Stack(database=args.database, gunicorn_workers=4,
                  fake_latency=0.1, extra_config={"SWEEP_INTERVAL_SECONDS": 10,
                                                  "STUCK_DELIVERY_SECONDS": 30})
    restarts = 0
    try:
        _, url = stack.serve()
        stack.start_workers(args.workers)

        async def restarter():
            nonlocal restarts
            while True:
                await asyncio.sleep(args.restart_every)
                victim = stack.workers[0]
                victim.kill()
                stack.workers.remove(victim)
                stack.processes.remove(victim)
                await asyncio.to_thread(stack.start_workers, 1)
                restarts += 1

        async def run():
            task = asyncio.create_task(restarter())
            try:
                return await drive(url, args.minutes, args.rate)
            finally:
                task.cancel()

        result, counts = asyncio.run(run())
        svc = stack.services()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # drain: the sweeper resends what the kills left
            with svc.db() as db:
                pending = db.scalar(select(func.count()).select_from(Message).where(
                    Message.direction == "out", Message.channel == "sms",
                    Message.status.in_(("queued", "sending", "retry"))))
                unrouted = db.scalar(select(func.count()).select_from(Report)
                                     .where(Report.routed_at.is_(None)))
            if not pending and not unrouted:
                break
            time.sleep(2)
        with svc.db() as db:
            references = list(db.scalars(select(Report.reference)))
            no_alert = db.scalar(select(func.count()).select_from(Report).where(
                ~Report.id.in_(select(Alert.report_id).where(Alert.report_id.is_not(None)))))
            unsent = db.scalar(select(func.count()).select_from(Delivery).join(
                Message, Delivery.message_id == Message.id).where(
                Message.status.not_in(("sent", "delivered"))))
        svc.close()
        accepted = {}
        for m in stack.fake_log()["messages"]:
            key = (m["message"], m["to"])
            accepted[key] = accepted.get(key, 0) + 1
        ussd_refs = set(result.ended)
        summary = {
            "minutes": args.minutes, "rate_per_s": args.rate, "workers": args.workers,
            "worker_kills": restarts, "started": counts, "load": result.summary(),
            "reports": len(references), "duplicate_references": len(references) - len(set(references)),
            "ussd_completed_without_report": len(ussd_refs - set(references)),
            "reports_without_alert": no_alert, "deliveries_not_sent": unsent,
            "sms_accepted": sum(accepted.values()),
            "sms_accepted_twice": sum(n - 1 for n in accepted.values() if n > 1),
        }
    finally:
        stack.close()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak-latest.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
