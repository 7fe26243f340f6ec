"""Structured logs: JSON lines with a request id that follows a message into
the jobs it causes; never a number, a description or a secret."""

from __future__ import annotations

import json
import logging

import pytest

from gateway.ops import logs
from tests.gateway.test_intake_ussd import INPUTS, PHONE

SESSION = "ATUid_logs_0001"


def json_lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def post(client, text, request_id):
    return client.post(
        "/webhooks/africastalking/ussd",
        data={"sessionId": SESSION, "phoneNumber": PHONE, "networkCode": "99999",
              "serviceCode": "*384*44135#", "text": text},
        headers={"X-Request-Id": request_id},
    )


def test_request_id_follows_the_report_into_its_jobs(client, run_worker, capsys):
    """The completing request's id is on the routing and sending jobs' lines."""
    text = ""
    post(client, "", "req-start")
    for i, value in enumerate(INPUTS):
        text = value if not text else f"{text}*{value}"
        response = post(client, text, f"req-{i}")
        assert response.headers["X-Request-Id"] == f"req-{i}"
    final = f"req-{len(INPUTS) - 1}"
    capsys.readouterr()
    run_worker()
    lines = json_lines(capsys.readouterr().err)
    jobs = {(line.get("job"), line["request_id"]) for line in lines if line.get("event") == "job done"}
    assert ("route_report", final) in jobs
    assert ("send_messages", final) in jobs
    routed = [line for line in lines if line.get("event") == "report routed"]
    assert routed and routed[0]["request_id"] == final and routed[0]["reference"].startswith("R-")


def test_request_lines_carry_channel_step_and_never_the_number(client, capsys):
    """The access line has the dialogue's context; the number is nowhere."""
    post(client, "", "req-one")
    post(client, "2", "req-two")
    err = capsys.readouterr().err
    lines = [line for line in json_lines(err) if line.get("event") == "request"]
    assert lines[-1]["request_id"] == "req-two"
    assert lines[-1]["channel"] == "ussd" and lines[-1]["step"]
    assert PHONE not in err and PHONE.lstrip("+") not in err


def test_a_bad_request_id_is_replaced():
    """Only short printable ids are trusted from the header."""
    assert logs.REQUEST_ID.match("abc-123")
    assert not logs.REQUEST_ID.match("x" * 65)
    assert not logs.REQUEST_ID.match("a b\nc")


def test_redaction_of_sensitive_fields_and_numbers(app, capsys):
    """Fields that may hold a number, text or secret are dropped; numbers masked anywhere."""
    log = logging.getLogger("mpaka.test")
    log.warning("sent to +254712345678", extra={
        "phone": "+254712345678", "description": "guns at the well", "secret": "s3cret",
        "note": "call 0712345678", "nested": {"to": "+254700000101", "ok": 1},
    })
    line = json_lines(capsys.readouterr().err)[-1]
    assert line["event"] == "sent to [phone]"
    assert line["phone"] == line["description"] == line["secret"] == "[redacted]"
    assert line["note"] == "call [phone]"
    assert line["nested"] == {"to": "[redacted]", "ok": 1}


def test_console_format_for_development(capsys):
    """MPAKA_LOG_FORMAT=console (set by `mpaka dev`) prints readable lines, not JSON."""
    logs.configure("console", "INFO")
    try:
        logging.getLogger("mpaka.test").info("hello", extra={"channel": "sms"})
        err = capsys.readouterr().err
        assert "hello" in err and "channel" in err and not err.lstrip().startswith("{")
    finally:
        logs.configure("json", "INFO")


def test_console_tracebacks_show_no_frame_locals(capsys):
    """An exception logged in the coloured format prints its traceback without the
    frames' local variables, where a number or a description would sit."""
    logs.configure("console", "INFO")
    try:
        def handle(reporter_phone: str, description: str) -> None:
            raise RuntimeError("provider refused")

        phone, words = "+254" + "712999888", "armed men " + "near the well"
        try:
            handle(phone, words)
        except RuntimeError:
            logging.getLogger("mpaka.test").exception("send failed")
        err = capsys.readouterr().err
        assert "provider refused" in err and "Traceback" in err
        assert "712999888" not in err and "armed men" not in err
    finally:
        logs.configure("json", "INFO")


@pytest.mark.parametrize(("typed", "masked"), [
    ("ring 0722 333 444 now", "ring [phone] now"),
    ("+254 722 111 222 is my number", "[phone] is my number"),
    ("0733-444-555", "[phone]"),
    ("07 12 34 56 78", "[phone]"),
    ("0712.345.678", "[phone]"),
    ("0712345678x", "[phone]x"),
    ("254712345678", "[phone]"),
    ("+256 772 123456", "[phone]"),
    ("R-7KQ4XH at 2026-11-30 20:25", "R-7KQ4XH at 2026-11-30 20:25"),
    ("100 cows, call 112 or 999", "100 cows, call 112 or 999"),
])
def test_a_number_is_masked_however_it_is_grouped(typed, masked):
    """Numbers as people type them (spaces, dashes, dots) are masked; dates,
    counts and emergency numbers are not."""
    from gateway.ops.logs import mask_text

    assert mask_text(typed) == masked
