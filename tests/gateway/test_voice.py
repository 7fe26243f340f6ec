"""Reporting by voice (Africa's Talking): AT's callbacks for whole calls, the
XML checked against the elements and attributes AT accepts, the recording
fetched by a real RQ worker from AT (served by ``responses``), resuming on
USSD, invalid keys, silence, the quick exit, storage down, recorded prompts
in other languages (SQLite and PostgreSQL)."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import responses
from sqlalchemy import select

from gateway.core import keys
from gateway.privacy import retention
from gateway.store import script_versions
from gateway.store.media import MediaStore
from gateway.store.models import Attachment, Message, Report
from gateway.web import voice
from handlers.africastalking import render_voice
from tests.console.conftest import add_user, login_as
from tests.gateway.test_intake_ussd import post_ussd
from tests.gateway.test_resilience import break_redis

PHONE = "+254711222333"
VOICE_NUMBER = "+254709000000"
PATH = "/webhooks/africastalking/voice"
RECORDING = "https://voice.africastalking.com/recordings/ATVId_1.mp3"
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" + b"\x00" * 64
_calls = itertools.count(1)

# What AT's voice XML accepts (its docs' action list): element -> attributes.
ALLOWED = {
    "Response": set(),
    "Say": {"voice", "playBeep"},
    "Play": {"url"},
    "GetDigits": {"numDigits", "timeout", "finishOnKey", "callbackUrl"},
    "Record": {"finishOnKey", "maxLength", "trimSilence", "playBeep", "callbackUrl"},
    "Reject": set(),
    "Redirect": set(),
    "Dial": {"phoneNumbers", "record", "sequential", "callerId", "ringbackTone", "maxDuration"},
}
CHILDREN = {  # what may hold what
    "Response": {"Say", "Play", "GetDigits", "Record", "Reject", "Redirect", "Dial"},
    "GetDigits": {"Say", "Play"},
    "Record": {"Say", "Play"},
    "Say": set(), "Play": set(), "Reject": set(), "Redirect": set(), "Dial": set(),
}


def check_at_xml(body: str) -> ET.Element:
    """The response parses, declares UTF-8, and uses only what AT accepts;
    a GetDigits or Record holds at most one Say or Play, numbers are numbers."""
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(body)
    assert root.tag == "Response"
    for parent in root.iter():
        assert parent.tag in ALLOWED, parent.tag
        assert set(parent.attrib) <= ALLOWED[parent.tag], (parent.tag, parent.attrib)
        for child in parent:
            assert child.tag in CHILDREN[parent.tag], (parent.tag, child.tag)
        if parent.tag in ("GetDigits", "Record"):
            assert len(parent) <= 1
        for name in ("numDigits", "timeout", "maxLength"):
            if name in parent.attrib:
                assert parent.attrib[name].isdigit() and int(parent.attrib[name]) > 0
        for name in ("playBeep", "trimSilence"):
            if name in parent.attrib:
                assert parent.attrib[name] in ("true", "false")
        if parent.tag == "Say":
            assert (parent.text or "").strip()
        if parent.tag == "Play":
            assert parent.attrib["url"].startswith("https://")
    return root


class Call:
    """One call to the voice number: AT's callbacks, as AT posts them."""

    def __init__(self, client, phone: str = PHONE, query: str = ""):
        self.client, self.phone, self.query = client, phone, query
        self.session = f"ATVId_{next(_calls):08d}"

    def post(self, **fields: str):
        form = {"sessionId": self.session, "callerNumber": self.phone,
                "destinationNumber": VOICE_NUMBER, "isActive": "1", "direction": "Inbound",
                "callerCarrierName": "Safaricom", **fields}
        return self.client.post(PATH + self.query, data=form)

    def say(self, **fields: str) -> ET.Element:
        response = self.post(**fields)
        assert response.status_code == 200, response.text
        return check_at_xml(response.text)

    def hang_up(self) -> int:
        return self.post(isActive="0", durationInSeconds="95", currencyCode="KES",
                         amount="4.5", hangupCause="NORMAL_CLEARING").status_code


def spoken(root: ET.Element) -> str:
    return " ".join((e.text or "") for e in root.iter("Say"))


