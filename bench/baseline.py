"""The in-run baseline: a trivial Flask endpoint under the same gunicorn
settings as the app, doing one Redis GET and one SET per request and answering
``CON ok``.  ``gunicorn bench.baseline:app`` with ``REDIS_URL`` set."""

from __future__ import annotations

import os

import redis
from flask import Flask, Response, request

app = Flask(__name__)
_redis = redis.Redis.from_url(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), socket_timeout=3,
    socket_connect_timeout=2,
)


@app.post("/webhooks/africastalking/ussd")
def ussd():
    key = "bench:baseline:" + request.form.get("sessionId", "")
    _redis.get(key)
    _redis.set(key, request.form.get("text", ""), ex=180)
    return Response("CON ok", mimetype="text/plain")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
