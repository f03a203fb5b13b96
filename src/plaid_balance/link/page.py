"""The local Link page: which Link script it loads, its Content-Security-Policy, and its HTML.

On real Plaid the page must load Link from Plaid's CDN (Plaid forbids self-hosting it); against the
emulator, or any other base URL, it loads the same API from ``{base_url}/link/v2/stable/link-initialize.js``.
Our own script and style are served by the local server, so the policy needs no inline code at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final
from urllib.parse import urlsplit

PLAID_CDN_ORIGIN: Final = "https://cdn.plaid.com"
PLAID_LINK_SCRIPT: Final = f"{PLAID_CDN_ORIGIN}/link/v2/stable/link-initialize.js"
LINK_SCRIPT_PATH: Final = "/link/v2/stable/link-initialize.js"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class LinkScript:
    """Where Link's JavaScript comes from and which origin it may frame and call."""

    url: str
    origin: str
    api_origin: str

    @classmethod
    def for_base_url(cls, base_url: str) -> LinkScript:
        host = urlsplit(base_url).hostname or ""
        if host == "plaid.com" or host.endswith(".plaid.com"):
            return cls(PLAID_LINK_SCRIPT, PLAID_CDN_ORIGIN, _origin(base_url))
        origin = _origin(base_url)
        return cls(base_url.rstrip("/") + LINK_SCRIPT_PATH, origin, origin)


def content_security_policy(script: LinkScript) -> str:
    """Only our own files and Link's origin; no inline code, no framing of our page, no forms, no base."""
    plaid = " ".join(dict.fromkeys([script.origin, script.api_origin]))
    directives = {
        "default-src": "'none'",
        "script-src": f"'self' {script.origin}",
        "style-src": f"'self' {script.origin}",
        "img-src": f"'self' data: {script.origin}",
        "font-src": script.origin,
        "frame-src": script.origin,
        "connect-src": f"'self' {plaid}",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


@cache
def asset(name: str) -> bytes:
    return resources.files("plaid_balance.link").joinpath("assets").joinpath(name).read_bytes()


def render_page(*, link_token: str, state: str, script: LinkScript, update: bool, base_path: str) -> bytes:
    """The HTML of the page: autoescaped, and every value for our script goes in as a JSON data block."""
    import jinja2

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(asset("page.html").decode())
    config = {
        "link_token": link_token,
        "state": state,
        "result_url": f"{base_path}result",
        "event_url": f"{base_path}event",
        "status_url": f"{base_path}status",
        "update": update,
    }
    return template.render(
        script_url=script.url,
        base_path=base_path,
        title="Repair your bank connection" if update else "Connect your bank",
        update=update,
        config=config,
    ).encode()
