"""The redaction rule's own JSON and percent-encoding (``_redact``) write what the standard library does.

``_redact`` is imported by every ``--help`` and so does without json and urllib.parse (decision in
docs/decisions.md); these tests hold its forms of a secret to ``json.dumps`` and ``urllib.parse`` on any
text, so that a secret is masked however it was escaped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from hypothesis import given
from hypothesis import strategies as st

from plaid_balance._redact import (
    json_escaped,
    percent_decoded,
    percent_encoded,
    redact,
    remember,
    remember_url_secrets,
)

# Text with the characters escaping is about: controls, quotes, %, +, spaces, non-ASCII, beyond the BMP.
TEXT = st.text(st.one_of(st.characters(), st.sampled_from('"\\%+ &=?@:/\x7f\x00\n\t\u20ac\U0001f600')))
PERCENT_TEXT = st.lists(st.one_of(TEXT, st.from_regex(r"%[0-9A-Fa-f]{2}", fullmatch=True))).map("".join)


@given(TEXT)
def test_json_escaping_is_json_dumps(value: str) -> None:
    assert json_escaped(value) == json.dumps(value)[1:-1]
    assert json_escaped(value, ensure_ascii=False) == json.dumps(value, ensure_ascii=False)[1:-1]


@given(TEXT)
def test_percent_encoding_is_urllib_quote(value: str) -> None:
    assert percent_encoded(value) == quote(value, safe="")
    assert percent_encoded(value, plus=True) == quote_plus(value, safe="")


@given(PERCENT_TEXT)
def test_percent_decoding_is_urllib_unquote(text: str) -> None:
    assert percent_decoded(text) == unquote(text)
    assert percent_decoded(text, plus=True) == unquote_plus(text)


@given(
    password=st.text(
        st.characters(
            exclude_characters="/?#@ \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0",
            exclude_categories=["Cs", "Zs", "Zl", "Zp"],
        ),
        min_size=8,
    )
)
def test_a_url_password_is_masked_as_written_and_decoded(password: str) -> None:
    written = quote(password, safe="")
    remember_url_secrets(f"postgresql://user:{written}@db.example/balances?sslmode=require")
    assert password not in redact(f"connecting with {password}")
    assert written not in redact(f"connecting with {written}")


def test_a_query_secret_is_masked_as_written_and_decoded() -> None:
    remember_url_secrets("https://proxy.example/?user=me&api_key=s%C3%A9cret+value&x=1")
    assert "sécret value" not in redact("key: sécret value")
    assert "s%C3%A9cret+value" not in redact("key: s%C3%A9cret+value")


def test_a_secret_is_masked_in_its_escaped_forms() -> None:
    secret = 'pa"ss wörd\n€'
    remember(secret)
    for form in (
        json.dumps(secret),
        json.dumps(secret, ensure_ascii=False),
        quote(secret),
        quote_plus(secret),
    ):
        assert "***" in redact(form) and secret not in redact(form)


def test_the_output_door_imports_neither_json_nor_urllib() -> None:
    probe = (
        "import sys, os; os.environ['PLAID_SECRET'] = 'p\"w d€ & more'\n"
        "from plaid_balance._redact import remember_environment, remember_url_secrets\n"
        "remember_environment(os.environ); remember_url_secrets('postgresql://u:p%40ss@h/db?password=x%20y')\n"
        "print(sorted({'json', 'urllib.parse'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
