"""The webhook endpoint against an attacker on the Internet: replays of captured genuine webhooks, old
news delivered late, and hostile values that would reach the log."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaid_balance._health import Health
from plaid_balance.watch.logs import Redactor, WatchFormatter
from tests.watch.conftest import run_in_thread
from tests.watch.signing import Signer, item_webhook
from tests.watch.support import ManualClock
from tests.watch.test_app import client_for, health_of
from tests.watch.test_service import BASE, ITEM, Rig

ERROR = item_webhook("ERROR", "item-1", error={"error_code": "ITEM_LOGIN_REQUIRED"})


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(WatchFormatter(Redactor(), as_json=False))
    logger = logging.getLogger("plaid_balance")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.level = level


async def watched(signer: Signer) -> Rig:
    rig = Rig()
    rig.plaid.keys[signer.kid] = signer.jwk()
    await rig.watch.load()
    await rig.step()
    return rig


async def test_a_captured_error_replayed_after_a_repair_is_refused() -> None:
    """A genuine ERROR webhook sent again after the repair is refused and the Item stays ok."""
    signer = Signer()
    rig = await watched(signer)
    async with client_for(rig) as http:
        captured = {"Plaid-Verification": signer.sign(ERROR, rig.clock.now())}
        assert (await http.post("/plaid/webhook", content=ERROR, headers=captured)).status_code == 200
        assert health_of(rig) is Health.NEEDS_REPAIR
        rig.clock.advance(30)
        repaired = item_webhook("LOGIN_REPAIRED", "item-1")
        headers = {"Plaid-Verification": signer.sign(repaired, rig.clock.now())}
        assert (await http.post("/plaid/webhook", content=repaired, headers=headers)).status_code == 200
        assert health_of(rig) is Health.OK
        rig.clock.advance(60)
        replay = await http.post("/plaid/webhook", content=ERROR, headers=captured)
    assert replay.status_code == 409 and replay.json() == {"error": "replayed"}
    assert health_of(rig) is Health.OK


async def test_a_webhook_signed_before_the_last_health_change_does_not_move_it_back() -> None:
    """An ERROR signed before a repair but delivered after it (Plaid retries late) is old news."""
    signer = Signer()
    rig = await watched(signer)
    async with client_for(rig) as http:
        late = {"Plaid-Verification": signer.sign(ERROR, rig.clock.now())}
        rig.clock.advance(20)
        assert (await http.post("/plaid/webhook", content=ERROR, headers=late)).status_code == 200
        assert health_of(rig) is Health.NEEDS_REPAIR
        rig.clock.advance(20)
        repaired = item_webhook("LOGIN_REPAIRED", "item-1")
        headers = {"Plaid-Verification": signer.sign(repaired, rig.clock.now())}
        assert (await http.post("/plaid/webhook", content=repaired, headers=headers)).status_code == 200
        older = item_webhook("ERROR", "item-1", error={"error_code": "ITEM_LOCKED"})
        stale = {"Plaid-Verification": signer.sign(older, rig.clock.now() - timedelta(seconds=30))}
        answer = await http.post("/plaid/webhook", content=older, headers=stale)
    assert answer.status_code == 200 and answer.json() == {"ok": True, "used": False}
    assert health_of(rig) is Health.OK


async def test_hostile_values_reach_the_log_cut_short_and_escaped(log_lines: io.StringIO) -> None:
    """Forged webhooks with kilobytes of header, escape sequences and newlines write short, single,
    inert log lines."""
    signer = Signer()
    rig = await watched(signer)
    hostile = ["k" * 12_000, "kid\x1b]0;pwned\x07\nforged line", "\u202eevil"]
    async with client_for(rig) as http:
        for kid in hostile:
            token = Signer(kid=kid).sign(ERROR, rig.clock.now())
            assert (
                await http.post("/plaid/webhook", content=ERROR, headers={"Plaid-Verification": token})
            ).status_code == 400
        for alg_header in ["x" * 12_000, "\x1b[2J"]:
            await http.post("/plaid/webhook", content=ERROR, headers={"Plaid-Verification": alg_header})
    lines = log_lines.getvalue().splitlines()
    assert len([line for line in lines if "webhook refused" in line]) == 5
    for line in lines:
        assert len(line) < 2_000 and "\x1b" not in line and "\u202e" not in line
        assert not line.startswith("forged")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.text(max_size=12) | st.sampled_from(["²", "٣", "１０", "1e3", "-1", "99999999999999999999"]))
def test_a_query_parameter_of_any_text_is_answered_never_a_crash(limit: str) -> None:
    """/alerts?limit=... with other scripts' digits, superscripts or anything else: 200 or 400, never 500."""
    rig = Rig()

    async def main() -> int:
        async with client_for(rig) as http:
            answer = await http.get("/alerts", params={"limit": limit})
            return answer.status_code

    assert run_in_thread(main) in {200, 400}


