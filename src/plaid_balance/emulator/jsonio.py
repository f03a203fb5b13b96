"""JSON in and out of the emulator: exact decimals both ways, bounded nesting, never NaN or Infinity."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

DEFAULT_MAX_DEPTH = 32

# Floats become Decimal on the way in and Decimal is written as a JSON number on the way out, so an amount
# such as 12345678901234567.89 is served digit for digit.
_decoder = msgspec.json.Decoder(float_hook=Decimal)
_encoder = msgspec.json.Encoder(decimal_format="number")


class JSONInputError(ValueError):
    """The text is not JSON, nests too deeply, or holds a number that is not finite."""


def encode(body: Any) -> bytes:
    return _encoder.encode(body)


def _depth(value: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node)
    return deepest


def decode(raw: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse JSON text; raises JSONInputError with a one-line reason."""
    try:
        value = _decoder.decode(raw)
    except RecursionError:
        raise JSONInputError(f"JSON nests deeper than {max_depth} levels") from None
    except msgspec.DecodeError as exc:
        raise JSONInputError(f"not valid JSON ({exc})") from None
    # Counting brackets is cheap and rules out deep nesting for almost every body without walking it.
    text = raw.encode() if isinstance(raw, str) else raw
    if text.count(b"[") + text.count(b"{") > max_depth and _depth(value) > max_depth:
        raise JSONInputError(f"JSON nests deeper than {max_depth} levels")
    return value


def finite_decimal(value: Any) -> Decimal | None:
    """An exact amount from a JSON number or numeric string; None when it is not a finite number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        amount = Decimal(value)
    elif isinstance(value, float):
        # Only from in-process callers (JSON never yields floats here): its shortest repr is what they wrote.
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        # Decimal() also reads "NaN", "Infinity", "1_000" and non-ASCII digits; amounts are plain numbers.
        if not text or not text.isascii() or "_" in text:
            return None
        try:
            amount = Decimal(text)
        except ArithmeticError:
            return None
    else:
        return None
    return amount if amount.is_finite() else None
