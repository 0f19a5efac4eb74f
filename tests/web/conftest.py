"""Browser fixtures: the real server (tests/web/serve.py) and Debian's chromium through Playwright.

Skipped only when chromium or Playwright is missing and CI is not set; under CI they must run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]


def _browser_missing() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@contextmanager
def running_server(data_dir: Path, **extra_env: str) -> Iterator[dict]:
    """tests/web/serve.py in a subprocess (with `extra_env` on top of its own settings), until the block ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra_env)
    proc = subprocess.Popen([sys.executable, "-m", "tests.web.serve", str(data_dir), str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=open(data_dir / "server.log", "w"), text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            pytest.fail("the web server did not start:\n" + (data_dir / "server.log").read_text(), pytrace=False)
        world = json.loads(line)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/health/live", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the web server died:\n" + (data_dir / "server.log").read_text(), pytrace=False)
                time.sleep(0.2)
        yield {**world, "base": base, "log": data_dir / "server.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The running server: base URL and the logins of the small world it was built with."""
    with running_server(tmp_path_factory.mktemp("web-server")) as world:
        yield world


@pytest.fixture(scope="module")
def playwright_api() -> Iterator[object]:
    """Playwright for one test module: its sync API keeps an event loop running in this thread while it is
    open, which would break the async tests of the modules that follow."""
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run under CI: {missing}", pytrace=False)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


def launch(pw, *extra_args: str):  # noqa: ANN001, ANN201
    """Debian's chromium, headless, with our usual switches and any others (a fake camera...)."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args], headless=True)


@pytest.fixture(scope="module")
def browser(playwright_api) -> Iterator[object]:  # noqa: ANN001
    """Chromium for one test module."""
    instance = launch(playwright_api)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (kept under the pytest tmp dir; the path is printed on failure)."""
    folder = Path(os.environ.get("SERVICEBANK_TEST_SCREENSHOTS") or tmp_path_factory.mktemp("screens"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_phone(browser, base: str, **options):  # noqa: ANN001, ANN003, ANN201
    """A fresh browser context sized like a phone (375 px wide); `options` for Playwright (a position...)."""
    options.setdefault("viewport", {"width": 375, "height": 740})
    context = browser.new_context(base_url=base, locale="zh-CN", **options)
    # CI runs these beside the multi-process tests (the topology test starts a dozen servers on 2 cores): a login's
    # password hash and page have waited past Playwright's 30 s there. A real hang still fails, at 60 s.
    context.set_default_timeout(60_000)
    return context, context.new_page()


def logged_in(browser, world: dict, login: str, **options):  # noqa: ANN001, ANN003, ANN201
    """A phone on which `login` has just logged in (landed on their home page)."""
    context, page = new_phone(browser, world["base"], **options)
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", world["password"])
    page.click("button[type=submit].big")
    return context, page
