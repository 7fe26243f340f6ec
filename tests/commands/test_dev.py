"""`mpaka dev` starts the whole system on embedded defaults and Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest
import requests

from tests.helpers import DEADLINE, REQUEST_TIMEOUT, free_port, wait_for, wait_ready

pytestmark = pytest.mark.slow


def test_dev_runs_a_dialogue_and_stops_every_child_on_ctrl_c(tmp_path):
    """Embedded Redis, SQLite, web and worker come up; a report is routed; SIGINT stops all."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["MPAKA_ADMIN_PASSWORD"] = "dev-test-password"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli.main", "dev", "--port", str(port), "--data-dir",
         str(tmp_path / "data")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
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
            output, _ = proc.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, output
    assert "stopped" in output
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
