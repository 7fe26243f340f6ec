"""Real processes (slow): gunicorn with two workers aggregates its metrics,
and ``honcho start`` with the Procfile runs web and worker so a dialogue
completes and is routed through it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from gateway.store.models import Report
from tests.gateway.test_intake_ussd import INPUTS, PHONE
from tests.helpers import DEADLINE, REQUEST_TIMEOUT, Output, free_port, wait_for, wait_ready

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def environment(config, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS", "MPAKA"))}
    env |= {name: str(config[name]) for name in
            ("SECRET_KEY", "REDIS_URL", "DATABASE_URL", "MPAKA_DATA_DIR", "SMS_PROVIDER",
             "WHATSAPP_PROVIDER")}
    env |= {"PATH": f"{BIN}:{env.get('PATH', '')}", "TRUSTED_PROXIES": "0",
            "PYTHONUNBUFFERED": "1",
            # the checkout under test, not whichever one the venv's editable
            # install (the `mpaka` console script of `worker:`) points at
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            # gunicorn.conf.py kills a worker silent for 8 s (production: the
            # provider's retry finds a healthy one); on a busy test host that
            # would only kill slow-booting or queued workers.
            "GUNICORN_TIMEOUT": "60"}
    return env | {k: str(v) for k, v in extra.items()}


def stop(proc, output: Output) -> str:
    if proc.poll() is None:
        # honcho runs in its own session: signal the whole group it leads.
        os.killpg(proc.pid, signal.SIGTERM) if os.getpgid(proc.pid) == proc.pid else \
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return output.text()


def walk(base: str, session_id: str) -> list[str]:
    screens, text = [], ""
    for value in [None, *INPUTS]:
        if value is not None:
            text = value if not text else f"{text}*{value}"
        response = requests.post(f"{base}/webhooks/africastalking/ussd", data={
            "sessionId": session_id, "phoneNumber": PHONE, "networkCode": "99999",
            "serviceCode": "*384*44135#", "text": text}, timeout=REQUEST_TIMEOUT)
        assert response.status_code == 200
        screens.append(response.text)
    return screens


def metric(text: str, name: str, **labels) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
        if not labels and line.startswith(f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0 if want else 0.0


def test_gunicorn_two_workers_aggregate_metrics(app, config, tmp_path):
    """Requests served by either of two workers add up in one /metrics answer."""
    port = free_port()
    metrics_dir = tmp_path / "prom"
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
        env=environment(config, PORT=port, WEB_CONCURRENCY=2,
                        PROMETHEUS_MULTIPROC_DIR=metrics_dir),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = Output(proc)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/healthz", proc)
        screens = walk(base, "ATUid_gunicorn_1")
        assert screens[-1].startswith("END ")
        # Concurrent webhooks until both workers have served some (the kernel
        # decides which worker accepts; a few rounds always spread them).
        events, pids = 0, set()
        for _ in range(20):
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(lambda _: requests.post(
                    f"{base}/webhooks/africastalking/ussd/events",
                    data={"sessionId": "x", "status": "Success"},
                    timeout=REQUEST_TIMEOUT).status_code,
                    range(40)))
            assert set(codes) == {200}
            events += len(codes)
            pids = {p.name for p in metrics_dir.glob("histogram_*.db")}
            if len(pids) == 2:
                break
        assert len(pids) == 2, f"both workers should have served webhooks: {pids}"
        for _ in range(4):  # whichever worker answers the scrape, the sums are the same
            text = requests.get(f"{base}/metrics", timeout=REQUEST_TIMEOUT).text
            assert metric(text, "mpaka_webhook_duration_seconds_count",
                          endpoint="at_ussd_events", status="200") == events
            assert metric(text, "mpaka_webhook_duration_seconds_count",
                          endpoint="at_ussd", status="200") == len(INPUTS) + 1
            assert metric(text, "mpaka_dialogue_completions_total",
                          channel="ussd", language="swa") == 1
    finally:
        output = stop(proc, log)
    access = [line for line in output.splitlines() if '"logger": "gunicorn.access"' in line]
    assert access and '"request_id"' in access[0] and PHONE not in output


@pytest.mark.parametrize("layout", ["venv-on-path", "dot-venv-only"])
def test_honcho_runs_web_and_worker_and_a_dialogue_completes(app, config, svc, tmp_path, layout):
    """`honcho start` (the Procfile) serves the dialogue, and its worker routes
    the report: with the virtualenv's bin on PATH, and with it nowhere on PATH
    but as `.venv` next to the Procfile (what `make` creates), the Procfile's
    `bin/venv-python` finds the project's Python either way."""
    port = free_port()
    env = environment(config, WEB_CONCURRENCY=1)
    env.pop("VIRTUAL_ENV", None)
    env.pop("MPAKA_PYTHON", None)
    if layout == "venv-on-path":
        app_root = ROOT
    else:
        # A checkout of the files honcho reads, with .venv as `make` leaves it.
        app_root = tmp_path / "checkout"
        (app_root / "bin").mkdir(parents=True)
        for name in ("Procfile", "gunicorn.conf.py", "wsgi.py", "bin/venv-python"):
            shutil.copy2(ROOT / name, app_root / name)
        (app_root / ".venv").symlink_to(BIN.parent)
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep)
                                      if Path(p).resolve() != BIN.resolve())
        assert shutil.which("gunicorn", path=env["PATH"]) is None
    proc = subprocess.Popen(
        [str(BIN / "honcho"), "start", "-p", str(port)], cwd=app_root,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    log = Output(proc)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/readyz", proc)
        screens = walk(base, f"ATUid_honcho_{layout}")
        assert screens[-1].startswith("END ")

        def routed():
            with svc.db() as db:
                return db.scalar(select(Report.routed_at).where(Report.routed_at.is_not(None)))

        wait_for(routed, what="the worker to route the report")
    finally:
        output = stop(proc, log)
    assert "web.1" in output and "worker.1" in output
