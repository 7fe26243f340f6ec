"""The media store: reporters' photos, voice notes and videos as files.

A folder (``MEDIA_DIR``, by default ``<data dir>/media``), one file per
attachment, named by a random id (never the phone, never the provider's URL)
under a two-letter fan-out folder.  Every file is encrypted at rest with the
protector's Fernet keys (``ENCRYPTION_KEYS``): a copied disk or backup shows
no photo without the keys.  Files are written to a temporary name and renamed,
so a reader never sees half a file.

An S3-compatible bucket is not implemented: this class is the one place a
bucket would go (``put``/``get``/``delete`` by key).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlalchemy.orm import Session

from gateway.core.protector import Protector
from gateway.store.models import Attachment

if TYPE_CHECKING:
    from gateway.core.services import Services

_KEY = re.compile(r"^[0-9a-f]{32}$")


def new_key() -> str:
    """A random storage or attachment id: 128 bits, hex."""
    return secrets.token_hex(16)


class MediaStore:
    def __init__(self, root: str | Path, protector: Protector):
        self.root = Path(root)
        self.protector = protector

    @classmethod
    def from_services(cls, svc: Services) -> MediaStore:
        return cls(svc.config["MEDIA_DIR"], svc.protector)

    def path(self, key: str) -> Path:
        if not _KEY.match(key or ""):  # a key is ours, never a path someone chose
            raise ValueError("not a media storage key")
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        """Store ``data`` encrypted; returns its new storage key."""
        key = new_key()
        self._write(key, self.protector.encrypt_bytes(data))
        return key

    def rotate(self, key: str) -> bool:
        """Re-encrypt a file under the newest key (``mpaka keys rotate``);
        ``False`` when it is gone."""
        try:
            token = self.path(key).read_bytes()
        except FileNotFoundError:
            return False
        self._write(key, self.protector.rotate_bytes(token))
        return True

    def _write(self, key: str, token: bytes) -> None:
        """Write to a temporary name, then rename: never half a file."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(token)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        """The file's bytes; ``None`` when it is gone or no key opens it."""
        try:
            token = self.path(key).read_bytes()
        except FileNotFoundError:
            return None
        return self.protector.decrypt_bytes(token)

    def delete(self, key: str | None) -> bool:
        """Remove a file; ``False`` when there was none."""
        if not key:
            return False
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def discard(self, db: Session, rows: list[Attachment]) -> int:
        """Delete attachments: their files, then their rows (the caller commits)."""
        for row in rows:
            self.delete(row.storage_key)
        if rows:
            db.execute(delete(Attachment).where(Attachment.id.in_([row.id for row in rows])))
        return len(rows)
