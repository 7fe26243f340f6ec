"""The console's voice prompts page: an admin uploads a person's recording per
text and language (WAV converted to MP3, checked by its bytes, size-limited,
audited) and plays it back."""

from __future__ import annotations

import io
import subprocess

import pytest
from sqlalchemy import select

from gateway.store import prompts
from gateway.store.models import AuditEntry
from tests.conftest import empty_tables

from .conftest import csrf_token

PAGE = "/console/scripts/report/versions/1/prompts"
UPLOAD = PAGE + "/tuv/messages.help"


@pytest.fixture
def database_url(sqlite_url):
    """Files, not rows: SQLite is enough."""
    empty_tables(sqlite_url)
    return sqlite_url


def wav(tmp_path, seconds=0.5) -> bytes:
    path = tmp_path / "tone.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=16000", "-t", str(seconds), str(path)],
                   check=True)
    return path.read_bytes()


def upload(client, data: bytes, name="help.wav", path=UPLOAD):
    return client.post(path, data={
        "csrf_token": csrf_token(client, "/console/account/password"),
        "recording": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_wav_upload_is_converted_to_mp3_and_audited(admin_client, app, svc, tmp_path):
    """A WAV recording becomes the prompt's MP3, counts as recorded, and is audited."""
    response = upload(admin_client, wav(tmp_path))
    assert response.status_code == 302
    path = prompts.prompt_path(app.config["PROMPTS_DIR"], 1, "tuv", "messages.help")
    assert prompts.audio_kind(path.read_bytes()) == "mp3"
    assert prompts.is_recorded(app.config["PROMPTS_DIR"], 1, "tuv", "messages.help")
    with svc.db() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "voice.prompt_uploaded"))
    assert (entry.actor, entry.target) == ("admin", "report v1")
    assert entry.detail["language"] == "tuv" and entry.detail["key"] == "messages.help"


def test_page_plays_back_the_recording(admin_client, tmp_path):
    """The language's page shows the text as recorded with an audio player on the public URL."""
    upload(admin_client, wav(tmp_path))
    page = admin_client.get(PAGE + "?language=tuv").text
    assert '<audio controls preload="none" src="/voice/prompts/1/tuv/messages.help.mp3?v=' in page
    assert "Recorded" in page
    assert admin_client.get("/voice/prompts/1/tuv/messages.help.mp3").status_code == 200


def test_file_that_is_not_audio_is_refused(admin_client, app):
    """A file whose bytes are not MP3 or WAV (whatever its name) is refused with 400; nothing saved."""
    response = upload(admin_client, b"<?php echo 'hi'; ?>" * 10, name="help.mp3")
    assert response.status_code == 400
    assert "not an MP3 or WAV file" in response.text
    assert not prompts.prompt_path(app.config["PROMPTS_DIR"], 1, "tuv", "messages.help").exists()


def test_broken_wav_is_refused(admin_client, app):
    """A file that starts like a WAV but holds no audio is refused with 400."""
    response = upload(admin_client, b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk" * 4)
    assert response.status_code == 400
    assert "could not be read as audio" in response.text


def test_recording_over_the_size_limit_is_refused(app, make_app, tmp_path):
    """Over PROMPT_MAX_BYTES: 400 naming the limit, nothing saved."""
    from .conftest import login_as

    app = make_app(PROMPT_MAX_BYTES=4096)
    client = login_as(app.test_client(), app.extensions["mpaka"], "admin")
    response = upload(client, wav(tmp_path, seconds=2))
    assert response.status_code == 400
    assert "larger than 4 KB" in response.text
    assert not prompts.prompt_path(app.config["PROMPTS_DIR"], 1, "tuv", "messages.help").exists()


def test_unknown_text_is_404(admin_client, tmp_path):
    """A key the script does not have (or a language it does not speak) is a 404."""
    assert upload(admin_client, wav(tmp_path), path=PAGE + "/tuv/messages.nothing").status_code == 404
    assert upload(admin_client, wav(tmp_path), path=PAGE + "/xyz/messages.help").status_code == 404
