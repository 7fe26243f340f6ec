"""Fetching WhatsApp media from Twilio: only our account's media on Twilio's
hosts, every redirect checked, the size limit enforced while streaming, the
type allow-list; Twilio's answers served by ``responses``."""

from __future__ import annotations

import base64

import pytest
import requests
import responses

from handlers.errors import MediaRefused, MediaUnavailable
from handlers.twilio_media import fetch_media, kind_of, looks_like

SID, TOKEN = "AC" + "1" * 32, "token-x"
MEDIA_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/MM{'2' * 32}/Media/ME{'3' * 32}"
CDN_URL = "https://mms.twiliocdn.com/AC111/abc123"
LIMIT = 1000


def fetch(url=MEDIA_URL, **kwargs):
    return fetch_media(url, account_sid=SID, auth_token=TOKEN, max_bytes=LIMIT, **kwargs)


@responses.activate(assert_all_requests_are_fired=True)
def test_follows_twilio_redirect_with_credentials_for_the_api_only():
    """The API answers with a redirect to the CDN: credentials go to api.twilio.com, not the CDN."""
    responses.get(MEDIA_URL, status=307, headers={"Location": CDN_URL})
    responses.get(CDN_URL, body=b"\xff\xd8jpeg", content_type="image/jpeg")
    media = fetch()
    assert (media.content, media.content_type) == (b"\xff\xd8jpeg", "image/jpeg")
    api, cdn = responses.calls
    expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert api.request.headers["Authorization"] == expected
    assert "Authorization" not in cdn.request.headers


@pytest.mark.parametrize("location", [
    pytest.param("https://evil.example/steal", id="another host"),
    pytest.param("http://mms.twiliocdn.com/x", id="plain http"),
    pytest.param("https://169.254.169.254/latest/meta-data", id="cloud metadata address"),
    pytest.param("https://s3-external-1.amazonaws.com/other-bucket/x", id="another S3 bucket"),
    pytest.param("https://mms.twiliocdn.com.evil.example/x", id="look-alike host"),
])
def test_redirect_to_a_non_twilio_host_is_refused_and_never_fetched(location):
    """A redirect anywhere but Twilio's hosts is refused before it is followed."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(MEDIA_URL, status=302, headers={"Location": location})
        elsewhere = mock.get(location, body=b"secret")
        with pytest.raises(MediaRefused) as refused:
            fetch()
    assert refused.value.reason == "host"
    assert elsewhere.call_count == 0


@pytest.mark.parametrize("url", [
    pytest.param("https://evil.example/2010-04-01/Accounts/x/Messages/y/Media/z", id="other host"),
    pytest.param(MEDIA_URL.replace(SID, "AC" + "9" * 32), id="another account"),
    pytest.param(MEDIA_URL.replace("https://", "http://"), id="plain http"),
    pytest.param(MEDIA_URL.replace("api.twilio.com", "api.twilio.com:8443"), id="other port"),
    pytest.param(MEDIA_URL.replace("https://", f"https://{SID}:{TOKEN}@"), id="credentials in URL"),
    pytest.param(f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/../../../x/Media/y",
                 id="dot segments"),
    pytest.param(f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Calls/CA1", id="not media"),
])
@responses.activate(assert_all_requests_are_fired=True)
def test_url_that_is_not_our_twilio_media_is_never_fetched(url):
    """A MediaUrl naming anything but this account's media on api.twilio.com is refused
    without a request (``responses`` would fail on any)."""
    with pytest.raises(MediaRefused) as refused:
        fetch(url)
    assert refused.value.reason == "host"
    assert len(responses.calls) == 0


@responses.activate
def test_oversize_body_is_refused_while_streaming():
    """A body over the limit is refused as it streams, whatever Content-Length said."""
    responses.get(MEDIA_URL, body=b"x" * (LIMIT * 200), content_type="image/jpeg",
                  auto_calculate_content_length=False)
    with pytest.raises(MediaRefused) as refused:
        fetch()
    assert refused.value.reason == "size"


@responses.activate
def test_declared_oversize_is_refused_before_reading():
    """A Content-Length over the limit is refused at once."""
    responses.get(MEDIA_URL, body=b"x" * (LIMIT + 1), content_type="video/mp4")
    with pytest.raises(MediaRefused) as refused:
        fetch()
    assert refused.value.reason == "size"


@pytest.mark.parametrize("content_type", ["application/pdf", "text/html", "image/svg+xml", ""])
@responses.activate
def test_disallowed_type_is_refused(content_type):
    """Only the allow-listed types are taken (no PDF, HTML, SVG or unnamed type)."""
    responses.get(MEDIA_URL, body=b"data", content_type=content_type or None)
    with pytest.raises(MediaRefused) as refused:
        fetch()
    assert refused.value.reason == "type"


@responses.activate
def test_type_parameters_are_ignored():
    """'audio/ogg; codecs=opus' is audio/ogg."""
    responses.get(MEDIA_URL, body=b"OggS", content_type="audio/ogg; codecs=opus")
    assert fetch().content_type == "audio/ogg"


@pytest.mark.parametrize(("status", "error"), [
    pytest.param(500, MediaUnavailable, id="5xx: try later"),
    pytest.param(429, MediaUnavailable, id="rate limited: try later"),
    pytest.param(404, MediaRefused, id="gone"),
    pytest.param(401, MediaRefused, id="credentials refused"),
])
@responses.activate
def test_twilio_errors(status, error):
    """5xx and 429 may pass; any other error is final."""
    responses.get(MEDIA_URL, status=status)
    with pytest.raises(error) as raised:
        fetch()
    assert (type(raised.value) is MediaUnavailable) == (error is MediaUnavailable)


@responses.activate
def test_timeout_is_unavailable():
    """A timeout is worth another try."""
    responses.get(MEDIA_URL, body=requests.Timeout())
    with pytest.raises(MediaUnavailable):
        fetch()


@responses.activate
def test_redirect_loop_stops():
    """Redirects among Twilio's own hosts stop after a few hops."""
    responses.get(MEDIA_URL, status=302, headers={"Location": MEDIA_URL})
    with pytest.raises(MediaRefused) as refused:
        fetch()
    assert refused.value.reason == "redirects"


@pytest.mark.parametrize(("content_type", "kind"), [
    ("image/jpeg", "photo"), ("AUDIO/OGG; codecs=opus", "voice"), ("video/3gpp", "video"),
    ("application/pdf", None), (None, None),
])
def test_kind_of(content_type, kind):
    """The kind follows the type's major part."""
    assert kind_of(content_type) == kind


@pytest.mark.parametrize(("content_type", "data", "expected"), [
    ("audio/ogg", b"OggS\x00\x02", True),
    ("audio/ogg", b"<html>", False),
    ("video/mp4", b"\x00\x00\x00\x18ftypmp42", True),
    ("video/3gpp", b"\x00\x00\x00\x18ftyp3gp4", True),
    ("video/mp4", b"MZ\x90\x00\x03\x00\x00\x00", False),
    ("audio/amr", b"#!AMR\n", True),
    ("audio/mpeg", b"ID3\x04", True),
    ("audio/mpeg", b"\xff\xfb\x90", True),
    ("audio/mpeg", b"%PDF-1.7", False),
    ("audio/aac", b"\xff\xf1\x50", True),
    ("audio/aac", b"", False),
])
def test_voice_and_video_must_start_as_their_type(content_type, data, expected):
    """A voice note or video must carry its container's signature (a PDF sent as MP3 is not)."""
    assert looks_like(content_type, data) is expected
