"""Fetching a reporter's WhatsApp media from Twilio, and nothing else.

A ``MediaUrl{n}`` is a URL an inbound webhook *names*: whoever can post a
well-signed webhook could name any URL, so it is fetched only when it is one
of our own account's media on ``api.twilio.com``, and every redirect is
checked again before it is followed (Twilio answers with a redirect to its
media CDN).  The account's credentials go to ``api.twilio.com`` only, never
to the CDN.  The size limit is enforced while the body streams in, and the
content type must be on the caller's allow-list.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from .errors import MediaRefused, MediaUnavailable

API_HOST = "api.twilio.com"
#: Hosts a media URL may redirect to: the API itself and Twilio's media CDN.
REDIRECT_HOSTS = (API_HOST, "media.twiliocdn.com", "mms.twiliocdn.com")
#: Twilio's media bucket addressed path-style on S3 (older redirects): this
#: host is accepted only with this bucket as the first path segment.
S3_HOST = "s3-external-1.amazonaws.com"
S3_BUCKET_PREFIX = "/media.twiliocdn.com/"
MAX_REDIRECTS = 3
CHUNK = 64 * 1024
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

#: What a reporter may send, by kind (``kind_of``).
DEFAULT_ALLOWED_TYPES = (
    "image/jpeg", "image/png", "image/webp",
    "audio/ogg", "audio/amr", "audio/mpeg", "audio/mp4", "audio/aac",
    "video/mp4", "video/3gpp",
)


@dataclass(frozen=True)
class FetchedMedia:
    content: bytes
    content_type: str  # without parameters: "audio/ogg", not "audio/ogg; codecs=opus"


def looks_like(content_type: str, data: bytes) -> bool:
    """Whether ``data`` starts as a file of ``content_type`` does (the
    container's signature; images are checked fully by opening them)."""
    if content_type in ("audio/mp4", "video/mp4", "video/3gpp"):
        return data[4:8] == b"ftyp"
    if content_type == "audio/ogg":
        return data.startswith(b"OggS")
    if content_type == "audio/amr":
        return data.startswith(b"#!AMR")
    if content_type == "audio/mpeg":  # an ID3 tag, or an MPEG audio frame's sync bits
        return data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF
                                           and data[1] & 0xE0 == 0xE0)
    if content_type == "audio/aac":  # an ADTS frame
        return len(data) > 1 and data[0] == 0xFF and data[1] & 0xF6 == 0xF0
    return True  # images: Pillow opens them (gateway.privacy.images)


def base_type(content_type: str | None) -> str:
    """``"Audio/OGG; codecs=opus"`` -> ``"audio/ogg"``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def kind_of(content_type: str | None) -> str | None:
    """``photo``, ``voice`` or ``video`` for an image, audio or video type; else ``None``."""
    major = base_type(content_type).split("/", 1)[0]
    return {"image": "photo", "audio": "voice", "video": "video"}.get(major)


def check_media_url(url: str, account_sid: str) -> None:
    """Refuse (``MediaRefused("host")``) anything but our account's media on
    ``https://api.twilio.com/2010-04-01/Accounts/<sid>/Messages/<sid>/Media/<sid>``."""
    parts = _parts(url)
    path = posixpath.normpath(parts.path)
    prefix = f"/2010-04-01/Accounts/{account_sid}/Messages/"
    if not account_sid or parts.hostname != API_HOST or not path.startswith(prefix) \
            or "/Media/" not in path[len(prefix):]:
        raise MediaRefused("host", "not a media URL of this Twilio account: not fetched")


def check_redirect(url: str) -> None:
    """Refuse a redirect to anything but Twilio's API and media hosts."""
    parts = _parts(url)
    host = parts.hostname or ""
    if host in REDIRECT_HOSTS:
        return
    if host == S3_HOST and posixpath.normpath(parts.path).startswith(S3_BUCKET_PREFIX):
        return
    raise MediaRefused("host", f"redirect to a host that is not Twilio's ({host or 'none'})")


def https_parts(url: str, refusal: str):  # type: ignore[no-untyped-def]
    """``url`` split, when it is plain https on the default port with no
    credentials; else ``MediaRefused("host", refusal)``."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise MediaRefused("host", "a media URL with a malformed port") from None
    if parts.scheme != "https" or parts.username or parts.password or port not in (None, 443):
        raise MediaRefused("host", refusal)
    return parts


def _parts(url: str):  # type: ignore[no-untyped-def]
    return https_parts(url, "media are fetched over https from Twilio only")


def fetch_media(
    url: str, *, account_sid: str, auth_token: str, max_bytes: int,
    allowed_types: tuple[str, ...] | frozenset[str] = DEFAULT_ALLOWED_TYPES,
    session: requests.Session | None = None, timeout: float = 10.0,
) -> FetchedMedia:
    """The media file at ``url`` (see the module docstring for what is refused).

    Raises ``MediaRefused`` (never worth another try) or ``MediaUnavailable``
    (Twilio did not answer, or answered 5xx or 429: try later).
    """
    check_media_url(url, account_sid)
    http = session or requests.Session()
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        auth = (account_sid, auth_token) if urlsplit(current).hostname == API_HOST else None
        try:
            response = http.get(current, auth=auth, stream=True, allow_redirects=False,
                                timeout=timeout)
        except requests.Timeout:
            raise MediaUnavailable("status", "Twilio did not answer in time") from None
        except requests.RequestException as exc:
            raise MediaUnavailable("status", f"could not reach Twilio: {type(exc).__name__}") \
                from None
        with response:
            if response.status_code in REDIRECT_STATUSES:
                current = urljoin(current, response.headers.get("Location", ""))
                check_redirect(current)
                continue
            return read_body(response, max_bytes, allowed_types)
    raise MediaRefused("redirects", f"more than {MAX_REDIRECTS} redirects")


def read_body(response: requests.Response, max_bytes: int,
              allowed_types: tuple[str, ...] | frozenset[str],
              provider: str = "Twilio") -> FetchedMedia:
    """The checked body of a media download (also Africa's Talking recordings)."""
    status = response.status_code
    if status >= 500 or status == 429:
        raise MediaUnavailable("status", f"{provider} answered {status}")
    if status != 200:
        raise MediaRefused("status", f"{provider} answered {status}")
    content_type = base_type(response.headers.get("Content-Type"))
    if content_type not in allowed_types:
        raise MediaRefused("type", f"type {content_type or 'unknown'!r} is not accepted")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise MediaRefused("size", f"larger than {max_bytes} bytes")
    body = bytearray()
    for chunk in response.iter_content(CHUNK):
        body += chunk
        if len(body) > max_bytes:  # checked as it streams: never more than the limit held
            raise MediaRefused("size", f"larger than {max_bytes} bytes")
    return FetchedMedia(bytes(body), content_type)