def action(root: ET.Element) -> str:
    tags = [e.tag for e in root]
    return next((t for t in ("GetDigits", "Record") if t in tags), "end")


def reports(svc) -> list[Report]:
    with svc.db() as db:
        return list(db.scalars(select(Report)))


def attachments(svc) -> list[Attachment]:
    with svc.db() as db:
        return list(db.scalars(select(Attachment)))


# (the callback's fields, the action asked of AT, words it speaks)
WHOLE_CALL = [
    ({}, "GetDigits", "For English, press 1."),
    ({"dtmfDigits": "1"}, "GetDigits", "What is happening? For Terrorism or extremism, press 1."),
    ({"dtmfDigits": "4"}, "GetDigits", "Which county? For Turkana, press 1."),
    ({"dtmfDigits": "1"}, "GetDigits", "For Loima, press 4."),
    ({"dtmfDigits": "4"}, "GetDigits", "When? For Happening now, press 1."),
    ({"dtmfDigits": "2"}, "Record", "Briefly, what did you see?"),
    ({"recordingUrl": RECORDING}, "GetDigits", "Voice note received. May the county"),
    ({"dtmfDigits": "1"}, "GetDigits", "Send this report?"),
    ({"dtmfDigits": "1"}, "end", "Sent. Reference R,"),
]


def test_whole_call_stores_a_voice_report_with_its_recording(client, svc, run_worker):
    """A whole call, callback by callback: menus by dtmfDigits, the recorded
    description, the end with the reference spoken; the report is stored with
    channel voice, and the recording, fetched from AT by the worker, is attached."""
    call = Call(client)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(RECORDING, body=MP3, content_type="audio/mpeg")
        for fields, expected, words in WHOLE_CALL:
            root = call.say(**fields)
            assert action(root) == expected, (fields, spoken(root))
            assert words in spoken(root), (fields, spoken(root))
        assert call.hang_up() == 200
        run_worker()
    [report] = reports(svc)
    assert report.channel == "voice"
    assert report.category == "weapons_smuggling" and report.sub_county == "loima"
    assert report.reference.replace("-", "") in spoken(root).replace(", ", "")
    [recording] = attachments(svc)
    assert (recording.report_id, recording.kind, recording.status) == (report.id, "voice", "stored")
    assert MediaStore.from_services(svc).get(recording.storage_key) == MP3


def test_an_anonymous_call_leaves_no_link_to_the_phone(client, svc, run_worker):
    """Anonymous (no call back): the report, its recording's row and the call's
    ledger rows carry no number and no hash of it."""
    call = Call(client)
    answers = [fields for fields, _expected, _words in WHOLE_CALL]
    answers[7] = {"dtmfDigits": "2"}  # may the team call? no, stay anonymous
    with responses.RequestsMock() as mock:
        mock.get(RECORDING, body=MP3, content_type="audio/mpeg")
        for fields in answers:
            root = call.say(**fields)
        run_worker()
    assert "Sent." in spoken(root)
    [report] = reports(svc)
    assert report.contact_allowed is False and report.reporter_phone is None
    with svc.db() as db:
        rows = list(db.scalars(select(Message).where(Message.channel == "voice")))
    assert rows and all(r.phone_hash is None for r in rows)
    assert all(r.sender is None for r in rows if r.direction == "in")
    assert all(r.recipient is None for r in rows if r.direction == "out")


def test_the_recording_plays_in_the_console_to_the_county_only(client, app, svc,
                                                                  run_worker):
    """The recorded description plays (an <audio> element) for an officer of the
    report's county; another county's officer gets neither page nor file."""
    call = Call(client)
    with responses.RequestsMock() as mock:
        mock.get(RECORDING, body=MP3, content_type="audio/mpeg")
        for fields, _expected, _words in WHOLE_CALL:
            call.say(**fields)
        run_worker()
    [report] = reports(svc)
    add_user(svc, "turkana-officer", counties=("turkana",))
    add_user(svc, "mandera-officer", counties=("mandera",))
    officer = login_as(app.test_client(), svc, "turkana-officer")
    page = officer.get(f"/console/reports/{report.reference}")
    assert page.status_code == 200
    src = re.search(r'<audio controls preload="none" src="([^"]+)"', page.text).group(1)
    audio = officer.get(src)
    assert audio.status_code == 200 and audio.data == MP3 and audio.mimetype == "audio/mpeg"
    stranger = login_as(app.test_client(), svc, "mandera-officer")
    assert stranger.get(src).status_code in (403, 404)


