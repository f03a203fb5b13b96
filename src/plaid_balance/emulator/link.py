"""Link tokens and Link sessions: what /link/token/create starts, the emulator's Link UI drives, and
/link/token/get reports (Hosted Link's results included).

A session walks Plaid Link's steps: pick an institution (skipped in update mode), log in with Sandbox
credentials (a wrong password is an error shown to the user, who may retry), pick accounts, then finish with a
public token; or exit at any step. Nothing here knows about HTTP or HTML.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from plaid_balance.emulator.clock import Clock
from plaid_balance.emulator.errors import PlaidAPIError
from plaid_balance.emulator.sandbox_data import INSTITUTIONS, Institution
from plaid_balance.emulator.state import Item, format_datetime

LANGUAGES = frozenset(
    {
        "da",
        "de",
        "en",
        "es",
        "et",
        "fr",
        "hi",
        "it",
        "lt",
        "lv",
        "nl",
        "no",
        "pl",
        "pt",
        "ro",
        "sv",
        "vi",
        "zh",
    }
)
FILTER_TYPES = ("depository", "credit", "loan", "investment", "other")
# Hosted Link results are kept for 6 hours (Plaid); tokens are forgotten a day after they expire.
_FORGET_AFTER = timedelta(days=1)

# Link's exit `status`: the step the user was on when they left.
STEP_STATUS = {
    "select_institution": "institution_not_found",
    "credentials": "requires_credentials",
    "select_accounts": "requires_account_selection",
    "done": "requires_credentials",
}


@dataclass(slots=True)
class LinkSession:
    link_session_id: str
    started_at: datetime
    step: str
    institution_id: str | None = None
    finished_at: datetime | None = None
    # The Item the credentials unlocked (not registered until the public token is exchanged), or the Item
    # being repaired in update mode.
    pending_item: Item | None = None
    last_error: PlaidAPIError | None = None
    result: dict[str, Any] | None = None  # item_add_results entry
    exit: dict[str, Any] | None = None
    events: list[str] = field(default_factory=list)


@dataclass(slots=True)
class LinkToken:
    link_token: str
    created_at: datetime
    expiration: datetime
    client_name: str
    language: str
    country_codes: list[str]
    products: list[str]
    webhook: str | None
    account_filters: dict[str, list[str]] | None
    redirect_uri: str | None
    hosted: bool
    completion_redirect_uri: str | None
    # Update mode: the Item to repair (by id, so token rotation does not break the flow).
    update_item_id: str | None = None
    account_selection_enabled: bool = False
    sessions: dict[str, LinkSession] = field(default_factory=dict)

    @property
    def update_mode(self) -> bool:
        return self.update_item_id is not None

    def metadata(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "initial_products": self.products,
            "webhook": self.webhook,
            "country_codes": self.country_codes,
            "language": self.language,
            "redirect_uri": self.redirect_uri,
            "client_name": self.client_name,
        }
        if self.account_filters is not None:
            # Plaid's AccountFiltersResponse has no `other`.
            body["account_filters"] = {
                kind: {"account_subtypes": subtypes}
                for kind, subtypes in self.account_filters.items()
                if kind != "other"
            }
        return body

    def shows(self, account_type: str, subtype: str | None) -> bool:
        """Whether account_filters let Link offer an account (a type with no filter is hidden)."""
        if self.account_filters is None:
            return True
        subtypes = self.account_filters.get(account_type)
        return subtypes is not None and ("all" in subtypes or subtype in subtypes)


def new_link_token() -> str:
    return f"link-sandbox-{uuid.uuid4()}"


class LinkTokens:
    """All link tokens of one emulator. Callers hold the emulator lock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.tokens: dict[str, LinkToken] = {}

    def add(self, token: LinkToken) -> None:
        now = self.clock.now()
        for key in [k for k, t in self.tokens.items() if t.expiration + _FORGET_AFTER < now]:
            del self.tokens[key]
        self.tokens[token.link_token] = token

    def get(self, link_token: str) -> LinkToken:
        token = self.tokens.get(link_token)
        if token is None:
            raise PlaidAPIError("INVALID_LINK_TOKEN")
        return token

    def live(self, link_token: str) -> LinkToken:
        """A token Link may still be opened with (unknown or expired ones are INVALID_LINK_TOKEN)."""
        token = self.get(link_token)
        if token.expiration <= self.clock.now():
            raise PlaidAPIError("INVALID_LINK_TOKEN", "link token has expired")
        return token

    def session(self, token: LinkToken, link_session_id: str) -> LinkSession:
        session = token.sessions.get(link_session_id)
        if session is None:
            raise PlaidAPIError("INVALID_FIELD", detail="unknown link_session_id for this link token")
        if session.finished_at is not None:
            raise PlaidAPIError("INVALID_FIELD", detail="this Link session has already finished")
        return session

    def start(self, token: LinkToken) -> LinkSession:
        session = LinkSession(
            link_session_id=str(uuid.uuid4()),
            started_at=self.clock.now(),
            step="select_institution",
        )
        token.sessions[session.link_session_id] = session
        return session


def session_json(session: LinkSession) -> dict[str, Any]:
    """One entry of /link/token/get's link_sessions."""
    body: dict[str, Any] = {
        "link_session_id": session.link_session_id,
        "started_at": format_datetime(session.started_at),
        "finished_at": None if session.finished_at is None else format_datetime(session.finished_at),
        "results": {
            "item_add_results": [] if session.result is None else [session.result],
            "cra_item_add_results": [],
            "cra_update_results": [],
            "bank_income_results": [],
            "payroll_income_results": [],
            "document_income_results": None,
        },
    }
    if session.exit is not None:
        body["exit"] = session.exit
    return body


def institution_brief(institution: Institution | None) -> dict[str, str] | None:
    if institution is None:
        return None
    return {"name": institution.name, "institution_id": institution.institution_id}


def institution_of(session: LinkSession) -> Institution | None:
    return INSTITUTIONS.get(session.institution_id) if session.institution_id else None
