"""One validator per kind of value read from outside (decisions 57 and 76): the project's vocabulary.

Numbers, amounts, currencies, money (an amount with an optional currency), durations, date-times, URLs,
access tokens, Item references (an alias or an item_id) and account selectors (an account_id, a mask or
a name). Command-line options (the click types in ``cli/params.py``), environment variables, the job
file, the watch config and import files all go through these, so a value is accepted or refused the
same way wherever it comes from (``tests/core/test_values.py`` holds every entry point to it). Each returns the parsed value or raises ``InvalidValue`` with a
message that names what was expected; callers prefix where the value came from (``--timeout``,
``PLAID_TIMEOUT``, ``job.main.input...``).

Rules every one of them keeps:
- digits are ASCII digits: Python's ``int``/``float``/``Decimal`` also accept ``١٢٣`` or ``１２``, which
  no user means as a number here;
- numbers are finite and within documented bounds, so no later arithmetic overflows (no ``inf`` timeout,
  no ``1e308`` seconds, no date 9,999 years out);
- date-times are in years 1900-2199 and carry a time zone (UTC when none is given).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import ClassVar, Final, Literal, Self
from urllib.parse import SplitResult, urlsplit, urlunsplit

import idna  # httpx's own dependency: IDNA 2008 with UTS 46 mapping, as browsers use

from plaid_balance._errors import InvalidValue
from plaid_balance._safe_text import safe_text

# Pattern texts, compiled on first use by re's own cache: a command uses two or three of them, and
# compiling all of them at import would cost more than the rest of this module. (?a) is re.ASCII: \d
# must not match other scripts' digits.
_NUMBER: Final = r"(?a)[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?"
_INTEGER: Final = r"(?a)[+-]?\d{1,18}"
_AMOUNT: Final = r"(?a)-?\d{1,18}(?:\.\d{1,10})?"
_CURRENCY: Final = r"(?a)(?=[0-9]*[A-Z])[A-Z0-9]{3,10}"  # a letter somewhere: 840 is ISO's number, not a code
_DURATION: Final = r"(?a)(\d{1,12}(?:\.\d{1,9})?)\s*([smhdw])"
_DATETIME_CHARS: Final = r"(?ai)[0-9T:.+\-Z ]{4,40}"
_ACCESS_TOKEN_CHARS: Final = r"(?a)[!-~]{1,512}"  # noqa: S105 - a pattern (printable ASCII, no spaces)
_ASCII_HOST: Final = r"(?a)[A-Za-z0-9.\-_:%]{1,253}"
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION: Final = timedelta(days=366 * 100)
EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2200, 1, 1, tzinfo=UTC)


def _shown(text: str) -> str:
    """The value as quoted in a message: short, one line, nothing a terminal would act on."""
    shown = text if len(text) <= 60 else text[:57] + "..."
    return repr(safe_text(shown))


def parse_number(
    text: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    min_open: bool = False,
    integer: bool = False,
) -> float:
    """A finite number in [minimum, maximum] (``min_open``: strictly above minimum), ASCII digits only."""
    stripped = text.strip()
    pattern = _INTEGER if integer else _NUMBER
    kind = "a whole number" if integer else "a number"
    if not re.fullmatch(pattern, stripped):
        raise InvalidValue(f"{_shown(text)} is not {kind}")
    value = Decimal(stripped)
    low = "" if minimum is None else (f"more than {minimum:g}" if min_open else f"at least {minimum:g}")
    high = "" if maximum is None else f"at most {maximum:g}"
    bounds = " and ".join(b for b in (low, high) if b)
    too_low = minimum is not None and (value <= Decimal(minimum) if min_open else value < Decimal(minimum))
    too_high = maximum is not None and value > Decimal(maximum)
    if too_low or too_high:
        raise InvalidValue(f"{_shown(text)} is out of range: it must be {bounds}")
    return float(value) if not integer else int(value)


def parse_integer(text: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    return int(parse_number(text, minimum=minimum, maximum=maximum, integer=True))


Sign = Literal["positive", "not_negative", "any"]
_SIGN_RULE: Final[dict[str, str]] = {"positive": "more than zero", "not_negative": "zero or more"}


def parse_amount(text: str, *, sign: Sign = "positive") -> Decimal:
    """A plain decimal (``125``, ``125.00``, ``-40`` where ``sign="any"``), exact: ASCII digits, at most 18
    before the point and 10 after, no exponent, ``+``, separator or thousands mark.

    ``sign``: ``positive`` (an amount to pay: the default), ``not_negative`` (a change, a share) or
    ``any`` (a threshold a balance can cross below zero).
    """
    stripped = text.strip()
    if not re.fullmatch(_AMOUNT, stripped):
        raise InvalidValue(
            f"{_shown(text)} is not an amount: write digits with an optional decimal point, like 125 or 125.00"
        )
    try:
        amount = Decimal(stripped)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise InvalidValue(f"{_shown(text)} is not an amount") from None
    if (sign == "positive" and amount <= 0) or (sign == "not_negative" and amount < 0):
        raise InvalidValue(f"the amount must be {_SIGN_RULE[sign]}, not {_shown(text)}")
    return amount


def parse_currency(text: str) -> str:
    """A currency code, upper-cased: ISO 4217 (``USD``) or one of Plaid's unofficial codes (``BTC``,
    ``DOGE``, ``1INCH``): 3 to 10 ASCII letters or digits, at least one a letter, any case. Whether ISO
    lists it (and so how many decimals it allows) is the funds check's question, not the grammar's
    (decision 76)."""
    code = text.strip().upper()
    if not re.fullmatch(_CURRENCY, code):
        raise InvalidValue(f"{_shown(text)} is not a currency code like USD")
    return code


class Money:
    """An exact amount, with the currency it is in when one was given (``100.50 USD``).

    ``decode_input`` reads it from a file's value (text, a TOML integer or exact decimal) with the same
    rule as from text; the class's ``sign`` says which amounts it takes.
    """

    __slots__ = ("amount", "currency")
    sign: ClassVar[Sign] = "positive"

    def __init__(self, amount: Decimal, currency: str | None = None) -> None:
        self.amount, self.currency = amount, currency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (self.amount, self.currency) == (other.amount, other.currency)

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.amount!r}, {self.currency!r})"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}" if self.currency else str(self.amount)

    @classmethod
    def decode_input(cls, value: object) -> Self:
        money = parse_money(input_text(value, "an amount"), sign=cls.sign)
        return cls(money.amount, money.currency)


class SignedMoney(Money):
    """A threshold a balance can cross below zero (``-100 USD``)."""

    __slots__ = ()
    sign: ClassVar[Sign] = "any"


class NonNegativeMoney(Money):
    """A size of change: zero or more."""

    __slots__ = ()
    sign: ClassVar[Sign] = "not_negative"


def parse_money(text: str, *, sign: Sign = "positive") -> Money:
    """``100``, ``100.50`` or ``100.50 USD``: an amount (``parse_amount``), then an optional currency."""
    parts = text.split()
    if len(parts) not in {1, 2} or not re.fullmatch(_AMOUNT, parts[0]):
        raise InvalidValue(f'{_shown(text)} is not an amount like 100, "100.50" or "100.50 USD"')
    amount = parse_amount(parts[0], sign=sign)
    return Money(amount, parse_currency(parts[1]) if len(parts) == 2 else None)


def input_text(value: object, what: str) -> str:
    """A value from a file as the text the one parser reads: text as it is, a TOML integer or exact
    decimal as written (so ``below = 100.5`` and ``below = "100.5"`` are the same answer), else refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise InvalidValue(f"{safe_text(repr(value))[:60]} is not {what}")