def test_invalid_key_asks_again(client):
    """A key no option has: the invalid-answer line, then the same menu again."""
    call = Call(client)
    call.say()
    call.say(dtmfDigits="1")
    root = call.say(dtmfDigits="0")  # back to the language menu...
    root = call.say(dtmfDigits="1")
    root = call.say(dtmfDigits="4")  # weapons smuggling: the county menu
    root = call.say(dtmfDigits="8")
    assert action(root) == "GetDigits"
    assert spoken(root).startswith("Not a valid choice. Which county?")


def test_silence_repeats_the_question_once_then_ends_keeping_the_answers(client, svc):
    """No key before the timeout: the question again, once; then a polite end,
    and the answers stay resumable."""
    call = Call(client)
    call.say()
    call.say(dtmfDigits="1")
    asked = spoken(call.say(dtmfDigits="4"))
    again = call.say()
    assert action(again) == "GetDigits" and spoken(again) == asked
    end = call.say()
    assert action(end) == "end"
    assert "We did not hear an answer. Your answers are kept" in spoken(end)
    assert svc.redis.exists(keys.unfinished(svc.protector.phone_hash(PHONE)))
    assert reports(svc) == []
    assert svc.redis.hget(keys.metric("mpaka_dialogue_abandonments"),
                          "voice\x1fcounty\x1ftimeout") == b"1"


def test_a_dropped_call_is_continued_on_ussd(client, svc, run_worker):
    """The caller hangs up at the description; dialling the USSD code offers to
    continue, and the report, finished there, keeps the call's answers."""
    call = Call(client)
    with responses.RequestsMock() as mock:
        mock.get(RECORDING, body=MP3, content_type="audio/mpeg")
        for fields, _expected, _words in WHOLE_CALL[:7]:  # recorded, then the line drops
            call.say(**fields)
        assert call.hang_up() == 200
        screen = post_ussd(client, "", phone=PHONE, session_id="ATUid_resume")
        assert "You did not finish last time" in screen.text
        for text in ("1", "1*1"):  # continue; may be called: yes
            screen = post_ussd(client, text, phone=PHONE, session_id="ATUid_resume")
        assert screen.text.startswith("CON Send this report?")
        screen = post_ussd(client, "1*1*1", phone=PHONE, session_id="ATUid_resume")
        assert screen.text.startswith("END Sent.")
        run_worker()
    [report] = reports(svc)
    assert report.channel == "ussd" and report.category == "weapons_smuggling"
    [recording] = attachments(svc)
    assert recording.report_id == report.id and recording.status == "stored"


def test_a_dropped_ussd_session_is_continued_by_a_call(client, svc):
    """The other way: a USSD dialogue dropped half-way is offered on the next call."""
    post_ussd(client, "", phone=PHONE, session_id="ATUid_first")
    post_ussd(client, "1", phone=PHONE, session_id="ATUid_first")
    post_ussd(client, "1*4", phone=PHONE, session_id="ATUid_first")
    call = Call(client)
    root = call.say()
    assert "You did not finish last time. For Continue, press 1." in spoken(root)
    root = call.say(dtmfDigits="1")
    assert spoken(root).startswith("Which county?")


def test_quick_exit_nine_nine_ends_the_call_and_forgets_the_answers(client, svc):
    """9 then 9 (no menu option 9): the quick exit; nothing is kept."""
    call = Call(client)
    call.say()
    call.say(dtmfDigits="1")
    call.say(dtmfDigits="4")
    held = call.say(dtmfDigits="9")  # the county menu has no 9: wait for the next key
    assert action(held) == "GetDigits" and spoken(held) == ""
    end = call.say(dtmfDigits="9")
    assert action(end) == "end" and "Thank you. Goodbye." in spoken(end)
    assert not svc.redis.exists(keys.unfinished(svc.protector.phone_hash(PHONE)))


