"""WhatsApp photos and voice notes end to end: the signed Twilio webhook, a
real RQ worker fetching from Twilio (served by ``responses``), the media
store, the report, the alert, retention and erasure (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import itertools
import re

import pytest
import responses
from PIL import ExifTags, Image
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from gateway.core import keys
from gateway.privacy import retention
from gateway.store.media import FolderStore, MediaStore
from gateway.store.models import Alert, Attachment, Message, Report

SID, TOKEN = "AC" + "1" * 32, "twilio-test-token"
PHONE = "+254711222333"
WEBHOOK = "http://localhost/webhooks/twilio/messages"
CDN = "https://mms.twiliocdn.com"
# REPORT (English), weapons smuggling, Turkana, Loima, earlier today: the description is next.
TO_DESCRIPTION = ["REPORT", "4", "1", "4", "2"]
_sids = itertools.count(1)


def media_url(n: int) -> str:
    return (f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages/MM{n:032d}"
            f"/Media/ME{n:032d}")


def gps_jpeg() -> bytes:
    """A JPEG such as a phone takes: EXIF with the phone's make and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMakerX"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (3.0, 7.0, 8.5),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (35.0, 35.0, 50.2),
    }
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG", exif=exif,
                                                   comment=b"taken at the well")
    return out.getvalue()


@pytest.fixture
def twilio_app(app):
    app.config.update(TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN)
    return app


