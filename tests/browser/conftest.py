"""Browser fixtures: Debian's chromium through Playwright, and a site that serves the widget.

`chat_site` is the only fixture that knows the site is a fake; tests against the real app and
Rasa provide a fixture of the same shape instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.fake_server import AXE_FILE, FakeChatServer, ServerThread

CHROMIUM = os.environ.get("ASSISTANT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[FakeChatServer]:
    fake = FakeChatServer()
    server = ServerThread(fake.app()).start()
    fake.base_url = server.url
    yield fake
    server.stop()


@pytest.fixture
def chat_site(_fake_server: FakeChatServer) -> FakeChatServer:
    _fake_server.reset()
    return _fake_server


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    # Package scope: Playwright's sync API keeps an event loop running in this thread while the browser lives,
    # and later tests that call asyncio.run() must not find it.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class PageWatch:
    """What the page said while a test ran: console errors, uncaught errors, dialogs."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.page_errors == [], self.page_errors
        assert self.console_errors == [], self.console_errors
        assert self.dialogs == [], self.dialogs


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="de-DE")
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any, watch: PageWatch) -> Any:
    p = context.new_page()
    p.set_default_timeout(5000)
    p.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: watch.page_errors.append(str(e)))

    def on_dialog(d: Any) -> None:
        watch.dialogs.append(d.message)
        d.dismiss()

    p.on("dialog", on_dialog)
    return p


@pytest.fixture
def shot(request: pytest.FixtureRequest):
    """Saves a screenshot under var/screenshots/<test>-<state>.png for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    def take(page: Any, state: str) -> Path:
        path = SCREENSHOTS / f"{base}-{state}.png"
        page.screenshot(path=str(path))
        return path

    return take


@pytest.fixture
def axe_source() -> str:
    if not AXE_FILE.is_file():
        message = "axe-core is missing: run `npm ci --prefix tests/browser`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_FILE.read_text(encoding="utf-8")
