"""Encrypting platform tokens at rest with COPBOT_SECRET_KEY (the ``cryptography`` package).

The key setting holds one or more comma-separated keys: the first encrypts, all decrypt
(``MultiFernet``), so a key is rotated by putting the new one first. A key that is not a Fernet
key is a passphrase, stretched into one with scrypt: a fixed salt is fine here because there is
one secret per deployment and the salt only has to make precomputed tables useless.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bot.slack_settings import is_fernet_key

_SALT = b"copbot/token-encryption/v1"
_SCRYPT_N = 2**15


class TokenDecryptError(Exception):
    """A stored token cannot be decrypted: COPBOT_SECRET_KEY changed without keeping the old key."""


@functools.lru_cache(maxsize=8)
def _fernet(key: str) -> Fernet:
    if is_fernet_key(key):
        return Fernet(key.encode("ascii"))
    derived = Scrypt(salt=_SALT, length=32, n=_SCRYPT_N, r=8, p=1).derive(key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


class TokenCipher:
    """Encrypts and decrypts token strings; ``None`` stays ``None``."""

    def __init__(self, secret_key: str) -> None:
        keys = [k.strip() for k in secret_key.split(",") if k.strip()]
        if not keys:
            raise ValueError("COPBOT_SECRET_KEY is empty")
        self._fernet = MultiFernet([_fernet(k) for k in keys])

    def encrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return self._fernet.decrypt(value.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise TokenDecryptError(
                "a stored Slack token cannot be decrypted with COPBOT_SECRET_KEY; if the key "
                "changed, put the old key after the new one (comma-separated), or reinstall"
            ) from None
