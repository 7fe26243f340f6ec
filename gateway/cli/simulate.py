"""``mpaka simulate``: a terminal phone that posts to a running gateway exactly
as the provider would, and prints each screen."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET

import click
import requests
from twilio.request_validator import RequestValidator

from gateway.core import config as config_module
from gateway.vocab import Channel

USSD_PATH = "/webhooks/africastalking/ussd"
AT_SMS_PATH = "/webhooks/africastalking/sms"
TWILIO_PATH = "/webhooks/twilio/messages"


def _at_url(base: str, path: str) -> str:
    secret = config_module.from_environment().get("AT_WEBHOOK_SECRET")
    return base.rstrip("/") + path + (f"?secret={secret}" if secret else "")


def _show(text: str) -> None:
    width = max([len(line) for line in text.splitlines()] + [20])
    click.echo("+" + "-" * (width + 2) + "+")
    for line in text.splitlines() or [""]:
        click.echo(f"| {line.ljust(width)} |")
    click.echo("+" + "-" * (width + 2) + "+")


class Phone:
    def __init__(self, url: str, phone: str, inputs: list[str] | None):
        self.url = url
        self.phone = phone
        self.inputs = list(inputs) if inputs else None
        self.http = requests.Session()

    def ask(self, prompt: str) -> str | None:
        if self.inputs is not None:
            if not self.inputs:
                return None
            value = self.inputs.pop(0)
            click.echo(f"{prompt}: {value}")
            return value
        try:
            return click.prompt(prompt, default="", show_default=False)
        except (click.Abort, EOFError):
            return None

    def ussd(self, service_code: str) -> None:
        session_id = "ATUid_sim" + secrets.token_hex(12)
        text = ""
        first = True
        while True:
            form = {"sessionId": session_id, "phoneNumber": self.phone, "networkCode": "99999",
                    "serviceCode": service_code, "text": text}
            response = self.http.post(_at_url(self.url, USSD_PATH), data=form, timeout=15)
            body = response.text
            if response.status_code != 200:
                click.echo(f"HTTP {response.status_code}: {body}")
                return
            _show(body[4:])
            if body.startswith("END"):
                return
            value = self.ask("Reply")
            if value is None:
                click.echo("(session dropped)")
                return
            text = value if first else f"{text}*{value}"
            first = False

    def twilio(self, whatsapp: bool) -> None:
        settings = config_module.from_environment()
        token = settings.get("TWILIO_AUTH_TOKEN")
        prefix = "whatsapp:" if whatsapp else ""
        url = self.url.rstrip("/") + TWILIO_PATH
        public = settings.get("PUBLIC_BASE_URL")
        signed_url = (public.rstrip("/") + TWILIO_PATH) if public else url
        while True:
            value = self.ask("Message")
            if value is None:
                return
            form = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32,
                    "From": prefix + self.phone, "To": prefix + "+15005550006", "Body": value,
                    "NumMedia": "0", "SmsStatus": "received", "ApiVersion": "2010-04-01"}
            headers = {}
            if token:
                headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(
                    signed_url, form
                )
            response = self.http.post(url, data=form, headers=headers, timeout=15)
            if response.status_code != 200:
                click.echo(f"HTTP {response.status_code}: {response.text}")
                return
            bodies = [el.text or "" for el in ET.fromstring(response.text).iter("Message")]
            for body in bodies:
                _show(body)

    def at_sms(self) -> None:
        while True:
            value = self.ask("Message")
            if value is None:
                return
            form = {"from": self.phone, "to": "28901", "text": value,
                    "date": "2026-01-01 00:00:00", "id": "ATXid_sim" + secrets.token_hex(12),
                    "networkCode": "99999"}
            response = self.http.post(_at_url(self.url, AT_SMS_PATH), data=form, timeout=15)
            click.echo(f"HTTP {response.status_code}: the reply goes out through the SMS API "
                       "(see the gateway's console or `mpaka messages list`)")


@click.command()
# Voice is not a typed channel (calls are simulated by the voice dialogue's own walk).
@click.option("--channel", type=click.Choice([str(c) for c in Channel if c != Channel.VOICE]),
              default="ussd",
              show_default=True)
@click.option("--phone", required=True, help="The phone number to report from (E.164).")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True)
@click.option("--service-code", default="*384*44135#", show_default=True)
@click.option("--sms-provider", type=click.Choice(["twilio", "africastalking"]), default="twilio",
              show_default=True, help="SMS through Twilio (inline replies) or Africa's Talking.")
@click.option("--input", "inputs", multiple=True,
              help="Answers to send in order instead of asking (repeatable).")
def simulate(channel, phone, url, service_code, sms_provider, inputs):
    """Walk a dialogue on a simulated phone against a running gateway."""
    sim = Phone(url, phone, list(inputs) or None)
    if channel == "ussd":
        sim.ussd(service_code)
    elif channel == "sms" and sms_provider == "africastalking":
        sim.at_sms()
    else:
        sim.twilio(whatsapp=channel == "whatsapp")
