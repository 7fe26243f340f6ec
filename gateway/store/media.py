"""The media store: reporters' photos, voice notes and videos as files.

One file per attachment, named by a random id (never the phone, never the
provider's URL), encrypted at rest with the protector's Fernet keys
(``ENCRYPTION_KEYS``): a copied disk, bucket or backup shows no photo without
the keys.  Two places to keep them:

* ``FolderStore`` (the default): ``MEDIA_DIR`` (``<data dir>/media``), under a
  two-letter fan-out folder; files are written to a temporary name and
  renamed, so a reader never sees half a file.
* ``BucketStore``: an S3-compatible bucket (``MEDIA_S3_BUCKET``, with
  ``MEDIA_S3_ENDPOINT_URL`` for MinIO, Ceph and the like), through ``boto3``
  (the optional ``s3`` extra) and its usual credentials (``AWS_ACCESS_KEY_ID``
  ... or an instance role).  Objects are never public: the console and the
  API read them and answer them themselves.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from abc import ABC, abstractmethod
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from gateway.core.protector import Protector
from gateway.errors import ConfigError
from gateway.store.models import Attachment

if TYPE_CHECKING:
    from gateway.core.services import Services

_KEY = re.compile(r"^[0-9a-f]{32}$")


def new_key() -> str:
    """A random storage or attachment id: 128 bits, hex."""
    return secrets.token_hex(16)


def _checked(key: str) -> str:
    if not _KEY.match(key or ""):  # a key is ours, never a path someone chose
        raise ValueError("not a media storage key")
    return key


class MediaStore(ABC):
    """What both stores offer: ``put``, ``get``, ``delete``, ``rotate`` by key;
    each store supplies ``check`` and the three raw operations below."""

    def __init__(self, protector: Protector):
        self.protector = protector

    @classmethod
    def from_services(cls, svc: Services) -> MediaStore:
        """The bucket when ``MEDIA_S3_BUCKET`` is set, else the folder."""
        config = svc.config
        if config.get("MEDIA_S3_BUCKET"):
            return BucketStore(config["MEDIA_S3_BUCKET"], svc.protector,
                               endpoint_url=config.get("MEDIA_S3_ENDPOINT_URL") or None,
                               prefix=config.get("MEDIA_S3_PREFIX") or "")
        return FolderStore(config["MEDIA_DIR"], svc.protector)

    def put(self, data: bytes) -> str:
        """Store ``data`` encrypted; returns its new storage key."""
        key = new_key()
        self._write(key, self.protector.encrypt_bytes(data))
        return key

    def get(self, key: str) -> bytes | None:
        """The file's bytes; ``None`` when it is gone or no key opens it."""
        token = self._read(_checked(key))
        return None if token is None else self.protector.decrypt_bytes(token)

    def rotate(self, key: str) -> bool:
        """Re-encrypt a file under the newest key (``mpaka keys rotate``);
        ``False`` when it is gone."""
        token = self._read(_checked(key))
        if token is None:
            return False
        self._write(key, self.protector.rotate_bytes(token))
        return True

    def delete(self, key: str | None) -> bool:
        """Remove a file; ``False`` when there was none."""
        return self._remove(_checked(key)) if key else False

    def discard(self, db: Session, rows: list[Attachment]) -> int:
        """Delete attachments: their files, then their rows (the caller commits)."""
        for row in rows:
            self.delete(row.storage_key)
        if rows:
            db.execute(delete(Attachment).where(Attachment.id.in_([row.id for row in rows])))
        return len(rows)

    @abstractmethod
    def check(self) -> str:
        """Raise ``OSError`` or ``ConfigError`` when the store cannot be written;
        else say where it is (``mpaka doctor``)."""

    @abstractmethod
    def _read(self, key: str) -> bytes | None:
        """The stored (encrypted) bytes of ``key``, ``None`` when there are none."""

    @abstractmethod
    def _write(self, key: str, token: bytes) -> None:
        """Store the encrypted bytes under ``key``."""

    @abstractmethod
    def _remove(self, key: str) -> bool:
        """Remove ``key``; ``False`` when there was nothing."""


class FolderStore(MediaStore):
    def __init__(self, root: str | Path, protector: Protector):
        super().__init__(protector)
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / _checked(key)[:2] / key

    def check(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.NamedTemporaryFile(dir=self.root, prefix=".doctor-"):
            pass
        return str(self.root)

    def _read(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

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

    def _remove(self, key: str) -> bool:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True


@cache
def _s3_client(endpoint_url: str | None) -> Any:
    """One boto3 client per endpoint and process (they are thread-safe)."""
    try:
        import boto3  # optional: the ``s3`` extra
    except ImportError as exc:
        raise ConfigError("MEDIA_S3_BUCKET is set but boto3 is not installed: "
                          "pip install 'mpaka[s3]'") from exc
    return boto3.client("s3", endpoint_url=endpoint_url)


class BucketStore(MediaStore):
    def __init__(self, bucket: str, protector: Protector, *, endpoint_url: str | None = None,
                 prefix: str = ""):
        super().__init__(protector)
        self.bucket, self.prefix = bucket, prefix
        self.client = _s3_client(endpoint_url)

    def name(self, key: str) -> str:
        return f"{self.prefix}{_checked(key)}"

    def check(self) -> str:
        probe = self.name(new_key())
        self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"")
        self.client.delete_object(Bucket=self.bucket, Key=probe)
        return f"s3://{self.bucket}/{self.prefix}"

    def _read(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.name(key))
        except self.client.exceptions.NoSuchKey:
            return None
        return bytes(answer["Body"].read())

    def _write(self, key: str, token: bytes) -> None:
        # One PUT: an object is whole or absent, never half written.
        self.client.put_object(Bucket=self.bucket, Key=self.name(key), Body=token,
                               ContentType="application/octet-stream")

    def _remove(self, key: str) -> bool:
        # S3 deletes are idempotent and say nothing of what was there.
        self.client.delete_object(Bucket=self.bucket, Key=self.name(key))
        return True
