"""CI: every install the docs tell a user to do, each alone in a fresh venv, and its commands run for real.

For each install (`pip install 'plaid-balance'`, `'plaid-balance[emulator]'`, `[web]`, `[watch]`,
`[watch,web]`, `[postgres]`, `[chart]`, `[testing]`), a new venv gets the wheel built from this checkout
with exactly those extras, nothing else. Every command that install offers is then run once against the
emulator, which runs from the development venv (`.venv`, which has every extra) on 127.0.0.1; every
command whose extra is missing there must say in one line which extra to install, and exit 2.

Run by .ci/run (as `.venv/bin/python .ci/extras.py`); it prints one line per step and the seconds each
venv took to create and install.
"""

from __future__ import annotations

import glob
import http.cookiejar
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEV = ROOT / ".venv" / "bin"

from plaid_balance._extras import EXTRAS  # noqa: E402 (the development venv's, from this checkout)

# The installs the docs name (README, docs/*.md): their name here → the extras in the brackets.
INSTALLS: dict[str, tuple[str, ...]] = {
    "plaid-balance": (),
    "plaid-balance[emulator]": ("emulator",),
    "plaid-balance[web]": ("web",),
    "plaid-balance[watch]": ("watch",),
    "plaid-balance[watch,web]": ("watch", "web"),
    "plaid-balance[postgres]": ("postgres",),
    "plaid-balance[chart]": ("chart",),
    "plaid-balance[testing]": ("testing",),
}


class Failed(Exception):
    pass


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


http_cookies = http.cookiejar.CookieJar()


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    # Cookies kept, as a browser does (the dashboard trades its one-time URL for a cookie).
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http_cookies))
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


