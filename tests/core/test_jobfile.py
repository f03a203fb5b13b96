"""Job files for `plaid-balance run`: loading, validation and the env allowlist, tested directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from plaid_balance import ConfigurationError, Environment
from plaid_balance.cli.jobfile import load_job, resolve_job

JOB = """
[job]
name = "Plaid balance"
env = ["PLAID_CLIENT_ID", "PLAID_SECRET", "MY_TOKEN"]

[job.main]
name = "plaid_get_balance"

[job.main.input]
access_token = "${MY_TOKEN}"
plaid_environment = "production"
account_ids = ["a1"]
min_last_updated_datetime = "2026-01-31T00:00:00Z"
"""
ENV = {"PLAID_CLIENT_ID": "cid", "PLAID_SECRET": "sec-canary", "MY_TOKEN": "access-production-canary"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "job.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_job_resolves_through_its_allowlist(tmp_path: Path) -> None:
    job = resolve_job(load_job(write(tmp_path, JOB)), ENV)
    assert job.environment is Environment.PRODUCTION
    assert job.access_token.get_secret_value() == "access-production-canary"
    assert job.account_ids == ["a1"]
    assert job.min_last_updated_datetime is not None and job.min_last_updated_datetime.day == 31
    assert job.client_id == "cid" and job.secret.get_secret_value() == "sec-canary"
    assert "canary" not in repr(job)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (JOB + "colour = 'blue'\n", "job.main.input.colour: unknown key"),
        (JOB.replace("plaid_get_balance", "plaid_transfer"), "job.main.name: 'plaid_transfer' is not one of"),
        (JOB.replace('name = "Plaid balance"\n', ""), "job: missing key 'name'"),
        (JOB.replace("[job.main]", "[job.mian]"), "job.mian: unknown key"),
        (JOB.replace('"MY_TOKEN"]', '"MY TOKEN"]'), "not an environment variable name"),
        ("[job\n", "not valid TOML"),
        ("x = " + "[" * 5000 + "]" * 5000, "job file"),
    ],
)
def test_mistakes_are_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_job(load_job(write(tmp_path, text)), ENV)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_variable_off_the_allowlist_cannot_be_read(tmp_path: Path) -> None:
    text = JOB.replace('env = ["PLAID_CLIENT_ID", "PLAID_SECRET", "MY_TOKEN"]', 'env = ["MY_TOKEN"]')
    with pytest.raises(ConfigurationError, match="allowlist"):
        resolve_job(load_job(write(tmp_path, text)), ENV)
    with pytest.raises(ConfigurationError, match=r"\$\{HOME\}"):
        resolve_job(load_job(write(tmp_path, JOB.replace("${MY_TOKEN}", "${HOME}"))), ENV)


def test_an_unset_reference_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="MY_TOKEN"):
        resolve_job(load_job(write(tmp_path, JOB)), {**ENV, "MY_TOKEN": " "})


def test_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read job file"):
        load_job(tmp_path / "missing.toml")


def test_a_mistake_names_its_line_as_in_the_watch_config(tmp_path: Path) -> None:
    """One TOML reader for both files: ``path:line: key: problem``."""
    path = write(tmp_path, JOB.replace("[job.main]", "[job.mian]"))
    line = JOB.splitlines().index("[job.main]") + 1
    with pytest.raises(ConfigurationError) as info:
        load_job(path)
    assert str(info.value).startswith(f"{path}:{line}: job.mian: unknown key")
