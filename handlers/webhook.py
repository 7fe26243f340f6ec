"""Alerts POSTed as signed JSON (or a CAP 1.2 XML message) into an agency's own system.

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
import ipaddress
import json
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from .base import DeliveryStatus, SendResult
from .errors import ConfigurationError

SIGNATURE_PREFIX = "sha256="

Resolver = Callable[[str], list[str]]


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


def url_problem(url: str, *, require_https: bool, allow_private: bool,
                resolver: Resolver | None = None) -> str | None:
    """Why an agency URL must not be used, or ``None``.

    ``require_https`` (production): plain http would carry reports in clear.
    Unless ``allow_private``, the host may not be or resolve to a loopback,
    link-local, private, multicast or reserved address: a URL saved by an admin
    must not make the gateway call into its own network (``resolver`` resolves
    names, at save time and again at every send against DNS changes)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "the address must be a full URL starting with https://"
    if require_https and parts.scheme != "https":
        return "the address must start with https:// (reports must not travel in clear)"
    if allow_private:
        return None
    try:
        addresses = (resolver or resolve)(parts.hostname)
    except (OSError, UnicodeError):
        return f"the host {parts.hostname} cannot be resolved"
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if (ip.is_loopback or ip.is_link_local or ip.is_private or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified):
            return (f"the host {parts.hostname} is a loopback, link-local or private address "
                    "(set AGENCY_ALLOW_PRIVATE=1 to allow one inside your network)")
    return None


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
        require_https: bool = False,
        allow_private: bool = True,
        resolver: Resolver | None = None,
    ):
        if not url.startswith(("https://", "http://")):
            raise ConfigurationError(f"webhook URL must start with https:// (got {url!r})")
        self._require_https = require_https
        self._allow_private = allow_private
        self._resolver = resolver
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
        return self.send_body(delivery_id, body, "application/json")

    def send_body(self, delivery_id: str, body: bytes, content_type: str) -> SendResult:
        """POST ``body`` as ``content_type`` (a CAP message: ``application/cap+xml``),
        signed as JSON is; the same outcomes as ``send_json``."""
        problem = url_problem(self.url, require_https=self._require_https,  # again: DNS changes
                              allow_private=self._allow_private, resolver=self._resolver)
        if problem:
            return _failed(delivery_id, f"refused: {problem}", transient=False)
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": content_type,
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
