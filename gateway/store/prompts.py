"""Voice prompts: one audio file per text and language, kept with the script version.

Layout (``PROMPTS_DIR``, default ``<data dir>/prompts``)::

    <PROMPTS_DIR>/<script version number>/<language>/<text key>.mp3

served publicly at ``/voice/prompts/<version>/<language>/<key>.mp3``
(``gateway.web.prompts``) for Africa's Talking's ``<Play>``.  The files hold
the script's own words and nothing of any report.

Which texts: every text key of the script (``steps.…``, ``messages.…``) and
of the message file (``gateway/defaults/messages.yaml``), the latter under
``texts.`` (``texts.reporter_received``), in every language of the script.

Draft or recorded: ``mpaka voice prompts build`` speaks a draft with espeak-ng
for the languages it has a voice for, and leaves ``<key>.draft`` beside it
(holding a digest of the text it spoke, so an unchanged text is not spoken
again).  A human recording uploaded in the console replaces the file and
removes the marker; ``build`` never overwrites a recording.  A text "needs a
recording" while its file is missing or a draft.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gateway.core import texts as message_file
from gateway.dialogue import Script
from gateway.errors import MpakaError

#: A text key: dotted lower-case words (``steps.category.options.armed_attack``).
KEY_PATTERN = re.compile(r"[a-z0-9_]{1,64}(\.[a-z0-9_]{1,64}){0,8}")
#: A script language code (ISO 639-3, as in the script).
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}")
#: A script version number.
VERSION_PATTERN = re.compile(r"[0-9]{1,9}")
MESSAGE_FILE_PREFIX = "texts."
SUFFIX = ".mp3"
DRAFT_SUFFIX = ".draft"

#: Script language → espeak-ng voice.  Borana is a dialect of Oromo (``om``);
#: espeak-ng has no Turkana and no Somali voice: those need recordings.
ESPEAK_VOICES = {"eng": "en", "swa": "sw", "gax": "om"}
#: What Africa's Talking plays: mono MP3.
MP3_ARGS = ["-ac", "1", "-ar", "22050", "-codec:a", "libmp3lame", "-b:a", "48k"]
TOOL_TIMEOUT = 120  # seconds for one run of a tool
#: Drafts converted by one ffmpeg run.
BATCH = 40

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


class PromptError(MpakaError):
    """A recording that cannot be used (the message says why, for the admin)."""


def valid_part(version: str, language: str, key: str) -> bool:
    return bool(VERSION_PATTERN.fullmatch(version) and LANGUAGE_PATTERN.fullmatch(language)
                and KEY_PATTERN.fullmatch(key))


def prompt_path(root: str | Path, version: int | str, language: str, key: str) -> Path:
    """The file of one prompt.  ``PromptError`` for a part that is not one
    (nothing outside ``root`` is ever named)."""
    version = str(version)
    if not valid_part(version, language, key):
        raise PromptError("not a prompt: version, language or text key malformed")
    return Path(root) / version / language / f"{key}{SUFFIX}"


def url_path(version: int | str, language: str, key: str) -> str:
    """The public path AT fetches (``PUBLIC_BASE_URL`` + this)."""
    return f"/voice/prompts/{version}/{language}/{key}{SUFFIX}"


def _message_file_texts(language: str) -> dict[str, str]:
    def flat(node: object, prefix: str, out: dict[str, str]) -> None:
        if isinstance(node, dict):
            for name, child in node.items():
                flat(child, f"{prefix}{name}.", out)
        elif isinstance(node, str):
            out[prefix[:-1]] = node

    keys: dict[str, str] = {}
    flat(message_file.table().get("eng", {}), MESSAGE_FILE_PREFIX, keys)
    return {key: message_file.text(key[len(MESSAGE_FILE_PREFIX):], language) for key in keys}


#: The prompt of a text's words after its placeholder: ``<key>.after``.
AFTER = ".after"


def split_at_placeholder(text: str) -> tuple[str, str] | None:
    """A text with one placeholder and words after it ("Sent. Reference:
    {reference}. Danger? Call 999 or 112."): the words before and after it,
    recorded as two prompts (``<key>`` and ``<key>.after``) with the value
    said between them.  ``None`` for any other text (one prompt)."""
    if len(_PLACEHOLDER.findall(text)) != 1:
        return None
    before, after = _PLACEHOLDER.split(text, maxsplit=1)
    return (before, after) if any(ch.isalnum() for ch in after) else None


def texts(script: Script, language: str) -> dict[str, str]:
    """Every text to record in ``language``: key → the words (with the
    script's fallbacks, as the dialogue would say them).  A text with words
    after its placeholder is two prompts (``split_at_placeholder``)."""
    out: dict[str, str] = {}
    for key in script.texts.get(script.base_language, {}):
        value = script.text(key, language)
        if value is not None:
            out[key] = value
    # Places are said by name, the same in every language (the voice channel
    # plays ``gazetteer.<list>.<value>`` for an option without a translation).
    for gazetteer in script.lists.values():
        for value, name in gazetteer.names.items():
            out.setdefault(f"gazetteer.{gazetteer.name}.{value}", name)
    out.update(_message_file_texts(language))
    for key, value in list(out.items()):
        split = split_at_placeholder(value)
        if split is not None and KEY_PATTERN.fullmatch(key + AFTER):
            out[key], out[key + AFTER] = split
    return out


def is_recorded(root: str | Path, version: int | str, language: str, key: str) -> bool:
    path = prompt_path(root, version, language, key)
    return path.is_file() and not path.with_suffix(DRAFT_SUFFIX).exists()


@dataclass
class LanguageStatus:
    language: str
    needed: int
    present: int = 0  # files, drafts included
    recorded: int = 0  # human recordings
    missing_recording: list[str] = field(default_factory=list)  # keys still to record

    def format(self) -> str:
        return (f"prompts {self.language}: {self.present}/{self.needed} files, "
                f"{self.recorded} recorded by a person, "
                f"{len(self.missing_recording)} still to record")


def status(root: str | Path, version: int | str, script: Script) -> list[LanguageStatus]:
    """Per language of ``script``: prompts needed, present, recorded, still to record."""
    result = []
    for language in script.languages:
        keys = list(texts(script, language))
        st = LanguageStatus(language, needed=len(keys))
        for key in keys:
            path = prompt_path(root, version, language, key)
            if path.is_file():
                st.present += 1
            if is_recorded(root, version, language, key):
                st.recorded += 1
            else:
                st.missing_recording.append(key)
        result.append(st)
    return result


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def speakable(text: str) -> str:
    """The words for text-to-speech: placeholders and menu clutter left out."""
    return " ".join(_PLACEHOLDER.sub(" ", text).split())


def tools_missing() -> list[str]:
    return [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]


@dataclass
class BuildResult:
    language: str
    voice: str | None
    spoken: int = 0  # new or changed drafts
    unchanged: int = 0  # drafts already up to date
    kept: int = 0  # human recordings left alone


def build_drafts(root: str | Path, version: int | str, script: Script, language: str
                 ) -> BuildResult:
    """Speak draft prompts for ``language`` with espeak-ng (when it has a voice)."""
    voice = ESPEAK_VOICES.get(language)
    result = BuildResult(language, voice)
    if voice is None:
        return result
    todo: list[tuple[Path, str]] = []
    for key, text in texts(script, language).items():
        path = prompt_path(root, version, language, key)
        marker = path.with_suffix(DRAFT_SUFFIX)
        if path.is_file() and not marker.exists():
            result.kept += 1
            continue
        words = speakable(text)
        if marker.exists() and path.is_file() and marker.read_text("utf-8") == _digest(words):
            result.unchanged += 1
            continue
        todo.append((path, words))
    if todo:
        todo[0][0].parent.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        with tempfile.TemporaryDirectory() as tmp:
            wavs = []
            for n, (_path, words) in enumerate(batch):
                wav = Path(tmp) / f"{n}.wav"
                _run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(wav), "--", words])
                wavs.append(wav)
            _many_to_mp3(wavs, [path for path, _words in batch])
        for path, words in batch:
            path.with_suffix(DRAFT_SUFFIX).write_text(_digest(words), "utf-8")
        result.spoken += len(batch)
    return result


# --- Recordings uploaded by an admin -------------------------------------------------


def audio_kind(data: bytes) -> str | None:
    """``mp3`` or ``wav`` by the file's first bytes, else ``None``."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3":
        return "mp3"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:  # an MPEG frame sync
        return "mp3"
    return None


def save_recording(root: str | Path, version: int | str, language: str, key: str,
                   data: bytes, *, max_bytes: int) -> Path:
    """Check and convert an uploaded recording to the prompt's MP3; replaces a
    draft.  ``PromptError`` says what is wrong; nothing is changed then."""
    path = prompt_path(root, version, language, key)
    if not data:
        raise PromptError("the file is empty")
    if len(data) > max_bytes:
        raise PromptError(f"the file is larger than {max_bytes // 1024} KB")
    kind = audio_kind(data)
    if kind is None:
        raise PromptError("not an MP3 or WAV file")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"upload.{kind}"
        source.write_bytes(data)
        converted = Path(tmp) / "prompt.mp3"
        try:
            _to_mp3(source, converted)
        except PromptError:
            raise PromptError(f"the {kind.upper()} file could not be read as audio") from None
        shutil.move(str(converted), path)
    path.with_suffix(DRAFT_SUFFIX).unlink(missing_ok=True)
    return path


def _to_mp3(source: Path, target: Path) -> None:
    _many_to_mp3([source], [target])


def _many_to_mp3(sources: list[Path], targets: list[Path]) -> None:
    """Convert in one ffmpeg run (its start-up dominates for short prompts);
    each target appears whole or not at all."""
    parts = [target.with_name(target.name + ".part.mp3") for target in targets]
    argv = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    for source in sources:
        argv += ["-i", str(source)]
    for n, part in enumerate(parts):
        argv += ["-map", f"{n}:a", "-map_metadata", "-1", *MP3_ARGS, str(part)]
    _run(argv)
    for part, target in zip(parts, targets, strict=True):
        part.replace(target)


def _run(argv: list[str]) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True, timeout=TOOL_TIMEOUT)
    except FileNotFoundError:
        raise PromptError(f"{argv[0]} is not installed (Debian package {argv[0]})") from None
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        raise PromptError(f"{argv[0]} failed") from None
