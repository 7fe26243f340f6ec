"""``/metrics``: counters move through a full dialogue and its routing; labels
never carry a number or free text; scraping can be restricted."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.ops import metrics
from tests.gateway.test_intake_ussd import INPUTS, PHONE, walk


def samples(client, **kwargs) -> dict[tuple, float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    found = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def value(found, name, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_counters_move_through_a_dialogue_and_its_routing(client, run_worker):
    """One USSD report: inbound messages, a start, a completion, a report by
    county and category, alerts, sent messages, and the webhook latency."""
    before = samples(client)
    screens = walk(client, INPUTS)
    assert screens[-1].text.startswith("END ")
    run_worker()
    after = samples(client)
    assert value(after, "mpaka_inbound_messages_total", channel="ussd", outcome="report") == 1
    assert value(after, "mpaka_inbound_messages_total", channel="ussd", outcome="reply") == len(INPUTS)
    assert value(after, "mpaka_dialogue_starts_total", channel="ussd") == 1
    assert value(after, "mpaka_dialogue_completions_total", channel="ussd", language="swa") == 1
    assert value(after, "mpaka_reports_total", county="turkana", category="terrorism",
                 severity="high") == 1
    assert value(after, "mpaka_alerts_total", kind="report", tier="county") >= 1
    assert value(after, "mpaka_outbound_messages_total", provider="console", channel="sms",
                 status="sent") >= 2
    count = value(after, "mpaka_webhook_duration_seconds_count", endpoint="at_ussd", status="200")
    assert count - value(before, "mpaka_webhook_duration_seconds_count", endpoint="at_ussd",
                         status="200") == len(INPUTS) + 1
    assert value(after, "mpaka_queue_jobs", queue="alerts", state="queued") == 0
    assert value(after, "mpaka_dependency_up", dependency="database") == 1


def test_quick_exit_and_acknowledgement_are_counted(client, svc, run_worker):
    """The quick exit key counts as such; the first acknowledgement observes
    the time to acknowledge."""
    from sqlalchemy import select

    from gateway.routing import acks
    from gateway.store.models import Report

    walk(client, INPUTS)
    run_worker()
    with svc.db() as db:
        report = db.scalar(select(Report))
        acks.acknowledge(svc, db, report, actor="user:admin", actor_name="admin")
        db.commit()
    found = samples(client)
    assert value(found, "mpaka_acknowledgements_total", via="user") == 1
    assert value(found, "mpaka_first_acknowledgement_seconds_count", severity="high") == 1


def test_no_phone_number_or_free_text_in_any_label(client, run_worker):
    """Label values are identifiers from closed sets, whatever was typed."""
    walk(client, INPUTS)
    run_worker()
    text = client.get("/metrics").text
    digits = PHONE.lstrip("+")
    assert digits not in text and digits[-9:] not in text
    description = INPUTS[5]
    assert description not in text
    ours = "\n".join(line for line in text.splitlines() if line.startswith("mpaka_"))
    for label_value in re.findall(r'="([^"]*)"', ours):
        assert re.fullmatch(r"[a-z0-9_.+\-]*|\+Inf|[0-9.e+]+", label_value), label_value


@pytest.mark.parametrize("value_in, expected", [
    pytest.param("turkana", "turkana", id="identifier"),
    pytest.param("+254712345678", "other", id="phone number"),
    pytest.param("0712345678", "other", id="national number"),
    pytest.param("armed men near the borehole", "other", id="free text"),
    pytest.param("x" * 80, "other", id="too long"),
    pytest.param(None, "none", id="none"),
])
def test_label_values_are_sanitised(value_in, expected):
    """Anything but a short identifier becomes 'other'."""
    assert metrics.label(value_in) == expected


@pytest.mark.parametrize("overrides, headers, remote, status", [
    pytest.param({"METRICS_TOKEN": "t0ken"}, {}, "10.0.0.9", 403, id="token required, none"),
    pytest.param({"METRICS_TOKEN": "t0ken"}, {"Authorization": "Bearer nope"}, "10.0.0.9", 403,
                 id="wrong token"),
    pytest.param({"METRICS_TOKEN": "t0ken"}, {"Authorization": "Bearer t0ken"}, "10.0.0.9", 200,
                 id="right token"),
    pytest.param({"METRICS_ALLOW": ["10.1.0.0/16"]}, {}, "10.1.2.3", 200, id="allowed network"),
    pytest.param({"METRICS_ALLOW": ["10.1.0.0/16"]}, {}, "10.2.0.1", 403, id="other network"),
    pytest.param({}, {}, "203.0.113.9", 200, id="open when unconfigured"),
])
def test_metrics_access_control(make_app, overrides, headers, remote, status):
    """A token or an allow-list, when configured, guards /metrics."""
    client = make_app(**overrides).test_client()
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == status
