"""The link journey with Plaid and the vault replaced by fakes, and time by a fake clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from plaid_balance._errors import LinkCancelled, LinkTimedOut
from plaid_balance._secret import SecretStr
from plaid_balance.link.flow import (
    CreatedLinkToken,
    ItemFacts,
    LinkEnvironment,
    link_new_item,
    poll_hosted,
    repair_item,
)
from plaid_balance.link.outcome import LinkExit, LinkResult, LinkSuccess
from plaid_balance.link.page import LinkScript
from plaid_balance.link.request import LinkSettings
from plaid_balance.models import PublicTokenExchangeResponse
from plaid_balance.vault import VaultAccount, VaultItem
from tests.vault.samples import vault_item

SCRIPT = LinkScript.for_base_url("http://127.0.0.1:9")
SETTINGS = LinkSettings.build()


def account(account_id: str) -> VaultAccount:
    return VaultAccount(account_id=account_id, name=account_id)


def held_item(alias: str, item_id: str, institution_id: str, institution_name: str) -> VaultItem:
    return vault_item(alias, item_id, institution_id, institution_name)


SUCCESS = LinkSuccess("public-sandbox-1", "ins_109508", "First Platypus Bank", (account("a1"),), "s1")


@dataclass
class FakeBackend:
    hosted_answers: list[LinkResult | None] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    exchanged: list[str] = field(default_factory=list)
    removed: list[Any] = field(default_factory=list)

    def create_link_token(self, body: dict[str, Any]) -> CreatedLinkToken:
        self.bodies.append(body)
        return CreatedLinkToken(
            "link-sandbox-1", "https://hosted.example/link" if "hosted_link" in body else None
        )

    def hosted_result(self, link_token: str, *, update: bool) -> LinkResult | None:
        return self.hosted_answers.pop(0) if self.hosted_answers else None

    def exchange(self, public_token: str) -> PublicTokenExchangeResponse:
        self.exchanged.append(public_token)
        return PublicTokenExchangeResponse(
            access_token=SecretStr("access-sandbox-new"), item_id="item-new", request_id="req-1"
        )

    def remove(self, access_token: Any) -> None:
        self.removed.append(access_token)

    def describe(self, access_token: Any) -> ItemFacts:
        return ItemFacts("item-new", "ins_109508", "First Platypus Bank", (account("a1"), account("a2")))


@dataclass
class FakeVault:
    held: list[VaultItem] = field(default_factory=list)
    added: list[tuple[str, PublicTokenExchangeResponse, ItemFacts]] = field(default_factory=list)
    repaired_ids: list[str] = field(default_factory=list)
    repaired_accounts: tuple[VaultAccount, ...] | None = None
    records: dict[str, str] = field(default_factory=dict)

    def items(self) -> list[VaultItem]:
        return self.held

    def access_token(self, alias: str) -> str:
        return f"access-of-{alias}"

    def find(self, alias: str) -> VaultItem:
        return next(item for item in self.held if alias in {item.alias, item.item_id})

    def alias_for(self, institution_name: str | None) -> str:
        wanted = (institution_name or "bank").lower().replace(" ", "-")
        taken = {item.alias for item in self.held}
        return wanted if wanted not in taken else f"{wanted}-2"

    def add(
        self,
        alias: str,
        exchanged: PublicTokenExchangeResponse,
        facts: ItemFacts,
        *,
        settles: str | None = None,
    ) -> None:
        self.added.append((alias, exchanged, facts))
        self.records.pop(settles or "", None)

    def begin_exchange(self, public_token: str, detail: dict[str, Any]) -> str:
        record = f"record-{len(self.records)}"
        self.records[record] = public_token
        return record

    def end_exchange(self, record: str) -> None:
        self.records.pop(record, None)

    def pending_exchanges(self) -> list[Any]:
        return []

    def pending_public_token(self, record: str) -> str:
        return self.records[record]

    def repaired(self, item_id: str, accounts: tuple[VaultAccount, ...] | None) -> None:
        self.repaired_ids.append(item_id)
        self.repaired_accounts = accounts


class FakeTime:
    """A clock that moves only when the code under test waits or sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def wait(self, event: threading.Event, seconds: float) -> bool:
        self.now += seconds
        return event.is_set()


