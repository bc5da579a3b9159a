"""Helpers for the browser tests against the real app and Rasa (tests/browser/test_real_*.py).

Importing this module gives the session's stack a private copy of the knowledge folder: the safety test uploads
a document through /admin, and that must never write into the knowledge/ folder in git. Collection happens before
the session's `stack` fixture reads the settings, so setting the variable here is early enough (the integration
tests of the knowledge capability do the same, guarded the same way, so either may come first).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import httpx

from assistant.settings import PROJECT_ROOT

if "ASSISTANT_KNOWLEDGE_DIR" not in os.environ:
    _copy = Path(os.environ["ASSISTANT_VAR_DIR"]) / "knowledge"
    if not _copy.exists():
        shutil.copytree(PROJECT_ROOT / "knowledge", _copy)
    os.environ["ASSISTANT_KNOWLEDGE_DIR"] = str(_copy)

BENCH_FILE = PROJECT_ROOT / "var" / "bench" / "widget.json"
TURN_TIMEOUT_MS = 45_000  # one turn through Rasa, the actions and retrieval on a busy 2-core box
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = "<script>alert(1)</script>"

# Shadow-root queries: Playwright's CSS locators pierce open shadow roots, page.evaluate does not.
_ROOT = "document.getElementById('assistant-widget').shadowRoot"


def open_widget(page: Any) -> None:
    page.locator(".aw-launcher").click()
    page.locator(".aw-panel").wait_for(state="visible")


def replies(page: Any) -> Any:
    return page.locator(".aw-reply")


def wait_turn(page: Any, count_before: int) -> Any:
    """Wait until the answer to the last message is painted and the widget is idle again; returns that reply."""
    reply = replies(page).nth(count_before)
    reply.wait_for(timeout=TURN_TIMEOUT_MS)
    page.locator(".aw-typing").wait_for(state="detached", timeout=TURN_TIMEOUT_MS)
    errors = page.locator(".aw-error")
    assert errors.count() == 0, errors.first.inner_text()
    return reply


def say(page: Any, text: str) -> Any:
    """Type a message, press Enter and wait for its answer."""
    before = replies(page).count()
    page.locator(".aw-input").fill(text)
    page.locator(".aw-input").press("Enter")
    return wait_turn(page, before)


def click_chip(page: Any, reply: Any, title_start: str) -> Any:
    """Click the first enabled button of `reply` whose title starts with `title_start`; wait for the answer."""
    chips = reply.locator(".aw-chip:enabled")
    titles = chips.all_inner_texts()
    match = [i for i, t in enumerate(titles) if t.strip().startswith(title_start)]
    assert match, f"no button {title_start!r} in {titles}"
    before = replies(page).count()
    chips.nth(match[0]).click()
    return wait_turn(page, before)


def shadow_counts(page: Any) -> dict[str, Any]:
    """What must never appear inside the widget: elements a message could have smuggled in."""
    return page.evaluate(
        "() => { const r = " + _ROOT + "; return {img: r.querySelectorAll('img').length,"
        " script: r.querySelectorAll('script').length,"
        " handlers: [...r.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on')))"
        ".length, hrefs: [...r.querySelectorAll('a')].map(a => a.getAttribute('href'))}; }"
    )


def run_axe(page: Any, source: str) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the whole page, the widget's shadow root included."""
    page.evaluate(source)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def measure_first_paint(page: Any) -> float:
    """Milliseconds from the launcher click to the first message being laid out and painted (two frames later)."""
    return float(page.evaluate(
        f"""async () => {{
          const root = {_ROOT};
          const t0 = performance.now();
          root.querySelector('.aw-launcher').click();
          await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
          const msg = root.querySelector('.aw-panel:not([hidden]) .aw-msg');
          if (!msg || msg.getBoundingClientRect().height === 0) return -1;
          return performance.now() - t0;
        }}"""
    ))


def widget_gzip_bytes(app_url: str) -> int:
    """Size of the widget script as served, gzip level 6 (what nginx and most CDNs use by default)."""
    body = httpx.get(f"{app_url}/widget/assistant-widget.js", timeout=10).content
    return len(gzip.compress(body, compresslevel=6))


def write_bench(first_paint_ms: float, gzip_bytes: int, samples: list[float]) -> Path:
    BENCH_FILE.parent.mkdir(parents=True, exist_ok=True)
    BENCH_FILE.write_text(json.dumps({
        "first_paint_ms": round(first_paint_ms, 1), "gzip_bytes": gzip_bytes,
        "samples_ms": [round(s, 1) for s in samples], "measured_at": int(time.time()),
        "how": "real app page /?lang=de in Debian chromium, launcher click to 2nd animation frame, median of samples",
    }, indent=2) + "\n", encoding="utf-8")
    return BENCH_FILE
