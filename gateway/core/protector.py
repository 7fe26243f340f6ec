"""Reporters' numbers: encrypted at rest, looked up by a keyed hash.

* ``phone_hash`` is an HMAC-SHA256 of the E.164 number under ``PHONE_HASH_KEY``:
  sessions, unfinished dialogues, rate limits and duplicate detection use it, so Redis never
  holds a number.
* ``encrypt``/``decrypt`` use Fernet through MultiFernet: ``ENCRYPTION_KEYS`` is
  a comma-separated list, newest first; older keys still decrypt, so keys can be
  rotated without downtime.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class Protector:
    def __init__(self, hash_key: str, encryption_keys: list[str]):
        if not encryption_keys:
            raise ValueError("at least one encryption key is required")
        self._hash_key = hash_key.encode()
        self._fernet = MultiFernet([Fernet(k.encode()) for k in encryption_keys])

    @classmethod
    def from_config(cls, config) -> Protector:
        return cls(config["PHONE_HASH_KEY"], encryption_keys(config))

    def phone_hash(self, phone: str) -> str:
        digest = hmac.new(self._hash_key, phone.encode(), hashlib.sha256).hexdigest()
        return digest[:40]

    def encrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None

    def encrypt_bytes(self, data: bytes) -> bytes:
        """A file's bytes encrypted under the newest key (media at rest)."""
        return self._fernet.encrypt(data)

    def decrypt_bytes(self, token: bytes) -> bytes | None:
        """``None`` when no configured key opens it."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            return None

    def rotate_bytes(self, token: bytes) -> bytes:
        """A file's bytes re-encrypted under the newest key."""
        return self._fernet.rotate(token)

    #: What to tell an admin or operator when a stored number cannot be read.
    MISSING_KEY = ("encrypted with a key that is not in ENCRYPTION_KEYS: add the old key back "
                   "(after the new one), then run `mpaka keys rotate`")

    def readable(self, token: str | None) -> bool:
        """Whether a stored value decrypts with one of the configured keys."""
        return token is None or self.decrypt(token) is not None

    def rotate(self, token: str) -> str:
        """Re-encrypt under the newest key (for ``mpaka keys rotate``)."""
        return self._fernet.rotate(token.encode()).decode()


def encryption_keys(config) -> list[str]:
    keys = [k.strip() for k in (config.get("ENCRYPTION_KEYS") or "").split(",") if k.strip()]
    if keys:
        return keys
    # Development only (production mode refuses to start without ENCRYPTION_KEYS):
    # derive a stable key from the secret key so a restart can still decrypt.
    derived = hashlib.sha256(("encryption:" + config["SECRET_KEY"]).encode()).digest()
    return [base64.urlsafe_b64encode(derived).decode()]

