"""Settings from the environment, validated in one place: every bad value is one clear error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaid_balance import ConfigurationError, Environment, PlaidClient, SecretStr, load_settings
from plaid_balance._settings import require_credentials, validate_base_url


def test_defaults_and_both_spellings() -> None:
    settings = load_settings({"plaid_client_id": "cid", "PLAID_SECRET": "canary-value"})
    assert settings.client_id == "cid"
    assert isinstance(settings.secret, SecretStr) and settings.secret.get_secret_value() == "canary-value"
    assert settings.environment is Environment.SANDBOX
    assert settings.base_url is None and settings.timeout == 60.0
    assert "canary-value" not in repr(settings)


def test_every_variable_is_read() -> None:
    settings = load_settings(
        {
            "PLAID_ENVIRONMENT": "Production",
            "PLAID_BASE_URL": "http://127.0.0.1:8787/",
            "PLAID_TIMEOUT": "12.5",
        }
    )
    assert settings.environment is Environment.PRODUCTION
    assert settings.base_url == "http://127.0.0.1:8787"
    assert settings.timeout == 12.5


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "-inf", "1e400", "abc", "", "3601"])
def test_bad_timeouts_name_the_variable(value: str) -> None:
    if not value:
        assert load_settings({"PLAID_TIMEOUT": value}).timeout == 60.0  # empty = unset
        return
    with pytest.raises(ConfigurationError, match="PLAID_TIMEOUT"):
        load_settings({"PLAID_TIMEOUT": value})


def test_development_is_explained() -> None:
    with pytest.raises(ConfigurationError, match="decommissioned") as info:
        load_settings({"PLAID_ENVIRONMENT": "development"})
    assert "PLAID_ENVIRONMENT" in str(info.value)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://sandbox.plaid.com", True),
        ("https://proxy.example/plaid/", True),
        ("http://127.0.0.1:8787", True),
        ("http://[::1]:8787", True),
        ("http://localhost:1", True),
        ("http://example.com", False),
        ("ftp://127.0.0.1", False),
        ("https://", False),
        ("https://host:99999", False),
        ("https://host/?q=1", False),
        ("not a url", False),
    ],
)
def test_base_urls(url: str, ok: bool) -> None:
    if ok:
        assert validate_base_url(url) == url.rstrip("/")
    else:
        with pytest.raises(ConfigurationError):
            validate_base_url(url)


def test_a_password_in_the_base_url_is_refused_and_never_echoed() -> None:
    with pytest.raises(ConfigurationError) as info:
        validate_base_url("https://user:hunter2-canary@proxy.example")
    assert "hunter2-canary" not in str(info.value)


@given(st.text(min_size=1).filter(lambda s: any(not ("!" <= c <= "~") for c in s.strip())))
def test_a_secret_that_could_never_authenticate_is_refused_unechoed(secret: str) -> None:
    if not secret.strip():
        return  # blank: reported as missing
    with pytest.raises(ConfigurationError) as info:
        require_credentials("client-id", secret)
    assert "PLAID_SECRET" in str(info.value)
    assert secret.strip() not in str(info.value)


def test_missing_credentials_name_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PLAID_CLIENT_ID", "PLAID_SECRET", "plaid_client_id", "plaid_secret"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="PLAID_CLIENT_ID and PLAID_SECRET"):
        PlaidClient()


def test_the_client_reads_the_environment_for_what_it_is_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAID_CLIENT_ID", "cid")
    monkeypatch.setenv("PLAID_SECRET", "sec")
    monkeypatch.setenv("PLAID_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PLAID_ENVIRONMENT", "production")
    with PlaidClient() as plaid:
        assert plaid.environment is Environment.PRODUCTION
        assert plaid.base_url == "http://127.0.0.1:9"
    with PlaidClient(base_url="https://proxy.example") as plaid:
        assert plaid.base_url == "https://proxy.example"
