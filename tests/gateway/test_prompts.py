"""Voice prompts: the public route AT plays them from, `mpaka voice prompts
build` (real espeak-ng and ffmpeg) and the prompt counts of `mpaka scripts check`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gateway.cli.main import main
from gateway.defaults import default_script_text, load_default_script
from gateway.store import prompts
from tests.conftest import empty_tables


@pytest.fixture
def database_url(sqlite_url):
    """Prompt files do not depend on the database: SQLite only (espeak-ng is slow)."""
    empty_tables(sqlite_url)
    return sqlite_url


def silence(path: Path, seconds: float = 0.3, fmt: str = "mp3") -> bytes:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "anullsrc=r=22050:cl=mono", "-t", str(seconds), str(path.with_suffix(
                        f".{fmt}"))], check=True)
    return path.with_suffix(f".{fmt}").read_bytes()


@pytest.fixture
def prompt_file(app, tmp_path):
    data = silence(tmp_path / "p")
    path = prompts.prompt_path(app.config["PROMPTS_DIR"], 1, "tuv", "messages.help")
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return data


def test_prompt_is_served_publicly_with_long_cache(client, prompt_file):
    """No login: AT fetches the MP3, cacheable by anyone for a day."""
    response = client.get("/voice/prompts/1/tuv/messages.help.mp3")
    assert response.status_code == 200
    assert response.mimetype == "audio/mpeg"
    assert response.data == prompt_file
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=86400" in response.headers["Cache-Control"]


def test_missing_prompt_is_404(client, prompt_file):
    """A text with no file yet, another version or language: 404."""
    for path in ("/voice/prompts/1/tuv/messages.invalid.mp3", "/voice/prompts/2/tuv/messages.help.mp3",
                 "/voice/prompts/1/gax/messages.help.mp3"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("path", [
    "/voice/prompts/1/tuv/..%2F..%2Fmpaka.sqlite3.mp3",
    "/voice/prompts/1/tuv/%2E%2E%2Fsecret.mp3",
    "/voice/prompts/1/../../mpaka.sqlite3",
    "/voice/prompts/1/tuv/messages.help.wav",
    "/voice/prompts/1/tuv/messages.help.draft",
    "/voice/prompts/..%2F1/tuv/messages.help.mp3",
    "/voice/prompts/1/TUV/messages.help.mp3",
    "/voice/prompts/1/tuv/Messages.Help.mp3",
])
def test_path_traversal_and_odd_names_are_refused(client, prompt_file, path):
    """Only <digits>/<language>/<dotted key>.mp3 names a file; anything else is a 404."""
    assert client.get(path).status_code == 404


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, args=list(args))


def test_build_speaks_drafts_for_english_and_swahili_and_lists_turkana(cli, app):
    """espeak-ng drafts for eng and swa (MP3 files); Turkana has no voice: every text listed."""
    result = cli("voice", "prompts", "build", "--language", "eng", "--language", "swa",
                 "--language", "tuv")
    assert result.exit_code == 0, result.output
    script = load_default_script()
    root = Path(app.config["PROMPTS_DIR"])
    for language in ("eng", "swa"):
        # (a text with words after its placeholder is two prompts: per language)
        needed = len(prompts.texts(script, language))
        files = sorted((root / "1" / language).glob("*.mp3"))
        assert len(files) == needed
        assert prompts.audio_kind(files[0].read_bytes()) == "mp3"
        assert f"{language}: {needed} draft(s) spoken" in result.output
    assert not (root / "1" / "tuv").exists()
    needed = len(prompts.texts(script, "tuv"))
    assert "tuv: espeak-ng has no voice for it, no drafts" in result.output
    assert f"prompts tuv: 0/{needed} files, 0 recorded by a person, {needed} still to record" \
        in result.output
    assert "need a recording (tuv): messages.invalid," in result.output


def test_build_keeps_a_recording(cli, app, tmp_path):
    """A person's recording is never overwritten by a draft."""
    root = app.config["PROMPTS_DIR"]
    prompts.save_recording(root, 1, "swa", "messages.help", silence(tmp_path / "r", fmt="wav"),
                           max_bytes=10**6)
    before = prompts.prompt_path(root, 1, "swa", "messages.help").read_bytes()
    result = cli("voice", "prompts", "build", "--language", "swa")
    assert "1 recording(s) kept" in result.output
    assert prompts.prompt_path(root, 1, "swa", "messages.help").read_bytes() == before


def test_build_refuses_an_unknown_language(cli):
    """A language the script does not have is named, and nothing is built."""
    result = cli("voice", "prompts", "build", "--language", "xyz")
    assert result.exit_code == 1
    assert "no language xyz" in result.output


def test_scripts_check_counts_prompts_per_language(cli, app, tmp_path, prompt_file):
    """`mpaka scripts check` says per language how many prompts exist of how many needed."""
    path = tmp_path / "default.yaml"
    path.write_text(default_script_text(), "utf-8")
    result = cli("scripts", "check", str(path))
    needed = len(prompts.texts(load_default_script(), "tuv"))
    assert f"prompts tuv: 1/{needed} files, 1 recorded by a person, {needed - 1} still to record" \
        in result.output
    assert f"prompts eng: 0/{len(prompts.texts(load_default_script(), 'eng'))} files" \
        in result.output


def test_every_prompt_a_call_plays_is_one_the_store_lists_and_serves(client, app):
    """The voice channel's prompt URLs (gateway.web.voice) name files that the
    prompt store lists to record and the public route serves: script texts,
    place names and the message table's voice texts (under ``texts.``)."""
    from gateway.web import voice

    app.config["PUBLIC_BASE_URL"] = "https://mpaka.example.org"
    script = load_default_script()
    listed = prompts.texts(script, "swa")
    asked = ["steps.category.prompt", "gazetteer.sub_counties.turkana_north", "voice.press.1",
             "voice.reference", "media.received.voice"]
    for key in asked:
        stored = key if key.startswith(("steps.", "gazetteer.")) else f"texts.{key}"
        assert stored in listed, key
        path = prompts.prompt_path(app.config["PROMPTS_DIR"], script.version, "swa", stored)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"ID3" + bytes(64))
    find = voice.prompt_finder(app.config, str(script.version))
    for key in asked:
        url = find("swa", key)
        assert url is not None, key
        served = client.get(url.removeprefix("https://mpaka.example.org"))
        assert served.status_code == 200, key
