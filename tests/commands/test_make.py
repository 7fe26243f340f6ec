"""`make run PORT=…` starts `mpaka dev` on that port."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import DEADLINE, Output, free_port, wait_ready

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="`make` is not installed")


@needs_make
def test_make_run_passes_port_to_mpaka_dev():
    """`make -n run PORT=5400` would run `mpaka dev --port 5400` (also when the
    tests themselves run under `make test`, whose make prints directory lines)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    out = subprocess.run(["make", "-n", "run", "PORT=5400"], cwd=ROOT, capture_output=True,
                         text=True, timeout=DEADLINE, check=True, env=env).stdout
    assert any(line.endswith("mpaka dev --port 5400") for line in out.splitlines()), out


@needs_make
@pytest.mark.slow
def test_make_run_serves_on_the_given_port(tmp_path):
    """`make run PORT=<free port>` (with this test's virtualenv, already
    installed) answers /healthz on that port, and Ctrl-C stops it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "PORT")}
    env |= {"MPAKA_DATA_DIR": str(tmp_path / "data"), "MPAKA_ADMIN_PASSWORD": "make-test-pw",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))}
    # -o: the virtualenv is this one, installed already; never reinstall it here.
    proc = subprocess.Popen(
        ["make", "-o", f"{VENV}/.installed", "run", f"PORT={port}", f"VENV={VENV}"], cwd=ROOT,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    log = Output(proc)
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
        log.wait_for_line(rf"running on http://127\.0\.0\.1:{port}")
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches make and mpaka dev alike
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert "stopped" in log.text()
