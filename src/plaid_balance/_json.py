"""JSON in and out, exactly: numbers become ``Decimal`` with every digit, never a float.

Decoding goes straight from JSON text into the typed structs (msgspec); encoding writes ``Decimal`` as a
JSON number digit for digit, datetimes as RFC 3339 (``Z`` for UTC) and ``SecretStr`` masked.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

import msgspec

from plaid_balance._secret import MASK, SecretStr

T = TypeVar("T")


def _dec_hook(type_: type, obj: Any) -> Any:
    if type_ is SecretStr and isinstance(obj, str):
        return SecretStr(obj)
    if hasattr(type_, "decode_input"):  # a value type of plaid_balance._parse: its one parser
        return type_.decode_input(obj)
    raise NotImplementedError(f"cannot decode {type_!r}")


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, SecretStr):
        return MASK
    raise NotImplementedError(f"cannot serialise {type(obj).__name__}")


@cache
def _decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(type_, dec_hook=_dec_hook)


_ENCODER = msgspec.json.Encoder(decimal_format="number", enc_hook=_enc_hook)


def decode(content: bytes | str, type_: type[T]) -> T:
    """Parse and validate in one pass; raises ``msgspec.DecodeError`` (a ``ValueError``) when it cannot."""
    decoder: msgspec.json.Decoder[T] = _decoder(type_)  # type: ignore[arg-type]
    try:
        result: T = decoder.decode(content)
    except RecursionError:  # a hostile or broken server's deeply nested answer: malformed like any other
        raise msgspec.DecodeError("JSON nested too deeply") from None
    return result


def convert(data: Any, type_: type[T]) -> T:
    """Validate already-parsed data (e.g. from TOML) into ``type_``."""
    result: T = msgspec.convert(data, type_, dec_hook=_dec_hook)
    return result


def encode(obj: Any) -> bytes:
    """Compact JSON bytes (the NDJSON line form)."""
    return _ENCODER.encode(obj)


def dumps(obj: Any, *, indent: int | None = 2) -> str:
    """JSON text; ``indent=None`` gives one compact line."""
    data = _ENCODER.encode(obj)
    if indent:
        data = msgspec.json.format(data, indent=indent)
    return data.decode("utf-8")


def to_builtins(obj: Any) -> Any:
    """Plain dicts and lists, keeping ``Decimal`` and ``datetime`` objects as they are."""
    return msgspec.to_builtins(obj, builtin_types=(Decimal, datetime), enc_hook=_enc_hook)
