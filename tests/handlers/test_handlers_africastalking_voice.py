"""Africa's Talking voice: parsing callbacks, rendering XML, fetching a
recording from AT's hosts only (HTTP served by ``responses``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
import responses

from handlers.africastalking import Play, Say, VoiceReply, parse_voice, render_voice
from handlers.africastalking_media import fetch_recording
from handlers.base import Channel
from handlers.errors import BadRequest, MediaRefused, MediaUnavailable

CALL = {"sessionId": "ATVId_1", "callerNumber": "0711222333", "destinationNumber": "+254709000000",
        "isActive": "1", "direction": "Inbound"}
URL = "https://voice.africastalking.com/rec/ATVId_1.mp3"
MP3 = b"ID3\x03\x00" + b"\x00" * 32


@pytest.mark.parametrize(("fields", "text", "extra"), [
    pytest.param({}, "", {"active": True, "recorded": False}, id="first callback"),
    pytest.param({"dtmfDigits": "4"}, "4", {"active": True, "recorded": False}, id="digits"),
    pytest.param({"dtmfDigits": "12#"}, "12", {"active": True, "recorded": False},
                 id="finishing key dropped"),
    pytest.param({"recordingUrl": URL}, "", {
        "active": True, "recorded": True,
        "media": [{"url": URL, "content_type": "audio/mpeg"}]}, id="recording"),
    pytest.param({"recordingUrl": ""}, "", {"active": True, "recorded": True},
                 id="nothing recorded"),
    pytest.param({"isActive": "0", "durationInSeconds": "42", "hangupCause": "NORMAL_CLEARING"},
                 "", {"active": False, "recorded": False, "duration": 42,
                      "hangup_cause": "NORMAL_CLEARING"}, id="final notification"),
])
def test_parse_voice(fields, text, extra):
    """A voice callback becomes a voice InboundMessage keyed by the call's sessionId."""
    msg = parse_voice({**CALL, **fields})
    assert (msg.channel, msg.provider, msg.phone, msg.session_id, msg.to) == (
        Channel.VOICE, "africastalking", "+254711222333", "ATVId_1", "+254709000000")
    assert msg.text == text and msg.extra == extra


@pytest.mark.parametrize("fields", [
    pytest.param({"sessionId": None}, id="no sessionId"),
    pytest.param({"callerNumber": None}, id="no callerNumber"),
    pytest.param({"isActive": None}, id="no isActive"),
    pytest.param({"isActive": "yes"}, id="isActive not 0/1"),
    pytest.param({"dtmfDigits": "1 OR 1=1"}, id="digits not keys"),
])
def test_parse_voice_refuses_malformed(fields):
    """A missing or malformed field: BadRequest naming it."""
    form = {k: v for k, v in {**CALL, **fields}.items() if v is not None}
    with pytest.raises(BadRequest):
        parse_voice(form)


def test_render_digits_wraps_the_last_speech_and_plays_the_rest_first():
    """GetDigits holds one Say or Play; earlier pieces come before it."""
    body = render_voice(VoiceReply(speech=(Play("https://h/a.mp3"), Play("https://h/b.mp3")),
                                   callback_url="https://h/cb?secret=x&y=1", num_digits=2))
    root = ET.fromstring(body)
    assert [e.tag for e in root] == ["Play", "GetDigits"]
    digits = root.find("GetDigits")
    assert digits.attrib == {"timeout": "20", "finishOnKey": "#", "numDigits": "2",
                             "callbackUrl": "https://h/cb?secret=x&y=1"}
    assert [e.attrib["url"] for e in digits] == ["https://h/b.mp3"]
    assert "&amp;y=1" in body


def test_render_record_end_and_reject():
    """Record carries its attributes; an end is speech only; a reject is <Reject/>."""
    record = ET.fromstring(render_voice(VoiceReply(speech=(Say("Speak"),), action="record",
                                                   max_length=45)))
    assert record.find("Record").attrib == {"finishOnKey": "#", "maxLength": "45",
                                            "trimSilence": "true", "playBeep": "true"}
    end = ET.fromstring(render_voice(VoiceReply(speech=(Say("Bye"), Say("Again")), action="end")))
    assert [e.tag for e in end] == ["Say", "Say"]
    reject = render_voice(VoiceReply(speech=(), action="reject"))
    assert reject.endswith("<Response><Reject /></Response>")


def test_fetch_recording_from_at():
    """An mp3 on AT's host is fetched, redirects within AT followed."""
    with responses.RequestsMock() as mock:
        mock.get(URL, status=302, headers={"Location": "https://media.africastalking.com/x.mp3"})
        mock.get("https://media.africastalking.com/x.mp3", body=MP3, content_type="audio/mpeg")
        fetched = fetch_recording(URL, max_bytes=1000, allowed_types=("audio/mpeg", "image/png"))
    assert (fetched.content, fetched.content_type) == (MP3, "audio/mpeg")


@pytest.mark.parametrize("url", [
    pytest.param("http://voice.africastalking.com/r.mp3", id="not https"),
    pytest.param("https://africastalking.com.evil.org/r.mp3", id="lookalike host"),
    pytest.param("https://user:pw@voice.africastalking.com/r.mp3", id="credentials"),
    pytest.param("https://voice.africastalking.com:8443/r.mp3", id="other port"),
    pytest.param("https://10.0.0.1/r.mp3", id="an address"),
])
def test_fetch_recording_refuses_other_hosts(url):
    """Anything but https on AT's hosts is refused before any request."""
    with responses.RequestsMock(), pytest.raises(MediaRefused) as refused:
        fetch_recording(url, max_bytes=1000, allowed_types=("audio/mpeg",))
    assert refused.value.reason == "host"


def test_fetch_recording_extra_host_is_allowed():
    """A host listed in AT_MEDIA_HOSTS is fetched from."""
    with responses.RequestsMock() as mock:
        mock.get("https://recordings.example-cdn.net/r.mp3", body=MP3, content_type="audio/mpeg")
        fetch_recording("https://recordings.example-cdn.net/r.mp3", max_bytes=1000,
                        allowed_types=("audio/mpeg",), extra_hosts=["recordings.example-cdn.net"])


@pytest.mark.parametrize(("answer", "error", "reason"), [
    pytest.param({"status": 302, "headers": {"Location": "https://evil.org/r.mp3"}},
                 MediaRefused, "host", id="redirect elsewhere"),
    pytest.param({"body": MP3, "content_type": "image/png"}, MediaRefused, "type",
                 id="not audio although allowed"),
    pytest.param({"body": b"\x00" * 2000, "content_type": "audio/mpeg"}, MediaRefused, "size",
                 id="too large"),
    pytest.param({"status": 503}, MediaUnavailable, "status", id="AT down"),
    pytest.param({"body": requests.ConnectionError()}, MediaUnavailable, "status",
                 id="unreachable"),
])
def test_fetch_recording_refusals(answer, error, reason):
    """Redirects off AT, non-audio, oversize: refused; AT down: try again later."""
    with responses.RequestsMock() as mock:
        mock.get(URL, **answer)
        with pytest.raises(error) as raised:
            fetch_recording(URL, max_bytes=1000, allowed_types=("audio/mpeg", "image/png"))
    assert raised.value.reason == reason
