"""The link journey, start to finish: token, page (or Hosted Link), result, exchange, vault.

Plaid and the vault are reached through two small protocols (``LinkBackend``, ``LinkVault``) so the
journey is tested with fakes as well as end to end; ``plaid_balance.link.adapters`` binds them to
``PlaidClient`` and the real vault. Time comes from an injected clock, so no test sleeps for a timeout.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from plaid_balance._errors import LinkCancelled, LinkTimedOut, PlaidFailure
from plaid_balance.link import pending
from plaid_balance.link.outcome import LinkExit, LinkResult, LinkSuccess
from plaid_balance.link.page import LinkScript
from plaid_balance.link.request import LinkSettings, new_item_request, update_request
from plaid_balance.link.server import LinkSession, LocalLinkServer
from plaid_balance.models import PublicTokenExchangeResponse
from plaid_balance.vault import VaultAccount, VaultItem

Say = Callable[[str], None]
Confirm = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class CreatedLinkToken:
    link_token: str = field(repr=False)
    hosted_link_url: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What Plaid says about a new Item, trusted over the browser's metadata."""

    item_id: str
    institution_id: str | None
    institution_name: str | None
    accounts: tuple[VaultAccount, ...]


class LinkBackend(Protocol):
    def create_link_token(self, body: dict[str, Any]) -> CreatedLinkToken: ...

    def hosted_result(self, link_token: str, *, update: bool) -> LinkResult | None: ...

    def exchange(self, public_token: str) -> PublicTokenExchangeResponse: ...

    def describe(self, access_token: Any) -> ItemFacts: ...

    def remove(self, access_token: Any) -> None:
        """``/item/remove``: used only when a new Item cannot be stored, so Plaid stops billing it."""
        ...


class LinkVault(Protocol):
    def items(self) -> Sequence[VaultItem]: ...

    def access_token(self, alias: str) -> Any: ...

    def find(self, alias: str) -> VaultItem: ...

    def alias_for(self, institution_name: str | None) -> str:
        """A free alias made from the institution's name (``first-platypus-bank``, then ``-2``, …)."""
        ...

    def add(
        self,
        alias: str,
        exchanged: PublicTokenExchangeResponse,
        facts: ItemFacts,
        *,
        settles: str | None = None,
    ) -> None:
        """Store the new Item; ``settles`` names its exchange's record, deleted in the same transaction."""
        ...

    def begin_exchange(self, public_token: str, detail: dict[str, Any]) -> str:
        """Record (committed) an exchange about to be made: its public token, sealed, and Link's word."""
        ...

    def end_exchange(self, record: str) -> None: ...

    def pending_exchanges(self) -> Sequence[Any]:
        """Earlier exchanges whose answer was lost (``vault.PendingExchange``)."""
        ...

    def pending_public_token(self, record: str) -> str: ...

    def repaired(self, item_id: str, accounts: tuple[VaultAccount, ...] | None) -> None:
        """Mark the Item healthy again; ``accounts`` (when given) replace the ones it had."""
        ...


@dataclass(frozen=True, slots=True)
class Linked:
    """The outcome the command reports: which alias now holds which Item."""

    alias: str
    item_id: str
    institution_name: str | None
    account_count: int
    updated: bool


@dataclass(slots=True)
class LinkEnvironment:
    """Everything the journey needs from outside; the defaults are the real ones."""

    backend: LinkBackend
    vault: LinkVault
    say: Say = lambda _text: None
    confirm: Confirm = lambda _question: False
    open_browser: Callable[[str], Any] | None = None
    clock: Callable[[], float] = time.monotonic
    wait: Callable[[threading.Event, float], bool] = lambda event, seconds: event.wait(seconds)
    sleep: Callable[[float], None] = time.sleep
    # What the browser page says when linking stops after Link succeeded (set where the reason is known).
    page_note: str | None = None


T = TypeVar("T")
PAGE_LINGER = 3.0  # seconds the page may take to fetch the command's final word before the server stops


def wait_for_result(session: LinkSession, timeout: float, env: LinkEnvironment) -> LinkResult:
    """Block until the page delivers a result or ``timeout`` seconds pass (short waits: Ctrl-C stays live)."""
    deadline = env.clock() + timeout
    while True:
        result = session.result
        if result is not None:
            return result
        remaining = deadline - env.clock()
        if remaining <= 0:
            raise LinkTimedOut(f"no answer from the Link page within {_human(timeout)}; nothing was linked")
        env.wait(session.done, min(remaining, 0.5))


