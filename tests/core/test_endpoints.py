"""Every Plaid endpoint the clients speak, sync and async, against a mocked transport.

Each case checks the request (path and JSON body, as Plaid's spec names the fields) and that the answer
is decoded into the typed model; the example answers come from Plaid's own spec where it gives one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from plaid_balance import AsyncPlaidClient, PlaidClient, RetryPolicy, SecretStr
from plaid_balance._json import dumps
from tests.plaid_fakes import FakePlaid, item

NO_RETRY = RetryPolicy(attempts=1)
TOKEN = "access-sandbox-6f5a3c2e-0000-4000-8000-000000000001"
INSTITUTION = {
    "institution_id": "ins_109508",
    "name": "First Platypus Bank",
    "products": ["assets", "auth", "balance", "transactions"],
    "country_codes": ["US"],
    "routing_numbers": ["011000138"],
    "oauth": False,
    "url": None,
    "primary_color": None,
    "logo": None,
}
JWK = {
    "alg": "ES256",
    "created_at": 1560466150,
    "crv": "P-256",
    "expired_at": None,
    "kid": "bfbd5111-8e33-4643-8ced-b2e642a72f3c",
    "kty": "EC",
    "use": "sig",
    "x": "hKXLGIjWvCBv-cP5euCTxl8g9GLG9zHo_3pO5NN1DwQ",
    "y": "shhexqPB7YffGn6fR6h2UhTSuCtPmfzQJ6ENVIoO4Ys",
}


def _case(
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    path: str,
    body: dict[str, Any],
    answer: dict[str, Any],
    check: Callable[[Any], bool],
) -> Any:
    return pytest.param(method, args, kwargs, path, body, answer, check, id=method)


CASES = [
    _case(
        "item_get",
        (TOKEN,),
        {},
        "/item/get",
        {"access_token": TOKEN},
        {"item": item(), "status": {"last_webhook": None}, "request_id": "r"},
        lambda r: r.item.item_id == "item-1",
    ),
    _case(
        "item_remove",
        (SecretStr(TOKEN),),
        {"reason_code": "FRAUD_FIRST_PARTY"},
        "/item/remove",
        {"access_token": TOKEN, "reason_code": "FRAUD_FIRST_PARTY"},
        {"request_id": "r"},
        lambda r: r.request_id == "r",
    ),
    _case(
        "item_access_token_invalidate",
        (TOKEN,),
        {},
        "/item/access_token/invalidate",
        {"access_token": TOKEN},
        {"new_access_token": "access-sandbox-new", "request_id": "r"},
        lambda r: r.new_access_token.get_secret_value() == "access-sandbox-new",
    ),
    _case(
        "item_webhook_update",
        (TOKEN, "https://example.com/hook"),
        {},
        "/item/webhook/update",
        {"access_token": TOKEN, "webhook": "https://example.com/hook"},
        {"item": item(webhook="https://example.com/hook"), "request_id": "r"},
        lambda r: r.item.webhook == "https://example.com/hook",
    ),
    _case(
        "item_public_token_exchange",
        ("public-sandbox-1",),
        {},
        "/item/public_token/exchange",
        {"public_token": "public-sandbox-1"},
        {"access_token": TOKEN, "item_id": "item-1", "request_id": "r"},
        lambda r: r.access_token.get_secret_value() == TOKEN and r.item_id == "item-1",
    ),
    _case(
        "link_token_create",
        ("user-1",),
        {"webhook": "https://example.com/hook", "hosted_link": {}},
        "/link/token/create",
        {
            "client_name": "plaid-balance",
            "language": "en",
            "country_codes": ["US"],
            "user": {"client_user_id": "user-1"},
            "products": ["transactions"],
            "webhook": "https://example.com/hook",
            "hosted_link": {},
        },
        {
            "link_token": "link-sandbox-1",
            "expiration": "2026-11-25T18:00:00Z",
            "hosted_link_url": "https://hosted.plaid.com/link/x",
            "request_id": "r",
        },
        lambda r: r.link_token == "link-sandbox-1" and r.expiration.hour == 18 and r.hosted_link_url,
    ),
    _case(
        "link_token_create",
        ("user-1",),
        {"access_token": TOKEN},
        "/link/token/create",
        {
            "client_name": "plaid-balance",
            "language": "en",
            "country_codes": ["US"],
            "user": {"client_user_id": "user-1"},
            "access_token": TOKEN,
        },
        {"link_token": "link-sandbox-2", "expiration": "2026-11-25T18:00:00Z", "request_id": "r"},
        lambda r: r.hosted_link_url is None,
    ),
    _case(
        "link_token_get",
        ("link-sandbox-1",),
        {},
        "/link/token/get",
        {"link_token": "link-sandbox-1"},
        {
            "link_token": "link-sandbox-1",
            "created_at": "2026-11-25T14:00:00Z",
            "expiration": "2026-11-25T18:00:00Z",
            "metadata": {"client_name": "plaid-balance"},
            "link_sessions": [
                {
                    "link_session_id": "s1",
                    "started_at": "2026-11-25T14:01:00Z",
                    "finished_at": "2026-11-25T14:02:00Z",
                    "results": {
                        "item_add_results": [
                            {
                                "public_token": "public-sandbox-9",
                                "accounts": [{"id": "a1", "name": "Checking", "mask": "0000"}],
                                "institution": {
                                    "name": "First Platypus Bank",
                                    "institution_id": "ins_109508",
                                },
                            }
                        ],
                        "cra_item_add_results": [],
                    },
                }
            ],
            "request_id": "r",
        },
        lambda r: r.link_sessions[0].results.item_add_results[0].public_token == "public-sandbox-9",
    ),
    _case(
        "institutions_search",
        ("platypus",),
        {"products": ["balance"]},
        "/institutions/search",
        {"query": "platypus", "country_codes": ["US"], "products": ["balance"]},
        {"institutions": [INSTITUTION], "request_id": "r"},
        lambda r: r.institutions[0].name == "First Platypus Bank",
    ),
    _case(
        "institutions_get_by_id",
        ("ins_109508",),
        {"options": {"include_optional_metadata": True}},
        "/institutions/get_by_id",
        {
            "institution_id": "ins_109508",
            "country_codes": ["US"],
            "options": {"include_optional_metadata": True},
        },
        {"institution": INSTITUTION, "request_id": "r"},
        lambda r: r.institution.institution_id == "ins_109508" and r.institution.oauth is False,
    ),
    _case(
        "webhook_verification_key_get",
        ("bfbd5111-8e33-4643-8ced-b2e642a72f3c",),
        {},
        "/webhook_verification_key/get",
        {"key_id": "bfbd5111-8e33-4643-8ced-b2e642a72f3c"},
        {"key": JWK, "request_id": "r"},
        lambda r: r.key.crv == "P-256" and r.key.expired_at is None,
    ),
    _case(
        "sandbox_public_token_create",
        ("ins_109508", ["transactions"]),
        {"override_username": "user_good", "webhook": "https://example.com/hook"},
        "/sandbox/public_token/create",
        {
            "institution_id": "ins_109508",
            "initial_products": ["transactions"],
            "options": {"override_username": "user_good", "webhook": "https://example.com/hook"},
        },
        {"public_token": "public-sandbox-1", "request_id": "r"},
        lambda r: r.public_token == "public-sandbox-1",
    ),
    _case(
        "sandbox_item_reset_login",
        (TOKEN,),
        {},
        "/sandbox/item/reset_login",
        {"access_token": TOKEN},
        {"reset_login": True, "request_id": "r"},
        lambda r: r.reset_login is True,
    ),
    _case(
        "sandbox_item_fire_webhook",
        (TOKEN, "NEW_ACCOUNTS_AVAILABLE"),
        {"webhook_type": "ITEM"},
        "/sandbox/item/fire_webhook",
        {"access_token": TOKEN, "webhook_code": "NEW_ACCOUNTS_AVAILABLE", "webhook_type": "ITEM"},
        {"webhook_fired": True, "request_id": "r"},
        lambda r: r.webhook_fired is True,
    ),
]
ARGS = ("method", "args", "kwargs", "path", "body", "answer", "check")


@pytest.mark.parametrize(ARGS, CASES)
def test_sync_client(
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    path: str,
    body: dict[str, Any],
    answer: dict[str, Any],
    check: Callable[[Any], bool],
) -> None:
    fake = FakePlaid((200, answer))
    with PlaidClient("cid", "sec", "sandbox", transport=fake.transport(), retry=NO_RETRY) as plaid:
        result = getattr(plaid, method)(*args, **kwargs)
    assert fake.requests[0].url.path == path
    assert fake.bodies() == [body]
    assert check(result)


@pytest.mark.parametrize(ARGS, CASES)
def test_async_client(
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    path: str,
    body: dict[str, Any],
    answer: dict[str, Any],
    check: Callable[[Any], bool],
) -> None:
    fake = FakePlaid((200, answer))

    async def go() -> Any:
        async with AsyncPlaidClient(
            "cid", "sec", "sandbox", transport=fake.async_transport(), retry=NO_RETRY
        ) as plaid:
            return await getattr(plaid, method)(*args, **kwargs)

    result = asyncio.run(go())
    assert fake.requests[0].url.path == path
    assert fake.bodies() == [body]
    assert check(result)


def test_the_two_clients_offer_the_same_calls() -> None:
    def public(cls: type) -> set[str]:
        return {n for n in vars(cls) if not n.startswith("_") and callable(getattr(cls, n))}

    assert public(PlaidClient) - {"close"} == public(AsyncPlaidClient) - {"aclose"}


def test_tokens_in_answers_never_serialise_or_repr() -> None:
    fake = FakePlaid((200, {"access_token": TOKEN, "item_id": "item-1", "request_id": "r"}))
    with PlaidClient("cid", "sec", "sandbox", transport=fake.transport(), retry=NO_RETRY) as plaid:
        exchanged = plaid.item_public_token_exchange("public-sandbox-1")
    for text in (repr(exchanged), str(exchanged), dumps(exchanged)):
        assert TOKEN not in text
    assert exchanged.access_token.get_secret_value() == TOKEN


def _endpoint_names(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_") and name.split("_")[0] in PREFIXES}


PREFIXES = {"accounts", "item", "link", "institutions", "webhook", "sandbox"}


def test_each_endpoint_is_declared_once_and_both_clients_share_it() -> None:
    """Issue 18: a signature written once (``_calls``), the same method on the sync and async client."""
    import inspect

    from plaid_balance import _calls, _client

    names = _endpoint_names(PlaidClient)
    assert names == _endpoint_names(AsyncPlaidClient) and len(names) >= 15
    source = inspect.getsource(_client)
    for name in names:
        assert f"def {name}(" not in source, f"{name} is written again in _client"
        build = getattr(_calls, name)
        with PlaidClient("id", "secret", "sandbox") as sync_client:
            method = getattr(sync_client, name)
            assert inspect.signature(method) == inspect.signature(build)
            assert method.__doc__ == build.__doc__ and method.__doc__
            assert not inspect.iscoroutinefunction(method)
        async_method = getattr(AsyncPlaidClient("id", "secret", "sandbox"), name)
        assert inspect.signature(async_method) == inspect.signature(build)
        assert inspect.iscoroutinefunction(async_method)