def test_a_nine_that_is_an_option_chooses_it(client):
    """Where the menu has an option 9, the key 9 chooses it at once."""
    call = Call(client)
    call.say()
    call.say(dtmfDigits="1")
    root = call.say(dtmfDigits="9")  # kidnapping
    assert spoken(root).startswith("Which county?")


def test_storage_down_speaks_the_apology_and_ends(client, svc):
    """Redis unreachable: 200 with the apology and the emergency numbers, never a 5xx."""
    healthy = break_redis(svc)
    try:
        response = Call(client).post()
    finally:
        svc.__dict__["redis"] = healthy
    assert response.status_code == 200
    root = check_at_xml(response.text)
    assert action(root) == "end" and "999 or 112" in spoken(root)


def test_recording_from_another_host_is_never_fetched(client, svc, run_worker):
    """A recordingUrl outside Africa's Talking is refused, never downloaded."""
    call = Call(client)
    for fields, _expected, _words in WHOLE_CALL[:6]:
        call.say(**fields)
    with responses.RequestsMock(assert_all_requests_are_fired=False):  # any request fails
        call.say(recordingUrl="https://evil.example.org/voice.africastalking.com/x.mp3")
        run_worker()
    [recording] = attachments(svc)
    assert recording.status == "refused" and recording.error.startswith("host")


def test_a_recording_that_is_not_audio_is_refused(client, svc, run_worker):
    """AT's host answering with something other than audio: refused, not stored."""
    call = Call(client)
    for fields, _expected, _words in WHOLE_CALL[:6]:
        call.say(**fields)
    with responses.RequestsMock() as mock:
        mock.get(RECORDING, body=b"<html>", content_type="text/html")
        call.say(recordingUrl=RECORDING)
        run_worker()
    [recording] = attachments(svc)
    assert recording.status == "refused" and recording.storage_key is None


def test_nothing_recorded_asks_again(client):
    """An empty recordingUrl (nothing said) is silence: the description is asked again."""
    call = Call(client)
    for fields, _expected, _words in WHOLE_CALL[:6]:
        call.say(**fields)
    root = call.say(recordingUrl="")
    assert action(root) == "Record" and spoken(root).startswith("Briefly, what did you see?")


def test_forget_deletes_the_recording(client, svc, run_worker):
    """`forget` deletes a caller's recorded description with the report."""
    call = Call(client)
    with responses.RequestsMock() as mock:
        mock.get(RECORDING, body=MP3, content_type="audio/mpeg")
        for fields, _expected, _words in WHOLE_CALL:
            call.say(**fields)
        run_worker()
    store = MediaStore.from_services(svc)
    [recording] = attachments(svc)
    path = store.path(recording.storage_key)
    assert path.exists()
    assert retention.forget(svc, PHONE)["attachments"] == 1
    assert attachments(svc) == [] and not path.exists()


def prompts(app, version: str, language: str, names: list[str]) -> None:
    base = Path(app.config["PROMPTS_DIR"]) / version / language
    base.mkdir(parents=True, exist_ok=True)
    for name in names:
        (base / f"{name}.mp3").write_bytes(MP3)


def kiswahili_call(client) -> tuple[Call, ET.Element]:
    call = Call(client)
    call.say()
    return call, call.say(dtmfDigits="2")  # Kiswahili: the category menu


def test_other_languages_play_recorded_prompts(client, app, svc):
    """Kiswahili with every text of the screen recorded: Play of each prompt
    at its public URL, then "press N"; no Say."""
    app.config["PUBLIC_BASE_URL"] = "https://mpaka.example.org"
    script = script_versions.live_script(svc)
    category = script.steps["category"]
    names = ["steps.category.prompt"] + [f"steps.category.options.{o.value}"
                                         for o in category.options]
    # The message table's texts are filed under "texts." (gateway.store.prompts).
    names += [f"texts.voice.press.{n}" for n in range(13)] + ["texts.voice.hash_after"]
    prompts(app, script.version, "swa", names)
    _call, root = kiswahili_call(client)
    urls = [e.attrib["url"] for e in root.iter("Play")]
    base = f"https://mpaka.example.org/voice/prompts/{script.version}/swa/"
    assert urls[0] == base + "steps.category.prompt.mp3"
    assert urls[1:3] == [base + "steps.category.options.terrorism.mp3",
                         base + "texts.voice.press.1.mp3"]
    assert spoken(root) == ""


