"""Signed JSON webhooks to agencies' systems, and the verifier we publish."""

import json

import pytest
import requests
import responses

from handlers.base import DeliveryStatus
from handlers.errors import ConfigurationError
from handlers.webhook import WebhookSender, sign, url_problem, verify_signature

URL = "https://county.example/mpaka-alerts"
SECRET = "s3cret"
NOW = 1_750_000_000
PAYLOAD = {"report": "R-17", "county": "Turkana", "text": "Wizi wa ng'ombe"}


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def sender():
    return WebhookSender(URL, SECRET, clock=lambda: NOW + 0.7)


def test_send_json_signs_the_exact_body(mock, sender):
    """The receiver's verify_signature accepts what we send, over the raw body."""
    mock.post(URL, status=204)
    result = sender.send_json("del-1", PAYLOAD)
    assert (result.id, result.status) == ("del-1", DeliveryStatus.DELIVERED)
    request = mock.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Mpaka-Delivery"] == "del-1"
    assert request.headers["X-Mpaka-Timestamp"] == str(NOW)
    assert request.headers["X-Mpaka-Signature"].startswith("sha256=")
    assert json.loads(request.body) == PAYLOAD
    assert verify_signature(
        SECRET,
        request.headers["X-Mpaka-Timestamp"],
        request.body,
        request.headers["X-Mpaka-Signature"],
        now=NOW + 5,
    )


@pytest.mark.parametrize(
    "mocked, status, transient",
    [
        pytest.param({"status": 200}, DeliveryStatus.DELIVERED, False, id="200 delivered"),
        pytest.param({"status": 400}, DeliveryStatus.FAILED, False, id="400 permanent"),
        pytest.param({"status": 404}, DeliveryStatus.FAILED, False, id="404 permanent"),
        pytest.param({"status": 302}, DeliveryStatus.FAILED, False, id="redirect not followed"),
        pytest.param({"status": 429}, DeliveryStatus.FAILED, True, id="429 transient"),
        pytest.param({"status": 500}, DeliveryStatus.FAILED, True, id="500 transient"),
        pytest.param({"status": 503}, DeliveryStatus.FAILED, True, id="503 transient"),
        pytest.param(
            {"body": requests.exceptions.ConnectTimeout()},
            DeliveryStatus.FAILED,
            True,
            id="timeout transient",
        ),
        pytest.param(
            {"body": requests.exceptions.ConnectionError()},
            DeliveryStatus.FAILED,
            True,
            id="connection error transient",
        ),
    ],
)
def test_send_json_outcomes(mock, sender, mocked, status, transient):
    """2xx is delivered; 4xx permanent; 5xx, 429 and network errors transient."""
    mock.post(URL, **mocked)
    result = sender.send_json("del-1", PAYLOAD)
    assert (result.status, result.transient) == (status, transient)


def signed(body=b'{"a":1}', timestamp=str(NOW)):
    return sign(SECRET, timestamp, body)


@pytest.mark.parametrize(
    "secret, timestamp, body, signature, now, valid",
    [
        pytest.param(SECRET, str(NOW), b'{"a":1}', signed(), NOW, True, id="fresh and signed"),
        pytest.param(SECRET, NOW, '{"a":1}', signed(), NOW + 299, True, id="str body, int ts"),
        pytest.param(SECRET, str(NOW), b'{"a":1}', signed(), NOW + 301, False, id="stale"),
        pytest.param(SECRET, str(NOW), b'{"a":1}', signed(), NOW - 301, False, id="future"),
        pytest.param(SECRET, str(NOW), b'{"a":2}', signed(), NOW, False, id="tampered body"),
        pytest.param(SECRET, str(NOW + 1), b'{"a":1}', signed(), NOW, False, id="tampered ts"),
        pytest.param("other", str(NOW), b'{"a":1}', signed(), NOW, False, id="wrong secret"),
        pytest.param(SECRET, str(NOW), b'{"a":1}', None, NOW, False, id="missing signature"),
        pytest.param(SECRET, None, b'{"a":1}', signed(), NOW, False, id="missing timestamp"),
        pytest.param(SECRET, "soon", b'{"a":1}', signed(), NOW, False, id="non-numeric ts"),
    ],
)
def test_verify_signature(secret, timestamp, body, signature, now, valid):
    """verify_signature checks the HMAC and the timestamp's freshness."""
    assert verify_signature(secret, timestamp, body, signature, now=now) is valid


@pytest.mark.parametrize(
    "url, secret, complaint",
    [
        pytest.param(URL, "", "secret", id="empty secret"),
        pytest.param("ftp://county.example", SECRET, "https", id="not http"),
    ],
)
def test_webhook_sender_configuration(url, secret, complaint):
    """A sender without secret or with a non-HTTP URL cannot be built."""
    with pytest.raises(ConfigurationError, match=complaint):
        WebhookSender(url, secret)


def resolver_to(*addresses):
    return lambda host: list(addresses)


@pytest.mark.parametrize(
    ("url", "addresses", "https", "problem"),
    [
        pytest.param("https://agency.example.org/hook", ["93.184.216.34"], True, None,
                     id="public https"),
        pytest.param("http://agency.example.org/hook", ["93.184.216.34"], True, "https://",
                     id="http in production"),
        pytest.param("http://agency.example.org/hook", ["93.184.216.34"], False, None,
                     id="http outside production"),
        pytest.param("https://127.0.0.1/hook", ["127.0.0.1"], True, "loopback", id="loopback"),
        pytest.param("https://169.254.169.254/latest", ["169.254.169.254"], True, "link-local",
                     id="link-local (cloud metadata)"),
        pytest.param("https://intranet.example/hook", ["10.1.2.3"], True, "private",
                     id="a name resolving to a private address"),
        pytest.param("https://[::1]/hook", ["::1"], True, "loopback", id="IPv6 loopback"),
        pytest.param("ftp://agency.example.org", ["93.184.216.34"], True, "full URL",
                     id="not a web URL"),
    ],
)
def test_agency_url_problems(url, addresses, https, problem):
    """Agency URLs: https in production, never into our own network unless allowed."""
    found = url_problem(url, require_https=https, allow_private=False,
                        resolver=resolver_to(*addresses))
    assert (found is None) if problem is None else (problem in found)


def test_private_hosts_can_be_allowed_explicitly():
    """AGENCY_ALLOW_PRIVATE lets an installation post into its own network."""
    assert url_problem("https://10.0.0.5/hook", require_https=True, allow_private=True) is None


def test_a_url_resolving_to_a_private_address_at_send_time_is_refused():
    """DNS changed since the admin saved it: the send is refused, permanently, unsent."""
    sender = WebhookSender("https://agency.example.org/hook", SECRET, allow_private=False,
                           resolver=resolver_to("10.0.0.9"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        result = sender.send_json("d-1", {"event": "report.created"})
        assert len(mock.calls) == 0
    assert result.status == "failed" and not result.transient and "private" in result.error
