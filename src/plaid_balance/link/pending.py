"""The public-token exchange of a link, made so that a lost answer never leaves the user misled.

Before ``/item/public_token/exchange`` the vault records the exchange (the public token, sealed, and what
Link said); the record is deleted in the transaction that stores the new Item, or once the truth is
told. A lost answer is found out at once by sending the same public token again (``_exchange``): either
Plaid answers now (the first request never reached it) or it refuses (it made an Item whose token is
lost). If Plaid cannot be asked, the record stays, and the next ``plaid-balance link`` finishes the
exchange while the public token lives (30 minutes), or says what became of it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from plaid_balance._error_body import exchange_answer_lost
from plaid_balance._errors import ExchangeAnswerLostError, PlaidAPIError
from plaid_balance._report import utc_now

if TYPE_CHECKING:
    from plaid_balance.link.flow import LinkEnvironment
    from plaid_balance.link.outcome import LinkSuccess
    from plaid_balance.models import PublicTokenExchangeResponse

PUBLIC_TOKEN_LIFETIME = timedelta(minutes=30)  # Plaid: a public token expires after 30 minutes


def _name(institution_name: str | None, institution_id: str | None) -> str:
    return institution_name or institution_id or "the bank"


def _again(alias: str | None) -> str:
    return "plaid-balance link" + (f" --alias {alias}" if alias else "")


def _lost(name: str, session_id: str | None, alias: str | None, cause: str) -> str:
    session = f" (Link session {session_id})" if session_id else ""
    return (
        f"Plaid made the Item for {name} but the answer to the public-token exchange was lost ({cause}), so "
        f"its access token never arrived. Nothing was stored; that Item is unusable and Plaid may bill it "
        f"until Plaid support removes it{session}. Link the bank again: {_again(alias)}"
    )


def exchange(
    env: LinkEnvironment, result: LinkSuccess, alias: str | None
) -> tuple[PublicTokenExchangeResponse, str]:
    """Exchange Link's public token with the doubt recorded first; (the new Item, its record's id).

    The record is left for the caller to delete when it stores the Item (``LinkVault.add(settles=…)``).
    """
    name = _name(result.institution_name, result.institution_id)
    detail = {
        "institution_id": result.institution_id,
        "institution_name": result.institution_name,
        "link_session_id": result.link_session_id,
        "alias": alias,
    }
    record = env.vault.begin_exchange(result.public_token, detail)
    try:
        return env.backend.exchange(result.public_token), record
    except ExchangeAnswerLostError as exc:
        if exc.outcome == "lost":
            env.vault.end_exchange(record)
            raise exchange_answer_lost(
                _lost(name, result.link_session_id, alias, "the connection failed"), outcome="lost"
            ) from None
        until = (utc_now() + PUBLIC_TOKEN_LIFETIME).strftime("%H:%M UTC")
        raise exchange_answer_lost(
            f"no answer from Plaid to the public-token exchange for {name}, nor when asked again: whether "
            f"Plaid made the Item is unknown. The public token is kept, encrypted, in the vault: run "
            f"plaid-balance link again before {until} and it finishes this one first",
            outcome="unknown",
        ) from None
    except PlaidAPIError:
        env.vault.end_exchange(record)  # Plaid answered: it made nothing
        raise


def _made_and_lost(exc: ExchangeAnswerLostError | PlaidAPIError) -> bool:
    """Whether a repeated exchange says Plaid made the Item the first time, and its answer is lost.

    Asked again, the same public token either answers (the first call never arrived), is refused as used
    (``INVALID_PUBLIC_TOKEN``: the first call made the Item), or gets no answer either.
    """
    if isinstance(exc, ExchangeAnswerLostError):
        return exc.outcome == "lost"
    return exc.error_code == "INVALID_PUBLIC_TOKEN"


def settle_pending(env: LinkEnvironment, store: Any) -> None:
    """Finish or explain every earlier exchange whose answer was lost (not those still running).

    ``store(alias, exchanged, record_id)`` keeps a recovered Item and deletes its record with it.
    """
    for pending in env.vault.pending_exchanges():
        if pending.in_progress:
            continue
        name = _name(pending.institution_name, pending.institution_id)
        started = pending.started_at.strftime("%Y-%m-%d %H:%M UTC")
        if utc_now() - pending.started_at >= PUBLIC_TOKEN_LIFETIME:
            env.vault.end_exchange(pending.id)
            env.say(
                f"An earlier link of {name} (at {started}) was interrupted during the public-token exchange "
                f"and its public token has expired: if Plaid made that Item, its access token is lost "
                f"(Link session {pending.link_session_id or 'unknown'}); link the bank again if it is missing"
            )
            continue
        env.say(f"Finishing an earlier link of {name} (at {started}) that was interrupted…")
        token = env.vault.pending_public_token(pending.id)
        try:
            exchanged = env.backend.exchange(token)
        except (ExchangeAnswerLostError, PlaidAPIError) as exc:
            if not _made_and_lost(exc):
                raise
            env.vault.end_exchange(pending.id)
            env.say(_lost(name, pending.link_session_id, pending.alias, "when it was first sent"))
            continue
        alias = store(pending.alias, exchanged, pending.id)
        env.say(f"Recovered it: {name} is stored as {alias}")
