"""The watch's config file (``watch.toml``): schedule, budgets, fallbacks, server, notifiers and alerts.

``load_config`` reads and checks the file on its own; ``check_against_items`` then checks what needs the
vault (aliases, accounts, currencies). Every problem is one ``WatchConfigError`` naming the file, the
line and the key, e.g. ``watch.toml:14: alerts[1].below: 'ten' is not an amount``. docs/watch.md shows
every key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from plaid_balance._bounded import InputTooLarge, describe_size, read_bounded
from plaid_balance._errors import InvalidValue, WatchConfigError
from plaid_balance._parse import (
    AccountSelector,
    Duration,
    ItemReference,
    Money,
    NonNegativeMoney,
    SignedMoney,
    parse_item_reference,
)
from plaid_balance._toml import KeyPath, TomlFile
from plaid_balance.watch.schedule import Schedule
from plaid_balance.watch.values import ListenAddress, parse_listen, parse_percent

if TYPE_CHECKING:
    from plaid_balance.vault import VaultItem

AlertKind = Literal["low_balance", "credit", "change", "needs_repair"]
ALERT_KINDS: Final[tuple[AlertKind, ...]] = ("low_balance", "credit", "change", "needs_repair")
OverBudget = Literal["cached", "history"]
DEFAULT_LISTEN: Final = ListenAddress("127.0.0.1", 8787)
DEFAULT_INTERVAL: Final = timedelta(hours=1)
DEFAULT_RENOTIFY: Final = timedelta(hours=24)
DEFAULT_CAPITAL_ONE_FLOOR: Final = timedelta(days=2)
DEFAULT_TOKEN_ENV: Final = "PLAID_BALANCE_WATCH_TOKEN"  # noqa: S105 (a variable name, not a secret)
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


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
    error = TomlFile(file, text, WatchConfigError).fail(path, problem)
    assert isinstance(error, WatchConfigError)
    return error


# --- the file's shape: typed Structs read by msgspec, each value by the vocabulary's parser ---------


class _Text(str):
    """Text that is not blank, trimmed."""

    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> _Text:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{value!r} is not a non-empty string")
        return cls(value.strip())


class _TimeZone(_Text):
    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> _TimeZone:
        try:
            text = _Text.decode_input(value)
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a timezone like UTC or Europe/Paris") from None
        return cls(text)


class _WebhookPath(_Text):
    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> _WebhookPath:
        text = _Text.decode_input(value)
        if not text.startswith("/") or text in {"/", "/metrics", "/healthz"}:
            raise ValueError(f"{value!r} is not a path like /plaid/webhook")
        return cls(text)


class _PublicUrl(_Text):
    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> _PublicUrl:
        text = _Text.decode_input(value)
        parts = urlsplit(text)
        local = parts.hostname in {"localhost", "127.0.0.1", "::1"}
        if (
            parts.scheme not in {"https", "http"}
            or not parts.hostname
            or (parts.scheme == "http" and not local)
        ):
            raise ValueError(f"{value!r} is not an https URL (plain http only on loopback, for tests)")
        return cls(text)


class _Listen(_Text):
    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> _Listen:
        parse_listen(value)
        return cls(str(value))


class _Percent(Decimal):
    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> _Percent:
        return cls(parse_percent(value))


class _Words:
    """One string or a list of them (notifier names)."""

    __slots__ = ("items",)

    def __init__(self, items: tuple[str, ...] = ()) -> None:
        self.items = items

    @classmethod
    def decode_input(cls, value: object) -> _Words:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
            raise ValueError(f"{value!r} is not a list of notifier names")
        return cls(tuple(items))


class _Urls(_Words):
    """One Apprise URL or a list of them, ``${NAME}`` read from the environment."""

    __slots__ = ()

    @classmethod
    def decode_input(cls, value: object) -> _Urls:
        items = [value] if isinstance(value, str) else value
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(v, str) and "://" in v for v in items)
        ):
            raise ValueError("is not an Apprise URL (or list of them) like ntfy://ntfy.sh/topic")
        return cls(tuple(_expand_env(v) for v in items))


class _Renotify:
    """A duration, or ``"never"`` / ``false``."""

    __slots__ = ("every",)

    def __init__(self, every: timedelta | None) -> None:
        self.every = every

    @classmethod
    def decode_input(cls, value: object) -> _Renotify:
        if value == "never" or value is False:
            return cls(None)
        return cls(Duration.decode_input(value))


Count = Annotated[int, msgspec.Meta(ge=0)]


class _Table(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class _ScheduleKeys(_Table, frozen=True, kw_only=True, forbid_unknown_fields=True):
    interval: Duration | None = None
    cron: _Text | None = None


class _BudgetKeys(_Table, frozen=True, kw_only=True, forbid_unknown_fields=True):
    per_day: Count | None = None
    per_month: Count | None = None


class _WatchTable(_ScheduleKeys, frozen=True, kw_only=True, forbid_unknown_fields=True):
    timezone: _TimeZone = _TimeZone("UTC")
    over_budget: OverBudget = "cached"
    max_age: Duration | None = None
    capital_one_floor: Duration | None = None
    renotify: _Renotify | None = None


class _ServerTable(_Table, frozen=True, kw_only=True, forbid_unknown_fields=True):
    listen: _Listen | None = None
    token_env: _Text = _Text(DEFAULT_TOKEN_ENV)
    webhook_path: _WebhookPath = _WebhookPath("/plaid/webhook")
    metrics: bool = True
    webhook_url: _PublicUrl | None = None


class _NotifierTable(_Table, frozen=True, kw_only=True, forbid_unknown_fields=True):
    url: _Urls | None = None
    urls: _Urls | None = None


class _ItemTable(_ScheduleKeys, frozen=True, kw_only=True, forbid_unknown_fields=True):
    per_day: Count | None = None
    per_month: Count | None = None
    enabled: bool = True


class _Alert(_Table, frozen=True, kw_only=True, forbid_unknown_fields=True, tag_field="kind"):
    name: _Text | None = None
    item: ItemReference | None = None
    account: AccountSelector | None = None
    renotify: _Renotify | None = None
    notify: _Words = _Words()


class _LowBalance(_Alert, frozen=True, kw_only=True, forbid_unknown_fields=True, tag="low_balance"):
    below: SignedMoney | None = None


class _Credit(_Alert, frozen=True, kw_only=True, forbid_unknown_fields=True, tag="credit"):
    available_credit_below: SignedMoney | None = None
    utilisation_above: _Percent | None = None


class _Change(_Alert, frozen=True, kw_only=True, forbid_unknown_fields=True, tag="change"):
    more_than: NonNegativeMoney | None = None


class _NeedsRepair(_Alert, frozen=True, kw_only=True, forbid_unknown_fields=True, tag="needs_repair"):
    pass


class _WatchFile(_Table, frozen=True, kw_only=True, forbid_unknown_fields=True):
    watch: _WatchTable = _WatchTable()
    budget: _BudgetKeys = _BudgetKeys()
    server: _ServerTable = _ServerTable()
    notify: dict[str, dict[str, Any]] = {}
    items: dict[str, dict[str, Any]] = {}
    alerts: list[dict[str, Any]] = []  # each read on its own, so the first mistake in the file is named


_AnyAlert = _LowBalance | _Credit | _Change | _NeedsRepair
_CHOICES: Final[Mapping[str, Sequence[str]]] = {"kind": ALERT_KINDS, "over_budget": ("cached", "history")}


def _expand_env(url: str) -> str:
    """``${NAME}`` is read from the environment, so tokens can stay out of the file."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"refers to ${{{name}}}, which is not set in the environment")
        return os.environ[name]

    return _ENV_REF.sub(replace, url)


