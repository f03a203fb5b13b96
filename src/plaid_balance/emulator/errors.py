"""Plaid error objects (`PlaidError` schema) as the emulator sends them.

The catalogue holds the codes the emulated endpoints can produce, with the HTTP status, error type and
wording from Plaid's error docs (research notes §3.2). Messages are lower-case because Plaid's are.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

_REQUEST_ID_ALPHABET = string.ascii_letters + string.digits

# Plaid groups its error docs into one page per error_type; the anchor is the lower-cased code.
_DOC_PAGES = {
    "ITEM_ERROR": "item",
    "INSTITUTION_ERROR": "institution",
    "API_ERROR": "api",
    "INVALID_INPUT": "invalid-input",
    "INVALID_REQUEST": "invalid-request",
    "INVALID_RESULT": "invalid-result",
    "RATE_LIMIT_EXCEEDED": "rate-limit-exceeded",
    "SANDBOX_ERROR": "sandbox",
    "ASSET_REPORT_ERROR": "assets",
}

_RATE_LIMIT_MESSAGE = "rate limit exceeded for attempts to access this item. please try again later"
_RATE_LIMIT_DISPLAY = "Too many attempts. Please try again later."


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    error_type: str
    status: int
    message: str
    display_message: str | None = None
    suggested_action: str | None = None


CATALOGUE: dict[str, ErrorSpec] = {
    # ITEM_ERROR
    "ITEM_LOGIN_REQUIRED": ErrorSpec(
        "ITEM_ERROR",
        400,
        "the login details of this item have changed (credentials, MFA, or required user action) and a user "
        "login is required to update this information. use Link's update mode to restore the item to a good state",
        "the login details of this item have changed (credentials, MFA, or required user action) and a user "
        "login is required to update this information. use Link's update mode to restore the item to a good "
        "state",
        "Prompt the user to re-authenticate their account.",
    ),
    "PRODUCT_NOT_READY": ErrorSpec(
        "ITEM_ERROR",
        400,
        "the requested product is not yet ready. please provide a webhook or try the request again later",
        None,
        "Wait a few seconds, then retry the request.",
    ),
    "ITEM_LOCKED": ErrorSpec(
        "ITEM_ERROR",
        400,
        "the account is locked. prompt the user to visit the institution's site and unlock their account",
        "The given credentials belong to a locked account. Please visit your financial institution's website "
        "to unlock your account.",
    ),
    "ITEM_NOT_SUPPORTED": ErrorSpec(
        "ITEM_ERROR",
        400,
        "this account is currently not supported",
        "This account is not currently supported.",
    ),
    "INVALID_CREDENTIALS": ErrorSpec(
        "ITEM_ERROR",
        400,
        "the provided credentials were not correct",
        "The provided credentials were not correct. Please try again.",
    ),
    "INVALID_MFA": ErrorSpec(
        "ITEM_ERROR",
        400,
        "the provided MFA response(s) were not correct",
        "The provided MFA responses were not correct. Please try again.",
    ),
    "MFA_NOT_SUPPORTED": ErrorSpec(
        "ITEM_ERROR",
        400,
        "this account requires a software-based MFA method that is not currently supported",
        "Your account uses an MFA method that is not currently supported.",
    ),
    "NO_ACCOUNTS": ErrorSpec(
        "ITEM_ERROR",
        400,
        "no valid accounts were found for this item",
        "No valid accounts were found at the financial institution.",
    ),
    "USER_INPUT_TIMEOUT": ErrorSpec(
        "ITEM_ERROR", 400, "user failed to provide MFA input in time", "Your session timed out."
    ),
    "USER_SETUP_REQUIRED": ErrorSpec(
        "ITEM_ERROR",
        400,
        "the user must log into their financial institution and complete an action",
        "Log in to your financial institution and complete the required action.",
    ),
    # INSTITUTION_ERROR
    "INSTITUTION_DOWN": ErrorSpec(
        "INSTITUTION_ERROR",
        400,
        "this institution is not currently responding to this request. please try again soon",
        "This financial institution is not currently responding to requests. We apologize for the "
        "inconvenience.",
    ),
    "INSTITUTION_NOT_RESPONDING": ErrorSpec(
        "INSTITUTION_ERROR",
        400,
        "this institution is failing to respond to some of our requests. your user may be successful if they "
        "retry another time",
        "This financial institution is not currently responding to requests. We apologize for the "
        "inconvenience.",
    ),
    "INSTITUTION_NO_LONGER_SUPPORTED": ErrorSpec(
        "INSTITUTION_ERROR",
        400,
        "this institution is no longer supported",
        "This financial institution is no longer supported.",
    ),
    # API_ERROR
    "INTERNAL_SERVER_ERROR": ErrorSpec(
        "API_ERROR",
        500,
        "an unexpected error occurred",
        "Something went wrong. Please try again later.",
        "Retry the request.",
    ),
    "PLANNED_MAINTENANCE": ErrorSpec(
        "API_ERROR",
        503,
        "the Plaid API is temporarily unavailable due to planned maintenance. visit https://status.plaid.com/ "
        "for more information",
        "The service is temporarily unavailable due to maintenance. Please try again later.",
    ),
    # RATE_LIMIT_EXCEEDED
    "BALANCE_LIMIT": ErrorSpec("RATE_LIMIT_EXCEEDED", 429, _RATE_LIMIT_MESSAGE, _RATE_LIMIT_DISPLAY),
    "ACCOUNTS_BALANCE_GET_LIMIT": ErrorSpec(
        "RATE_LIMIT_EXCEEDED", 429, _RATE_LIMIT_MESSAGE, _RATE_LIMIT_DISPLAY
    ),
    "RATE_LIMIT": ErrorSpec("RATE_LIMIT_EXCEEDED", 429, _RATE_LIMIT_MESSAGE, _RATE_LIMIT_DISPLAY),
    "INSTITUTION_RATE_LIMIT": ErrorSpec(
        "RATE_LIMIT_EXCEEDED",
        429,
        "rate limit exceeded for attempts to access this institution. please try again later",
        _RATE_LIMIT_DISPLAY,
    ),
    # INVALID_RESULT
    "LAST_UPDATED_DATETIME_OUT_OF_RANGE": ErrorSpec(
        "INVALID_RESULT", 400, "requested datetime out of range, most recently updated balance {datetime}"
    ),
    # INVALID_REQUEST
    "INVALID_BODY": ErrorSpec("INVALID_REQUEST", 400, "body could not be parsed as JSON"),
    "INVALID_FIELD": ErrorSpec("INVALID_REQUEST", 400, "{detail}"),
    "MISSING_FIELDS": ErrorSpec(
        "INVALID_REQUEST", 400, "the following required fields are missing: {fields}"
    ),
    "UNKNOWN_FIELDS": ErrorSpec(
        "INVALID_REQUEST", 400, "the following fields are not recognized by this endpoint: {fields}"
    ),
    "NOT_FOUND": ErrorSpec("INVALID_REQUEST", 404, "not found"),
    # INVALID_INPUT
    "INVALID_ACCESS_TOKEN": ErrorSpec("INVALID_INPUT", 400, "could not find matching access token"),
    "INVALID_PUBLIC_TOKEN": ErrorSpec("INVALID_INPUT", 400, "could not find matching public token"),
    "INVALID_API_KEYS": ErrorSpec(
        "INVALID_INPUT",
        400,
        "invalid client_id or secret provided",
        None,
        "Make sure your client_id and secret are correct and match the environment you are calling.",
    ),
    "INVALID_ACCOUNT_ID": ErrorSpec(
        "INVALID_INPUT", 400, "failed to find requested account ID for requested item"
    ),
    "INVALID_PRODUCT": ErrorSpec("INVALID_INPUT", 400, "{detail}"),
    "INVALID_INSTITUTION": ErrorSpec("INVALID_INPUT", 400, "invalid institution_id provided"),
    "INVALID_LINK_TOKEN": ErrorSpec("INVALID_INPUT", 400, "provided link token is invalid"),
    "INVALID_WEBHOOK_VERIFICATION_KEY_ID": ErrorSpec(
        "INVALID_INPUT",
        400,
        "invalid key_id provided. note that key_ids are specific to Plaid environments, and verification "
        "requests must be made to the same environment that the webhook was sent from",
    ),
    "USER_PERMISSION_REVOKED": ErrorSpec(
        "ITEM_ERROR",
        400,
        "the holder of this account has revoked their permission for your application to access it",
        "The holder of this account has revoked their permission for your application to access it.",
        "Send the user through Link's update mode to restore access.",
    ),
    "ITEM_NOT_FOUND": ErrorSpec(
        "ITEM_ERROR",
        400,
        "The Item you requested cannot be found. This Item does not exist, has been previously removed via "
        "/item/remove, or has had access removed by the user.",
    ),
    # SANDBOX_ERROR
    "SANDBOX_WEBHOOK_INVALID": ErrorSpec(
        "SANDBOX_ERROR",
        400,
        "Webhook for this item is either not set up, or invalid. Please update the webhook and try again.",
    ),
    "SANDBOX_PRODUCT_NOT_ENABLED": ErrorSpec(
        "SANDBOX_ERROR", 400, "the {product} product is not enabled on this item"
    ),
    # ASSET_REPORT_ERROR (only inside the ASSETS ERROR webhook: the emulator makes no asset reports)
    "ASSET_REPORT_GENERATION_FAILED": ErrorSpec(
        "ASSET_REPORT_ERROR", 400, "an error occurred while generating the asset report"
    ),
}

# What a message says when it is raised without its details (e.g. an error code queued with fail_next).
_FORMAT_DEFAULTS = {
    "detail": "one of the fields in the request is invalid",
    "fields": "(not specified)",
    "datetime": "(not available)",
    "product": "requested",
}


class _Details(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return _FORMAT_DEFAULTS.get(key, "")


# Passwords such as `force_error: PLAID_ERROR` name a Sandbox scenario, not a Plaid error_code.
FORCE_ERROR_ALIASES = {"PLAID_ERROR": "INTERNAL_SERVER_ERROR"}


def new_request_id() -> str:
    # Plaid request ids are short case-sensitive alphanumerics (e.g. "qk5Bxes3gDfv4F2").
    return "".join(secrets.choice(_REQUEST_ID_ALPHABET) for _ in range(15))


class PlaidAPIError(Exception):
    """An error the emulator answers with a Plaid error body and its HTTP status."""

    def __init__(
        self,
        error_code: str,
        message: str | None = None,
        *,
        error_code_reason: str | None = None,
        status: int | None = None,
        **fmt: str,
    ) -> None:
        spec = CATALOGUE[error_code]
        self.error_code = error_code
        self.error_type = spec.error_type
        self.status = status if status is not None else spec.status
        self.error_message = message if message is not None else spec.message.format_map(_Details(fmt))
        self.display_message = spec.display_message
        self.suggested_action = spec.suggested_action
        self.error_code_reason = error_code_reason
        super().__init__(f"{self.error_type}/{error_code}: {self.error_message}")

    def webhook_body(self) -> dict[str, Any]:
        """The error as Plaid puts it in a webhook: with `status`, without `request_id`."""
        body = self.body("")
        del body["request_id"]
        body["status"] = self.status
        body["causes"] = []
        return body

    def body(self, request_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "display_message": self.display_message,
            "documentation_url": documentation_url(self.error_type, self.error_code),
            "error_code": self.error_code,
            "error_message": self.error_message,
            "error_type": self.error_type,
            "request_id": request_id,
            "suggested_action": self.suggested_action,
        }
        # Plaid sends error_code_reason on Item errors (it is how OAuth revocations are told apart).
        if self.error_type == "ITEM_ERROR":
            body["error_code_reason"] = self.error_code_reason
        return body


def documentation_url(error_type: str, error_code: str) -> str:
    page = _DOC_PAGES.get(error_type)
    if page is None:
        return "https://plaid.com/docs/errors/"
    return f"https://plaid.com/docs/errors/{page}/#{error_code.lower()}"


def is_known_error_code(code: str) -> bool:
    return code in CATALOGUE
