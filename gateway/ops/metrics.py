"""Prometheus metrics (listed, with what to alert on, in docs/metrics.md).

Two kinds of storage, each where it adds up correctly:

* **Business counters** (messages, dialogues, reports, alerts, escalations)
  and the time-to-first-acknowledgement histogram are kept in **Redis**
  (``HINCRBY``).  They happen in web processes, in RQ work-horses (one fork
  per job) and on several machines; Redis adds them into one cluster-wide
  number that survives restarts.  Every web instance exports the same values:
  aggregate them with ``max``, not ``sum``, across instances.
* **Per-process measurements** (webhook latency) use ``prometheus_client``;
  under gunicorn its multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set by
  ``gunicorn.conf.py``) sums every worker of the instance.

Queue depths, RQ workers and overdue alerts are read at scrape time by the
``/metrics`` endpoint (``gateway.web.metrics``); this module only records.

Label values are short identifiers from closed sets (channel, county,
category, step id, provider...).  ``label()`` turns anything else into
``other``, so a phone number or free text can never become a label.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from prometheus_client import Histogram

from gateway.core import keys
from gateway.vocab import MessageStatus

log = logging.getLogger(__name__)

#: name -> (help, label names).  Every counter Mpaka exports.
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mpaka_inbound_messages": (
        "Inbound messages by channel and outcome (reply, report, command, duplicate, unavailable)",
        ("channel", "outcome"),
    ),
    "mpaka_dialogue_starts": ("Dialogues started", ("channel",)),
    "mpaka_dialogue_completions": ("Dialogues completed with a report", ("channel", "language")),
    "mpaka_dialogue_abandonments": (
        "Dialogues left unfinished, by the step they stopped at and why", ("channel", "step", "reason")
    ),
    "mpaka_dialogue_quick_exits": ("Quick exits (the reporter's safety key)", ("channel",)),
    "mpaka_dialogue_resumes": ("Unfinished dialogues resumed", ("channel",)),
    "mpaka_reports": ("Reports routed for the first time", ("county", "category", "severity")),
    "mpaka_alerts": ("Alerts created for a team", ("kind", "tier")),
    "mpaka_outbound_messages": (
        "Outbound messages by provider and result (sent, delivered, failed, retry)",
        ("provider", "channel", "status"),
    ),
    "mpaka_escalations": ("Alerts escalated to a higher tier", ("tier",)),
    "mpaka_acknowledgements": (
        "First acknowledgements, by who (member: SMS ACK, user: console or API)", ("via",)
    ),
    "mpaka_media": (
        "Reporters' media files fetched, by kind and outcome (stored, or why refused)",
        ("kind", "outcome"),
    ),
}

#: Seconds from a report's arrival to its first acknowledgement.
FIRST_ACK = "mpaka_first_acknowledgement_seconds"
FIRST_ACK_BUCKETS = (60, 300, 600, 1800, 3600, 7200, 21600, 86400)

WEBHOOK_DURATION = Histogram(
    "mpaka_webhook_duration_seconds",
    "Time to answer a provider webhook",
    ("endpoint", "status"),
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15),
)

_LABEL = re.compile(r"^[a-z][a-z0-9_.-]{0,47}$")
SEPARATOR = "\x1f"


def label(value) -> str:
    """A safe label value: a short lower-case identifier, else ``other``."""
    text = str(value if value is not None else "none").strip().lower()
    return text if _LABEL.match(text) else "other"


# -- writing ----------------------------------------------------------------------


def _redis(target):
    return getattr(target, "redis", target)


def incr(target, name: str, amount: int = 1, **labels) -> None:
    """Add to a counter in Redis.  ``target`` is ``Services`` or a Redis client.
    Never raises: a metric must not cost a report."""
    names = COUNTERS[name][1]
    if set(labels) != set(names):
        raise ValueError(f"{name} takes labels {names}, got {sorted(labels)}")
    field = SEPARATOR.join(label(labels[n]) for n in names)
    try:
        _redis(target).hincrby(keys.metric(name), field, amount)
    except Exception as exc:  # noqa: BLE001 - Redis down: the count is lost, nothing else
        log.debug("metric %s not recorded: %s", name, type(exc).__name__)


def observe_first_ack(target, seconds: float, severity: str) -> None:
    bucket = next((str(b) for b in FIRST_ACK_BUCKETS if seconds <= b), "+Inf")
    sev = label(severity)
    try:
        pipe = _redis(target).pipeline()
        pipe.hincrby(keys.metric(FIRST_ACK), f"{sev}{SEPARATOR}{bucket}", 1)
        pipe.hincrbyfloat(keys.metric(FIRST_ACK), f"{sev}{SEPARATOR}sum", max(seconds, 0.0))
        pipe.execute()
    except Exception as exc:  # noqa: BLE001
        log.debug("metric %s not recorded: %s", FIRST_ACK, type(exc).__name__)


# -- instrumentation helpers (one line at each call site) ---------------------------


def inbound(svc, channel, outcome) -> None:
    """``outcome``: a label, or the conversation's ``Outcome``."""
    if not isinstance(outcome, str):
        if outcome.duplicate:
            outcome = "duplicate"
        elif outcome.reference:
            outcome = "report"
        else:
            outcome = "reply"
    incr(svc, "mpaka_inbound_messages", channel=str(channel), outcome=outcome)