def test_a_missing_prompt_falls_back_to_english_with_a_notice(client, app):
    """Without a recording for a text of the screen, the screen is said in
    English after a short English notice: never silence."""
    app.config["PUBLIC_BASE_URL"] = "https://mpaka.example.org"
    _call, root = kiswahili_call(client)
    assert [e.tag for e in root.iter("Play")] == []
    assert spoken(root).startswith("Sorry, the recordings in your language are not ready yet. "
                                   "In English: What is happening? For Terrorism or extremism")


def test_say_text_is_escaped(client, app, svc):
    """Text with XML's special characters comes out escaped, and the XML parses."""
    script = script_versions.live_script(svc)
    said = voice.speech(script, "eng", 'Seen: <b>"A & B"</b>', lambda _l, _k: None)
    body = render_voice(voice.VoiceReply(speech=said, action="end"))
    assert "&lt;b&gt;" in body and "&amp;" in body
    assert check_at_xml(body).find("Say").text.startswith('Seen: <b>"A & B"</b>')


def test_the_callback_url_is_the_public_voice_url_with_its_secret(app):
    """With PUBLIC_BASE_URL, GetDigits and Record name the public URL AT reached, secret kept."""
    app.config.update(PUBLIC_BASE_URL="https://mpaka.example.org", AT_WEBHOOK_SECRET="s3cret")
    root = Call(app.test_client(), query="?secret=s3cret").say()
    assert root.find("GetDigits").attrib["callbackUrl"] == (
        "https://mpaka.example.org/webhooks/africastalking/voice?secret=s3cret")


@pytest.mark.parametrize(("query", "status"), [
    pytest.param("?secret=s3cret", 200, id="right secret"),
    pytest.param("?secret=wrong", 403, id="wrong secret"),
    pytest.param("", 403, id="missing secret"),
])
def test_voice_secret(app, query, status):
    """With AT_WEBHOOK_SECRET set, a voice callback must carry it as ?secret=."""
    app.config["AT_WEBHOOK_SECRET"] = "s3cret"
    assert Call(app.test_client(), query=query).post().status_code == status


@pytest.mark.parametrize("fields", [
    pytest.param({"sessionId": ""}, id="no sessionId"),
    pytest.param({"callerNumber": "not a number"}, id="bad callerNumber"),
    pytest.param({"isActive": "maybe"}, id="bad isActive"),
    pytest.param({"dtmfDigits": "1<script>"}, id="digits that are not keys"),
    pytest.param({"dtmfDigits": "1" * 100}, id="too many digits"),
    pytest.param({"recordingUrl": "https://x/" + "a" * 3000}, id="huge recordingUrl"),
])
def test_malformed_callback_is_400(client, svc, fields):
    """A malformed voice callback is refused with 400 naming the field, never a 500."""
    response = Call(client).post(**fields)
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    with svc.db() as db:
        assert db.scalar(select(Message).limit(1)) is None


def test_final_notification_is_acknowledged_without_a_dialogue(client, svc):
    """isActive=0 (the call is over): 200, no answer, nothing in the ledger."""
    call = Call(client)
    assert call.hang_up() == 200
    with svc.db() as db:
        assert db.scalar(select(Message).limit(1)) is None


def test_the_end_in_kiswahili_plays_then_spells_the_reference_twice(svc):
    """With recordings: the end text's words up to the reference, the
    reference spelled, the words after it (the emergency numbers: their own
    prompt, ``.after``), then "your reference again" and the reference once more."""
    script = script_versions.live_script(svc)
    screen = script.step_text(script.steps["done"], "text", "swa").replace(
        "{reference}", "R-7KQ4XH")
    said = voice.speech(script, "swa", screen, lambda lang, key: f"https://p/{lang}/{key}.mp3",
                        ended=True)
    assert said == (voice.Play("https://p/swa/steps.done.text.mp3"),
                    voice.Say("R, 7, K, Q, 4, X, H"),
                    voice.Play("https://p/swa/steps.done.text.after.mp3"),
                    voice.Play("https://p/swa/voice.reference.mp3"),
                    voice.Say("R, 7, K, Q, 4, X, H"))