def poll_hosted(link_token: str, timeout: float, env: LinkEnvironment, *, update: bool) -> LinkResult:
    """Poll ``/link/token/get`` with backoff (1 s, growing to 5 s) until Hosted Link has a result."""
    deadline = env.clock() + timeout
    delay = 1.0
    while True:
        result = env.backend.hosted_result(link_token, update=update)
        if result is not None:
            return result
        remaining = deadline - env.clock()
        if remaining <= 0:
            raise LinkTimedOut(f"Hosted Link was not completed within {_human(timeout)}; nothing was linked")
        env.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 5.0)


def _human(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


def _cancelled(result: LinkExit) -> LinkCancelled:
    if result.error_code:
        detail = f": {result.error_code}" + (f" ({result.error_message})" if result.error_message else "")
        return LinkCancelled(f"Link stopped on an error{detail}; nothing was linked")
    where = f" at step {result.status}" if result.status else ""
    return LinkCancelled(f"Link was closed{where} before a bank was linked; nothing was linked")


def obtain_result(
    body: dict[str, Any],
    env: LinkEnvironment,
    script: LinkScript,
    *,
    timeout: float,
    hosted: bool,
    update: bool,
    finish: Callable[[LinkResult], T],
) -> T:
    """Create the link token, run Link (local page or Hosted Link) and ``finish`` its result.

    With the local page, ``finish`` runs while the page is still served, and the page then shows what
    the command made of it (linked, refused with what to do, or failed), never "done" before it is.
    """
    env.say("Creating a link token…")
    created = env.backend.create_link_token(body)
    if hosted:
        if not created.hosted_link_url:
            raise LinkCancelled(
                "Plaid returned no hosted_link_url; Hosted Link may not be enabled for your keys"
            )
        env.say(f"Open this address to continue (Hosted Link):\n  {created.hosted_link_url}")
        if env.open_browser is not None:
            env.open_browser(created.hosted_link_url)
        env.say("Waiting for Link to finish…")
        return finish(poll_hosted(created.link_token, timeout, env, update=update))
    session = LinkSession(
        created.link_token, update=update, on_event=lambda name, inst: _event(env, name, inst)
    )
    with LocalLinkServer(session, script) as server:
        if env.open_browser is not None:
            # Two one-time links: the browser's (handed over privately) and the printed one, for another.
            env.say(f"Opening Link in your browser. If it does not open, visit:\n  {server.page_url()}")
            env.open_browser(server.page_url())
        else:
            env.say(f"Open this address in a browser on this computer:\n  {server.page_url()}")
        env.say("Waiting for you to finish in the browser (Ctrl-C to stop)…")
        result = wait_for_result(session, timeout, env)
        if not isinstance(result, LinkSuccess):
            return finish(result)
        try:
            done = finish(result)
        except BaseException as exc:
            session.conclude("refused", env.page_note or _failed_note(exc))
            raise
        else:
            session.conclude("done", _done_note(done))
            return done
        finally:
            env.wait(session.conclusion_seen, PAGE_LINGER)


def _done_note(done: Any) -> str:
    if isinstance(done, Linked):
        if done.updated:
            return "Done: your bank connection is repaired. You can close this tab."
        name = done.institution_name or "your bank"
        return f"Done: {name} is linked as {done.alias}. You can close this tab."
    return "Done. You can close this tab."


def _failed_note(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "Stopped in the terminal (Ctrl-C): nothing was linked. You can close this tab."
    return "Nothing was linked: the plaid-balance command stopped; your terminal says why. You can close this tab."


_EVENT_WORDS = {
    "OPEN": "Link is open",
    "SELECT_INSTITUTION": "bank chosen",
    "SUBMIT_CREDENTIALS": "credentials submitted",
    "ERROR": "Link showed an error",
    "HANDOFF": "Link is done",
    "LOAD_FAILED": "the page could not load Plaid Link",
}


def _event(env: LinkEnvironment, name: str, institution: str | None) -> None:
    words = _EVENT_WORDS.get(name)
    if words:
        env.say(f"  · {words}" + (f": {institution}" if institution and name == "SELECT_INSTITUTION" else ""))


def link_new_item(
    settings: LinkSettings,
    env: LinkEnvironment,
    script: LinkScript,
    *,
    alias: str | None = None,
    timeout: float = 600.0,
    hosted: bool = False,
) -> Linked:
    """Link a new Item and keep it in the vault under ``alias`` (default: from the institution's name)."""
    # An earlier link whose exchange answer was lost is finished (or explained) before a new one starts.
    pending.settle_pending(env, lambda wanted, exchanged, record: _store(env, exchanged, wanted, record)[0])
    body = new_item_request(settings, hosted=hosted)
    return obtain_result(
        body,
        env,
        script,
        timeout=timeout,
        hosted=hosted,
        update=False,
        finish=lambda result: _keep_new_item(result, env, alias),
    )


def _keep_new_item(result: LinkResult, env: LinkEnvironment, alias: str | None) -> Linked:
    """Link's result for a new Item: refused if the vault holds the bank (unless confirmed), else
    exchanged, described and kept in the vault."""
    if isinstance(result, LinkExit):
        raise _cancelled(result)
    held = env.vault.items()
    if result.institution_id:
        same = [item for item in held if item.institution_id == result.institution_id]
        if same:
            name = result.institution_name or result.institution_id
            names = ", ".join(item.alias for item in same)
            question = (
                f"The vault already holds {name} as {names}. A second Item for the same bank is billed again "
                f"and counts against your Item quota; to repair one, use `plaid-balance link --update "
                f"{same[0].alias}`. Link it anyway?"
            )
            env.page_note = (
                f"Not linked: the vault already holds {name} as {names}. To repair that connection, run "
                f"plaid-balance link --update {same[0].alias}; to link a second {name} Item anyway "
                "(billed again), run plaid-balance link --yes. You can close this tab."
            )
            if not env.confirm(question):
                raise LinkCancelled(f"not linked: {name} is already in the vault as {names}")
            env.page_note = None
    env.say("Exchanging the public token…")
    exchanged, record = pending.exchange(env, result, alias)  # a lost answer is found out or recorded
    chosen, facts = _store(env, exchanged, alias, record, fallback=result)
    return Linked(chosen, exchanged.item_id, facts.institution_name, len(facts.accounts), updated=False)


def _store(
    env: LinkEnvironment,
    exchanged: PublicTokenExchangeResponse,
    alias: str | None,
    record: str,
    *,
    fallback: LinkSuccess | None = None,
) -> tuple[str, ItemFacts]:
    """Keep a freshly exchanged Item under ``alias`` (default: from its bank's name); (alias, facts).

    Plaid's word on the Item (/accounts/get) is preferred; if it cannot be had, Link's own metadata is
    kept rather than losing the token. An Item that cannot be stored is removed at Plaid.
    """
    try:
        facts = env.backend.describe(exchanged.access_token)
        if fallback is not None and not facts.institution_name:
            facts = replace(facts, institution_name=fallback.institution_name)
    except PlaidFailure as exc:
        env.say(f"warning: could not ask Plaid about the new Item ({exc}); keeping what Link reported")
        facts = ItemFacts(
            exchanged.item_id,
            fallback.institution_id if fallback else None,
            fallback.institution_name if fallback else None,
            fallback.accounts if fallback else (),
        )
    chosen = alias or env.vault.alias_for(facts.institution_name or facts.institution_id)
    try:
        env.vault.add(chosen, exchanged, facts, settles=record)
    except BaseException:
        # An Item we cannot keep must not stay billed at Plaid with nobody holding its token.
        _remove_quietly(env, exchanged)
        with contextlib.suppress(Exception):
            env.vault.end_exchange(record)
        raise
    return chosen, facts


def _remove_quietly(env: LinkEnvironment, exchanged: PublicTokenExchangeResponse) -> None:
    try:
        env.backend.remove(exchanged.access_token)
    except Exception:
        env.say(
            f"warning: could not remove Item {exchanged.item_id} at Plaid; remove it in the Plaid Dashboard"
        )
    else:
        env.say(f"Removed the new Item {exchanged.item_id} at Plaid, since it could not be stored.")


def repair_item(
    alias: str,
    settings: LinkSettings,
    env: LinkEnvironment,
    script: LinkScript,
    *,
    select_accounts: bool = False,
    timeout: float = 600.0,
    hosted: bool = False,
) -> Linked:
    """Update mode: the user logs in again; the Item and its access token stay the same."""
    held = env.vault.find(alias)
    body = update_request(
        settings, env.vault.access_token(held.alias), select_accounts=select_accounts, hosted=hosted
    )

    def repaired(result: LinkResult) -> Linked:
        if isinstance(result, LinkExit):
            raise _cancelled(result)
        accounts: tuple[VaultAccount, ...] | None = None
        if select_accounts:
            accounts = env.backend.describe(env.vault.access_token(held.alias)).accounts
        env.vault.repaired(held.item_id, accounts)
        count = len(accounts) if accounts is not None else len(result.accounts)
        return Linked(held.alias, held.item_id, held.institution_name, count, updated=True)

    return obtain_result(body, env, script, timeout=timeout, hosted=hosted, update=True, finish=repaired)