def observe_turn(svc, channel, turn, *, new: bool) -> None:
    """Dialogue counters from one engine turn (its events, report and end)."""
    channel = str(channel)
    events = turn.events or []
    kinds = [e.get("type") for e in events]
    if new and ("step" in kinds or not turn.ended):
        incr(svc, "mpaka_dialogue_starts", channel=channel)
    for event in events:
        kind = event.get("type")
        if kind == "quick_exit":
            incr(svc, "mpaka_dialogue_quick_exits", channel=channel)
        elif kind == "resumed":
            incr(svc, "mpaka_dialogue_resumes", channel=channel)
        elif kind in ("strikes_out", "cancelled"):
            step = event.get("step") or getattr(turn.session, "step", None) or "start"
            incr(svc, "mpaka_dialogue_abandonments", channel=channel, step=step, reason=kind)
    if turn.report is not None:
        incr(svc, "mpaka_dialogue_completions", channel=channel,
             language=turn.report.get("language"))


def ussd_session_ended(svc, event: dict) -> None:
    """AT's end-of-session notice: a session that was not completed was dropped
    (timeout, network) at the step its Redis session shows."""
    status = (event.get("status") or "").lower()
    if status in ("", "success", "completed"):
        return
    step = "start"
    try:
        conversation = keys.live_conversation(str(event.get("session_id") or ""),
                                              svc.protector.phone_hash(event["phone"]))
        raw = svc.redis.get(keys.session("ussd", conversation))
        if raw:
            session = json.loads(raw).get("session")  # the session as its own JSON text
            session = json.loads(session) if isinstance(session, str) else session
            step = session.get("step") or "start"
        elif raw is None:
            return  # finished (or ended by the reporter) already: nothing to count
    except Exception:  # noqa: BLE001
        return
    incr(svc, "mpaka_dialogue_abandonments", channel="ussd", step=step, reason="timeout")


def send_results(svc, rows_by_id: dict, results) -> None:
    """After a sending batch: one count per result."""
    for result in results:
        row = rows_by_id.get(int(result.id))
        if row is None:
            continue
        status = str(result.status)
        if status == MessageStatus.FAILED and result.transient:
            status = MessageStatus.RETRY
        outbound(svc, row, status)


def outbound(svc, row, status: str) -> None:
    """One outbound message reached ``status`` (sent, delivered, failed, retry)."""
    incr(svc, "mpaka_outbound_messages", provider=row.provider, channel=row.channel,
         status=status)


def alert_created(svc, alert, team) -> None:
    incr(svc, "mpaka_alerts", kind=alert.kind, tier=team.tier)


def escalated(svc, alerts) -> None:
    for alert in alerts:
        incr(svc, "mpaka_escalations", tier=alert.team.tier)


def report_routed(svc, report) -> None:
    incr(svc, "mpaka_reports", county=report.county, category=report.category,
         severity=report.severity)


def acknowledged(svc, report, actor: str, now: datetime) -> None:
    """The first acknowledgement of ``report``."""
    incr(svc, "mpaka_acknowledgements", via=(actor or "other").split(":", 1)[0])
    created = report.created_at
    if created is not None:
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        observe_first_ack(svc, (now - created).total_seconds(), report.severity)
