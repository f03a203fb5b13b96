"""Where the vault key comes from: an argument, ``PLAID_BALANCE_VAULT_KEY``, the OS keyring, or a key file.

Looked up in that order. A new key is made only for a vault that has none yet, and kept in the OS
keyring when a usable backend exists (``keyring``), else in a key file created 0600 (in a 0700 folder).
A key file that other users can read is refused, as ssh refuses such a private key. The key is 32
random bytes written as URL-safe base64 (44 characters).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import keyring
from keyring.backends import chainer, fail
from platformdirs import user_config_dir

from plaid_balance._bounded import KIB, InputTooLarge, read_bounded
from plaid_balance._errors import InvalidValue, VaultKeyError
from plaid_balance._parse import parse_number
from plaid_balance._secret import SecretStr

from ._cipher import KEY_BYTES

T = TypeVar("T")

KEY_ENV: Final = "PLAID_BALANCE_VAULT_KEY"
KEY_FILE_ENV: Final = "PLAID_BALANCE_VAULT_KEY_FILE"
KEYRING_ENV: Final = "PLAID_BALANCE_KEYRING"  # "0"/"no"/"off": never use the OS keyring
KEYRING_TIMEOUT_ENV: Final = "PLAID_BALANCE_KEYRING_TIMEOUT"  # seconds a keyring call may take
DEFAULT_KEYRING_TIMEOUT: Final = 20.0  # room for an unlock prompt, not for a backend that never answers
KEYRING_SERVICE: Final = "plaid-balance"
KEYRING_USERNAME: Final = "vault-key"


@dataclass(frozen=True, slots=True)
class VaultKey:
    """32 bytes of key and where they came from (``source`` is for messages: never the key)."""

    material: bytes = field(repr=False)
    source: str


def new_key_text() -> str:
    """A fresh key as text, for ``PLAID_BALANCE_VAULT_KEY`` or a key file."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def parse_key(text: str | bytes | SecretStr, source: str) -> VaultKey:
    raw = text.get_secret_value() if isinstance(text, SecretStr) else text
    if isinstance(raw, bytes) and len(raw) == KEY_BYTES:
        return VaultKey(raw, source)
    try:
        value = raw.decode("ascii") if isinstance(raw, bytes) else raw
        material = base64.urlsafe_b64decode(value.strip().encode("ascii"))
    except (binascii.Error, UnicodeError, ValueError):
        material = b""
    if len(material) != KEY_BYTES:
        raise VaultKeyError(
            f"the vault key from {source} is not a vault key (expected 32 bytes as URL-safe base64, "
            "44 characters)"
        )
    return VaultKey(material, source)


