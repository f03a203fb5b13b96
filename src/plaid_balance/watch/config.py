"""The watch's config file (``watch.toml``): schedule, budgets, fallbacks, server, notifiers and alerts.

``load_config`` reads and checks the file on its own; ``check_against_items`` then checks what needs the
vault (aliases, accounts, currencies). Every problem is one ``WatchConfigError`` naming the file, the
line and the key, e.g. ``watch.toml:14: alerts[1].below: 'ten' is not an amount``. docs/watch.md shows
every key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plaid_balance._errors import ConfigurationError
from plaid_balance._parse import AccountSelector, ItemReference, Money
from plaid_balance.watch.schedule import Schedule
from plaid_balance.watch.tomlpos import dotted, locate
from plaid_balance.watch.values import (
    ListenAddress,
    parse_count,
    parse_duration,
    parse_listen,
    parse_money,
    parse_percent,
)

AlertKind = Literal["low_balance", "credit", "change", "needs_repair"]
ALERT_KINDS: Final[tuple[AlertKind, ...]] = ("low_balance", "credit", "change", "needs_repair")
OverBudget = Literal["cached", "history"]
DEFAULT_LISTEN: Final = ListenAddress("127.0.0.1", 8787)
DEFAULT_INTERVAL: Final = timedelta(hours=1)
DEFAULT_RENOTIFY: Final = timedelta(hours=24)
DEFAULT_CAPITAL_ONE_FLOOR: Final = timedelta(days=2)
DEFAULT_TOKEN_ENV: Final = "PLAID_BALANCE_WATCH_TOKEN"  # noqa: S105 (a variable name, not a secret)
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

T = TypeVar("T")
_CACHED: Final[OverBudget] = "cached"
_REPAIR: Final[AlertKind] = "needs_repair"
_NO_NAMES: Final[tuple[str, ...]] = ()


class WatchConfigError(ConfigurationError):
    """A config problem, located: ``file:line: key: problem``."""


@dataclass(frozen=True, slots=True)
class Budget:
    """Billed real-time calls allowed per Item; None is no limit."""

    per_day: int | None = None
    per_month: int | None = None


@dataclass(frozen=True, slots=True)
class ItemSettings:
    alias: str
    schedule: Schedule
    budget: Budget
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Notifier:
    """A named destination: Apprise URLs (they may hold tokens: never logged, never repr'd)."""

    name: str
    urls: tuple[str, ...] = field(repr=False)
    key: str = "url"  # the key the file set them with ("url" or "urls"), for error messages

    @property
    def schemes(self) -> list[str]:
        return [url.split(":", 1)[0] for url in self.urls]


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    kind: AlertKind
    item: ItemReference | None  # alias or item_id; None is every Item
    account: AccountSelector | None  # account_id, mask or name; None is every account the rule applies to
    below: Money | None = None  # low_balance: available below; credit: available credit below
    above_percent: Decimal | None = None  # credit: utilisation above
    more_than: Money | None = None  # change: |current - previous current| above
    renotify: timedelta | None = DEFAULT_RENOTIFY
    notify: tuple[str, ...] = ()  # notifier names; empty is all of them
    index: int = 0  # position in [[alerts]], for error messages

    @property
    def currency(self) -> str | None:
        for money in (self.below, self.more_than):
            if money is not None and money.currency is not None:
                return money.currency
        return None


@dataclass(frozen=True, slots=True)
class ServerSettings:
    listen: ListenAddress = DEFAULT_LISTEN
    token_env: str = DEFAULT_TOKEN_ENV
    webhook_path: str = "/plaid/webhook"
    metrics: bool = True
    webhook_url: str | None = None  # the public https URL Plaid should post to; set on every Item


@dataclass(frozen=True, slots=True)
class WatchConfig:
    path: Path
    text: str = field(repr=False)
    schedule: Schedule
    budget: Budget
    timezone: str
    over_budget: OverBudget
    max_age: timedelta | None
    capital_one_floor: timedelta
    items: Mapping[str, ItemSettings]
    alerts: tuple[AlertRule, ...]
    notifiers: Mapping[str, Notifier]
    server: ServerSettings

    def settings_for(self, alias: str) -> ItemSettings:
        """The Item's own settings, or the global ones for an Item the file does not name."""
        return self.items.get(alias) or ItemSettings(alias, self.schedule, self.budget)

    def error(self, path: Sequence[str | int], problem: str) -> WatchConfigError:
        return located_error(self.path, self.text, path, problem)


def located_error(file: Path, text: str, path: Sequence[str | int], problem: str) -> WatchConfigError:
    line = locate(text, path) if text else None
    where = f"{file}:{line}" if line else str(file)
    key = dotted(path)
    return WatchConfigError(f"{where}: {key}: {problem}" if key else f"{where}: {problem}")


class _Reader:
    """Typed access to one table of the parsed file, turning every mistake into a located error."""

    def __init__(self, file: Path, text: str, data: Mapping[str, Any], path: tuple[str | int, ...]):
        self.file, self.text, self.data, self.path = file, text, data, path
        self.used: set[str] = set()

    def fail(self, key: str | int | None, problem: str) -> WatchConfigError:
        path = self.path if key is None else (*self.path, key)
        return located_error(self.file, self.text, path, problem)

    def get(self, key: str, parse: Callable[[Any], T], default: T) -> T:
        self.used.add(key)
        if key not in self.data:
            return default
        try:
            return parse(self.data[key])
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def has(self, key: str) -> bool:
        return key in self.data

    def table(self, key: str) -> _Reader:
        self.used.add(key)
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return _Reader(self.file, self.text, value, (*self.path, key))

    def finish(self, allowed: Iterable[str] = ()) -> None:
        extra = set(self.data) - self.used - set(allowed)
        if extra:
            key = sorted(extra)[0]
            raise self.fail(key, "unknown key (see docs/watch.md)")


def _string(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a non-empty string")
    return value.strip()


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not true or false")
    return value


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(_string(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a timezone like UTC or Europe/Paris") from None
    return str(value).strip()


def _over_budget(value: Any) -> OverBudget:
    if value == "cached":
        return "cached"
    if value == "history":
        return "history"
    raise ValueError(f"{value!r} is not one of: cached, history")


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{value!r} is not a list of notifier names")
    return tuple(value)


def _urls(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and "://" in v for v in value):
        raise ValueError("is not an Apprise URL (or list of them) like ntfy://ntfy.sh/topic")
    return tuple(_expand_env(v) for v in value)


def _expand_env(url: str) -> str:
    """``${NAME}`` is read from the environment, so tokens can stay out of the file."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"refers to ${{{name}}}, which is not set in the environment")
        return os.environ[name]

    return _ENV_REF.sub(replace, url)


def _webhook_path(value: Any) -> str:
    text = _string(value)
    if not text.startswith("/") or text in {"/", "/metrics", "/healthz"}:
        raise ValueError(f"{value!r} is not a path like /plaid/webhook")
    return text


def _public_url(value: Any) -> str:
    from urllib.parse import urlsplit

    text = _string(value)
    parts = urlsplit(text)
    local = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    if parts.scheme not in {"https", "http"} or not parts.hostname or (parts.scheme == "http" and not local):
        raise ValueError(f"{value!r} is not an https URL (plain http only on loopback, for tests)")
    return text


def _schedule(reader: _Reader, default: Schedule, timezone: str) -> Schedule:
    interval = reader.get("interval", parse_duration, None)
    cron = reader.get("cron", _string, None)
    if interval is not None and cron is not None:
        raise reader.fail("cron", "set interval or cron, not both")
    if cron is not None:
        try:
            return Schedule(cron=cron, timezone=timezone)
        except ValueError as exc:
            raise reader.fail("cron", str(exc)) from None
    if interval is not None:
        return Schedule(interval=interval, timezone=timezone)
    return default


def _budget(reader: _Reader, default: Budget) -> Budget:
    return Budget(
        per_day=reader.get("per_day", parse_count, default.per_day),
        per_month=reader.get("per_month", parse_count, default.per_month),
    )


def parse_config(text: str, path: Path) -> WatchConfig:
    """Check a config's text; ``path`` only names the file in errors."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise WatchConfigError(_toml_error(path, exc)) from None
    except RecursionError:  # tomllib descends once per level of nesting
        raise WatchConfigError(f"{path}: nested too deeply to be a watch config") from None
    root = _Reader(path, text, data, ())

    watch = root.table("watch")
    timezone = watch.get("timezone", _timezone, "UTC")
    schedule = _schedule(watch, Schedule(interval=DEFAULT_INTERVAL, timezone=timezone), timezone)
    over_budget: OverBudget = watch.get("over_budget", _over_budget, _CACHED)
    max_age = watch.get("max_age", parse_duration, None)
    if over_budget == "history" and max_age is None:
        raise watch.fail(
            "over_budget", 'over_budget = "history" needs max_age (how old a stored balance may be)'
        )
    floor = watch.get("capital_one_floor", parse_duration, DEFAULT_CAPITAL_ONE_FLOOR)
    renotify_default = watch.get("renotify", _renotify, _optional(DEFAULT_RENOTIFY))
    watch.finish()

    budget_reader = root.table("budget")
    budget = _budget(budget_reader, Budget())
    budget_reader.finish()

    server_reader = root.table("server")
    server = ServerSettings(
        listen=server_reader.get("listen", parse_listen, DEFAULT_LISTEN),
        token_env=server_reader.get("token_env", _string, DEFAULT_TOKEN_ENV),
        webhook_path=server_reader.get("webhook_path", _webhook_path, "/plaid/webhook"),
        metrics=server_reader.get("metrics", _boolean, True),
        webhook_url=server_reader.get("webhook_url", _public_url, None),
    )
    server_reader.finish()

    notify_reader = root.table("notify")
    notifiers: dict[str, Notifier] = {}
    for name in notify_reader.data:
        entry = notify_reader.table(name)
        key = "urls" if entry.has("urls") else "url"
        if not entry.has(key):
            raise entry.fail(None, 'needs url = "ntfy://..." (an Apprise URL)')
        notifiers[name] = Notifier(name, entry.get(key, _urls, ()), key)
        entry.finish()

    items_reader = root.table("items")
    items: dict[str, ItemSettings] = {}
    for alias in items_reader.data:
        entry = items_reader.table(alias)
        items[alias] = ItemSettings(
            alias=alias,
            schedule=_schedule(entry, schedule, timezone),
            budget=_budget(entry, budget),
            enabled=entry.get("enabled", _boolean, True),
        )
        entry.finish()

    alerts = _alerts(root, data.get("alerts", []), notifiers, renotify_default)
    root.finish()
    return WatchConfig(
        path=path,
        text=text,
        schedule=schedule,
        budget=budget,
        timezone=timezone,
        over_budget=over_budget,
        max_age=max_age,
        capital_one_floor=floor,
        items=items,
        alerts=alerts,
        notifiers=notifiers,
        server=server,
    )


def _alerts(
    root: _Reader, raw: Any, notifiers: Mapping[str, Notifier], renotify_default: timedelta | None
) -> tuple[AlertRule, ...]:
    root.used.add("alerts")
    if not isinstance(raw, list):
        raise root.fail("alerts", "must be an array of tables: [[alerts]]")
    rules: list[AlertRule] = []
    names: set[str] = set()
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise root.fail("alerts", "must be an array of tables: [[alerts]]")
        reader = _Reader(root.file, root.text, entry, ("alerts", index))
        if not reader.has("kind"):
            raise reader.fail(None, f"needs kind = one of: {', '.join(ALERT_KINDS)}")
        kind: AlertKind = reader.get("kind", _kind, _REPAIR)
        item = reader.get("item", ItemReference.decode_input, None)
        account = reader.get("account", AccountSelector.decode_input, None)
        notify: tuple[str, ...] = reader.get("notify", _names, _NO_NAMES)
        for name in notify:
            if name not in notifiers:
                raise reader.fail("notify", f"no notifier named {name!r} in [notify]")
        rule = AlertRule(
            name=reader.get("name", _string, f"{kind} #{index + 1}"),
            kind=kind,
            item=item,
            account=account,
            renotify=reader.get("renotify", _renotify, renotify_default),
            notify=notify,
            index=index,
        )
        rule = _thresholds(reader, rule)
        if rule.name in names:
            raise reader.fail("name", f"another alert is already named {rule.name!r}")
        names.add(rule.name)
        reader.finish()
        rules.append(rule)
    return tuple(rules)


def _kind(value: Any) -> AlertKind:
    for kind in ALERT_KINDS:
        if value == kind:
            return kind
    raise ValueError(f"{value!r} is not one of: {', '.join(ALERT_KINDS)}")


def _optional(value: timedelta) -> timedelta | None:
    return value


def _renotify(value: Any) -> timedelta | None:
    if value in {"never", False}:
        return None
    return parse_duration(value)


def _thresholds(reader: _Reader, rule: AlertRule) -> AlertRule:
    from dataclasses import replace

    if rule.kind == "low_balance":
        if not reader.has("below"):
            raise reader.fail(None, 'low_balance needs below = "100 USD"')
        return replace(rule, below=reader.get("below", parse_money, None))
    if rule.kind == "credit":
        below = reader.get("available_credit_below", parse_money, None)
        above = reader.get("utilisation_above", parse_percent, None)
        if below is None and above is None:
            raise reader.fail(None, "credit needs utilisation_above = 80 and/or available_credit_below")
        return replace(rule, below=below, above_percent=above)
    if rule.kind == "change":
        if not reader.has("more_than"):
            raise reader.fail(None, 'change needs more_than = "500 USD"')
        change = reader.get("more_than", parse_money, None)
        assert change is not None
        if change.amount < 0:
            raise reader.fail("more_than", "must not be negative")
        return replace(rule, more_than=change)
    if rule.account is not None:
        raise reader.fail("account", "needs_repair is about an Item, not an account")
    return rule


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    # Python 3.11-3.13 put the position in the message only: "... (at line 3, column 7)".
    text = str(exc)
    match = re.search(r"\(at line (\d+), column \d+\)$", text)
    if match:
        return f"{path}:{match.group(1)}: not valid TOML: {text[: match.start()].strip()}"
    return f"{path}: not valid TOML: {text}"


MAX_CONFIG_BYTES: Final = 1 << 20  # a config is a few hundred lines; more is the wrong file


def load_config(path: str | os.PathLike[str]) -> WatchConfig:
    from plaid_balance._bounded import InputTooLarge, describe_size, read_bounded

    file = Path(path)
    try:
        text = read_bounded(file, limit=MAX_CONFIG_BYTES).decode("utf-8")
    except InputTooLarge:
        raise WatchConfigError(
            f"{file}: larger than {describe_size(MAX_CONFIG_BYTES)}: not a watch config"
        ) from None
    except FileNotFoundError:
        raise WatchConfigError(f"{file}: no such file") from None
    except UnicodeDecodeError:
        raise WatchConfigError(f"{file}: not UTF-8 text") from None
    except OSError as exc:
        raise WatchConfigError(f"{file}: cannot read: {exc.strerror or exc}") from None
    return parse_config(text, file)


# --- checks that need the vault -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownAccount:
    account_id: str
    name: str
    mask: str | None
    type: str
    currency: str | None


@dataclass(frozen=True, slots=True)
class KnownItem:
    alias: str
    item_id: str
    accounts: tuple[KnownAccount, ...] = ()


def account_matches(selector: AccountSelector, account: KnownAccount) -> bool:
    return selector.matches(account.account_id, account.mask, account.name)


def check_against_items(config: WatchConfig, items: Sequence[KnownItem]) -> None:
    """Aliases must exist; a rule's account must exist; its currency must be the account's."""
    by_alias = {item.alias: item for item in items}
    for alias in config.items:
        if alias not in by_alias:
            raise config.error(("items", alias), f"unknown alias {alias!r} (not in the vault)")
    for rule in config.alerts:
        path: tuple[str | int, ...] = ("alerts", rule.index)
        if rule.item is not None and rule.item not in by_alias:
            raise config.error((*path, "item"), f"unknown alias {rule.item!r} (not in the vault)")
        scope = [by_alias[rule.item]] if rule.item is not None else list(items)
        accounts = [a for item in scope for a in item.accounts]
        if rule.account is not None:
            accounts = [a for a in accounts if account_matches(rule.account, a)]
            if not accounts and all(item.accounts for item in scope):
                raise config.error((*path, "account"), f"no account {rule.account!r} in that Item")
        currency = rule.currency
        if currency is None:
            continue
        key = _money_key(rule)
        if rule.kind == "credit":
            accounts = [a for a in accounts if a.type == "credit"]
        if rule.account is not None:
            # A named account in another currency is a mistake, never a conversion.
            for account in accounts:
                if account.currency is not None and account.currency != currency:
                    raise config.error(
                        (*path, key),
                        f"is in {currency} but account {account.name!r} "
                        f"({account.mask or account.account_id}) is in {account.currency}",
                    )
        elif (
            accounts
            and all(a.currency is not None for a in accounts)
            and not any(a.currency == currency for a in accounts)
        ):
            found = ", ".join(sorted({a.currency for a in accounts if a.currency}))
            raise config.error((*path, key), f"is in {currency} but the accounts are in {found}")


def _money_key(rule: AlertRule) -> str:
    if rule.more_than is not None:
        return "more_than"
    return "below" if rule.kind == "low_balance" else "available_credit_below"
