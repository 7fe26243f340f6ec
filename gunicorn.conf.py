"""gunicorn settings for Mpaka: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden with gunicorn's own ``GUNICORN_CMD_ARGS`` or
the environment variables read below.  See docs/deploy.md.
"""

import multiprocessing
import os
import shutil
import tempfile

# Listen where the Procfile/honcho (PORT) or systemd (MPAKA_BIND) says.
bind = os.environ.get("MPAKA_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"

# Sync workers: a webhook is a few Redis and SQL round trips.  2 per CPU + 1.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# Africa's Talking gives up on a USSD callback after about 10 s and Twilio
# after 15 s: a worker stuck longer than 8 s is killed and replaced, and the
# provider's retry lands on a healthy one.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "8"))
graceful_timeout = 10
keepalive = 5  # behind nginx / a load balancer keeping connections open

# Restart workers now and then so a slow leak never grows, each at its own
# time: a restart takes its worker away for a second or two (boot, parse the
# script), and workers sharing an even load reach the same count together.
# With 2,000 +- 200 all four restarted within a second under the benchmark's
# load, and every request queued behind them waited 1.5 s (BENCHMARKS.md).
max_requests = 20000
max_requests_jitter = 10000

# Trust X-Forwarded-* from nginx on this host only (the app's ProxyFix
# handles TRUSTED_PROXIES for the public URL).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# One JSON line per request on stderr (gateway.ops.logs.GunicornLogger), with the
# request id and without query strings; the app's own request line is off.
accesslog = "-"
errorlog = "-"
logger_class = "gateway.ops.logs.GunicornLogger"
os.environ.setdefault("MPAKA_ACCESS_LOG", "0")

# Prometheus multiprocess mode: every worker writes its samples under this
# directory and /metrics sums them.  It must be set before prometheus_client
# is imported (the app is loaded after this file) and emptied at start.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if not _metrics_dir:
    _metrics_dir = tempfile.mkdtemp(prefix="mpaka-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server):
    """Refuse insecure production settings before any worker boots (one plain
    line per problem on stderr, exit status 78), then start from empty
    counters: stale files would be added to the new ones."""
    from gateway.core import production

    production.refuse_to_start_if_insecure()
    os.makedirs(_metrics_dir, exist_ok=True)
    for name in os.listdir(_metrics_dir):
        path = os.path.join(_metrics_dir, name)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Parse the live dialogue script before the first request: the first
    reporter after a deploy must neither wait for a parse nor depend on the
    database answering."""
    from gateway.core.services import current_services
    from gateway.store import script_versions

    try:
        with worker.wsgi.app_context():
            script_versions.preload(current_services())
    except Exception as exc:  # storage down at start: parse on the first request instead
        worker.log.warning("could not preload the dialogue script: %s", type(exc).__name__)


def post_fork(server, worker):
    """Let a streaming export keep its worker alive between chunks
    (``gateway.ops.heartbeat``): a sync worker is otherwise killed after
    ``timeout`` seconds however steadily it sends."""
    from gateway.ops import heartbeat

    heartbeat.install(worker.notify)