def parse_duration(text: str, *, allow_zero: bool = True) -> timedelta:
    """``90s``, ``15m``, ``12h``, ``2d``, ``1w`` (decimals allowed), up to 100 years."""
    match = re.fullmatch(_DURATION, text.strip())
    if not match:
        raise InvalidValue(f"{_shown(text)} is not a duration like 90s, 15m, 12h, 2d or 1w")
    amount, unit = match.groups()
    seconds = Decimal(amount) * _UNITS[unit]
    if seconds > Decimal(MAX_DURATION.total_seconds()):
        raise InvalidValue(f"{_shown(text)} is too long: at most {MAX_DURATION.days // 366} years")
    if seconds == 0 and not allow_zero:
        raise InvalidValue(f"{_shown(text)} must be longer than zero")
    return timedelta(seconds=float(seconds))


class Duration(timedelta):
    """A duration read from a file (``"90s"``, ``"15m"``, ``"12h"``, ``"2d"``, ``"1w"``), longer than zero."""

    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> Duration:
        if not isinstance(value, str):
            raise InvalidValue(
                f"{safe_text(repr(value))[:60]} is not a duration like 90s, 15m, 12h, 2d or 1w"
            )
        return cls(seconds=parse_duration(value, allow_zero=False).total_seconds())


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date or date-time (``2026-01-31``, ``2026-01-31T09:00:00Z``), UTC if no zone given."""
    stripped = text.strip()
    expected = f"{_shown(text)} is not an ISO 8601 date-time like 2026-01-31T09:00:00Z"
    if not re.fullmatch(_DATETIME_CHARS, stripped):
        raise InvalidValue(expected)
    try:
        parsed = datetime.fromisoformat(stripped[:-1] + "+00:00" if stripped[-1:] in "zZ" else stripped)
    except ValueError:
        raise InvalidValue(expected) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        parsed = EARLIEST if parsed.year < 2000 else LATEST
    if not EARLIEST <= parsed < LATEST:
        raise InvalidValue(f"{_shown(text)} is out of range: use a date in the years 1900 to 2199")
    return parsed


def parse_when(text: str, now: datetime) -> datetime:
    """A date-time, or a duration back from ``now`` (``2d`` = two days ago)."""
    try:
        return now - parse_duration(text)
    except InvalidValue:
        pass
    try:
        return parse_datetime(text)
    except InvalidValue as exc:
        if "out of range" in str(exc):
            raise
        raise InvalidValue(
            f"{_shown(text)} is neither an ISO 8601 date-time (2026-01-31T00:00:00Z) nor a duration (2d)"
        ) from None


def _ascii_host(host: str, original: str, what: str) -> str:
    invalid = InvalidValue(f"malformed {what} {_shown(original)}: the host name is not valid")
    try:
        if host.isascii():
            if not re.fullmatch(_ASCII_HOST, host) or ".." in host or host.startswith("."):
                raise invalid
            if "xn--" in host.lower():
                idna.decode(host)  # an A-label must decode to a valid name
            return host
        return str(idna.encode(host, uts46=True).decode("ascii"))
    except (idna.IDNAError, UnicodeError, ValueError):
        raise invalid from None


def parse_url(text: str, *, schemes: tuple[str, ...] = ("http", "https"), what: str = "URL") -> str:
    """An absolute URL with a host, returned with its host in ASCII (IDNA) and no trailing slash.

    Refused: other schemes, no host, a bad port, spaces or control characters, invalid
    internationalised host names. Policy (which hosts may use plain http) is the caller's.
    """
    stripped = text.strip()
    if not stripped or len(stripped) > 2048 or any(c.isspace() or not c.isprintable() for c in stripped):
        raise InvalidValue(f"malformed {what} {_shown(text)}: expected {schemes[-1]}://host[:port]")
    try:
        parts = urlsplit(stripped)
        port = parts.port
    except ValueError:
        raise InvalidValue(f"malformed {what} {_shown(text)}: bad port or host") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise InvalidValue(f"malformed {what} {_shown(text)}: expected {schemes[-1]}://host[:port]")
    host = _ascii_host(parts.hostname, text, what)
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None:
        netloc = f"{netloc}:{port}"
    if parts.username is not None or parts.password is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{netloc}"
    rebuilt = SplitResult(parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment)
    return urlunsplit(rebuilt).rstrip("/")


def parse_token(text: str, *, what: str = "the access token", like: str = "access-sandbox-…") -> str:
    """A token (an access token, a server's bearer token) as read from a file, stdin, a variable, a job
    file or an import file: one word of printable ASCII, at most 512 characters.

    Plaid's tokens look like ``access-sandbox-<uuid>``; binary bytes, spaces or control characters
    mean the wrong file was read. The token itself is never quoted back; ``what`` names it in the
    message, and ``like`` shows what one looks like (nothing when it can be anything).
    """
    token = text.strip()
    if not token:
        raise InvalidValue(f"{what} is empty")
    if not re.fullmatch(_ACCESS_TOKEN_CHARS, token):
        example = f", like {like}" if like else " (at most 512 characters)"
        raise InvalidValue(f"{what} is malformed: it must be one word of printable ASCII{example}")
    return token


def parse_access_token(text: str) -> str:
    """An access token: ``parse_token`` naming it so."""
    return parse_token(text)


MIN_REMOTE_TOKEN_LENGTH: Final = 16


def parse_bearer_token(text: str, *, what: str, beyond_loopback: bool) -> str | None:
    """A server's bearer token (what scripts send to the watch or the dashboard), from the variable
    ``what`` names: None when empty (unset), else a token by ``parse_token``. A server listening beyond
    loopback needs one of at least 16 characters: anyone on the network may try a shorter one."""
    if not text.strip():
        return None
    token = parse_token(text, what=what, like="")
    if beyond_loopback and len(token) < MIN_REMOTE_TOKEN_LENGTH:
        raise InvalidValue(
            f"{what} is too short to listen beyond loopback: it needs at least {MIN_REMOTE_TOKEN_LENGTH} "
            "characters"
        )
    return token


MAX_REFERENCE_LENGTH: Final = 64  # an alias's limit; Plaid's item_ids are 37 characters
MAX_SELECTOR_LENGTH: Final = 256
PLAID_TOKEN_PREFIXES: Final = ("access-", "public-", "link-")
_INVISIBLE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _visible_text(text: str, what: str, limit: int) -> str:
    """NFC, trimmed, non-empty, bounded, nothing a terminal or a bidi algorithm would act on."""
    value = unicodedata.normalize("NFC", text).strip()
    if not value:
        raise InvalidValue(f"{what} cannot be empty")
    if len(value) > limit:
        raise InvalidValue(f"{what} has at most {limit} characters")
    if any(unicodedata.category(c) in _INVISIBLE for c in value):
        raise InvalidValue(f"{what} cannot hold control, format or unassigned characters")
    return value


class ItemReference(str):
    """An Item named on a command line or in a file: its alias (any case) or its item_id.

    Which of the two it is, the vault decides; the text is checked here. ``str`` so that it goes wherever
    an alias does.
    """

    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> ItemReference:
        return parse_item_reference(input_text(value, "an alias"))


def parse_item_reference(text: str) -> ItemReference:
    """An alias or item_id: NFC, trimmed, 1-64 visible characters, not an option (``-x``), not a token.

    A pasted token is refused without being quoted: tokens go in files or variables, never in argv.
    """
    value = _visible_text(text, "an alias", MAX_REFERENCE_LENGTH)
    if value.startswith("-"):
        raise InvalidValue("an alias cannot start with '-' (it would read as an option)")
    if value.lower().startswith(PLAID_TOKEN_PREFIXES):
        raise InvalidValue(
            "that looks like a Plaid token, not an alias: pass tokens with --access-token-file or "
            "$PLAID_ACCESS_TOKEN, or store them with plaid-balance items import"
        )
    return ItemReference(value)


class AccountSelector(str):
    """An account named on a command line or in a file: its account_id, its mask (last digits) or its
    name, compared exactly (``matches``: any of the three)."""

    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> AccountSelector:
        return parse_account_selector(input_text(value, "an account"))

    def matches(self, account_id: str, mask: str | None = None, name: str | None = None) -> bool:
        return self in (account_id, mask, name)


def parse_account_selector(text: str) -> AccountSelector:
    """An account_id, mask or name: NFC, trimmed, 1-256 visible characters."""
    return AccountSelector(_visible_text(text, "an account (account_id, mask or name)", MAX_SELECTOR_LENGTH))
