"""The one rule every HTTP server of plaid-balance follows: the Host, the token, the headers of every answer.

The rule (docs/security.md explains it for users), applied by one ASGI middleware around the whole app of
each server (the watch with its mounted dashboard, the dashboard, the Link page):

* **Host.** A request whose ``Host`` header does not name this server's address is refused with 421, on
  every path (the port in it is not compared: forwarded ports change it). A page of another origin that rebinds its DNS name to 127.0.0.1 reaches the port, but its
  requests carry its own name. The bound address is always accepted (and ``localhost`` for a loopback
  address); a wildcard bind (``0.0.0.0``, ``::``) accepts any IP literal (a rebinding page always has a
  name, never an address), the machine's host name, and the names a server adds (the watch's public
  webhook URL).
* **Token, deny by default.** Every path needs a credential, except the few a server names as open
  (``/healthz`` and the watch's signed webhook endpoint). A credential is ``Authorization: Bearer
  <token>`` (scripts), or the session cookie (HttpOnly, SameSite=Strict, this port only) that a browser
  gets by opening a sign-in link once: ``?token=<one-time token>``. A one-time token dies on first use;
  the server token itself (generated at start when none is configured) also signs in, for a bookmark
  with a token the user chose. Tokens and sessions are kept as SHA-256 digests and compared as such.
* **Headers.** Every answer, refusals, 404s and errors included, carries ``Cache-Control: no-store``,
  ``nosniff``, ``no-referrer``, ``X-Frame-Options: DENY`` and a Content-Security-Policy: the page's own
  when the app set one (the dashboard's allows its own scripts), else ``default-src 'none'``.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import ipaddress
import secrets
import socket
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, quote, urlencode

from plaid_balance._loopback import is_loopback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STRICT_CSP: Final = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HEADERS: Final = (
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
_REPLACED: Final = frozenset(name for name, _ in HEADERS)
WILDCARDS: Final = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (names of the wildcard, not a bind)
MAX_SIGN_INS: Final = 64  # unused one-time tokens kept; older ones die
MAX_SESSIONS: Final = 1024  # signed-in browsers kept; the oldest signs in again


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def split_host(header: str) -> tuple[str, int | None]:
    """``"[::1]:8080"`` → ``("::1", 8080)``; ``"Example.org"`` → ``("example.org", None)``; a port that
    is not ASCII digits gives ``-1`` (matches nothing)."""
    text = header.strip().lower()
    if text.startswith("["):
        name, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            return name, -1
    elif text.count(":") == 1:
        name, _, port_text = text.partition(":")
    else:
        name, port_text = text, None
    if port_text is None:
        return name, None
    if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
        return name, -1
    return name, int(port_text)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class HostRule:
    """The names a server answers to in ``Host``: its bound address (and ``localhost`` for a loopback one),
    any IP literal when bound to a wildcard, and the names a server adds.

    The port in ``Host`` is not compared: a forwarded port (``ssh -L 9000:127.0.0.1:8787``, ``docker run
    -p 9000:8787``) changes it, and a rebinding page is told apart by its name alone.
    """

    port: int
    names: frozenset[str]
    any_address: bool = False

    @classmethod
    def bound(cls, host: str, port: int, *, localhost: bool = True, also: Iterable[str] = ()) -> HostRule:
        """The rule for a server bound to ``host:port`` (``host`` with or without IPv6 brackets).

        Args:
            localhost: also answer to ``localhost`` when the address is the loopback.
            also: more names to answer to (``"watch.example.org"``; a port given with one is ignored).
        """
        bare = host.strip("[]").lower()
        names = {bare, *(split_host(a)[0] for a in also if a.strip())}
        wildcard = bare in WILDCARDS
        if localhost and (wildcard or is_loopback(bare)):
            names.add("localhost")
        if wildcard:
            names.add(socket.gethostname().lower())
        return cls(port, frozenset(names - {""}), wildcard)

    def allows(self, header: str) -> bool:
        name, port = split_host(header)
        if port == -1 or not name:
            return False
        return name in self.names or (self.any_address and _is_ip(name))

    def shown(self) -> str:
        """The address to name in a refusal."""
        name = sorted(self.names - {"localhost"})[0] if self.names - {"localhost"} else "localhost"
        return f"[{name}]:{self.port}" if ":" in name else f"{name}:{self.port}"


class _Minted:
    """Tokens a server handed out, kept as digests only; past ``limit`` the oldest is forgotten.

    Thread-safe: tokens are minted on the caller's thread and checked on the server's.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._digests: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    def mint(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._digests[_digest(token)] = None
            while len(self._digests) > self._limit:
                self._digests.popitem(last=False)
        return token

    def holds(self, token: str) -> bool:
        with self._lock:
            return _digest(token) in self._digests

    def take(self, token: str) -> bool:
        """Whether ``token`` was minted here and not taken yet; either way it is not held after."""
        digest = _digest(token)
        with self._lock:
            if digest not in self._digests:
                return False
            del self._digests[digest]
            return True


class Guard:
    """The Host rule, the server token, one-time sign-in tokens and signed-in sessions of one server.

    ``guard.protect(app)`` is the app behind the rule; ``guard.sign_in_url(base_url)`` mints a link that
    signs a browser in once. Thread-safe: links are minted on the caller's thread, used on the server's.
    """

    def __init__(self, hosts: HostRule, *, token: str | None = None, open_paths: Iterable[str] = ()) -> None:
        self.hosts = hosts
        self.token_generated = not token
        self.token: str = token or secrets.token_urlsafe(32)
        self.open_paths = frozenset(open_paths)
        self.cookie = f"plaid_balance_{hosts.port}"  # cookies ignore ports: one name per server
        self._sign_ins = _Minted(MAX_SIGN_INS)
        self._sessions = _Minted(MAX_SESSIONS)

    def __repr__(self) -> str:
        return f"Guard(port={self.hosts.port}, open_paths={sorted(self.open_paths)!r})"

    def sign_in_token(self) -> str:
        """A new token that signs one browser in, once."""
        return self._sign_ins.mint()

    def sign_in_url(self, base_url: str, path: str = "/") -> str:
        """``{base_url}{path}?token=<new one-time token>``."""
        return f"{base_url}{path}?token={self.sign_in_token()}"

    def _use_sign_in(self, given: str) -> bool:
        if hmac.compare_digest(_digest(given), _digest(self.token)):
            return True
        return self._sign_ins.take(given)  # dies on first use

    def _authorised(self, headers: dict[bytes, bytes]) -> bool:
        scheme, _, value = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(_digest(value.strip()), _digest(self.token)):
            return True
        session = _cookie(headers.get(b"cookie", b"").decode("latin-1"), self.cookie)
        return session is not None and self._sessions.holds(session)

    def protect(self, app: ASGIApp) -> ASGIApp:
        """``app`` behind this guard: every request checked, every answer given the headers."""

        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] not in ("http", "websocket"):
                await app(scope, receive, send)
                return
            send = _with_headers(send) if scope["type"] == "http" else send
            refusal = self._check(scope)
            if refusal is None:
                await app(scope, receive, send)
            elif scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await refusal(send)

        return guarded

    def _check(self, scope: Scope) -> Callable[[Send], Awaitable[None]] | None:
        """None when the request may go on, else the answer that refuses it."""
        headers = dict(scope.get("headers") or ())
        host = headers.get(b"host", b"").decode("latin-1")
        if not self.hosts.allows(host):
            return _text(421, f"this server answers only as {self.hosts.shown()}, not {host[:100]!r}")
        path = scope.get("root_path", "") + scope.get("path", "")
        if path in self.open_paths:
            return None
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [v for k, v in query if k == "token"]
        if given and scope.get("method") == "GET":  # a HEAD (a link preview) does not use the link up
            if len(given) != 1 or not self._use_sign_in(given[0]):
                return _text(
                    403,
                    "this sign-in link was used already (each works once) or is wrong: "
                    "ask plaid-balance for a new one",
                )
            rest = [(k, v) for k, v in query if k != "token"]
            # Quoted: no CR/LF reaches the header; one leading "/": never "//host" or "/\\host" elsewhere.
            target = "/" + quote(path).lstrip("/") + (f"?{urlencode(rest)}" if rest else "")
            cross_site = headers.get(b"sec-fetch-site") == b"cross-site"
            return _signed_in(target, self.cookie, self._sessions.mint(), interstitial=cross_site)
        if self._authorised(headers):
            return None
        return _text(
            401,
            "sign in first: open the sign-in link plaid-balance printed, "
            "or send Authorization: Bearer <token>",
            (b"www-authenticate", b"Bearer"),
        )


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, eq, value = part.strip().partition("=")
        if eq and key == name:
            return value
    return None


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in _REPLACED]
            if not any(k.lower() == b"content-security-policy" for k, _ in kept):
                kept.append((b"content-security-policy", STRICT_CSP.encode()))
            message["headers"] = [*kept, *HEADERS]
        await send(message)

    return sending