class Venv:
    def __init__(self, install: str, path: Path, env: dict[str, str], work: Path) -> None:
        self.install, self.path, self.env, self.work = install, path, env, work
        self.cli = str(path / "bin" / "plaid-balance")

    def run(
        self, *args: str, code: int = 0, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        shown = "plaid-balance " + " ".join(args)
        done = subprocess.run(
            [self.cli, *args],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=self.work,
            env={**self.env, **(env or {})},
            input=stdin,
            check=False,
        )
        if done.returncode != code or "Traceback" in done.stderr:
            raise Failed(
                f"{self.install}: `{shown}` exited {done.returncode} (expected {code})\n"
                f"stdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-2000:]}"
            )
        say(f"  ok  {shown}" + (f"  (exit {code}: {done.stderr.strip()})" if code else ""))
        return done

    def start(self, *args: str, env: dict[str, str] | None = None) -> Background:
        return Background(self, list(args), {**self.env, **(env or {})})


class Background:
    """A long-running command; its stdout and stderr lines are collected as they come."""

    def __init__(self, venv: Venv, args: list[str], env: dict[str, str]) -> None:
        self.shown = "plaid-balance " + " ".join(args)
        self.venv = venv
        self.process = subprocess.Popen(
            [venv.cli, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=venv.work,
            env=env,
        )
        self.lines: list[str] = []
        self._lock = threading.Lock()
        for stream in (self.process.stdout, self.process.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def text(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.text())
            if match:
                return match
            if self.process.poll() is not None:
                time.sleep(0.2)  # the last lines
                match = re.search(pattern, self.text())
                if match:
                    return match
                break
            time.sleep(0.05)
        self.process.kill()
        raise Failed(
            f"{self.venv.install}: `{self.shown}`: no {pattern!r} in its output:\n{self.text()[-3000:]}"
        )

    def stop(self, sig: int, codes: tuple[int, ...]) -> None:
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise Failed(f"{self.venv.install}: `{self.shown}` did not stop on {sig}") from None
        time.sleep(0.1)
        if code not in codes or "Traceback" in self.text():
            raise Failed(f"{self.venv.install}: `{self.shown}` exited {code}:\n{self.text()[-3000:]}")
        say(f"  ok  {self.shown} (served, then stopped: exit {code})")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


# --- the commands each extra offers --------------------------------------------------------------------


def browser_page() -> Any:
    """A page in Debian's headless Chromium (the development venv's playwright drives it)."""
    from playwright.sync_api import sync_playwright
    from tests.browsers import launch

    playwright = sync_playwright().start()
    browser = launch(playwright)
    page = browser.new_page()
    page.set_default_timeout(60_000)
    return playwright, browser, page


def click_through_link(frame: Any) -> None:
    """Be the user in the emulator's Link: pick the bank, log in, keep every account."""
    frame.locator("#institution-search").fill("first")
    frame.locator("button.institution", has_text="First Platypus Bank").first.click()
    frame.locator("#username").fill("user_good")
    frame.locator("#password").fill("pass_good")
    frame.locator("#submit-credentials").click()
    frame.locator("input[name=account]").first.wait_for()
    frame.locator("#submit-accounts").click()


def base_commands(venv: Venv) -> None:
    """What `pip install plaid-balance` offers: every command but demo, emulator, dashboard and watch."""
    work = venv.work
    venv.run("sandbox-token", "-o", "token.txt")
    report = json.loads(venv.run("get", "--access-token-file", "token.txt", "--save").stdout)
    assert report["success"] is True, report
    account = report["accounts"][0]["account_id"]
    listed = json.loads(venv.run("accounts", "--access-token-file", "token.txt", "--format", "json").stdout)
    assert listed["accounts"], listed
    venv.run(
        "check",
        "--access-token-file",
        "token.txt",
        "--account-id",
        account,
        "--amount",
        "1",
        "--currency",
        "USD",
    )
    token = (work / "token.txt").read_text().strip()
    shutil.copy(ROOT / "run.toml", work / "run.toml")
    venv.run("run", "run.toml", env={"PLAID_ACCESS_TOKEN": token})
    venv.run("sandbox-token", "-o", "token2.txt")
    (work / "items.csv").write_text(
        f"access_token,label\n{token},one\n{(work / 'token2.txt').read_text().strip()},two\n"
    )
    lines = venv.run("batch", "items.csv").stdout.splitlines()
    assert len(lines) == 2 and all(json.loads(line)["success"] for line in lines), lines
    venv.run("items", "import", "items.csv")
    aliases = [item["alias"] for item in json.loads(venv.run("items", "export-public").stdout)["items"]]
    venv.run("items", "list")
    venv.run("items", "show", aliases[0])
    venv.run("items", "rename", aliases[0], "main")
    venv.run("items", "rotate", "main")
    venv.run("get", "main", "--format", "table")
    venv.run("items", "remove", aliases[1], "--yes")
    venv.run("history", "--format", "json")
    # Hosted Link needs no extra: the page is Plaid's (here the emulator's).
    link = venv.start("link", "--hosted", "--no-browser", "--yes", "--alias", "hosted", "--timeout", "3m")
    try:
        url = link.wait_for(r"(https?://\S+/link/hosted\?\S+)").group(1)
        playwright, browser, page = browser_page()
        try:
            page.goto(url)
            click_through_link(page)
            page.locator("#step-done").wait_for()
        finally:
            browser.close()
            playwright.stop()
        if link.process.wait(timeout=120) != 0:
            raise Failed(f"link --hosted failed:\n{link.text()}")
        say("  ok  plaid-balance link --hosted (completed in Chromium)")
    finally:
        link.kill()


def emulator_commands(venv: Venv) -> None:
    demo = json.loads(venv.run("demo", "--format", "json").stdout)
    assert demo["success"] is True, demo
    server = venv.start("emulator", "serve", "--port", "0")
    try:
        base = server.wait_for(r"PLAID_BASE_URL=(http://127\.0\.0\.1:\d+)").group(1)
        status, body = call(
            "POST",
            f"{base}/sandbox/public_token/create",
            {
                "client_id": "emulator-client-id",
                "secret": "emulator-secret",
                "institution_id": "ins_109508",
                "initial_products": ["transactions"],
            },
        )
        assert status == 200 and json.loads(body)["public_token"].startswith("public-sandbox-"), body
        server.stop(signal.SIGINT, (0, 130))
    finally:
        server.kill()


def web_commands(venv: Venv) -> None:
    venv.run("sandbox-token", "-o", "token.txt")
    venv.run("get", "--access-token-file", "token.txt", "--save")  # something for the dashboard to show
    dashboard = venv.start("dashboard", "--no-browser", "--port", "0")
    try:
        url = dashboard.wait_for(r"(http://127\.0\.0\.1:\d+/\S*)").group(1)
        status, page = call("GET", url)
        assert status == 200 and "First Platypus Bank" in page, (status, page[:500])
        dashboard.stop(signal.SIGINT, (0, 130))
    finally:
        dashboard.kill()
    link = venv.start("link", "--no-browser", "--yes", "--alias", "local", "--timeout", "3m")
    try:
        url = link.wait_for(r"(http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]+/\S*)").group(1)
        playwright, browser, page = browser_page()
        try:
            page.goto(url)
            click_through_link(page.frame_locator("iframe[title='Plaid Link']"))
            page.wait_for_selector("body[data-state=done]")
        finally:
            browser.close()
            playwright.stop()
        if link.process.wait(timeout=120) != 0:
            raise Failed(f"link failed:\n{link.text()}")
        say("  ok  plaid-balance link (local page, completed in Chromium)")
    finally:
        link.kill()


def watch_commands(venv: Venv, with_web: bool) -> None:
    venv.run("sandbox-token", "-o", "token.txt")
    (venv.work / "items.csv").write_text(
        f"access_token,label\n{(venv.work / 'token.txt').read_text().strip()},a\n"
    )
    venv.run("items", "import", "items.csv")
    (venv.work / "watch.toml").write_text('[watch]\ninterval = "1h"\n\n[server]\nlisten = "127.0.0.1:0"\n')
    venv.run("watch", "--check")
    venv.run("watch", "--once")
    bearer = {"PLAID_BALANCE_WATCH_TOKEN": "ci-extras-watch-token-0123456789"}
    served = venv.start("watch", "--log-format", "json", env=bearer)
    try:
        url = served.wait_for(r'"msg": "listening".*?"url": "(http://[^"]+)"').group(1)
        status, _ = call("GET", f"{url}/healthz")
        assert status == 200, status
        authorised = {"Authorization": f"Bearer {bearer['PLAID_BALANCE_WATCH_TOKEN']}"}
        dashboard, _ = call("GET", f"{url}/dashboard/", headers=authorised)
        off = "dashboard off: it needs plaid-balance[web]: pip install 'plaid-balance[web]'"
        if with_web:
            assert dashboard != 404 and off not in served.text(), (dashboard, served.text())
        else:
            assert dashboard == 404 and off in served.text(), (dashboard, served.text())
        served.stop(signal.SIGTERM, (0,))
    finally:
        served.kill()
    say(f"  ok  the watch's dashboard is {'served' if with_web else 'left out, and the log says why'}")


@contextmanager
def postgres_server() -> Iterator[str]:
    def binary(name: str) -> str:
        found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
        path = found[-1] if found else shutil.which(name)
        if path is None:
            raise Failed(f"PostgreSQL's {name} is not installed (.ci/run installs it)")
        return path

    base = Path(tempfile.mkdtemp(prefix="plaid-balance-ci-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        pwd.getpwnam("postgres")
        shutil.chown(base, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", free_port()
    initdb = [binary("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"]
    initdb.append("--no-sync")
    subprocess.run([*prefix, *initdb], check=True, capture_output=True, timeout=120)
    options = f"-h 127.0.0.1 -p {port} -k {base} -F"
    start = [binary("pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o", options, "start"]
    subprocess.run([*prefix, *start], check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [binary("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run([*prefix, *stop], capture_output=True, check=False, timeout=120)
        shutil.rmtree(base, ignore_errors=True)


def postgres_commands(venv: Venv) -> None:
    with postgres_server() as url:
        venv.run("sandbox-token", "-o", "token.txt")
        venv.run("get", "--access-token-file", "token.txt", "--save", "--db", url)
        stored = json.loads(venv.run("history", "--db", url, "--format", "json").stdout)
        assert stored, stored


def chart_commands(venv: Venv) -> None:
    venv.run("sandbox-token", "-o", "token.txt")
    venv.run("get", "--access-token-file", "token.txt", "--save")
    for name in ("history.png", "history.svg", "history.html"):
        venv.run("history", "--chart", name)
        assert (venv.work / name).stat().st_size > 0


def testing_commands(venv: Venv) -> None:
    """The pytest plugin: a project's own test using the emulator fixture, with only this install."""
    (venv.work / "test_uses_emulator.py").write_text(
        "import httpx\n\n\n"
        "def test_balance(plaid_emulator):\n"
        '    item = plaid_emulator.create_item([{"current": "1234.56", "available": "1200.00"}])\n'
        '    body = {"client_id": plaid_emulator.client_id, "secret": plaid_emulator.secret,\n'
        '            "access_token": item.access_token}\n'
        '    answer = httpx.post(plaid_emulator.base_url + "/accounts/balance/get", json=body).json()\n'
        '    assert answer["accounts"][0]["balances"]["current"] == 1234.56\n'
    )
    done = subprocess.run(
        [
            str(venv.path / "bin" / "python"),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_uses_emulator.py",
        ],
        capture_output=True,
        text=True,
        cwd=venv.work,
        env=venv.env,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        raise Failed(
            f"plaid-balance[testing]: the pytest plugin failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
        )
    say("  ok  pytest with the plaid_emulator fixture")


# What each missing extra must say, and the command that asks for it.
HINTS: dict[str, list[tuple[list[str], str]]] = {
    "emulator": [(["demo"], "plaid-balance demo"), (["emulator", "serve"], "plaid-balance emulator")],
    "web": [
        (["dashboard"], "plaid-balance dashboard"),
        (["link"], "the local Link page (or link --hosted)"),
    ],
    "watch": [(["watch"], "plaid-balance watch")],
    "chart": [(["history", "--chart", "hint.html"], "history --chart")],
    "postgres": [(["history", "--db", "postgresql://nobody@127.0.0.1:1/none"], "a PostgreSQL database")],
}
COMMANDS: dict[str, Callable[[Venv], None]] = {
    "": base_commands,
    "emulator": emulator_commands,
    "web": web_commands,
    "postgres": postgres_commands,
    "chart": chart_commands,
    "testing": testing_commands,
}


def home_of(top: Path, install: str) -> Path:
    return top / install.replace("[", "-").replace("]", "").replace(",", "-")


def create_venv(install: str, extras: tuple[str, ...], wheel: Path, top: Path) -> float:
    """A fresh venv with ``pip install 'INSTALL'`` (the wheel of this checkout): the seconds it took."""
    venv_path = home_of(top, install) / "venv"
    started = time.monotonic()
    # A venv without its own pip (ensurepip costs seconds): the development venv's pip installs into it.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv_path)], check=True, timeout=300)
    spec = f"{wheel}[{','.join(extras)}]" if extras else str(wheel)
    pip = [
        str(DEV / "python"),
        "-m",
        "pip",
        "--python",
        str(venv_path / "bin" / "python"),
        "install",
        "-q",
        "--no-compile",
    ]
    done = subprocess.run(
        [*pip, "--disable-pip-version-check", spec], capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode != 0:
        raise Failed(f"pip install '{install}' failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - started


def check_install(install: str, extras: tuple[str, ...], emulator_env: dict[str, str], top: Path) -> None:
    home = home_of(top, install)
    venv_path, work = home / "venv", home / "work"
    work.mkdir(parents=True)
    say(f"{install}:")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLAID", "VIRTUAL_ENV", "PYTHON"))}
    env.update(emulator_env)
    env.update(
        HOME=str(home),
        PATH=f"{venv_path / 'bin'}:{os.environ.get('PATH', '')}",
        PLAID_BALANCE_DB=str(work / "plaid-balance.db"),
        PLAID_BALANCE_VAULT_KEY=vault_key(),
        PLAID_BALANCE_KEYRING="off",
        COLUMNS="120",
    )
    venv = Venv(install, venv_path, env, work)
    # An extra is there when its modules are: [watch] brings every module the emulator needs, say.
    installed = {module for extra in extras for module in EXTRAS[extra]}
    have = {extra for extra, modules in EXTRAS.items() if set(modules) <= installed}
    for extra, hints in HINTS.items():
        if extra not in have:
            for args, needed_by in hints:
                done = venv.run(*args, code=2)
                expected = (
                    f"error: {needed_by} needs plaid-balance[{extra}]: pip install 'plaid-balance[{extra}]'\n"
                )
                if done.stderr != expected or done.stdout:
                    raise Failed(f"{install}: `{' '.join(args)}` said {done.stderr!r}, not {expected!r}")
    if not extras:
        base_commands(venv)
    for extra in extras:
        if extra == "watch":
            watch_commands(venv, with_web="web" in extras)
        elif extra == "web" and "watch" in extras:
            continue  # [watch,web] is about the watch's dashboard; [web] alone runs the web commands
        else:
            COMMANDS[extra](venv)


def vault_key() -> str:
    done = subprocess.run(
        [str(DEV / "python"), "-c", "from plaid_balance.vault import new_key_text; print(new_key_text())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def main(only: list[str]) -> int:
    """Check every install, or only those named (``.ci/extras.py 'plaid-balance[chart]'``)."""
    began = time.monotonic()
    installs = {name: extras for name, extras in INSTALLS.items() if not only or name in only}
    top = Path(tempfile.mkdtemp(prefix="plaid-balance-extras-"))
    emulator: subprocess.Popen[str] | None = None
    try:
        subprocess.run(
            [
                str(DEV / "python"),
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "-w",
                str(top / "dist"),
                str(ROOT),
            ],
            check=True,
            timeout=600,
        )
        [wheel] = (top / "dist").glob("plaid_balance-*.whl")
        emulator = subprocess.Popen(
            [str(DEV / "plaid-balance"), "emulator", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert emulator.stdout is not None
        first = emulator.stdout.readline()
        pairs = dict(re.findall(r"(PLAID_\w+)=(\S+)", first))
        if "PLAID_BASE_URL" not in pairs:
            raise Failed(f"the emulator did not start: {first!r}")
        threading.Thread(target=emulator.stdout.read, daemon=True).start()
        # The installs wait on the package index more than on the CPU: three at a time.
        installing = time.monotonic()
        with ThreadPoolExecutor(3) as pool:
            futures = {
                name: pool.submit(create_venv, name, extras, wheel, top) for name, extras in installs.items()
            }
            timings = {name: future.result() for name, future in futures.items()}
        install_seconds = time.monotonic() - installing
        for name, seconds in timings.items():
            say(f"{name}: fresh venv and `pip install '{name}'` in {seconds:.1f} s")
        for install, extras in installs.items():
            check_install(install, extras, pairs, top)
    except Failed as exc:
        say(f"FAILED: {exc}")
        return 1
    finally:
        if emulator is not None:
            emulator.send_signal(signal.SIGINT)
            try:
                emulator.wait(timeout=30)
            except subprocess.TimeoutExpired:
                emulator.kill()
        shutil.rmtree(top, ignore_errors=True)
    say(
        f"every install alone: OK in {time.monotonic() - began:.0f} s, of which {install_seconds:.0f} s creating "
        f"the {len(installs)} venvs and installing (three at a time)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