def _schedule(file: TomlFile, at: KeyPath, keys: _ScheduleKeys, default: Schedule, timezone: str) -> Schedule:
    if keys.interval is not None and keys.cron is not None:
        raise file.fail((*at, "cron"), "set interval or cron, not both")
    if keys.cron is not None:
        try:
            return Schedule(cron=keys.cron, timezone=timezone)
        except ValueError as exc:
            raise file.fail((*at, "cron"), str(exc)) from None
    if keys.interval is not None:
        return Schedule(interval=keys.interval, timezone=timezone)
    return default


def _budget(keys: _BudgetKeys | _ItemTable, default: Budget) -> Budget:
    return Budget(
        per_day=default.per_day if keys.per_day is None else keys.per_day,
        per_month=default.per_month if keys.per_month is None else keys.per_month,
    )


def parse_config(text: str, path: Path) -> WatchConfig:
    """Check a config's text; ``path`` only names the file in errors."""
    file = TomlFile(path, text, WatchConfigError, what="watch config", doc="docs/watch.md")
    data = file.parse()
    shape = file.convert(data, _WatchFile, choices=_CHOICES)
    watch = shape.watch
    timezone = str(watch.timezone)
    schedule = _schedule(
        file, ("watch",), watch, Schedule(interval=DEFAULT_INTERVAL, timezone=timezone), timezone
    )
    if watch.over_budget == "history" and watch.max_age is None:
        raise file.fail(
            ("watch", "over_budget"),
            'over_budget = "history" needs max_age (how old a stored balance may be)',
        )
    budget = _budget(shape.budget, Budget())
    server = shape.server
    listen = parse_listen(server.listen) if server.listen is not None else DEFAULT_LISTEN
    notifiers: dict[str, Notifier] = {}
    for name, raw in shape.notify.items():
        entry = file.convert(raw, _NotifierTable, ("notify", name))
        key = "urls" if entry.urls is not None else "url"
        urls = entry.urls if entry.urls is not None else entry.url
        if urls is None:
            raise file.fail(("notify", name), 'needs url = "ntfy://..." (an Apprise URL)')
        notifiers[name] = Notifier(name, urls.items, key)
    items: dict[str, ItemSettings] = {}
    for alias, raw in shape.items.items():
        try:  # [items.NAME]: an Item reference like any other
            parse_item_reference(alias)
        except InvalidValue as exc:
            raise file.fail(("items", alias), f"a table name: {exc}", shown=("items",)) from None
        item = file.convert(raw, _ItemTable, ("items", alias))
        items[alias] = ItemSettings(
            alias=alias,
            schedule=_schedule(file, ("items", alias), item, schedule, timezone),
            budget=_budget(item, budget),
            enabled=item.enabled,
        )
    renotify = watch.renotify.every if watch.renotify is not None else DEFAULT_RENOTIFY
    return WatchConfig(
        path=path,
        text=text,
        schedule=schedule,
        budget=budget,
        timezone=timezone,
        over_budget=watch.over_budget,
        max_age=watch.max_age,
        capital_one_floor=watch.capital_one_floor or DEFAULT_CAPITAL_ONE_FLOOR,
        items=items,
        alerts=_alerts(file, shape.alerts, notifiers, renotify),
        notifiers=notifiers,
        server=ServerSettings(
            listen=listen,
            token_env=str(server.token_env),
            webhook_path=str(server.webhook_path),
            metrics=server.metrics,
            webhook_url=None if server.webhook_url is None else str(server.webhook_url),
        ),
    )


