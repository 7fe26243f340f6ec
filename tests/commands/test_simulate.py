"""`mpaka simulate` walks a dialogue against a running gateway as the provider
would post it, signing Twilio requests when a token is configured."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from gateway.cli.simulate import simulate
from gateway.store.models import Report

KISWAHILI = ["2", "1", "1", "1", "1", "Watu wenye bunduki karibu na kisima", "2", "1"]


def run(url, *args, env=None, answers=KISWAHILI):
    inputs = [arg for value in answers for arg in ("--input", value)]
    return CliRunner().invoke(simulate, ["--url", url, "--phone", "+254712345678", *args, *inputs],
                              env=env or {})


def test_simulate_ussd_in_kiswahili_stores_a_report(live_server, svc):
    """A Kiswahili USSD walk prints every screen and ends with the reference."""
    result = run(live_server, "--channel", "ussd")
    assert result.exit_code == 0, result.output
    assert "Lugha / Luqadda" in result.output and "Nini kinatokea?" in result.output
    with svc.db() as db:
        reference = db.scalar(select(Report.reference))
    assert reference in result.output


def test_simulate_whatsapp_signs_requests(app, live_server, svc):
    """With TWILIO_AUTH_TOKEN set, the simulator signs its posts and they are accepted."""
    app.config["TWILIO_AUTH_TOKEN"] = "sim-token"
    result = run(live_server, "--channel", "whatsapp", env={"TWILIO_AUTH_TOKEN": "sim-token"},
                 answers=["RIPOTI", *KISWAHILI[1:]])
    assert result.exit_code == 0, result.output
    assert "HTTP 403" not in result.output
    with svc.db() as db:
        assert db.scalar(select(Report.channel)) == "whatsapp"


def test_simulate_voice_speaks_the_call_and_stores_a_voice_report(live_server, svc):
    """A call in English: the spoken menus are printed, keys sent as dtmfDigits,
    a simulated recording sent at the description; the report is a voice report
    and the reference is read out at the end."""
    answers = ["1", "4", "1", "4", "2", "", "2", "1"]  # "": a simulated recording
    result = run(live_server, "--channel", "voice", answers=answers)
    assert result.exit_code == 0, result.output
    heard = " ".join(line.strip("| ").strip() for line in result.output.splitlines()
                     if line.startswith("| "))
    assert "What is happening? For Terrorism or extremism, press 1." in heard
    assert "Speak after the beep" in heard
    assert result.output.rstrip().endswith("(call ended)")
    with svc.db() as db:
        report = db.scalars(select(Report)).one()
    assert report.channel == "voice" and report.contact_allowed is False
    assert ", ".join(ch for ch in report.reference if ch.isalnum()) in heard