def test_a_caller_over_the_limit_hears_the_apology_not_an_error(app, client):
    """Over INBOUND_PER_10_MINUTES a call still gets XML: the apology, and it ends."""
    app.config["INBOUND_PER_10_MINUTES"] = 2
    call = Call(client)
    call.say()
    call.say(dtmfDigits="1")
    root = call.say(dtmfDigits="4")
    assert action(root) == "end" and "999 or 112" in spoken(root)


def test_a_call_offers_no_option_that_needs_typing(client):
    """Neither "Check a report" (the language menu) nor "Other county" (the
    county menu) is spoken on a call: both ask for typed words."""
    call = Call(client)
    first = spoken(call.say())
    assert "Check a report" not in first and "Angalia" not in first
    call.say(dtmfDigits="1")
    county = spoken(call.say(dtmfDigits="4"))
    assert "Which county?" in county and "Other county" not in county


def test_a_call_id_sent_with_another_number_is_a_fresh_call(client, svc):
    """Another callerNumber with a live call's sessionId starts its own
    dialogue: the first caller's answers are not continued by it."""
    call = Call(client)
    for fields, _expected, _words in WHOLE_CALL[:5]:  # language, category, county, sub-county
        call.say(**fields)
    other = Call(client, phone="+254722000111")
    other.session = call.session
    heard = spoken(other.say(dtmfDigits="2"))
    assert "Record" not in heard and "what did you see" not in heard
    assert not svc.redis.exists(keys.unfinished(svc.protector.phone_hash("+254722000111")))
    assert action(call.say(dtmfDigits="2")) == "Record"


def test_a_recording_in_the_final_callback_is_kept_for_resuming(client, svc, run_worker):
    """The caller hangs up while recording: the final callback (``isActive=0``)
    names the recording; it becomes the draft's description, and the report
    finished on USSD carries it."""
    call = Call(client)
    with responses.RequestsMock() as mock:
        mock.get(RECORDING, body=MP3, content_type="audio/mpeg")
        for fields, _expected, _words in WHOLE_CALL[:6]:  # asked to record
            call.say(**fields)
        assert call.post(isActive="0", recordingUrl=RECORDING, durationInSeconds="40",
                         hangupCause="NORMAL_CLEARING").status_code == 200
        screen = post_ussd(client, "", phone=PHONE, session_id="ATUid_final")
        assert "You did not finish last time" in screen.text
        for text in ("1", "1*1"):  # continue (at "may the team call?"); yes
            screen = post_ussd(client, text, phone=PHONE, session_id="ATUid_final")
        assert screen.text.startswith("CON Send this report?")
        post_ussd(client, "1*1*1", phone=PHONE, session_id="ATUid_final")
        run_worker()
    [report] = reports(svc)
    [recording] = attachments(svc)
    assert recording.report_id == report.id and recording.status == "stored"


def test_a_recording_at_a_menu_is_ignored(client, svc):
    """A recordingUrl where no Record was asked (a menu): not taken, no
    attachment; the same question is asked again."""
    call = Call(client)
    call.say()
    asked = spoken(call.say(dtmfDigits="1"))
    root = call.say(recordingUrl=RECORDING)
    assert action(root) == "GetDigits" and spoken(root) == asked
    assert attachments(svc) == []


def test_a_recording_on_the_first_callback_is_ignored(client, svc):
    """A call's first callback naming a recording: the first question, no attachment."""
    root = Call(client).say(recordingUrl=RECORDING)
    assert "For English, press 1." in spoken(root)
    assert attachments(svc) == []


RECORDING_2 = "https://voice.africastalking.com/recordings/ATVId_2.mp3"


