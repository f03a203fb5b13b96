"""A token rotation whose answer is lost never loses an Item silently: the vault records the doubt first,
never retries, asks Plaid's /item/get with the old token, and every later command tells the truth."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaid_balance._client import PlaidClient
from plaid_balance._error_body import ErrorBody, network_failure
from plaid_balance._errors import PlaidAPIError, PlaidNetworkError
from plaid_balance._retry import RetryPolicy
from plaid_balance.emulator import EmulatorConfig, RunningEmulator
from plaid_balance.vault import ItemLostError, SecretStr, TokenInDoubtError, Vault
from tests.core.conftest import cli
from tests.core.test_cli_e2e import creds
from tests.dropping_proxy import DroppingProxy, dropping_proxy

__all__ = ["cli"]  # fixtures

INVALIDATE = "/item/access_token/invalidate"
RELINK = "plaid-balance items remove --local-only --yes Bank && plaid-balance link --alias Bank"


@pytest.fixture
def emu_config() -> EmulatorConfig:
    """Faults (drop, hang, latency) may also hit the rotation, not only the balance call."""
    return EmulatorConfig(fault_endpoints=["/accounts/balance/get", INVALIDATE])


def _env(emu: RunningEmulator, db: Path, base_url: str | None = None) -> dict[str, str]:
    env = {**creds(emu), "PLAID_BALANCE_DB": str(db)}
    if base_url is not None:
        env["PLAID_BASE_URL"] = base_url
    return env


@pytest.fixture
def held(emu: RunningEmulator, cli: Any, tmp_path: Path) -> tuple[Path, str, str]:
    """A vault holding one emulator Item as ``Bank``: (database, its token, its item_id)."""
    token, item_id = emu.create_item()
    source = tmp_path / "items.csv"
    source.write_text(f"access_token,label\n{token},Bank\n")
    db = tmp_path / "vault.db"
    result = cli("items", "import", str(source), env=_env(emu, db))
    assert result.code == 0, result.err
    return db, token, item_id


@pytest.fixture
def proxy(emu: RunningEmulator) -> Iterator[DroppingProxy]:
    with dropping_proxy(emu.base_url) as running:
        yield running


def _current_token(emu: RunningEmulator, item_id: str) -> str:
    return str(emu.core.state.find_item(item_id).access_token)


def _assert_lost_everywhere(emu: RunningEmulator, cli: Any, db: Path) -> None:
    env = _env(emu, db)
    got = cli("get", "Bank", "--format", "json", env=env)
    assert got.code == 2 and "is lost" in got.err and RELINK in got.err and got.out == "", got.err
    listing = cli("items", "list", env=env)
    assert "token lost" in listing.out and RELINK in listing.err.replace("\n", " ")
    as_json = json.loads(cli("items", "list", "--format", "json", env=env).out)
    assert as_json[0]["health"] == "lost" and RELINK in as_json[0]["health_reason"]
    every = cli("get", "--all", "--format", "json", env=env)
    assert "is lost" in every.err and "left out" in every.err
    batch = cli("batch", "--all", env=env)
    assert "is lost" in batch.err and "left out" in batch.err


def test_a_dropped_answer_marks_the_item_lost_with_the_way_back(
    emu: RunningEmulator, cli: Any, held: tuple[Path, str, str]
) -> None:
    """Plaid rotated, the connection dropped mid-answer: one call, then /item/get proves the Item lost."""
    db, old, item_id = held
    emu.set_item_faults(item_id, fail_next=["drop"])
    emu.reset_stats()
    result = cli("items", "rotate", "Bank", env=_env(emu, db))
    assert result.code == 4, result.err
    assert "new token is lost" in result.err and RELINK in result.err
    assert "still works" not in result.err and result.err.count("\n") == 1
    assert emu.stats()["requests_by_endpoint"][INVALIDATE] == 1  # never retried
    assert _current_token(emu, item_id) != old
    _assert_lost_everywhere(emu, cli, db)
    assert old not in result.everything()


def test_a_timeout_after_plaid_rotated_is_found_out_the_same_way(
    emu: RunningEmulator, cli: Any, held: tuple[Path, str, str]
) -> None:
    """Plaid rotated and then never answered: the client's timeout, then the same truth."""
    db, _, item_id = held
    emu.set_item_faults(item_id, fail_next=["hang"], hang_seconds=30)
    result = cli("items", "rotate", "Bank", "--timeout", "1", env=_env(emu, db))
    assert result.code == 4, result.err
    assert "did not answer in time" in result.err and "new token is lost" in result.err
    _assert_lost_everywhere(emu, cli, db)


