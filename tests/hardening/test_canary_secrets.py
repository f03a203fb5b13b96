"""Canary secrets through every command and every failure class, with DEBUG logging of every logger.

Each secret plaid-balance handles gets a recognisable value: the client secret, access tokens, a
database password, a password in the API URL, a secret that cannot go in a header. Every command then
runs through success and each failure class (Plaid error, bad keys, network failure, storage failure,
bad input) in a real process with the root logger at DEBUG writing to a file, and every byte it leaves
behind (stdout, stderr, the log, every file in its home and working directory) is searched for the
canaries raw, URL-encoded, JSON-escaped and base64-encoded. Commands are discovered from the CLI, and
a command with no scenario here fails the test, so a new command cannot skip the check.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from plaid_balance import PlaidClient
from plaid_balance.emulator import EmulatorConfig, RunningEmulator, run_emulator
from plaid_balance.vault import Vault, new_key_text
from tests.hardening.test_fuzz_cli import COMMANDS

CLIENT_ID = "canary-client-id-0001"
SECRET = "canary-secret-Zq81vQ"
DB_PASSWORD = "canary-dbpw-4T7y2u"
URL_PASSWORD = "canary-urlpw-9Lk3eW"
FAKE_TOKEN = "access-sandbox-0c5a4a12-1111-4bbb-8ccc-canary000001"
BAD_HEADER_SECRET = "canary-nl\nsecret-Hd6"
NON_ASCII_SECRET = "canary-ünï-secret-Pq2"

# A process with every logger at DEBUG, writing to a file: what a library user who turns logging up sees.
RUNNER = (
    "import logging, sys; "
    "logging.basicConfig(level=logging.DEBUG, filename=sys.argv[1], format='%(name)s %(levelname)s %(message)s'); "
    "from plaid_balance.cli import main; main(sys.argv[2:])"
)


def _forms(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        text = encode(raw).decode().rstrip("=")
        forms.add(text)
        # base64 inside a longer blob: the same bytes at the other two alignments.
        for shift in (1, 2):
            shifted = encode(b"x" * shift + raw).decode()
            forms.add(shifted[4:-4])
    return {form for form in forms if len(form) >= 8}


@dataclass
class Canaries:
    emulator: RunningEmulator
    token: str
    item_id: str
    account_id: str
    secrets: dict[str, str] = field(default_factory=dict)

    def all(self) -> dict[str, str]:
        return {**self.secrets, "access token": self.token}


@pytest.fixture(scope="module")
def canaries() -> Iterator[Canaries]:
    config = EmulatorConfig(client_id=CLIENT_ID, secret=SECRET, rate_limits_enabled=False)
    with run_emulator(config) as emulator:
        token, item_id = emulator.create_item()
        with PlaidClient(CLIENT_ID, SECRET, "sandbox", base_url=emulator.base_url) as plaid:
            account_id = plaid.accounts_get(token).accounts[0].account_id
        yield Canaries(
            emulator,
            token,
            item_id,
            account_id,
            {
                "vault key": VAULT_KEY,
                "client secret": SECRET,
                "fake token": FAKE_TOKEN,
                "database password": DB_PASSWORD,
                "URL password": URL_PASSWORD,
                "header-illegal secret": BAD_HEADER_SECRET,
                "non-ASCII secret": NON_ASCII_SECRET,
            },
        )


@dataclass(frozen=True)
class Scenario:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    stdin: str = ""
    # The one output that is the secret on purpose: sandbox-token prints the token it created.
    token_on_stdout: bool = False


VAULT_KEY = new_key_text()


def _vault(c: Canaries, workdir: Path) -> str:
    """A vault holding the canary token, in the database the watch reads."""
    url = f"sqlite:///{workdir}/vault.db"
    with Vault.open(url, key=VAULT_KEY, use_keyring=False) as vault:
        if not vault.list():
            vault.add("canary", c.token, item_id=c.item_id, institution_id="ins_109508")
    return url


def _job_file(workdir: Path) -> str:
    path = workdir / "job.toml"
    path.write_text(
        "[job]\nname = 'canary'\nenv = ['PLAID_CLIENT_ID', 'PLAID_SECRET', 'PLAID_ACCESS_TOKEN']\n"
        "[job.main]\nname = 'plaid_get_balance'\n[job.main.input]\naccess_token = '${PLAID_ACCESS_TOKEN}'\n"
    )
    return str(path)


def _items_file(workdir: Path, token: str) -> str:
    path = workdir / "items.csv"
    path.write_text(f"access_token,label\n{token},good\n{FAKE_TOKEN},fake\nnot a token,bad\n")
    return str(path)


def scenarios(c: Canaries, workdir: Path) -> dict[tuple[str, ...], list[Scenario]]:
    """Per command: success and every failure class it can meet (inputs are written beside workdir)."""
    inputs = workdir.parent / f"{workdir.name}-inputs"
    inputs.mkdir(exist_ok=True)
    up = c.emulator.base_url
    host = up.split("://", 1)[1]
    with_password = f"http://user:{URL_PASSWORD}@{host}"
    closed = f"http://user:{URL_PASSWORD}@127.0.0.1:1"
    sqlite = f"sqlite:///{workdir}/history.db"
    postgres = f"postgresql://canary:{DB_PASSWORD}@127.0.0.1:1/history"
    good = {"PLAID_ACCESS_TOKEN": c.token}
    fake = {"PLAID_ACCESS_TOKEN": FAKE_TOKEN}
    bad_keys = {"PLAID_SECRET": "wrong-secret-value", **good}
    items = _items_file(inputs, c.token)
    clean_items = inputs / "clean.jsonl"
    clean_items.write_text(json.dumps({"access_token": c.token, "label": "clean"}) + "\n")
    job = _job_file(inputs)
    vault = _vault(c, workdir)
    watch_config = inputs / "watch.toml"
    watch_config.write_text("[budget]\nper_day = 1\n")
    keyed = {"PLAID_BALANCE_VAULT_KEY": VAULT_KEY}
    watch = ["watch", "-c", str(watch_config), "--db", vault]

    def each(command: list[str], extra: list[str] | None = None, *, brief: bool = False) -> list[Scenario]:
        extra = extra or []
        name = " ".join([*command, *extra])
        if brief:  # another output format of the same command: the paths where data is printed
            return [
                Scenario(f"{name} ok", [*command, *extra], good),
                Scenario(f"{name} Plaid error", [*command, *extra], fake),
                Scenario(f"{name} network", [*command, "--base-url", closed, "--timeout", "1", *extra], good),
            ]
        return [
            Scenario(f"{name} ok", [*command, *extra], good),
            Scenario(f"{name} ok via URL password", [*command, "--base-url", with_password, *extra], good),
            Scenario(f"{name} Plaid error", [*command, *extra], fake),
            Scenario(f"{name} bad keys", [*command, *extra], bad_keys),
            Scenario(f"{name} network", [*command, "--base-url", closed, "--timeout", "1", *extra], good),
            Scenario(
                f"{name} header secret", [*command, *extra], {"PLAID_SECRET": BAD_HEADER_SECRET, **good}
            ),
            Scenario(
                f"{name} non-ASCII secret", [*command, *extra], {"PLAID_SECRET": NON_ASCII_SECRET, **good}
            ),
            Scenario(f"{name} storage", [*command, "--save", "--db", postgres, *extra], good),
            Scenario(f"{name} saved", [*command, "--save", "--db", sqlite, *extra], good),
            Scenario(f"{name} token on argv", [*command, "--access-token", FAKE_TOKEN, *extra]),
            Scenario(f"{name} token on stdin", [*command, "--access-token-file", "-", *extra], stdin=c.token),
        ]

    return {
        ("get",): each(["get"])
        + each(["get"], ["--format", "table"], brief=True)
        + each(["get"], ["--format", "csv"], brief=True),
        ("check",): each(["check"], ["--account-id", c.account_id, "--amount", "1"])
        + each(["check"], ["--account-id", c.account_id, "--amount", "1", "--format", "table"], brief=True),
        ("batch",): [
            Scenario("batch ok", ["batch", str(clean_items), "--summary"]),
            Scenario("batch mixed", ["batch", items, "--summary"]),
            Scenario("batch table", ["batch", items, "--format", "table"]),
            Scenario("batch URL password", ["batch", items, "--base-url", with_password]),
            Scenario("batch network", ["batch", items, "--base-url", closed, "--timeout", "1"]),
            Scenario("batch bad keys", ["batch", items], {"PLAID_SECRET": "wrong-secret-value"}),
            Scenario("batch header secret", ["batch", items], {"PLAID_SECRET": BAD_HEADER_SECRET}),
            Scenario("batch storage", ["batch", items, "--save", "--db", postgres]),
            Scenario("batch saved", ["batch", items, "--save", "--db", sqlite]),
        ],
        ("run",): [
            Scenario("run ok", ["run", job], good),
            Scenario("run URL password", ["run", job, "--base-url", with_password], good),
            Scenario("run Plaid error", ["run", job], fake),
            Scenario("run network", ["run", job, "--base-url", closed, "--timeout", "1"], good),
            Scenario("run header secret", ["run", job], {"PLAID_SECRET": BAD_HEADER_SECRET, **good}),
            Scenario("run storage", ["run", job, "--save", "--db", postgres], good),
        ],
        ("history",): [
            Scenario("history sqlite", ["history", "--db", sqlite]),
            Scenario("history json", ["history", "--db", sqlite, "--format", "json"]),
            Scenario("history storage", ["history", "--db", postgres]),
            Scenario("history storage env", ["history"], {"PLAID_BALANCE_DB": postgres}),
        ],
        ("sandbox-token",): [
            Scenario("sandbox-token ok", ["sandbox-token"], token_on_stdout=True),
            Scenario(
                "sandbox-token URL password",
                ["sandbox-token", "--base-url", with_password],
                token_on_stdout=True,
            ),
            Scenario("sandbox-token file", ["sandbox-token", "-o", str(workdir / "token.txt")]),
            Scenario("sandbox-token bad keys", ["sandbox-token"], {"PLAID_SECRET": "wrong-secret-value"}),
            Scenario("sandbox-token network", ["sandbox-token", "--base-url", closed, "--timeout", "1"]),
            Scenario("sandbox-token header secret", ["sandbox-token"], {"PLAID_SECRET": BAD_HEADER_SECRET}),
        ],
        ("demo",): [Scenario("demo", ["demo", "--format", "json"])],
        ("dashboard",): [
            Scenario("dashboard no database", ["dashboard", "--no-browser", "--db", f"{workdir}/none.db"]),
            Scenario("dashboard storage", ["dashboard", "--no-browser", "--db", postgres]),
        ],
        ("items", "list"): [
            Scenario("items list", ["items", "list", "--db", vault], keyed),
            Scenario(
                "items list wrong key",
                ["items", "list", "--db", vault],
                {"PLAID_BALANCE_VAULT_KEY": new_key_text()},
            ),
            Scenario("items list storage", ["items", "list", "--db", postgres], keyed),
        ],
        ("items", "show"): [Scenario("items show", ["items", "show", "canary", "--db", vault], keyed)],
        ("items", "rename"): [
            Scenario("items rename", ["items", "rename", "canary", "renamed", "--db", vault], keyed)
        ],
        ("items", "export-public"): [
            Scenario("items export-public", ["items", "export-public", "--db", vault], keyed)
        ],
        # remove and rotate only on their failure paths: the canary Item is shared with the other commands.
        ("items", "remove"): [
            Scenario(
                "items remove bad keys",
                ["items", "remove", "canary", "--yes", "--db", vault],
                {**keyed, "PLAID_SECRET": "wrong-secret-value"},
            ),
            Scenario(
                "items remove network",
                ["items", "remove", "canary", "--yes", "--base-url", closed, "--timeout", "1", "--db", vault],
                keyed,
            ),
        ],
        ("items", "rotate"): [
            Scenario(
                "items rotate bad keys",
                ["items", "rotate", "canary", "--db", vault],
                {**keyed, "PLAID_SECRET": "wrong-secret-value"},
            ),
            Scenario(
                "items rotate network",
                ["items", "rotate", "canary", "--base-url", closed, "--timeout", "1", "--db", vault],
                keyed,
            ),
        ],
        ("items", "import"): [
            Scenario(
                "items import", ["items", "import", items, "--db", f"sqlite:///{workdir}/imported.db"], keyed
            ),
            Scenario(
                "items import clean",
                ["items", "import", str(clean_items), "--db", f"sqlite:///{workdir}/clean.db"],
                keyed,
            ),
            Scenario(
                "items import URL password",
                [
                    "items",
                    "import",
                    items,
                    "--base-url",
                    with_password,
                    "--db",
                    f"sqlite:///{workdir}/imported2.db",
                ],
                keyed,
            ),
        ],
        ("accounts",): [
            *each(["accounts"], brief=True),
            Scenario("accounts header secret", ["accounts"], {"PLAID_SECRET": BAD_HEADER_SECRET, **good}),
            Scenario("accounts token on argv", ["accounts", "--access-token", FAKE_TOKEN]),
            Scenario("accounts json", ["accounts", "--format", "json"], good),
        ],
        ("link",): [
            # Nobody completes Link here: each run waits out a short --timeout (exit 8) or is refused.
            Scenario("link waits", ["link", "--no-browser", "--timeout", "2s", "--db", vault], keyed),
            Scenario("link hosted", ["link", "--hosted", "--timeout", "2s", "--db", vault], keyed),
            Scenario(
                "link update",
                ["link", "--update", "canary", "--no-browser", "--timeout", "2s", "--db", vault],
                keyed,
            ),
            Scenario(
                "link header secret",
                ["link", "--no-browser", "--db", vault],
                {**keyed, "PLAID_SECRET": BAD_HEADER_SECRET},
            ),
            Scenario(
                "link bad keys",
                ["link", "--no-browser", "--timeout", "2s", "--db", vault],
                {**keyed, "PLAID_SECRET": "wrong-secret-value"},
            ),
            Scenario(
                "link wrong vault key",
                ["link", "--update", "canary", "--db", vault],
                {"PLAID_BALANCE_VAULT_KEY": new_key_text()},
            ),
        ],
        ("watch",): [
            Scenario("watch once", [*watch, "--once"], keyed),
            Scenario("watch once json logs", [*watch, "--once", "--log-format", "json"], keyed),
            Scenario("watch check", [*watch, "--check"], keyed),
            Scenario("watch URL password", [*watch, "--once", "--base-url", with_password], keyed),
            Scenario("watch network", [*watch, "--once", "--base-url", closed, "--timeout", "1"], keyed),
            Scenario("watch bad keys", [*watch, "--once"], {**keyed, "PLAID_SECRET": "wrong-secret-value"}),
            Scenario("watch header secret", [*watch, "--once"], {**keyed, "PLAID_SECRET": BAD_HEADER_SECRET}),
            Scenario(
                "watch wrong vault key", [*watch, "--once"], {"PLAID_BALANCE_VAULT_KEY": new_key_text()}
            ),
            Scenario("watch storage", ["watch", "-c", str(watch_config), "--db", postgres, "--once"], keyed),
        ],
        ("emulator", "serve"): [
            # The emulator holds no Plaid credentials; a secret it is given is its own, and it refuses
            # to bind a public address before printing anything.
            Scenario("emulator refuses", ["emulator", "serve", "--host", "0.0.0.0", "--secret", SECRET]),
        ],
    }


def _scan(text: bytes, canaries: dict[str, str], *, except_token: str | None = None) -> list[str]:
    found = []
    for label, secret in canaries.items():
        if secret == except_token:
            continue
        for form in _forms(secret):
            if form.encode() in text:
                found.append(f"{label} as {form!r}")
    return found


def _run(scenario: Scenario, c: Canaries, workdir: Path, log: Path) -> subprocess.CompletedProcess[bytes]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(workdir),
        "PLAID_CLIENT_ID": CLIENT_ID,
        "PLAID_SECRET": SECRET,
        "PLAID_BASE_URL": c.emulator.base_url,
        **scenario.env,
    }
    argv = [sys.executable, "-c", RUNNER, str(log), "-v", *scenario.argv]
    return subprocess.run(
        argv,
        input=scenario.stdin.encode(),
        capture_output=True,
        env=env,
        cwd=workdir,
        timeout=120,
        check=False,
    )


def test_every_command_has_canary_scenarios(canaries: Canaries, tmp_path: Path) -> None:
    assert set(scenarios(canaries, tmp_path)) == set(COMMANDS), "a command without canary scenarios"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_canary_leaves_the_program(
    command: tuple[str, ...], canaries: Canaries, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workdir = tmp_path_factory.mktemp("canary")
    leaks: list[str] = []
    outcomes: list[str] = []
    for scenario in scenarios(canaries, workdir).get(command, []):
        log = workdir / f"{scenario.name.replace(' ', '_')}.log"
        result = _run(scenario, canaries, workdir, log)
        outcomes.append(f"{scenario.name}: exit {result.returncode}")
        assert b"Traceback" not in result.stderr, (scenario.name, result.stderr.decode()[-3000:])
        for where, data in (("stderr", result.stderr), ("log", log.read_bytes() if log.exists() else b"")):
            leaks += [f"{scenario.name}: {where}: {leak}" for leak in _scan(data, canaries.all())]
        token = canaries.token if scenario.token_on_stdout else None
        leaks += [
            f"{scenario.name}: stdout: {leak}"
            for leak in _scan(result.stdout, canaries.all(), except_token=token)
        ]
    # Everything left on disk: history databases, token files (mode 0600 and wanted), charts, logs.
    for path in sorted(p for p in workdir.rglob("*") if p.is_file()):
        allowed = canaries.token if path.name == "token.txt" else None
        leaks += [
            f"file {path.name}: {leak}"
            for leak in _scan(path.read_bytes(), canaries.all(), except_token=allowed)
        ]
    assert not leaks, "\n".join([*leaks, "", *outcomes])
    assert outcomes, f"no scenario ran for {command}"
    # The success path was walked too, not only the failures (the emulator scenario is a refusal).
    assert command in {
        ("emulator", "serve"),
        ("link",),
        ("dashboard",),
        ("items", "remove"),
        ("items", "rotate"),
    } or any(o.endswith(": exit 0") for o in outcomes), outcomes


def test_the_scan_finds_a_planted_canary(canaries: Canaries) -> None:
    """The detector itself works: each form of each canary is found."""
    for secret in canaries.all().values():
        for form in _forms(secret):
            assert _scan(f"xx{form}yy".encode(), canaries.all())
