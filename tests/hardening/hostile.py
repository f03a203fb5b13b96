"""Hypothesis strategies for hostile input: the values a careless user, a bad file or an attacker sends.

Each class the hardening issue names is here: non-finite and overflowing numbers, other scripts'
digits, calendar edges, internationalised and malformed URLs, markup and terminal escapes, binary
bytes, pathological nesting; plus arbitrary text, so the pools are a floor, not a ceiling.
"""

from __future__ import annotations

from hypothesis import strategies as st

NUMBERS = [
    "inf", "-inf", "Infinity", "nan", "NaN", "-nan", "1e308", "-1e308", "1e309", "1e-400", "9" * 400,
    "0", "-0", "-1", "0.0000001", "1_000", "1,000", "0x10", "+5", " 5 ", "5.", ".5", "12e", "1e",
    "١٢٣", "１２", "৫", "٣٫٥", "²", "Ⅻ", "10", "60", "3600", "3601", "500", "501", "65535", "65536",
    "4294967296", "1e3", "0.5", "1.0000000000000002",
]  # fmt: skip
DURATIONS = [
    "0s", "90s", "15m", "2d", "1w", "1.5h", "-5m", "5", "5x", "s", "1e308s", "999999999999d",
    "99999w", "36600d", "36700d", "٣d", "３h", "2 d", " 2d ", "2D", "10000000000000000000000s",
]  # fmt: skip
DATES = [
    "2026-01-31", "2026-01-31T09:00:00Z", "2026-01-31T09:00:00+05:30", "2026-02-30", "2026-13-01",
    "2026-01-01T24:00:00", "0001-01-01", "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59",
    "9999-12-31", "1899-12-31T23:59:59Z", "1900-01-01", "2199-12-31T23:59:59Z", "2200-01-01",
    "1970-01-01T00:00:00Z", "2026-W05", "20260131", "２０２６-01-01", "now", "yesterday", "T",
]  # fmt: skip
URLS = [
    "https://☃.example", "https://例え.テスト", "https://xn--abc.invalid", "https://xn--.invalid",
    "http://[::1", "http://[::1]:1", "https://a..b", "https://.invalid", "ftp://127.0.0.1/",
    "javascript:alert(1)", "https://exa mple.invalid", "http://127.0.0.1:99999", "http://127.0.0.1:0",
    "http://user:s3cr3t-in-url@127.0.0.1:1", "http://127.0.0.1:1/?password=hunter22", "http://10.0.0.1",
    "https://127.0.0.1:1", "http://localhost:1", "http://١٢٧.0.0.1:1", "//127.0.0.1:1", "127.0.0.1:1",
    "http://127.0.0.1:1#frag", "http:///path", "https://" + "a" * 300 + ".invalid", "http://\u202e@x",
]  # fmt: skip
TEXT = [
    "", " ", "-", "--", "[red]x[/red]", "[/]", "[bold", "$x$", "$\\frac{1}{0}$", "\x1b[31mred\x1b[0m",
    "\x1b]0;pwned\x07", "a\nb", "a\rb", "\u202eevil", "\u2028", "\udc80\udcff", "💥" * 5, "A" * 5000,
    "development", "Development", "sandbox", "production", "SANDBOX", "%s%n", "{0}", "${HOME}",
    "'; DROP TABLE snapshots; --", "../../../etc/passwd", "ins_109508", "user_good", "pass_good",
    "access-sandbox-00000000-0000-0000-0000-000000000000",
]  # fmt: skip
HOSTS = ["127.0.0.1", "localhost", "::1", "0.0.0.0", "256.1.1.1", "", "example.invalid", "١٢٧.0.0.1"]

# Text a real process can receive in argv or the environment: no NUL, and only the surrogates that
# stand for undecodable bytes.
_ARG_ALPHABET = st.characters(exclude_characters="\x00", exclude_categories=["Cs"]) | st.sampled_from(
    "\udc80\udcff"
)


def arbitrary_text(max_size: int = 40) -> st.SearchStrategy[str]:
    return st.text(_ARG_ALPHABET, max_size=max_size)


def hostile_value() -> st.SearchStrategy[str]:
    """Any hostile string from the pools, or arbitrary text."""
    pools = NUMBERS + DURATIONS + DATES + URLS + TEXT
    return st.one_of(st.sampled_from(pools), arbitrary_text())


def _deep(opening: str, closing: str, depth: int) -> str:
    return opening * depth + closing * depth


FILE_CONTENTS: list[bytes] = [
    b"",
    b"\x00\xff\xfe binary \x80\x81",
    bytes(range(256)),
    b"access-sandbox-00000000-0000-0000-0000-000000000000\n",
    b"access sandbox with spaces\n",
    ("a = " + _deep("[", "]", 100_000) + "\n").encode(),
    (b"[job]\nname = 'x'\nenv = ['PLAID_ACCESS_TOKEN']\n[job.main]\nname = 'plaid_get_balance'\n"
     b"[job.main.input]\naccess_token = '${PLAID_ACCESS_TOKEN}'\nmin_last_updated_datetime = '9999-12-31T23:59:59-23:59'\n"
     ),
    (b"[job]\nname = 'x'\nenv = ['PLAID_ACCESS_TOKEN']\n[job.main]\nname = 'plaid_get_balance'\n"
     b"[job.main.input]\naccess_token = '${PLAID_ACCESS_TOKEN}'\nplaid_environment = 'development'\n"),
    ("[job]\nname = 'x'\n[job.main]\nname = 'plaid_get_balance'\n[job.main.input]\naccess_token = '"
     + "\u202e\x1b[31m" + "'\n").encode(),
    ("[job]\nname = '[red]x'\nenv = " + _deep("[", "]", 5000) + "\n").encode(),
    _deep("[", "]", 100_000).encode() + b"\n",
    ('{"access_token": ' + _deep("[", "]", 100_000) + "}\n").encode(),
    b'{"access_token": "access-sandbox-00000000-0000-0000-0000-000000000000", "label": "[red]x[/]\\u001b[31m"}\n',
    b"access_token,label\naccess-sandbox-00000000-0000-0000-0000-000000000000,[bold]$x$\n\xff\xfe\n",
    b"access_token,label\n" + b"x" * (2 << 20) + b"\n",
    b'{"institution_data": {}, "override_accounts": [{"type": "depository", "subtype": "checking", '
    b'"starting_balance": 1e400, "meta": {"name": "[red]$x$\\u001b]0;t\\u0007"}}]}\n',
    b'{"override_accounts": ' + _deep("[", "]", 100_000).encode() + b"}\n",
]  # fmt: skip


def file_content() -> st.SearchStrategy[bytes]:
    return st.one_of(st.sampled_from(FILE_CONTENTS), st.sampled_from(FILE_CONTENTS), st.binary(max_size=200))
