"""``LinkBackend`` and ``LinkVault`` bound to ``PlaidClient`` and the real vault."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from plaid_balance._exchange import exchange_public_token
from plaid_balance._health import Health
from plaid_balance.link.flow import CreatedLinkToken, ItemFacts
from plaid_balance.link.outcome import LinkExit, LinkResult, LinkSuccess
from plaid_balance.vault import VaultAccount, VaultItem, suggest_alias

if TYPE_CHECKING:
    from plaid_balance._client import PlaidClient
    from plaid_balance.models import LinkTokenGetResponse, PublicTokenExchangeResponse
    from plaid_balance.vault import Vault


class ClientBackend:
    """Plaid, through ``PlaidClient``."""

    def __init__(self, client: PlaidClient, country_codes: Sequence[str] = ("US",)) -> None:
        self._client = client
        self._country_codes = tuple(country_codes)

    def create_link_token(self, body: dict[str, Any]) -> CreatedLinkToken:
        rest = dict(body)
        user = rest.pop("user")
        response = self._client.link_token_create(
            user["client_user_id"],
            client_name=rest.pop("client_name"),
            products=rest.pop("products", None),
            country_codes=rest.pop("country_codes"),
            language=rest.pop("language"),
            access_token=rest.pop("access_token", None),
            webhook=rest.pop("webhook", None),
            redirect_uri=rest.pop("redirect_uri", None),
            hosted_link=rest.pop("hosted_link", None),
            extra=rest,
        )
        return CreatedLinkToken(response.link_token, response.hosted_link_url)

    def hosted_result(self, link_token: str, *, update: bool) -> LinkResult | None:
        return hosted_result(self._client.link_token_get(link_token), update=update)

    def exchange(self, public_token: str) -> PublicTokenExchangeResponse:
        return exchange_public_token(self._client, public_token)  # a lost answer is found out

    def describe(self, access_token: Any) -> ItemFacts:
        # /accounts/get is free; Plaid's word on the accounts beats what the browser sent.
        response = self._client.accounts_get(access_token)
        item = response.item
        name = item.institution_name
        if name is None and item.institution_id:
            name = self._client.institutions_get_by_id(
                item.institution_id, country_codes=self._country_codes
            ).institution.name
        accounts = tuple(
            VaultAccount(
                account_id=a.account_id,
                name=a.name or a.account_id,
                mask=a.mask,
                type=a.type,
                subtype=a.subtype,
                currency=a.balances.currency,
            )
            for a in response.accounts
        )
        return ItemFacts(item.item_id, item.institution_id, name, accounts)

    def remove(self, access_token: Any) -> None:
        self._client.item_remove(access_token)


def hosted_result(response: LinkTokenGetResponse, *, update: bool) -> LinkResult | None:
    """The first finished Hosted Link session's outcome, or None while the user is still in Link."""
    for session in response.link_sessions:
        results = session.results
        if results is not None and results.item_add_results:
            added = results.item_add_results[0]
            institution = added.institution
            return LinkSuccess(
                public_token=added.public_token,
                institution_id=institution.institution_id if institution else None,
                institution_name=institution.name if institution else None,
                accounts=tuple(
                    VaultAccount(
                        account_id=a.id, name=a.name or a.id, mask=a.mask, type=a.type, subtype=a.subtype
                    )
                    for a in added.accounts
                ),
                link_session_id=session.link_session_id,
            )
        if session.exit is not None:
            error = session.exit.error
            metadata = session.exit.metadata or {}
            status = metadata.get("status")
            return LinkExit(
                status=status if isinstance(status, str) else None,
                error_code=error.error_code if error else None,
                error_message=(error.display_message or error.error_message) if error else None,
                link_session_id=session.link_session_id,
            )
        if update and session.finished_at is not None:
            # Update mode adds no Item, so there is no public token to report; finishing is the success.
            return LinkSuccess(public_token="", link_session_id=session.link_session_id)
    return None


class VaultStore:
    """The vault, as the link journey sees it."""

    def __init__(self, vault: Vault, environment: str) -> None:
        self._vault = vault
        self._environment = environment

    def items(self) -> list[VaultItem]:
        return self._vault.list(include_removed=False)

    def access_token(self, alias: str) -> Any:
        return self._vault.access_token(alias)

    def find(self, alias: str) -> VaultItem:
        return self._vault.get(alias)

    def alias_for(self, institution_name: str | None) -> str:
        return self._vault.free_alias(suggest_alias(institution_name))

    def begin_exchange(self, public_token: str, detail: dict[str, Any]) -> str:
        return self._vault.begin_exchange(public_token, environment=self._environment, detail=detail)

    def end_exchange(self, record: str) -> None:
        self._vault.end_exchange(record)

    def pending_exchanges(self) -> Sequence[Any]:
        return [p for p in self._vault.pending_exchanges() if p.environment == self._environment]

    def pending_public_token(self, record: str) -> str:
        return self._vault.exchange_public_token(record)

    def add(
        self,
        alias: str,
        exchanged: PublicTokenExchangeResponse,
        facts: ItemFacts,
        *,
        settles: str | None = None,
    ) -> None:
        self._vault.add(
            alias,
            exchanged.access_token.get_secret_value(),
            item_id=exchanged.item_id,
            institution_id=facts.institution_id,
            institution_name=facts.institution_name,
            accounts=facts.accounts,
            environment=self._environment,
            settles=settles,
        )

    def repaired(self, item_id: str, accounts: tuple[VaultAccount, ...] | None) -> None:
        if accounts is not None:
            self._vault.update(item_id, accounts=accounts)
        self._vault.set_health(item_id, Health.OK, None)