def send(app, body="", *, media=(), phone=PHONE):
    """One signed WhatsApp message; ``media``: (url, content type) pairs.  Returns the reply."""
    form = {"MessageSid": f"SM{next(_sids):032d}", "AccountSid": SID,
            "From": f"whatsapp:{phone}", "To": "whatsapp:+15005550006", "Body": body,
            "NumMedia": str(len(media))}
    for n, (url, content_type) in enumerate(media):
        form |= {f"MediaUrl{n}": url, f"MediaContentType{n}": content_type}
    signature = RequestValidator(TOKEN).compute_signature(WEBHOOK, form)
    response = app.test_client().post("/webhooks/twilio/messages", data=form,
                                      headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    match = re.search(r"<Message>(.*)</Message>", response.text, re.S)
    return match.group(1) if match else ""


def serve(mock, n: int, body: bytes, content_type: str) -> None:
    """Twilio's answer: the API redirects to the CDN, which has the file."""
    mock.get(media_url(n), status=307, headers={"Location": f"{CDN}/{n}"})
    mock.get(f"{CDN}/{n}", body=body, content_type=content_type)


def stored(svc) -> list[Attachment]:
    with svc.db() as db:
        return list(db.scalars(select(Attachment).order_by(Attachment.id)))


def report_of(svc) -> Report:
    with svc.db() as db:
        return db.scalar(select(Report))


def test_photo_at_the_description_step_makes_the_report(twilio_app, svc, run_worker):
    """A photo without caption is the description; the worker fetches it; the report
    has it, stripped of its EXIF GPS; the reporter is told and the alert counts it."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 1, gps_jpeg(), "image/jpeg")
        for text in TO_DESCRIPTION:
            send(twilio_app, text)
        reply = send(twilio_app, media=[(media_url(1), "image/jpeg")])
        assert reply.startswith("Photo received.\n")
        send(twilio_app, "2")  # anonymous
        end = send(twilio_app, "1")
        run_worker()
    report = report_of(svc)
    assert report.reference in end
    assert report.description == "[photo]"
    [attachment] = stored(svc)
    assert (attachment.report_id, attachment.status, attachment.kind) == (
        report.id, "stored", "photo")
    data = MediaStore.from_services(svc).get(attachment.storage_key)
    assert len(data) == attachment.size
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (64, 48)
    assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
    assert b"PhoneMakerX" not in data and b"taken at the well" not in data
    with svc.db() as db:
        alert = db.scalar(select(Alert))
    assert "Attached: 1 photo." in alert.text
    assert svc.redis.hget(keys.metric("mpaka_media"), "photo\x1fstored") == b"1"


def test_photo_with_caption_keeps_both(twilio_app, svc, run_worker):
    """A photo's caption is the description and the photo is attached."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 2, gps_jpeg(), "image/jpeg")
        for text in TO_DESCRIPTION:
            send(twilio_app, text)
        send(twilio_app, "Gunmen at the water point", media=[(media_url(2), "image/jpeg")])
        send(twilio_app, "2")
        send(twilio_app, "1")
        run_worker()
    report = report_of(svc)
    assert report.description == "Gunmen at the water point"
    assert [(a.report_id, a.status) for a in stored(svc)] == [(report.id, "stored")]


def test_voice_note_early_in_the_dialogue_is_attached_later(twilio_app, svc, run_worker):
    """Media sent before the report exists stay with the session and are attached to it."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 3, b"OggS\x00voice", "audio/ogg")
        send(twilio_app, "REPORT")
        reply = send(twilio_app, media=[(media_url(3), "audio/ogg")])
        assert reply.startswith("Voice note received.\n") and "Not a valid" not in reply
        run_worker()  # fetched while the dialogue goes on
        assert stored(svc)[0].report_id is None
        for text in TO_DESCRIPTION[1:] + ["Gunmen at the well", "2", "1"]:
            send(twilio_app, text)
    report = report_of(svc)
    [attachment] = stored(svc)
    assert (attachment.report_id, attachment.status) == (report.id, "stored")
    assert MediaStore.from_services(svc).get(attachment.storage_key) == b"OggS\x00voice"


def test_refused_media_are_recorded_not_kept(twilio_app, svc, run_worker):
    """A file that is not what it claims (HTML sent as a JPEG) is refused, nothing stored."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 4, b"<html>not an image</html>", "image/jpeg")
        send(twilio_app, "REPORT")
        send(twilio_app, media=[(media_url(4), "image/jpeg")])
        run_worker()
    [attachment] = stored(svc)
    assert attachment.status == "refused" and attachment.storage_key is None
    assert attachment.error.startswith("unreadable")


def test_the_queued_fetch_never_shows_twilios_url(twilio_app, svc):
    """The media URL names Twilio's message (and so the sender's number there):
    the queued job carries it encrypted, its description names only the
    attachment, and a failed job is kept a day."""
    send(twilio_app, "REPORT")
    send(twilio_app, media=[(media_url(7), "image/jpeg")])
    [job_id] = [k.decode().rsplit(":", 1)[1] for k in svc.redis.keys("rq:job:media-*")]
    job = svc.queue("default").fetch_job(job_id)
    assert "twilio" not in job.description and f"MM{7:032d}" not in str(job.args)
    assert svc.protector.decrypt(job.args[1]) == media_url(7)
    assert job.failure_ttl == 86400


def test_a_refused_document_costs_no_strike(twilio_app, svc):
    """Three PDFs at a menu: each is refused with a notice and the same question,
    and the dialogue goes on (three invalid answers would have ended it)."""
    send(twilio_app, "REPORT")
    for n in range(3):
        reply = send(twilio_app, media=[(media_url(20 + n), "application/pdf")])
        assert "What is happening?" in reply and "Not a valid choice" not in reply
    assert "Which county?" in send(twilio_app, "4")


def test_a_document_is_refused_at_once(twilio_app, svc):
    """A PDF is never fetched; the reporter is told what can be received."""
    send(twilio_app, "REPORT")
    reply = send(twilio_app, media=[(media_url(5), "application/pdf")])
    assert reply.startswith("Sorry, only photos, voice notes and short videos")
    assert stored(svc) == []


def test_url_outside_twilio_is_never_fetched(twilio_app, svc, run_worker):
    """A signed webhook naming another host gets nothing fetched (responses fails on any call)."""
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        send(twilio_app, "REPORT")
        send(twilio_app, media=[("https://evil.example/x.jpg", "image/jpeg")])
        run_worker()
    [attachment] = stored(svc)
    assert attachment.status == "refused" and attachment.error.startswith("host")
    assert svc.redis.hget(keys.metric("mpaka_media"), "photo\x1fhost") == b"1"


def test_quick_exit_deletes_the_dialogue_media(twilio_app, svc, run_worker):
    """99 after a photo deletes the photo's row and file."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 6, gps_jpeg(), "image/jpeg")
        send(twilio_app, "REPORT")
        send(twilio_app, media=[(media_url(6), "image/jpeg")])
        run_worker()
    [attachment] = stored(svc)
    path = MediaStore.from_services(svc).path(attachment.storage_key)
    assert path.exists()
    send(twilio_app, "99")
    assert stored(svc) == [] and not path.exists()


def test_anonymous_report_media_carry_nothing_of_the_phone(twilio_app, svc, run_worker):
    """An anonymous report's attachment row names no phone, hash or message; the
    dialogue's ledger rows are unlinked."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 7, gps_jpeg(), "image/jpeg")
        for text in TO_DESCRIPTION:
            send(twilio_app, text)
        send(twilio_app, media=[(media_url(7), "image/jpeg")])
        send(twilio_app, "2")
        send(twilio_app, "1")
        run_worker()
    phone_hash = svc.protector.phone_hash(PHONE)
    [attachment] = stored(svc)
    values = [str(getattr(attachment, c.key)) for c in Attachment.__table__.columns]
    assert not any(PHONE[1:] in v or phone_hash in v or "MM" in v for v in values)
    with svc.db() as db:
        assert db.scalar(select(Message).where(Message.phone_hash == phone_hash)) is None


def test_forget_deletes_files_and_rows(twilio_app, svc, run_worker):
    """`forget` deletes the media of the number's reports and of its unfinished dialogue."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 8, gps_jpeg(), "image/jpeg")
        serve(mock, 9, b"OggS\x00later", "audio/ogg")
        for text in TO_DESCRIPTION:
            send(twilio_app, text)
        send(twilio_app, media=[(media_url(8), "image/jpeg")])
        send(twilio_app, "1")  # may be contacted
        send(twilio_app, "1")
        send(twilio_app, "REPORT")  # a second dialogue, unfinished, with a voice note
        send(twilio_app, media=[(media_url(9), "audio/ogg")])
        run_worker()
    store = MediaStore.from_services(svc)
    paths = [store.path(a.storage_key) for a in stored(svc)]
    assert len(paths) == 2 and all(p.exists() for p in paths)
    erased = retention.forget(svc, PHONE)
    assert erased["attachments"] == 2
    assert stored(svc) == [] and not any(p.exists() for p in paths)
    assert not svc.redis.exists(keys.session("whatsapp", svc.protector.phone_hash(PHONE)))


def test_retention_deletes_old_media_and_media_no_report_took(twilio_app, svc, clock,
                                                              run_worker):
    """Past RETENTION_DAYS a report's media go; media of an abandoned dialogue go after a day."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 10, gps_jpeg(), "image/jpeg")
        serve(mock, 11, gps_jpeg(), "image/jpeg")
        for text in TO_DESCRIPTION:
            send(twilio_app, text)
        send(twilio_app, media=[(media_url(10), "image/jpeg")])
        send(twilio_app, "2")
        send(twilio_app, "1")
        send(twilio_app, "REPORT", phone="+254711999888")
        send(twilio_app, media=[(media_url(11), "image/jpeg")], phone="+254711999888")
        run_worker()
    store = MediaStore.from_services(svc)
    linked, orphan = stored(svc)
    clock.advance(days=2)
    assert retention.purge_expired(svc)["attachments"] == 1
    assert [a.id for a in stored(svc)] == [linked.id]
    assert not store.path(orphan.storage_key).exists()
    clock.advance(days=365)
    assert retention.purge_expired(svc)["attachments"] == 1
    assert stored(svc) == [] and not store.path(linked.storage_key).exists()


def test_key_rotation_reencrypts_media(app, svc):
    """`mpaka keys rotate` re-encrypts stored media under the newest key."""
    from cryptography.fernet import Fernet

    from gateway.cli.main import main
    from gateway.core.protector import Protector, encryption_keys
    from tests.helpers import add_attachment

    add_attachment(svc, "R-NONE01", b"photo-bytes")
    old = encryption_keys(svc.config)
    new = Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = ",".join([new, *old])
    del svc.protector  # as a new process would, read the keys again
    result = app.test_cli_runner().invoke(main, args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "and 1 media file(s)" in result.stdout
    only_new = FolderStore(svc.config["MEDIA_DIR"], Protector(svc.config["PHONE_HASH_KEY"], [new]))
    assert only_new.get(stored(svc)[0].storage_key) == b"photo-bytes"


def test_notice_is_in_the_reporters_language(twilio_app, svc):
    """A Kiswahili reporter is told "Picha imepokelewa." (Somali: "Sawirka waa la helay.")."""
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        send(twilio_app, "RIPOTI")
        assert send(twilio_app, media=[(media_url(12), "image/jpeg")]).startswith(
            "Picha imepokelewa.\n")
        send(twilio_app, "WARBIXIN", phone="+254711000444")
        assert send(twilio_app, media=[(media_url(13), "image/jpeg")],
                    phone="+254711000444").startswith("Sawirka waa la helay.\n")


def test_voice_note_that_is_not_audio_is_refused(twilio_app, svc, run_worker):
    """Bytes that do not start as the announced audio type are refused, nothing stored."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 14, b"%PDF-1.7 not a voice note", "audio/ogg")
        send(twilio_app, "REPORT")
        send(twilio_app, media=[(media_url(14), "audio/ogg")])
        run_worker()
    [attachment] = stored(svc)
    assert (attachment.status, attachment.storage_key) == ("refused", None)
    assert attachment.error.startswith("unreadable")


def test_two_photos_in_one_message_and_the_alert_counts_them(twilio_app, svc, run_worker):
    """Two photos in one message are both attached; the team's alert says "2 photos"."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 15, gps_jpeg(), "image/jpeg")
        serve(mock, 16, gps_jpeg(), "image/jpeg")
        for text in TO_DESCRIPTION:
            send(twilio_app, text)
        reply = send(twilio_app, media=[(media_url(15), "image/jpeg"),
                                        (media_url(16), "image/jpeg")])
        assert reply.count("Photo received.") == 1
        send(twilio_app, "2")
        send(twilio_app, "1")
        run_worker()
    report = report_of(svc)
    assert [(a.report_id, a.status) for a in stored(svc)] == [(report.id, "stored")] * 2
    with svc.db() as db:
        assert "Attached: 2 photos." in db.scalar(select(Alert.text))


def test_media_over_the_limit_are_not_kept_and_cost_no_strike(twilio_app, svc, run_worker):
    """Past MEDIA_PER_REPORT a photo is not kept, the reporter is told, and it still
    answers the description."""
    twilio_app.config["MEDIA_PER_REPORT"] = 1
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        serve(mock, 17, gps_jpeg(), "image/jpeg")
        send(twilio_app, "REPORT")
        send(twilio_app, media=[(media_url(17), "image/jpeg")])
        for text in TO_DESCRIPTION[1:]:
            send(twilio_app, text)
        reply = send(twilio_app, media=[(media_url(18), "image/jpeg")])
        assert reply.startswith("This report already has all the photos")
        send(twilio_app, "2")
        send(twilio_app, "1")
        run_worker()
    report = report_of(svc)
    assert report.description == "[photo]"
    assert [a.report_id for a in stored(svc)] == [report.id]