def test_a_description_recorded_again_keeps_only_the_new_recording(client, svc, run_worker):
    """Change -> Description -> record again: the report carries the second
    recording only, and the first is deleted."""
    call = Call(client)
    with responses.RequestsMock() as mock:
        mock.get(RECORDING, body=MP3, content_type="audio/mpeg")
        mock.get(RECORDING_2, body=MP3 + b"\x00", content_type="audio/mpeg")
        for fields, _expected, _words in WHOLE_CALL[:8]:  # at "Send this report?"
            call.say(**fields)
        run_worker()
        for digits in ("2", "4", "2"):  # Change, Description, record again
            root = call.say(dtmfDigits=digits)
        assert action(root) == "Record"
        call.say(recordingUrl=RECORDING_2)
        call.say(dtmfDigits="1")  # back at the confirm screen: send
        run_worker()
    [report] = reports(svc)
    [recording] = attachments(svc)
    assert recording.report_id == report.id
    assert MediaStore.from_services(svc).get(recording.storage_key) == MP3 + b"\x00"


def _english(svc, screen: str, **flags) -> str:
    script = script_versions.live_script(svc)
    return " ".join(s.text for s in voice.speech(script, "eng", screen, lambda _l, _k: None,
                                                  **flags))


def test_slashes_and_brackets_are_not_read_aloud(client, svc):
    """"Language / Lugha / Luqadda" is said with pauses, "[voice note]" without brackets."""
    first = spoken(Call(client).say())
    assert "/" not in first and "Language, Lugha, Luqadda" in first
    said = _english(svc, "Seen: [voice note]")
    assert "[" not in said and "voice note" in said


def test_the_keep_screen_of_a_recorded_description_speaks_of_recording(svc):
    """On a call, 'You wrote: "[voice note]" ... Write new' is 'You recorded a
    message ... Record again'."""
    said = _english(svc, 'Briefly, what did you see? Or name a place near it.\n'
                         'You wrote: "[voice note]"\n1. Use this\n2. Write new')
    assert "You recorded a message." in said and "For Record again, press 2." in said
    assert "You wrote" not in said and "Write new" not in said


def test_too_short_at_the_recording_asks_to_speak(svc):
    """At the recording, the too-short line asks for spoken words, not written ones."""
    said = _english(svc, "Too short. Write a few words.\n"
                         "Briefly, what did you see? Or name a place near it.", record=True)
    assert "Write a few words" not in said and "say a few words" in said


def test_the_silence_goodbye_names_no_code_it_does_not_know(client):
    """The goodbye after silence says to call again, never 'dial the USSD code' without one."""
    call = Call(client)
    call.say()
    call.say()
    end = spoken(call.say())
    assert "USSD code" not in end and "call again" in end


def test_an_end_text_is_recorded_as_two_prompts_around_its_reference(svc):
    """The prompts to record split the end text at the reference: the words
    before it, and (``.after``) the words after it with the emergency numbers."""
    from gateway.store import prompts as store
    script = script_versions.live_script(svc)
    wanted = store.texts(script, "swa")
    assert wanted["steps.done.text"] == "Imetumwa. Nambari ya ripoti: "
    assert "Piga 999 au 112" in wanted["steps.done.text.after"]
    assert "voice.reference.after" not in wanted and "texts.voice.reference.after" not in wanted


def test_the_confirm_summary_in_kiswahili_is_played_from_prompts(svc):
    """The summary lines ("Nini: Magendo ya silaha") are a title and an answer,
    each a recorded prompt: no English fallback when every prompt exists."""
    script = script_versions.live_script(svc)
    screen = ("Tuma ripoti hii?\nNini: Magendo ya silaha\nEneo: Loima\nLini: Leo\n"
              "Uliona: [ujumbe wa sauti]\nKupigiwa: Ndiyo\n1. Tuma\n2. Badilisha\n3. Sitisha")
    said = voice.speech(script, "swa", screen, lambda lang, key: f"https://p/{lang}/{key}.mp3")
    assert all(isinstance(piece, voice.Play) for piece in said)
    urls = [piece.url for piece in said]
    assert urls[1:3] == ["https://p/swa/steps.category.summary.mp3",
                         "https://p/swa/steps.category.options.weapons_smuggling.mp3"]
    assert "https://p/swa/media.label.voice.mp3" in urls


def test_the_confirm_summary_in_english_keeps_its_colons(svc):
    """Said in English, a summary line reads as the screen shows it."""
    said = _english(svc, "Send this report?\nWhat: Weapons smuggling\n1. Yes, send")
    assert said.startswith("Send this report? What: Weapons smuggling. For Yes, send, press 1.")