def _alerts(
    file: TomlFile,
    entries: Sequence[dict[str, Any]],
    notifiers: Mapping[str, Notifier],
    renotify_default: timedelta | None,
) -> tuple[AlertRule, ...]:
    rules: list[AlertRule] = []
    names: set[str] = set()
    for index, raw in enumerate(entries):
        at: KeyPath = ("alerts", index)
        entry: _AnyAlert = file.convert(raw, _AnyAlert, at, _CHOICES)  # type: ignore[arg-type]
        kind: AlertKind = entry.__struct_config__.tag  # type: ignore[assignment]
        for name in entry.notify.items:
            if name not in notifiers:
                raise file.fail((*at, "notify"), f"no notifier named {name!r} in [notify]")
        rule = AlertRule(
            name=str(entry.name) if entry.name is not None else f"{kind} #{index + 1}",
            kind=kind,
            item=entry.item,
            account=entry.account,
            renotify=entry.renotify.every if entry.renotify is not None else renotify_default,
            notify=entry.notify.items,
            index=index,
        )
        rule = _thresholds(file, at, entry, rule)
        if rule.name in names:
            raise file.fail((*at, "name"), f"another alert is already named {rule.name!r}")
        names.add(rule.name)
        rules.append(rule)
    return tuple(rules)


def _thresholds(
    file: TomlFile, at: KeyPath, entry: _LowBalance | _Credit | _Change | _NeedsRepair, rule: AlertRule
) -> AlertRule:
    if isinstance(entry, _LowBalance):
        if entry.below is None:
            raise file.fail(at, 'low_balance needs below = "100 USD"')
        return replace(rule, below=entry.below)
    if isinstance(entry, _Credit):
        if entry.available_credit_below is None and entry.utilisation_above is None:
            raise file.fail(at, "credit needs utilisation_above = 80 and/or available_credit_below")
        return replace(rule, below=entry.available_credit_below, above_percent=entry.utilisation_above)
    if isinstance(entry, _Change):
        if entry.more_than is None:
            raise file.fail(at, 'change needs more_than = "500 USD"')
        return replace(rule, more_than=entry.more_than)
    if rule.account is not None:
        raise file.fail((*at, "account"), "needs_repair is about an Item, not an account")
    return rule


MAX_CONFIG_BYTES: Final = 1 << 20  # a config is a few hundred lines; more is the wrong file


def load_config(path: str | os.PathLike[str]) -> WatchConfig:
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


def check_against_items(config: WatchConfig, items: Sequence[VaultItem]) -> None:
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
            accounts = [a for a in accounts if rule.account.matches(a.account_id, a.mask, a.name)]
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
