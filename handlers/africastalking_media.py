"""Fetching a voice call's recording from Africa's Talking, and nothing else.

A ``recordingUrl`` is a URL a voice callback *names*: whoever knows the
webhook's secret could name any URL, so it is fetched only over https from
Africa's Talking's own hosts (``africastalking.com`` and its subdomains, plus
any host the operator lists in ``AT_MEDIA_HOSTS``), and every redirect is
checked again before it is followed.  No credentials are sent.  Only audio is
accepted, within the size limit, checked as the body streams in
(``twilio_media.read_body``).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin

import requests

from .errors import MediaRefused, MediaUnavailable
from .twilio_media import REDIRECT_STATUSES, FetchedMedia, base_type, https_parts, read_body

AT_DOMAIN = "africastalking.com"
MAX_REDIRECTS = 3


def is_at_host(host: str, extra_hosts: Iterable[str] = ()) -> bool:
    host = host.lower().rstrip(".")
    return host == AT_DOMAIN or host.endswith("." + AT_DOMAIN) or host in {
        h.strip().lower() for h in extra_hosts if h.strip()}


def check_recording_url(url: str, extra_hosts: Iterable[str] = ()) -> None:
    """Refuse (``MediaRefused("host")``) anything but https on AT's hosts."""
    parts = https_parts(url, "recordings are fetched over https from Africa's Talking only")
    if not is_at_host(parts.hostname or "", extra_hosts):
        raise MediaRefused("host", "not an Africa's Talking host: not fetched")


def fetch_recording(
    url: str, *, max_bytes: int, allowed_types: Iterable[str],
    extra_hosts: Iterable[str] = (), session: requests.Session | None = None,
    timeout: float = 10.0,
) -> FetchedMedia:
    """The recording at ``url``: audio types of ``allowed_types`` only.

    Raises ``MediaRefused`` (never worth another try) or ``MediaUnavailable``
    (AT did not answer, or answered 5xx or 429: try later).
    """
    hosts = tuple(extra_hosts)
    audio = frozenset(t for t in (base_type(t) for t in allowed_types) if t.startswith("audio/"))
    check_recording_url(url, hosts)
    http = session or requests.Session()
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = http.get(current, stream=True, allow_redirects=False, timeout=timeout)
        except requests.Timeout:
            raise MediaUnavailable("status", "Africa's Talking did not answer in time") from None
        except requests.RequestException as exc:
            raise MediaUnavailable(
                "status", f"could not reach Africa's Talking: {type(exc).__name__}") from None
        with response:
            if response.status_code in REDIRECT_STATUSES:
                current = urljoin(current, response.headers.get("Location", ""))
                check_recording_url(current, hosts)
                continue
            return read_body(response, max_bytes, audio, provider="Africa's Talking")
    raise MediaRefused("redirects", f"more than {MAX_REDIRECTS} redirects")