def environment(backend: FakeBackend, vault: FakeVault, time: FakeTime, **kwargs: Any) -> LinkEnvironment:
    return LinkEnvironment(
        backend=backend, vault=vault, clock=time.clock, sleep=time.sleep, wait=time.wait, **kwargs
    )


def test_hosted_link_polls_with_backoff_then_stores_the_item() -> None:
    backend = FakeBackend(hosted_answers=[None, None, None, SUCCESS])
    vault, time = FakeVault(), FakeTime()
    said: list[str] = []
    env = environment(backend, vault, time, say=said.append)
    linked = link_new_item(SETTINGS, env, SCRIPT, hosted=True, timeout=60)
    assert backend.bodies[0]["hosted_link"] == {}
    assert time.sleeps == [1.0, 1.5, 2.25]
    assert any("https://hosted.example/link" in line for line in said)
    assert backend.exchanged == ["public-sandbox-1"]
    assert linked.alias == "first-platypus-bank"
    assert linked.account_count == 2
    alias, exchanged, facts = vault.added[0]
    assert (alias, exchanged.item_id, facts.institution_id) == (
        "first-platypus-bank",
        "item-new",
        "ins_109508",
    )


def test_hosted_link_times_out_without_sleeping_for_real() -> None:
    time = FakeTime()
    env = environment(FakeBackend(), FakeVault(), time)
    with pytest.raises(LinkTimedOut, match="nothing was linked"):
        poll_hosted("link-sandbox-1", 30, env, update=False)
    assert sum(time.sleeps) == pytest.approx(30)
    assert max(time.sleeps) <= 5.0


def test_local_page_times_out_on_the_injected_clock() -> None:
    backend, vault, time = FakeBackend(), FakeVault(), FakeTime()
    with pytest.raises(LinkTimedOut, match="within 90 seconds"):
        link_new_item(SETTINGS, environment(backend, vault, time), SCRIPT, timeout=90)
    assert time.now == pytest.approx(90)
    assert vault.added == []


def test_a_cancelled_link_stores_nothing_and_says_where_the_user_stopped() -> None:
    backend = FakeBackend(hosted_answers=[LinkExit(status="requires_credentials")])
    vault = FakeVault()
    with pytest.raises(LinkCancelled, match="at step requires_credentials"):
        link_new_item(SETTINGS, environment(backend, vault, FakeTime()), SCRIPT, hosted=True)
    assert backend.exchanged == [] and vault.added == []


def test_linking_a_bank_the_vault_holds_asks_first_and_a_no_exchanges_nothing() -> None:
    held = held_item("platypus", "item-old", "ins_109508", "First Platypus Bank")
    questions: list[str] = []

    def refuse(question: str) -> bool:
        questions.append(question)
        return False

    backend, vault = FakeBackend(hosted_answers=[SUCCESS]), FakeVault([held])
    with pytest.raises(LinkCancelled, match="already in the vault as platypus"):
        link_new_item(SETTINGS, environment(backend, vault, FakeTime(), confirm=refuse), SCRIPT, hosted=True)
    assert "plaid-balance link --update platypus" in questions[0]
    assert backend.exchanged == [] and vault.added == []

    backend = FakeBackend(hosted_answers=[SUCCESS])
    env = environment(backend, vault, FakeTime(), confirm=lambda _q: True)
    linked = link_new_item(SETTINGS, env, SCRIPT, hosted=True)
    assert linked.alias == "first-platypus-bank"
    assert backend.exchanged == ["public-sandbox-1"]


def test_update_mode_keeps_the_item_and_its_token_and_marks_it_repaired() -> None:
    held = held_item("platypus", "item-old", "ins_109508", "First Platypus Bank")
    backend, vault = FakeBackend(hosted_answers=[SUCCESS]), FakeVault([held])
    linked = repair_item(
        "platypus",
        SETTINGS,
        environment(backend, vault, FakeTime()),
        SCRIPT,
        hosted=True,
        select_accounts=True,
    )
    body = backend.bodies[0]
    assert body["access_token"] == "access-of-platypus"
    assert "products" not in body
    assert body["update"] == {"account_selection_enabled": True}
    assert backend.exchanged == []  # update mode: the access token does not change
    assert vault.added == []
    assert vault.repaired_ids == ["item-old"]
    assert vault.repaired_accounts == (
        account("a1"),
        account("a2"),
    )  # re-read after Account Select
    assert (linked.alias, linked.item_id, linked.updated) == ("platypus", "item-old", True)
