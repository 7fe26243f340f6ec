"""`mpaka dev` starts the whole system on embedded defaults and Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest
import requests

from tests.helpers import DEADLINE, REQUEST_TIMEOUT, Output, free_port, wait_for, wait_ready

pytestmark = pytest.mark.slow


def start_dev(tmp_path, port: int, *args: str, **popen) -> tuple[subprocess.Popen, Output, dict]:
    """`mpaka dev` on embedded defaults (no REDIS_URL, no DATABASE_URL) under ``tmp_path``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "DATABASE_URL") and not k.startswith("MPAKA_")}
    env["MPAKA_ADMIN_PASSWORD"] = "dev-test-password"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli.main", "dev", "--port", str(port), "--data-dir",
         str(tmp_path / "data"), *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen,
    )
    return proc, Output(proc), env


def test_dev_runs_a_dialogue_and_stops_every_child_on_ctrl_c(tmp_path):
    """Embedded Redis, SQLite, web and worker come up; a report is routed; SIGINT
    stops all.  The terminal shows the gateway's own lines (requests, the
    dialogue's end, routing, the console provider's alerts), not RQ's INFO chatter."""
    port = free_port()
    proc, log, env = start_dev(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/healthz", proc)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 2  # worker and web (the embedded redis-server daemonises)
        inputs = ["1", "1", "1", "1", "1", "Armed men near the well", "2", "1"]
        for count in range(len(inputs) + 1):  # AT's cumulative text: "", "1", "1*1", ...
            reply = requests.post(base + "/webhooks/africastalking/ussd", data={
                "sessionId": "ATUid_dev", "phoneNumber": "+254712345678", "serviceCode": "*384#",
                "networkCode": "99999", "text": "*".join(inputs[:count])},
                timeout=REQUEST_TIMEOUT).text
        assert reply.startswith("END ") and "R-" in reply

        def routed() -> str:
            out = subprocess.run(
                [sys.executable, "-m", "gateway.cli.main", "messages", "list", "--json",
                 "--direction", "out"],
                env={**env, "MPAKA_DATA_DIR": str(tmp_path / "data")},
                capture_output=True, text=True, timeout=DEADLINE).stdout
            return out if "console" in out else ""

        sent = wait_for(routed, interval=0.5, what="the worker to send the alert")
        assert '"provider": "console"' in sent and "MPAKA" in sent
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        output = log.text()
    assert proc.returncode == 0, output
    assert "stopped" in output
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    for line in ("[mpaka.http]", "dialogue ended", "outcome=report", "report routed",
                 "[console → +254700000101 · sms] MPAKA"):
        assert line in output, line
    assert "[rq.worker]" not in output and "[rq.scheduler]" not in output, output


def test_dev_verbose_shows_rqs_own_lines(tmp_path):
    """`mpaka dev --verbose`: RQ's worker and scheduler lines at INFO too."""
    port = free_port()
    proc, log, _env = start_dev(tmp_path, port, "--verbose")
    try:
        log.wait_for_line(r"\[rq\.worker\]")
        log.wait_for_line(r"\[rq\.scheduler\]")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_mpaka_dev_alone_stops_the_whole_tree(tmp_path, signum):
    """SIGTERM or SIGINT sent to the `mpaka dev` process only (not its terminal's
    group) stops the web server, the worker, its scheduler and the embedded Redis
    within 10 s."""
    import time

    port = free_port()
    proc, log, _env = start_dev(tmp_path, port, start_new_session=True)  # no terminal group shares it
    try:
        redis_pid = int(log.wait_for_line(r"embedded Redis: .* \(pid (\d+)\)").group(1))
        wait_ready(f"http://127.0.0.1:{port}/healthz", proc)

        def tree() -> list[psutil.Process]:
            procs = psutil.Process(proc.pid).children(recursive=True)
            # the worker's scheduler is a child of the worker
            return procs if len(procs) >= 3 else []

        started = wait_for(tree, interval=0.5, what="web, worker and scheduler to start")
        everything = [*started, psutil.Process(redis_pid)]
        stopped_at = time.monotonic()
        os.kill(proc.pid, signum)
        proc.wait(timeout=DEADLINE)
        gone, alive = psutil.wait_procs(everything, timeout=max(0.1, 10 - (
            time.monotonic() - stopped_at)))
        assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], alive
        assert time.monotonic() - stopped_at < 10
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_dev_starts_a_child_that_died_again(tmp_path):
    """SIGKILL the worker (with its scheduler) and the web server: `mpaka dev`
    keeps running, starts both again and the web answers; Ctrl-C still stops
    everything."""
    port = free_port()
    proc, log, _env = start_dev(tmp_path, port)
    base = f"http://127.0.0.1:{port}"

    def child(command: str) -> psutil.Process | None:
        """The child running ``command`` ("worker" or "serve"); RQ renames its
        process ("rq:worker:…"), so the word is looked for anywhere."""
        for process in psutil.Process(proc.pid).children():
            try:
                if command in " ".join(process.cmdline()):
                    return process
            except psutil.NoSuchProcess:
                continue
        return None

    try:
        wait_ready(base + "/healthz", proc)
        worker = wait_for(lambda: child("worker"), what="the worker")
        web = wait_for(lambda: child("serve"), what="the web server")
        for victim in (worker, web):
            os.killpg(victim.pid, signal.SIGKILL)
        log.wait_for_line(r"the worker exited with code -9: starting it again")
        log.wait_for_line(r"the web exited with code -9: starting it again")
        wait_for(lambda: (c := child("worker")) is not None and c.pid != worker.pid,
                 what="a new worker")
        wait_for(lambda: (c := child("serve")) is not None and c.pid != web.pid,
                 what="a new web server")
        wait_ready(base + "/healthz", proc)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, log.text()
    assert "stopped" in log.text()
