"""Series, the ``history`` command in every format, and chart files that are real PNG/SVG/HTML."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from plaid_balance.cli import cli
from plaid_balance.history import open_store
from plaid_balance.history.series import build_history, load_history

from .samples import BASE_TIME, TOKEN, account, report


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["history", *args], catch_exceptions=False)


@pytest.fixture
def filled_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    with open_store(url) as store:
        for i in range(5):
            store.save(report(i), access_token=TOKEN)
        # A second Item, fetched between the first one's snapshots.
        savings = [
            account("acc-savings", current="200.50", available="200.50", name="Plaid Saving", mask="1111")
        ]
        store.save(
            report(0, item_id="item-2", accounts=savings, retrieved_at=BASE_TIME + timedelta(minutes=30)),
            access_token="access-sandbox-other-item",
        )
    return url


def test_totals_carry_each_items_last_balance_forward(filled_db: str) -> None:
    with open_store(filled_db) as store:
        history = load_history(store)
    assert history.snapshot_count == 6
    usd = history.totals["USD"]
    # At 12:30 item-2's savings join item-1's 12:00 balances.
    assert [p.at for p in usd[:2]] == [BASE_TIME, BASE_TIME + timedelta(minutes=30)]
    first, second, last = usd[0], usd[1], usd[-1]
    assert first.assets == Decimal("110.10") + Decimal("23631.9805")
    assert first.liabilities == Decimal(410)
    assert second.assets == first.assets + Decimal("200.50")
    assert last.net == Decimal("114.10") + Decimal("23631.9805") + Decimal("200.50") - Decimal(450)
    assert history.totals["EUR"][0].net == Decimal("1234567890123.123456789")
    checking = next(s for s in history.accounts if s.account_id == "acc-checking")
    assert [p.account.current_balance for p in checking.points] == [Decimal("110.10") + i for i in range(5)]


def test_complete_snapshot_drops_accounts_the_item_no_longer_lists() -> None:
    from plaid_balance.history import StoredSnapshot

    both = report(0, accounts=[account("a", current="10"), account("b", current="5")])
    only_a = report(1, accounts=[account("a", current="10")])
    partial = report(2, accounts=[account("a", current="1")])
    history = build_history(
        [StoredSnapshot(1, True, both), StoredSnapshot(2, True, only_a), StoredSnapshot(3, False, partial)]
    )
    assert [p.net for p in history.totals["USD"]] == [Decimal(15), Decimal(10), Decimal(1)]


def test_history_json(filled_db: str) -> None:
    result = run("--db", filled_db, "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout, parse_float=Decimal)
    assert body["snapshot_count"] == 6
    k401 = next(a for a in body["accounts"] if a["account_id"] == "acc-401k")
    assert {p["current_balance"] for p in k401["points"]} == {Decimal("23631.9805")}
    assert set(body["totals"]) == {"EUR", "USD"}
    assert set(body["totals"]["USD"][0]) == {"at", "assets", "liabilities", "net"}


def test_history_csv_and_filters(filled_db: str) -> None:
    result = run("--db", filled_db, "--format", "csv", "--item", "item-1", "--account", "acc-checking")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    accounts = [r for r in rows if r["kind"] == "account"]
    totals = [r for r in rows if r["kind"] == "total"]
    assert len(accounts) == 5 and {r["account_id"] for r in accounts} == {"acc-checking"}
    assert accounts[0]["available_balance"] == "0.10"
    assert [r["net"] for r in totals] == [str(Decimal("110.10") + i) for i in range(5)]
    since = run(
        "--db",
        filled_db,
        "--format",
        "csv",
        "--since",
        "2026-03-01T14:00:00Z",
        "--until",
        "2026-03-01T15:00:00Z",
    )
    assert {r["at"] for r in csv.DictReader(io.StringIO(since.stdout))} == {
        "2026-03-01T14:00:00Z",
        "2026-03-01T15:00:00Z",
    }


def test_history_table(filled_db: str) -> None:
    result = run("--db", filled_db)
    assert result.exit_code == 0
    assert "Plaid 401k" in result.stdout and "Net" in result.stdout and "23,631.9805" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_empty_history_is_a_clear_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run("--db", url)
    assert result.exit_code == 0
    assert "no stored balance history" in result.stderr
    as_json = run("--db", url, "--format", "json")
    assert json.loads(as_json.stdout)["accounts"] == []
    chart = run("--db", url, "--chart", str(tmp_path / "c.png"))
    assert chart.exit_code == 2 and not (tmp_path / "c.png").exists()


@pytest.mark.parametrize(
    ("name", "magic"),
    [("chart.png", b"\x89PNG\r\n\x1a\n"), ("chart.svg", b"<svg"), ("chart.html", b"<!DOCTYPE html>")],
)
def test_chart_files(filled_db: str, tmp_path: Path, name: str, magic: bytes) -> None:
    out = tmp_path / name
    result = run("--db", filled_db, "--chart", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert magic in data[:400] and len(data) > 5000
    if name.endswith(".svg"):
        import xml.etree.ElementTree as ET

        ET.fromstring(data)  # noqa: S314 - our own file
    if name.endswith(".html"):
        text = data.decode()
        assert (
            "<svg" in text
            and "<?xml" not in text
            and "<script" not in text
            and "http" not in text.split("<svg")[0]
        )
        assert "Net (USD)" in text or "net (USD)" in text


def test_chart_rejects_unknown_suffix(filled_db: str, tmp_path: Path) -> None:
    result = run("--db", filled_db, "--chart", str(tmp_path / "chart.bmp"))
    assert result.exit_code == 2 and "unsupported chart file" in result.stderr


def test_history_on_postgres(pg_url: str) -> None:
    with open_store(pg_url) as store:
        for i in range(3):
            store.save(report(i), access_token=TOKEN)
    result = run("--db", pg_url, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["snapshot_count"] == 3


def test_plain_path_missing_database_and_newer_schema(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "history.db"
    result = run("--db", str(missing))
    assert result.exit_code == 0 and "no stored balance history" in result.stderr
    assert not missing.parent.exists()  # a read creates nothing
    path = tmp_path / "plain.db"
    with open_store(str(path)) as store:
        store.save(report(0), access_token=TOKEN)
        with store.database.engine.begin() as conn:
            from sqlalchemy import text

            conn.execute(text("UPDATE plaid_balance_alembic_version SET version_num = '0042'"))
    newer = run("--db", str(path))
    assert newer.exit_code == 7
    assert newer.stderr.count("\n") == 1 and "upgrade plaid-balance" in newer.stderr


def test_one_table_with_many_accounts_fits_80_columns(tmp_path: Path) -> None:
    url = str(tmp_path / "many.db")
    with open_store(url) as store:
        for item in range(6):
            accounts = [
                account(
                    f"acc-{item}-{n}",
                    current=f"{1000 * n + item}.{n:02d}",
                    name=f"Account [b]{n}[/b] of bank {item}",
                )
                for n in range(12)
            ]
            for step in range(3):
                store.save(
                    report(
                        step,
                        item_id=f"item-{item}",
                        accounts=accounts,
                        retrieved_at=BASE_TIME + timedelta(hours=step),
                    ),
                    access_token=f"access-sandbox-{item}",
                )
    result = run("--db", url)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert result.stdout.count("Balance history") == 1  # one table, not one per account
    assert sum("of bank" in line for line in lines) == 72
    assert "[b]" in result.stdout  # bank data is text, not markup
    assert "11,005.11" in result.stdout


def test_chart_of_many_accounts_keeps_legend_styles_and_literal_text(tmp_path: Path) -> None:
    import warnings

    from plaid_balance.cli.history_chart import build_figure

    url = str(tmp_path / "many.db")
    names = [f"Card $x^{n}$ 💳 [{n}]" for n in range(30)]
    with open_store(url) as store:
        for step in range(3):
            accounts = [
                account(
                    f"acc-{n}",
                    current=f"{100 * n + step}.25",
                    name=name,
                    type_="credit" if n % 4 == 0 else "depository",
                )
                for n, name in enumerate(names)
            ]
            # A short span: three snapshots five minutes apart.
            store.save(report(step, accounts=accounts, retrieved_at=BASE_TIME + timedelta(minutes=5 * step)))
        history = load_history(store)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = build_figure(history, title="Budget $5 for $y$")
    left = figure.axes[0]
    legend = left.get_legend()
    assert legend is not None and len(legend.get_texts()) == 30
    assert len({(line.get_color(), line.get_marker()) for line in left.get_lines()}) == 30
    for text_ in [*legend.get_texts(), figure._suptitle]:
        shown, is_math = text_._preprocess_math(text_.get_text())
        assert not is_math and "$" in shown
    assert [t.get_text() for t in left.get_xticklabels() if t.get_text()][:1] == ["12:00"]
    out = tmp_path / "many.png"
    result = run("--db", url, "--chart", str(out), "--title", "Budget $5 for $y$")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("wrote png chart of 30 accounts") and result.stderr.count("\n") == 1


def test_chart_of_a_single_snapshot(tmp_path: Path) -> None:
    url = str(tmp_path / "one.db")
    with open_store(url) as store:
        store.save(report(0))
    result = run("--db", url, "--chart", str(tmp_path / "one.svg"))
    assert result.exit_code == 0 and result.stderr.count("\n") == 1, result.stderr


def test_chart_legend_names_the_bank_of_each_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three "Plaid Checking ••0000" at one bank: each legend entry names its Item (the vault's alias,
    else the institution), and none reads like another."""
    from plaid_balance.vault import Vault, new_key_text

    monkeypatch.setenv("PLAID_BALANCE_VAULT_KEY", new_key_text())
    url = f"sqlite:///{tmp_path / 'history.db'}"
    with open_store(url) as store:
        for n in range(3):
            store.save(report(0, item_id=f"item-{n}-zzzzzz", accounts=[account(f"acc-{n}")]))
    with Vault.open(url) as vault:
        vault.add(
            "joint",
            f"access-sandbox-{'a' * 30}",
            item_id="item-0-zzzzzz",
            institution_name="First Platypus Bank",
        )
    out = tmp_path / "chart.svg"
    result = run("--db", url, "--chart", str(out))
    assert result.exit_code == 0, result.output
    svg = out.read_text()
    # matplotlib's SVG keeps each text as a comment beside its glyphs.
    assert "<!-- joint: Plaid Checking ••0000 (depository) -->" in svg
    for n in (1, 2):
        assert f"<!-- First Platypus Bank: Plaid Checking ••0000 (depository) · Item …{n}-zzzzzz -->" in svg
