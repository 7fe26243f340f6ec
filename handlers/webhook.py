"""Alerts POSTed as signed JSON into an agency's own system.

Signature scheme (documented for agencies)::

    X-Mpaka-Timestamp: <unix seconds>
    X-Mpaka-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>
    X-Mpaka-Delivery:  <our delivery id; the same on every retry, so dedupe on it>

The receiver recomputes the HMAC over the raw body bytes, compares in
constant time and rejects timestamps more than five minutes away from its
clock (``verify_signature`` does all three).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import requests

from .base import DeliveryStatus, SendResult
from .errors import ConfigurationError

SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``timestamp.body``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int | None,
    body: bytes | str,
    signature: str | None,
    now: float,
    tolerance: float = 300,
) -> bool:
    """True when ``signature`` is ours for this body and the timestamp is fresh."""
    if not secret or not signature or timestamp is None:
        return False
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent_at) > tolerance:
        return False  # stale (or from the future): a replay
    raw = body.encode() if isinstance(body, str) else body
    return hmac.compare_digest(sign(secret, str(sent_at), raw), signature.strip())


class WebhookSender:
    """POST signed JSON to one agency endpoint."""

    def __init__(
        self,
        url: str,
        secret: str,
        timeout: tuple[float, float] = (3.05, 10),
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ):
        if not url.startswith(("https://", "http://")):
            raise ConfigurationError(f"webhook URL must start with https:// (got {url!r})")
        if not secret:
            raise ConfigurationError("webhook secret is empty: set one for this team's endpoint")
        self.url = url
        self._secret = secret
        self.timeout = timeout
        self._clock = clock
        self._http = session or requests.Session()

    def send_json(self, delivery_id: str, payload: dict[str, object]) -> SendResult:
        """POST ``payload``; 2xx is DELIVERED, 5xx/408/429/network errors are transient."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            "X-Mpaka-Timestamp": timestamp,
            "X-Mpaka-Signature": sign(self._secret, timestamp, body),
            "X-Mpaka-Delivery": delivery_id,
        }
        try:
            # No redirects: the signature is for this endpoint, not wherever it points.
            response = self._http.post(
                self.url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.Timeout:
            return _failed(delivery_id, "the endpoint did not answer in time", transient=True)
        except requests.RequestException as exc:
            return _failed(delivery_id, f"could not reach the endpoint: {type(exc).__name__}", True)
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(id=delivery_id, status=DeliveryStatus.DELIVERED)
        transient = status >= 500 or status in (408, 429)
        return _failed(delivery_id, f"the endpoint answered HTTP {status}", transient)


def _failed(delivery_id: str, error: str, transient: bool = False) -> SendResult:
    return SendResult(
        id=delivery_id, status=DeliveryStatus.FAILED, error=error, transient=transient
    )