def test_a_lost_request_is_checked_and_nothing_changes(
    emu: RunningEmulator, cli: Any, held: tuple[Path, str, str], proxy: DroppingProxy
) -> None:
    """The call never reached Plaid: /item/get with the old token works, so the old token is kept."""
    db, old, item_id = held
    proxy.modes[INVALIDATE] = "drop_request"
    result = cli("items", "rotate", "Bank", env=_env(emu, db, proxy.base_url))
    assert result.code == 4, result.err
    assert "was not rotated" in result.err and "nothing changed" in result.err
    assert proxy.seen == [(INVALIDATE, "drop_request"), ("/item/get", "forward")]
    assert _current_token(emu, item_id) == old
    again = cli("get", "Bank", "--format", "json", env=_env(emu, db))
    assert again.code == 0 and json.loads(again.out)["item_id"] == item_id


def test_when_plaid_cannot_be_asked_the_doubt_stays_and_the_next_command_settles_it(
    emu: RunningEmulator, cli: Any, held: tuple[Path, str, str], proxy: DroppingProxy
) -> None:
    """Network down after the call: the doubt is recorded, shown, and settled by the next `get`."""
    db, _, _ = held
    proxy.modes[INVALIDATE] = "drop_answer"
    proxy.modes["/item/get"] = "drop_request"
    result = cli("items", "rotate", "Bank", env=_env(emu, db, proxy.base_url))
    assert result.code == 4, result.err
    assert "cannot be checked now" in result.err and "doubt stays recorded" in result.err
    listing = cli("items", "list", env=_env(emu, db))
    assert "rotation in doubt" in listing.out
    with Vault.open(str(db)) as vault, pytest.raises(TokenInDoubtError):
        vault.access_token("Bank")  # nobody uses a token that may be dead
    settled = cli("get", "Bank", "--format", "json", env=_env(emu, db))
    assert settled.code == 2 and "asking Plaid" in settled.err and RELINK in settled.err
    _assert_lost_everywhere(emu, cli, db)


def test_a_retry_of_the_rotation_is_refused_while_its_doubt_is_unsettled(
    emu: RunningEmulator, cli: Any, held: tuple[Path, str, str], proxy: DroppingProxy
) -> None:
    """A second `items rotate` first settles the first one: here the old token works, so it rotates."""
    db, old, item_id = held
    proxy.modes[INVALIDATE] = "drop_request"
    proxy.modes["/item/get"] = "drop_request"
    assert cli("items", "rotate", "Bank", env=_env(emu, db, proxy.base_url)).code == 4
    second = cli("items", "rotate", "Bank", env=_env(emu, db))
    assert second.code == 0, second.err
    assert "the old one still works" in second.err and "rotated the access token" in second.err
    assert _current_token(emu, item_id) != old
    assert cli("get", "Bank", "--format", "json", env=_env(emu, db)).code == 0


