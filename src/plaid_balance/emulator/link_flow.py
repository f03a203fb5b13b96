"""The steps of the emulator's Link UI, called by its page through /link/api/* (not part of Plaid's surface).

Mirrors what Plaid Link does for a Sandbox user: institution search, Sandbox credentials, account selection,
onSuccess with a public token (a new Item, or in update mode the same Item with its login repaired), and
onExit with the step the user left at.
"""

from __future__ import annotations

from typing import Any

from plaid_balance.emulator.core import EmulatorCore
from plaid_balance.emulator.credentials import accounts_for_credentials
from plaid_balance.emulator.errors import PlaidAPIError, new_request_id
from plaid_balance.emulator.link import (
    STEP_STATUS,
    LinkSession,
    LinkToken,
    institution_brief,
    institution_of,
)
from plaid_balance.emulator.sandbox_data import INSTITUTIONS, search_institutions
from plaid_balance.emulator.state import Item

_SEARCH_LIMIT = 20


def _account_json(item: Item, index: int) -> dict[str, Any]:
    account = item.accounts[index]
    spec = account.spec
    return {
        "id": account.account_id,
        "name": spec.name,
        "mask": spec.mask,
        "type": spec.type,
        "subtype": spec.subtype,
        "verification_status": None,
        "class_type": None,
    }


class LinkFlow:
    def __init__(self, core: EmulatorCore) -> None:
        self.core = core
        self.tokens = core.link

    def _token_and_session(self, link_token: str, link_session_id: str) -> tuple[LinkToken, LinkSession]:
        with self.core.lock:
            token = self.tokens.live(link_token)
            return token, self.tokens.session(token, link_session_id)

    def open(self, link_token: str) -> dict[str, Any]:
        """Start a Link session: what the page needs to show its first step."""
        with self.core.lock:
            token = self.tokens.live(link_token)
            session = self.tokens.start(token)
            institution = None
            if token.update_item_id is not None:
                item = self.core.state.items.get(token.update_item_id)
                if item is None:
                    raise PlaidAPIError("ITEM_NOT_FOUND")
                session.institution_id = item.institution_id
                session.pending_item = item
                session.step = "credentials"
                institution = institution_brief(INSTITUTIONS[item.institution_id])
            session.events.append("OPEN")
        return {
            "link_session_id": session.link_session_id,
            "client_name": token.client_name,
            "mode": "update" if token.update_mode else "add",
            "hosted": token.hosted,
            "completion_redirect_uri": token.completion_redirect_uri,
            "institution": institution,
            "account_selection_enabled": token.account_selection_enabled,
        }

    def search(self, link_token: str, link_session_id: str, query: str) -> dict[str, Any]:
        token, _ = self._token_and_session(link_token, link_session_id)
        found = search_institutions(query, set(token.country_codes), _SEARCH_LIMIT, 0)
        wanted = set(token.products)
        return {
            "institutions": [
                {"institution_id": ins.institution_id, "name": ins.name, "oauth": ins.oauth}
                for ins in found
                if wanted <= set(ins.products)
            ]
        }

    def login(
        self, link_token: str, link_session_id: str, institution_id: str | None, username: str, password: str
    ) -> dict[str, Any]:
        """Check Sandbox credentials. A failure stays on this step (the user may retry) and is remembered
        for onExit, as Link does."""
        token, session = self._token_and_session(link_token, link_session_id)
        try:
            if token.update_mode:
                # The credentials must be good; the Item keeps its accounts and its access token.
                accounts_for_credentials(username, password)
                item = session.pending_item
                assert item is not None
            else:
                if institution_id not in INSTITUTIONS:
                    raise PlaidAPIError("INVALID_INSTITUTION")
                item = self.core.state.build_item(
                    institution_id=institution_id,
                    username=username,
                    password=password,
                    products=token.products,
                    webhook=token.webhook,
                )
            shown = [i for i, a in enumerate(item.accounts) if token.shows(a.spec.type, a.spec.subtype)]
            if not shown:
                raise PlaidAPIError("NO_ACCOUNTS")
        except PlaidAPIError as exc:
            with self.core.lock:
                if institution_id in INSTITUTIONS and not token.update_mode:
                    session.institution_id = institution_id
                session.step = "credentials"
                session.last_error = exc
                session.events.append("ERROR")
            raise
        with self.core.lock:
            session.institution_id = item.institution_id
            session.pending_item = item
            session.last_error = None
            session.step = "select_accounts"
            session.events.append("SUBMIT_CREDENTIALS")
        select = token.account_selection_enabled or not token.update_mode
        return {
            "accounts": [_account_json(item, i) for i in shown],
            # Update mode without account selection finishes right after a good login.
            "select_accounts": select,
        }

    def complete(
        self, link_token: str, link_session_id: str, account_ids: list[str] | None
    ) -> dict[str, Any]:
        token, session = self._token_and_session(link_token, link_session_id)
        item = session.pending_item
        if item is None or session.step != "select_accounts":
            raise PlaidAPIError("INVALID_FIELD", detail="log in before choosing accounts")
        shown = [i for i, a in enumerate(item.accounts) if token.shows(a.spec.type, a.spec.subtype)]
        by_id = {item.accounts[i].account_id: i for i in shown}
        if account_ids is None:
            chosen = shown
        else:
            if not account_ids or any(a not in by_id for a in account_ids):
                raise PlaidAPIError("INVALID_FIELD", detail="choose at least one of the accounts shown")
            chosen = sorted({by_id[a] for a in account_ids})
        if token.update_mode:
            self.core.repair_login(item)
        else:
            # Only the chosen accounts become part of the Item, as with Link's account select.
            item.accounts = [item.accounts[i] for i in chosen]
            item.last_updated = [item.last_updated[i] for i in chosen]
            chosen = list(range(len(item.accounts)))
        public_token = self.core.state.create_public_token(item)
        institution = institution_brief(INSTITUTIONS[item.institution_id])
        accounts = [_account_json(item, i) for i in chosen]
        with self.core.lock:
            session.step = "done"
            session.finished_at = self.core.clock.now()
            session.events.append("HANDOFF")
            session.result = {"public_token": public_token, "accounts": accounts, "institution": institution}
        metadata = {
            "institution": institution,
            "accounts": accounts,
            "account": accounts[0] if len(accounts) == 1 else None,
            "account_id": accounts[0]["id"] if len(accounts) == 1 else None,
            "link_session_id": session.link_session_id,
            "public_token": public_token,
            "transfer_status": None,
        }
        return {"public_token": public_token, "metadata": metadata}

    def exit(self, link_token: str, link_session_id: str) -> dict[str, Any]:
        """The user closed Link: the error they last saw (or null) and where they were."""
        with self.core.lock:
            token = self.tokens.get(link_token)
            session = token.sessions.get(link_session_id)
            if session is None:
                raise PlaidAPIError("INVALID_FIELD", detail="unknown link_session_id for this link token")
            request_id = new_request_id()
            error = None if session.last_error is None else session.last_error.body(request_id)
            metadata = {
                "institution": institution_brief(institution_of(session)),
                "status": STEP_STATUS.get(session.step, "requires_credentials"),
                "link_session_id": session.link_session_id,
                "request_id": request_id,
            }
            if session.finished_at is None:
                session.finished_at = self.core.clock.now()
                session.exit = {"error": error, "metadata": metadata}
                session.events.append("EXIT")
        return {"error": error, "metadata": metadata}
