"""A local fake of Africa's Talking's SMS API (``POST /version1/messaging``).

It answers like AT (HTTP 201, ``application/json``, ``SMSMessageData`` with one
entry per recipient, ``statusCode`` 101) after a configurable latency, and
records every request with the time it arrived and the time it was answered.

Control endpoints (for the benchmarks and fault tests):

* ``GET /_log``: every accepted message, JSON list of
  ``{"to", "message", "received", "answered", "request"}`` (epoch seconds).
* ``POST /_mode`` form ``mode=ok|error|timeout`` and optional ``latency=``:
  ``error`` answers HTTP 500; ``timeout`` holds the request for ``hold``
  seconds (longer than the SDK's 9.05 s read timeout) and records nothing.
* ``POST /_reset``: forget the log.

Run: ``python -m bench.fake_at --port 8099 --latency 0.1``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time

from aiohttp import web

ROUTES = web.RouteTableDef()


class State:
    def __init__(self, latency: float):
        self.latency = latency
        self.mode = "ok"
        self.hold = 12.0
        self.log: list[dict] = []
        self.attempts: list[dict] = []  # every request: time, mode, recipients
        self.calls = {"ok": 0, "error": 0, "timeout": 0}
        self.ids = itertools.count(1)


@ROUTES.post("/version1/messaging")
async def messaging(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    received = time.time()
    form = await request.post()
    mode = state.mode
    state.calls[mode] += 1
    state.attempts.append({"time": received, "mode": mode, "to": str(form.get("to", ""))})
    if mode == "error":
        await asyncio.sleep(state.latency)
        return web.Response(status=500, text="Internal Server Error")
    if mode == "timeout":
        await asyncio.sleep(state.hold)
        return web.Response(status=504, text="Gateway Timeout")
    if state.latency:
        await asyncio.sleep(state.latency)
    recipients = [n for n in str(form.get("to", "")).split(",") if n]
    message = str(form.get("message", ""))
    request_no = next(state.ids)
    entries = []
    answered = time.time()
    for number in recipients:
        message_id = f"ATXid_fake{request_no:08d}{len(entries):03d}"
        entries.append({
            "statusCode": 101, "number": number, "cost": "KES 0.8000",
            "status": "Success", "messageId": message_id,
        })
        state.log.append({"to": number, "message": message, "received": received,
                          "answered": answered, "request": request_no})
    body = {"SMSMessageData": {
        "Message": f"Sent to {len(entries)}/{len(recipients)} Total Cost: KES 0.8000",
        "Recipients": entries,
    }}
    return web.json_response(body, status=201)


@ROUTES.get("/_log")
async def get_log(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    return web.json_response({"messages": state.log, "calls": state.calls, "mode": state.mode,
                              "attempts": state.attempts})


@ROUTES.post("/_mode")
async def set_mode(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    form = await request.post()
    state.mode = str(form.get("mode", state.mode))
    if "latency" in form:
        state.latency = float(form["latency"])
    if "hold" in form:
        state.hold = float(form["hold"])
    return web.json_response({"mode": state.mode, "latency": state.latency})


@ROUTES.post("/_reset")
async def reset(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    state.log.clear()
    state.attempts.clear()
    state.calls = dict.fromkeys(state.calls, 0)
    return web.json_response({"ok": True})


@ROUTES.get("/healthz")
async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def make_app(latency: float) -> web.Application:
    app = web.Application()
    app["state"] = State(latency)
    app.add_routes(ROUTES)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    web.run_app(make_app(args.latency), host="127.0.0.1", port=args.port, print=None,
                access_log=None, backlog=1024)


if __name__ == "__main__":
    main()