def _text(status: int, text: str, *headers: tuple[bytes, bytes]) -> Callable[[Send], Awaitable[None]]:
    body = (text + "\n").encode()

    async def answer(send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return answer


def _signed_in(
    target: str, cookie: str, session: str, *, interstitial: bool
) -> Callable[[Send], Awaitable[None]]:
    """The session cookie, and on to ``target`` without the token in the address bar.

    A browser sends a SameSite=Strict cookie after a redirect only if the whole navigation started on this
    site. One that came from elsewhere (``Sec-Fetch-Site: cross-site``: the private file the browser was
    opened on, a link in another page) gets a page that moves on by itself instead: that navigation
    starts here, so the cookie goes with it. No script: the CSP allows none.
    """
    set_cookie = f"{cookie}={session}; HttpOnly; SameSite=Strict; Path=/".encode()
    location = target.encode("latin-1", "replace")
    if not interstitial:
        return _text(303, "signed in", (b"location", location), (b"set-cookie", set_cookie))
    shown = html.escape(target)
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0;url={shown}"><title>Signed in</title></head>'
        f'<body><p>Signed in. <a href="{shown}">Continue</a>.</p></body></html>\n'
    ).encode()

    async def answer(send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(page)).encode()),
                    (b"set-cookie", set_cookie),
                ],
            }
        )
        await send({"type": "http.response.body", "body": page})

    return answer
