"""Access tokens encrypted at rest: AES-256-GCM (``cryptography``), bound to their Item.

Each ciphertext is ``v1.`` + URL-safe base64 of a random 96-bit nonce and the sealed token. The
associated data names the Item, so a ciphertext copied onto another Item's row does not decrypt. A
key check (a known text sealed with the key) tells a wrong key from a corrupted row.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX: Final = "v1."
KEY_BYTES: Final = 32
_NONCE_BYTES: Final = 12
_KEY_CHECK_TEXT: Final = b"plaid-balance vault key check v1"
_KEY_CHECK_AAD: Final = b"plaid-balance/vault/key-check"


class Undecryptable(Exception):
    """The text is not a ciphertext this key sealed for this purpose (wrong key, or altered)."""


def _aad(item_id: str) -> bytes:
    return b"plaid-balance/vault/token/" + item_id.encode("utf-8")


class Cipher:
    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("a vault key is 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Cipher(<key hidden>)"

    def _seal(self, plaintext: bytes, aad: bytes) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, aad)
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def _open(self, text: str, aad: bytes) -> bytes:
        if not isinstance(text, str) or not text.startswith(PREFIX):
            raise Undecryptable
        try:
            raw = base64.urlsafe_b64decode(text[len(PREFIX) :].encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise Undecryptable from None
        if len(raw) <= _NONCE_BYTES + 16:
            raise Undecryptable
        try:
            return self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad)
        except InvalidTag:
            raise Undecryptable from None

    def seal_token(self, token: str, item_id: str) -> str:
        return self._seal(token.encode("utf-8"), _aad(item_id))

    def open_token(self, text: str, item_id: str) -> str:
        try:
            return self._open(text, _aad(item_id)).decode("utf-8")
        except UnicodeDecodeError:
            raise Undecryptable from None

    def key_check(self) -> str:
        return self._seal(_KEY_CHECK_TEXT, _KEY_CHECK_AAD)

    def matches(self, key_check: str) -> bool:
        try:
            return self._open(key_check, _KEY_CHECK_AAD) == _KEY_CHECK_TEXT
        except Undecryptable:
            return False
