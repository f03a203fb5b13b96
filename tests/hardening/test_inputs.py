"""One validator per kind of value: the same verdict from an option, a variable or a job file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance._errors import InvalidValue
from plaid_balance._parse import parse_amount, parse_datetime, parse_duration, parse_number, parse_url
from plaid_balance.cli.exit_codes import ExitCode
from tests.hardening.conftest import Backend
from tests.hardening.forkserver import ForkServer

OTHER_DIGITS = st.sampled_from("٠١٢٣٤٥٦٧٨٩０１２３４５６７８９०१२३४५६७८९৫²³¹")


@given(
    st.lists(st.one_of(st.sampled_from("0123456789."), OTHER_DIGITS), min_size=1, max_size=8).filter(
        lambda chars: any(not c.isascii() for c in chars)
    )
)
def test_digits_of_other_scripts_are_never_numbers(chars: list[str]) -> None:
    text = "".join(chars)
    for parse in (
        parse_amount,
        lambda t: parse_number(t),
        lambda t: parse_duration(t + "s"),
        lambda t: parse_datetime(t + "-01-01"),
    ):
        with pytest.raises(InvalidValue):
            parse(text)


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=Decimal("0.01"), places=2, max_value=10**15)
)
def test_plain_amounts_are_exact(amount: Decimal) -> None:
    assert parse_amount(f"{amount:f}") == amount


@given(st.integers(min_value=0, max_value=36_600), st.sampled_from("smhdw"))
def test_durations_are_bounded_and_never_overflow(amount: int, unit: str) -> None:
    try:
        duration = parse_duration(f"{amount}{unit}")
    except InvalidValue as exc:
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:
        assert "too long" in refusal
        return
    assert timedelta(0) <= duration <= timedelta(days=366 * 100)
    datetime.now(UTC) - duration


@given(st.datetimes(timezones=st.timezones()))
def test_datetimes_are_utc_or_refused(moment: datetime) -> None:
    try:
        parsed = parse_datetime(moment.isoformat())
    except InvalidValue as exc:
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:
        assert "1900 to 2199" in refusal
        return
    assert parsed.tzinfo is UTC
    assert parsed == datetime.fromisoformat(moment.isoformat())  # the same instant (fold as written)


@given(st.text(max_size=40))
def test_urls_come_back_ascii_or_are_refused(text: str) -> None:
    try:
        url = parse_url(text)
    except InvalidValue as exc:
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:
        assert "\n" not in refusal
        return
    assert url.isascii() and url.startswith(("http://", "https://"))


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("PLAID_TIMEOUT", "١٠", ()),
        ("PLAID_TIMEOUT", "inf", ()),
        ("PLAID_ENVIRONMENT", "development", ("decommissioned",)),
        ("PLAID_BASE_URL", "https://a..b", ()),
        ("PLAID_BALANCE_DB", "mysql://x/y", ("mysql",)),
        ("PLAID_BALANCE_DB", "postgresql://u@h:notaport/db", ()),
    ],
)
def test_a_bad_variable_is_named_in_one_line(
    variable: str, value: str, says: tuple[str, ...], forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    env = {**backend.env(), "HOME": str(tmp_path), "PLAID_ACCESS_TOKEN": backend.token, variable: value}
    result = forks.run(["get", "--save"], env=env, cwd=str(tmp_path), timeout=60)
    assert result.code == ExitCode.USAGE, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result
    assert all(word in lines[0] for word in (variable, *says)), result


@pytest.mark.parametrize(
    "argv",
    [
        ["get", "--nope"],
        ["get", "--timeout"],
        ["check"],
        ["batch"],
        ["nope"],
        ["emulator", "serve", "--port", "x"],
    ],
    ids=" ".join,
)
def test_usage_errors_are_one_line(
    argv: list[str], forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    result = forks.run(argv, env={**backend.env(), "HOME": str(tmp_path)}, cwd=str(tmp_path), timeout=60)
    assert result.code == ExitCode.USAGE, result
    assert len(result.err.strip().splitlines()) == 1, result
    assert result.err.startswith("error: ")


@pytest.mark.parametrize(
    "content",
    [b"\x00\xff\xfe\x80", b"access sandbox with spaces", b"x" * 10_000, "access-\u202e-token".encode()],
)
def test_binary_or_malformed_token_files_are_one_line(
    content: bytes, forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    path = tmp_path / "token"
    path.write_bytes(content)
    for argv, stdin in (
        (["get", "--access-token-file", str(path)], b""),
        (["get", "--access-token-file", "-"], content),
    ):
        result = forks.run(argv, env={**backend.env(), "HOME": str(tmp_path)}, cwd=str(tmp_path), stdin=stdin)
        assert result.code == ExitCode.USAGE, result
        assert len(result.err.strip().splitlines()) == 1, result


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize(
    "command", [["run"], ["watch", "--check", "-c"], ["sandbox-token", "--custom-config"]]
)
def test_deeply_nested_toml_and_json_files_are_refused_in_one_line(
    depth: int, command: list[str], forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    path = tmp_path / "deep.toml"
    opening = "[" * depth
    path.write_text(f"a = {opening}" if command[0] != "sandbox-token" else f'{{"a": {opening}')
    result = forks.run([*command, str(path)], env={**backend.env(), "HOME": str(tmp_path)}, cwd=str(tmp_path))
    assert result.code == ExitCode.USAGE, result
    assert len(result.err.strip().splitlines()) == 1, result


def test_a_deeply_nested_items_line_is_an_input_error(
    forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    """One bad line of an items file is that line's error, not a traceback; the other Items run."""
    path = tmp_path / "items.jsonl"
    path.write_text('{"access_token": "' + backend.token + '", "label": "fine"}\n' + "[" * 100_000 + "\n")
    result = forks.run(["batch", str(path)], env={**backend.env(), "HOME": str(tmp_path)}, cwd=str(tmp_path))
    assert "Traceback" not in result.err, result
    assert result.code == ExitCode.USAGE, result
    assert "line 2: nested too deeply" in result.out + result.err, result
    assert '"label": "fine"' in result.out or '"label":"fine"' in result.out, result


def test_a_database_path_the_system_refuses_is_one_line(
    forks: ForkServer, backend: Backend, tmp_path: Path
) -> None:
    env = {**backend.env(), "HOME": str(tmp_path), "PLAID_BALANCE_DB": "9" * 400}
    for argv in (["items", "list"], ["history"], ["items", "rename", "a", "b"]):
        result = forks.run(argv, env=env, cwd=str(tmp_path))
        assert result.code in {ExitCode.STORAGE, ExitCode.USAGE}, result
        assert len(result.err.strip().splitlines()) == 1, result
        assert "Traceback" not in result.err, result