async def test_a_content_length_in_other_digits_is_refused() -> None:
    """A Content-Length of '²' passes str.isdigit() but is no number: refused, not a crash."""
    signer = Signer()
    rig = await watched(signer)
    async with client_for(rig) as http:
        answer = await http.post(
            "/plaid/webhook",
            content=ERROR,
            headers={
                b"Plaid-Verification": signer.sign(ERROR, rig.clock.now()).encode(),
                b"Content-Length": "²".encode("latin-1"),  # what a raw client can send
            },
        )
    assert answer.status_code == 413


async def test_a_flood_of_forged_key_ids_costs_a_handful_of_plaid_calls() -> None:
    """300 forged webhooks, each with a new kid, through the HTTP endpoint: a few key fetches, the rest
    answered 503 and counted by reason; a genuine webhook still goes through."""
    signer = Signer()
    rig = await watched(signer)
    async with client_for(rig) as http:
        first = item_webhook("NEW_ACCOUNTS_AVAILABLE", "item-1")
        headers = {"Plaid-Verification": signer.sign(first, rig.clock.now())}
        assert (await http.post("/plaid/webhook", content=first, headers=headers)).status_code == 200
        fetched = rig.plaid.calls["/webhook_verification_key/get"]
        statuses = []
        for n in range(300):
            token = Signer(kid=f"forged-{n}", private_key=signer.private_key).sign(ERROR, rig.clock.now())
            answer = await http.post("/plaid/webhook", content=ERROR, headers={"Plaid-Verification": token})
            statuses.append(answer.status_code)
        assert rig.plaid.calls["/webhook_verification_key/get"] - fetched <= 5
        assert set(statuses) == {401, 503} and statuses.count(503) >= 295
        assert (
            await http.post(
                "/plaid/webhook",
                content=ERROR,
                headers={"Plaid-Verification": signer.sign(ERROR, rig.clock.now())},
            )
        ).status_code == 200
        metrics = (await http.get("/metrics")).text
    assert 'plaid_balance_webhooks_refused_total{reason="key_unavailable"}' in metrics
    assert health_of(rig) is Health.NEEDS_REPAIR


async def test_after_a_restart_a_webhook_older_than_the_vaults_health_change_is_old_news() -> None:
    """The vault remembers when the Item's health last changed; a watch started since then ignores a
    webhook signed before it (the replay memory is gone with the old process, this rule is not)."""
    clock = ManualClock()
    repaired = msgspec.structs.replace(ITEM, health=Health.OK, health_changed_at=clock.now())
    signer = Signer()
    rig = Rig(BASE, repaired, clock=clock)
    rig.plaid.keys[signer.kid] = signer.jwk()
    await rig.watch.load()
    async with client_for(rig) as http:
        stale = {"Plaid-Verification": signer.sign(ERROR, clock.now() - timedelta(seconds=90))}
        answer = await http.post("/plaid/webhook", content=ERROR, headers=stale)
        assert answer.status_code == 200 and answer.json() == {"ok": True, "used": False}
        assert health_of(rig) is Health.OK
        locked = item_webhook("ERROR", "item-1", error={"error_code": "ITEM_LOCKED"})
        fresh = {"Plaid-Verification": signer.sign(locked, clock.now() + timedelta(seconds=1))}
        assert (await http.post("/plaid/webhook", content=locked, headers=fresh)).status_code == 200
    assert health_of(rig) is Health.NEEDS_REPAIR