def default_key_file() -> Path:
    configured = os.environ.get(KEY_FILE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path(user_config_dir("plaid-balance")) / "vault.key"


def _keyring() -> Any | None:
    """The OS keyring backend, or None when there is no usable one (or it is switched off)."""
    if os.environ.get(KEYRING_ENV, "").strip().lower() in {"0", "no", "off", "false"}:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring install is no keyring, not a crash
        return None
    if isinstance(backend, fail.Keyring) or backend.priority <= 0:
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


def _keyring_timeout() -> float:
    text = os.environ.get(KEYRING_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_KEYRING_TIMEOUT
    try:
        return parse_number(text, minimum=0, maximum=3600, min_open=True)
    except InvalidValue as exc:
        raise VaultKeyError(f"${KEYRING_TIMEOUT_ENV}: {exc}") from None


def _within(seconds: float, call: Callable[[], T]) -> T:
    """``call()`` on a thread of its own, or ``TimeoutError`` after ``seconds``.

    A daemon thread: a keyring backend that never answers (a D-Bus service that hangs) is left behind
    and cannot keep the process from exiting.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the caller as it is
            failure.append(exc)

    worker = threading.Thread(target=run, name="plaid-balance-keyring", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {seconds:g} s")
    if failure:
        raise failure[0]
    return outcome[0]


class KeyStore:
    """Finds the vault key, or creates one for a new vault."""

    def __init__(self, *, explicit: str | bytes | SecretStr | None = None, use_keyring: bool = True) -> None:
        self._explicit = explicit
        self._use_keyring = use_keyring
        self.key_file = default_key_file()
        self.keyring_note: str | None = None  # set when the keyring did not answer in time

    def _keyring_call(self, call: Callable[[Any], T]) -> T:
        """``call(backend)`` within the time limit; a keyring that once did not answer is not asked again
        (as for a failing backend: the key file is used)."""
        backend = _keyring() if self._use_keyring else None
        if backend is None:
            raise LookupError("no usable keyring")
        seconds = _keyring_timeout()
        try:
            return _within(seconds, lambda: call(backend))
        except TimeoutError:
            self._use_keyring = False
            self.keyring_note = f"the OS keyring did not answer within {seconds:g} s: it is not used"
            raise

    def __repr__(self) -> str:
        return f"KeyStore(key_file={str(self.key_file)!r})"

    def where(self) -> str:
        """Where a key is looked for, for the one line that says none was found."""
        places = [f"${KEY_ENV}"]
        if self._use_keyring and _keyring() is not None:
            places.append("the OS keyring")
        places.append(f"the key file {self.key_file}")
        return ", ".join(places)

    def load(self) -> VaultKey | None:
        if self._explicit is not None:
            return parse_key(self._explicit, "the key given")
        from_env = os.environ.get(KEY_ENV, "")
        if from_env.strip():
            return parse_key(from_env, f"${KEY_ENV}")
        try:
            stored = self._keyring_call(
                lambda backend: backend.get_password(KEYRING_SERVICE, KEYRING_USERNAME)
            )
        except VaultKeyError:
            raise
        except Exception:
            stored = None  # no keyring, or a locked, failing or silent one: fall through to the key file
        if stored:
            return parse_key(stored, "the OS keyring")
        return self._load_file()

    def _load_file(self) -> VaultKey | None:
        path = self.key_file
        try:
            info = path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise VaultKeyError(f"cannot read the vault key file {path}: {exc.strerror or exc}") from None
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise VaultKeyError(
                f"the vault key file {path} is readable by other users (mode {stat.S_IMODE(info.st_mode):04o}): "
                f"chmod 600 {path}"
            )
        try:
            # A key is 44 characters; a few KiB allow for comments and line ends, /dev/zero does not.
            text = read_bounded(path, limit=4 * KIB).decode("ascii")
        except InputTooLarge:
            raise VaultKeyError(f"the vault key file {path} is too large to hold a vault key") from None
        except (OSError, UnicodeError) as exc:
            raise VaultKeyError(
                f"cannot read the vault key file {path}: {getattr(exc, 'strerror', None) or exc}"
            ) from None
        return parse_key(text, f"the key file {path}")

    def create(self) -> VaultKey:
        """Make a new key and keep it: the OS keyring if usable, else a new 0600 key file."""
        if self._explicit is not None:
            return parse_key(self._explicit, "the key given")
        from_env = os.environ.get(KEY_ENV, "")
        if from_env.strip():
            return parse_key(from_env, f"${KEY_ENV}")
        text = new_key_text()

        def keep(backend: Any) -> bool:
            backend.set_password(KEYRING_SERVICE, KEYRING_USERNAME, text)
            return bool(backend.get_password(KEYRING_SERVICE, KEYRING_USERNAME) == text)

        try:
            if self._keyring_call(keep):
                return parse_key(text, "the OS keyring")
        except VaultKeyError:
            raise
        except Exception:  # noqa: S110 - no keyring, or an unusable or silent one: the key file is the fallback
            pass
        made = self._create_file(text)
        if self.keyring_note is None:
            return made
        return VaultKey(made.material, f"{made.source} ({self.keyring_note})")

    def _create_file(self, text: str) -> VaultKey:
        path = self.key_file
        temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(text + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            # link() never replaces: a key another process made first wins, whole, and we use it.
            os.link(temp, path)
        except FileExistsError:
            pass
        except OSError as exc:
            raise VaultKeyError(f"cannot create the vault key file {path}: {exc.strerror or exc}") from None
        finally:
            temp.unlink(missing_ok=True)
        loaded = self._load_file()
        if loaded is None:  # pragma: no cover - removed between link and read
            raise VaultKeyError(f"the vault key file {path} vanished while it was being created")
        return loaded
