"""The sender registry, the console sender, and the package's import rules."""

import ast
import io
from pathlib import Path

import pytest

import handlers
from handlers.africastalking import AfricasTalkingSender
from handlers.base import Channel, DeliveryStatus, OutboundMessage, SendResult
from handlers.console import ConsoleSender
from handlers.errors import ConfigurationError
from handlers.registry import build_sender
from handlers.twilio import TwilioSender

HANDLERS_DIR = Path(handlers.__file__).parent
ALLOWED_AT_IMPORT = {"logging.getLogger"}
AT_CONFIG = {"AT_USERNAME": "sandbox", "AT_API_KEY": "k"}
TWILIO_CONFIG = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t",
    "TWILIO_FROM_NUMBER": "+15005550006",
}


@pytest.fixture(autouse=True)
def no_twilio_env(monkeypatch):
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "provider, config, kind",
    [
        pytest.param("africastalking", AT_CONFIG, AfricasTalkingSender, id="africastalking"),
        pytest.param("twilio", TWILIO_CONFIG, TwilioSender, id="twilio"),
        pytest.param("console", {}, ConsoleSender, id="console"),
    ],
)
def test_build_sender(provider, config, kind):
    """Each provider name builds its sender."""
    assert isinstance(build_sender(provider, config), kind)


@pytest.mark.parametrize(
    "provider, config, variable",
    [
        pytest.param("africastalking", {"AT_API_KEY": "k"}, "AT_USERNAME", id="AT username"),
        pytest.param("africastalking", {"AT_USERNAME": "u"}, "AT_API_KEY", id="AT key"),
        pytest.param(
            "africastalking", {"AT_USERNAME": "u", "AT_API_KEY": " "}, "AT_API_KEY", id="blank"
        ),
        pytest.param(
            "twilio",
            {k: v for k, v in TWILIO_CONFIG.items() if k != "TWILIO_AUTH_TOKEN"},
            "TWILIO_AUTH_TOKEN",
            id="twilio token",
        ),
        pytest.param(
            "twilio",
            {k: v for k, v in TWILIO_CONFIG.items() if k != "TWILIO_FROM_NUMBER"},
            "TWILIO_FROM_NUMBER",
            id="twilio from number",
        ),
        pytest.param("carrier-pigeon", {}, "africastalking, console, twilio", id="unknown"),
    ],
)
def test_build_sender_names_what_is_missing(provider, config, variable):
    """Missing credentials raise ConfigurationError naming the variable."""
    with pytest.raises(ConfigurationError, match=variable):
        build_sender(provider, config)


def test_build_twilio_sender_status_callback_and_whatsapp():
    """PUBLIC_BASE_URL gives the status callback URL; the WhatsApp sender gets its prefix."""
    sender = build_sender(
        "twilio",
        {
            **TWILIO_CONFIG,
            "PUBLIC_BASE_URL": "https://mpaka.example/",
            "TWILIO_WHATSAPP_FROM": "+14155238886",
        },
    )
    assert sender.status_callback == "https://mpaka.example/webhooks/twilio/status"
    assert sender.whatsapp_from == "whatsapp:+14155238886"


def test_build_at_sender_takes_sender_id():
    """AT_SENDER_ID is optional and passed through."""
    assert (
        build_sender("africastalking", {**AT_CONFIG, "AT_SENDER_ID": "MPAKA"}).sender_id == "MPAKA"
    )
    assert build_sender("africastalking", AT_CONFIG).sender_id is None


def test_console_sender_prints_and_reports_sent():
    """The console sender prints each message and returns SENT with a generated id."""
    stream = io.StringIO()
    ids = iter(["id-1", "id-2"])
    sender = ConsoleSender(stream=stream, id_factory=lambda: next(ids))
    results = sender.send(
        [
            OutboundMessage(id="a", channel=Channel.SMS, to="+254711000001", text="Habari\nyako"),
            OutboundMessage(id="b", channel=Channel.WHATSAPP, to="+254711000002", text="Sawa"),
        ]
    )
    assert results == [
        SendResult(id="a", status=DeliveryStatus.SENT, provider_message_id="id-1"),
        SendResult(id="b", status=DeliveryStatus.SENT, provider_message_id="id-2"),
    ]
    printed = stream.getvalue()
    assert "[console → +254711000001 · sms] Habari\n    yako\n" in printed
    assert "[console → +254711000002 · whatsapp] Sawa\n" in printed


def test_console_sender_default_ids_are_unique(capsys):
    """Without an id factory each result gets a fresh uuid4 hex."""
    message = OutboundMessage(id="a", channel=Channel.SMS, to="+254711000001", text="x")
    first, second = ConsoleSender().send([message, message])
    assert first.provider_message_id != second.provider_message_id
    assert len(first.provider_message_id) == 32
    assert "+254711000001" in capsys.readouterr().out


@pytest.mark.parametrize("path", sorted(HANDLERS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_no_flask_and_no_module_level_calls(path):
    """Handlers import no Flask and run nothing at import time but definitions."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not any(a.name.split(".")[0] == "flask" for a in node.names)
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] != "flask"
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
            called = ast.unparse(node.value.func)
            if called not in ALLOWED_AT_IMPORT:
                pytest.fail(f"{path.name}:{node.lineno} calls {called} at import time")


def test_public_names():
    """The package exports the shared types, errors and helpers."""
    for name in handlers.__all__:
        assert hasattr(handlers, name)