def test_kill_9_while_the_answer_is_in_flight_then_the_next_command_tells_the_truth(
    emu: RunningEmulator, cli: Any, held: tuple[Path, str, str]
) -> None:
    """The process dies after Plaid rotated and before the answer came: the next command finds it lost."""
    db, old, item_id = held
    emu.set_item_faults(item_id, latency_ms=60_000)
    env = {**os.environ, **_env(emu, db)}
    process = subprocess.Popen(
        [sys.executable, "-m", "plaid_balance", "items", "rotate", "Bank"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while _current_token(emu, item_id) == old:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    emu.set_item_faults(item_id, clear=True)
    listing = cli("items", "list", env=_env(emu, db))
    assert "rotation in doubt" in listing.out
    _assert_lost_everywhere(emu, cli, db)


def test_the_rotation_and_the_exchange_are_never_retried() -> None:
    """Both calls whose answer carries a secret are sent once, even under a policy that retries."""
    seen: list[str] = []

    def drop(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        raise httpx.ReadError("connection reset")

    retry = RetryPolicy(attempts=3, wait_initial=0, wait_max=0, wait_jitter=0)
    with PlaidClient("id", "secret", "sandbox", transport=httpx.MockTransport(drop), retry=retry) as client:
        with pytest.raises(PlaidNetworkError):
            client.item_access_token_invalidate("access-sandbox-1")
        with pytest.raises(PlaidNetworkError):
            client.item_public_token_exchange("public-sandbox-1")
        assert seen == [INVALIDATE, "/item/public_token/exchange"]
        with pytest.raises(PlaidNetworkError):
            client.item_get("access-sandbox-1")
    assert seen.count("/item/get") == 3  # the free, idempotent check is retried as before


def test_an_answer_that_arrives_after_a_verdict_of_lost_wins(db_url: str) -> None:
    """The doubt is committed before the call; a "lost" verdict reached meanwhile yields to the answer."""
    db = db_url
    refused = PlaidAPIError(
        ErrorBody(error_type="INVALID_INPUT", error_code="INVALID_ACCESS_TOKEN", http_status=400)
    )

    def check(token: SecretStr) -> None:
        raise refused

    with Vault.open(db) as vault:
        vault.add("Bank", "access-sandbox-old", item_id="item-1")

        def invalidate(old: SecretStr) -> str:
            with Vault.open(db) as other:  # another process, while the answer is still on its way
                assert other.get("Bank").in_doubt
                assert other.settle_rotation("Bank", check).lost
            return "access-sandbox-new"

        rotated = vault.rotate("Bank", invalidate)
        assert rotated.health == "ok" and not vault.get("Bank").in_doubt
        assert vault.access_token("Bank").get_secret_value() == "access-sandbox-new"


def test_a_refusal_from_plaid_clears_the_doubt_and_keeps_the_token(db_url: str) -> None:
    """Plaid answered with an error: it did nothing, so nothing is in doubt."""
    db = db_url
    with Vault.open(db) as vault:
        vault.add("Bank", "access-sandbox-old", item_id="item-1")

        def invalidate(old: SecretStr) -> str:
            raise PlaidAPIError(ErrorBody(error_type="API_ERROR", error_code="INTERNAL_SERVER_ERROR"))

        with pytest.raises(PlaidAPIError):
            vault.rotate("Bank", invalidate)
        assert not vault.get("Bank").in_doubt
        assert vault.access_token("Bank").get_secret_value() == "access-sandbox-old"


def test_an_exchange_record_keeps_its_public_token_sealed(db_url: str) -> None:
    """The public token of an exchange in doubt is stored encrypted and comes back only with the key."""
    public = "public-sandbox-0f0e0d0c-1234"
    with Vault.open(db_url) as vault:
        record = vault.begin_exchange(
            public, environment="sandbox", detail={"institution_name": "First Platypus Bank"}
        )
        (pending,) = vault.pending_exchanges()
        assert pending.id == record and pending.institution_name == "First Platypus Bank"
        assert not pending.in_progress  # this very process made it: nobody else is waiting for it
        assert vault.exchange_public_token(record) == public
        assert public not in repr(pending)
        if db_url.startswith("sqlite:///"):
            assert public.encode() not in Path(db_url.removeprefix("sqlite:///")).read_bytes()
        vault.end_exchange(record)
        assert vault.pending_exchanges() == ()


def test_the_watch_sees_a_lost_item_as_lost_and_calls_nothing(tmp_path: Path) -> None:
    """The watch reads the vault's health: a lost Item is neither OK nor called, and its reason says why."""
    from plaid_balance._health import Health
    from plaid_balance.watch.sources import VaultItems

    refused = PlaidAPIError(
        ErrorBody(error_type="INVALID_INPUT", error_code="INVALID_ACCESS_TOKEN", http_status=400)
    )

    def check(token: SecretStr) -> None:
        raise refused

    with Vault.open(str(tmp_path / "watch.db")) as vault:
        vault.add("Bank", "access-sandbox-old", item_id="item-1")
        with pytest.raises(TokenInDoubtError):
            vault.rotate("Bank", lambda old: (_ for _ in ()).throw(TimeoutError("no answer")))
        assert vault.settle_rotation("Bank", check).lost
        (watched,) = VaultItems(vault).items()
    assert watched.health is Health.LOST and not watched.health.allows_calls
    assert RELINK in (watched.health_reason or "")


def test_nothing_but_a_new_token_brings_a_lost_item_back(tmp_path: Path) -> None:
    """A webhook's LOGIN_REPAIRED (set_health ok) does not make the dead old token usable again."""
    refused = PlaidAPIError(
        ErrorBody(error_type="INVALID_INPUT", error_code="INVALID_ACCESS_TOKEN", http_status=400)
    )

    def check(token: SecretStr) -> None:
        raise refused

    with Vault.open(str(tmp_path / "lost.db")) as vault:
        vault.add("Bank", "access-sandbox-old", item_id="item-1")
        with pytest.raises(TokenInDoubtError):
            vault.rotate("Bank", lambda old: (_ for _ in ()).throw(TimeoutError("no answer")))
        assert vault.settle_rotation("Bank", check).lost
        assert vault.set_health("Bank", "ok").lost
        with pytest.raises(ItemLostError):
            vault.access_token("Bank")


def test_the_watch_settles_a_rotation_in_doubt_before_it_uses_the_token(tmp_path: Path) -> None:
    """The watch's token read asks /item/get first, as every command does: works, refused, or unknown."""
    from plaid_balance.watch.sources import VaultItems

    def in_doubt(vault: Vault, alias: str) -> None:
        with pytest.raises(TokenInDoubtError):
            vault.rotate(alias, lambda old: (_ for _ in ()).throw(TimeoutError("no answer")))

    asked: list[str] = []

    def works(token: SecretStr) -> None:
        asked.append(token.get_secret_value())

    def refused(token: SecretStr) -> None:
        raise PlaidAPIError(ErrorBody(error_type="INVALID_INPUT", error_code="INVALID_ACCESS_TOKEN"))

    def unreachable(token: SecretStr) -> None:
        raise network_failure("CONNECT_ERROR", "cannot connect to Plaid")

    with Vault.open(str(tmp_path / "watch.db")) as vault:
        vault.add("Kept", "access-sandbox-kept", item_id="item-1")
        vault.add("Gone", "access-sandbox-gone", item_id="item-2")
        in_doubt(vault, "Kept")
        in_doubt(vault, "Gone")
        with pytest.raises(TokenInDoubtError):
            VaultItems(vault).access_token("Kept")  # without a way to ask, the token is not used
        with pytest.raises(TokenInDoubtError):
            VaultItems(vault, check=unreachable).access_token("Kept")
        assert VaultItems(vault, check=works).access_token("Kept") == "access-sandbox-kept"
        assert asked == ["access-sandbox-kept"]
        with pytest.raises(ItemLostError):
            VaultItems(vault, check=refused).access_token("Gone")
        assert vault.get("Gone").lost


def test_an_item_removed_elsewhere_while_in_doubt_is_marked_removed_not_lost(
    emu: RunningEmulator, cli: Any, held: tuple[Path, str, str], proxy: DroppingProxy
) -> None:
    """ITEM_NOT_FOUND means the Item is gone at Plaid: removed (nothing billed), not a lost token."""
    db, old, _ = held
    proxy.modes[INVALIDATE] = "drop_request"
    proxy.modes["/item/get"] = "drop_request"
    assert cli("items", "rotate", "Bank", env=_env(emu, db, proxy.base_url)).code == 4
    body = {"client_id": emu.client_id, "secret": emu.secret, "access_token": old}
    assert httpx.post(f"{emu.base_url}/item/remove", json=body).status_code == 200
    got = cli("get", "Bank", "--format", "json", env=_env(emu, db))
    assert got.code == 2 and "no longer knows this Item (ITEM_NOT_FOUND)" in got.err, got.err
    assert "billed" not in got.err
    listing = json.loads(cli("items", "list", "--format", "json", env=_env(emu, db)).out)
    assert listing[0]["health"] == "removed" and not listing[0]["rotation_in_doubt"]
