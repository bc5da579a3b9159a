"""The widget on the real shop pages, talking to the real app and Rasa (the session's `stack`), anonymous.

Knowledge answers with sources and a datasheet that opens, in German and English; hostile text typed by the user
and inside a knowledge document uploaded through /admin renders as text; a keyboard-only conversation; a phone;
axe on the real pages with an answer shown; and the first paint after the launcher click, written to
var/bench/widget.json.
"""

from __future__ import annotations

import re
import statistics
from typing import Any

import pytest

from assistant.settings import get_settings
from tests.browser.real_helpers import (
    HOSTILE_IMG,
    HOSTILE_SCRIPT,
    measure_first_paint,
    open_widget,
    replies,
    run_axe,
    say,
    shadow_counts,
    wait_turn,
    widget_gzip_bytes,
    write_bench,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

QUESTIONS = {
    # what was checked per article, never a sweeping "meet all the requirements"
    "de": ("Welche Steckverschraubung eignet sich für die Lebensmittelindustrie bis 120 °C?",
           "passen laut Katalog", "Datenblatt", "Quellen"),
    "en": ("Which push-in fitting suits the food industry up to 120 °C?",
           "the catalogue has", "Datasheet", "Sources"),
}


def shadow_active(page: Any) -> str:
    return page.evaluate(
        "() => { const h = document.getElementById('assistant-widget');"
        " const a = h && h.shadowRoot.activeElement; return a ? a.className + '|' + a.textContent : ''; }"
    )


@pytest.mark.parametrize("lang", ["de", "en"])
def test_application_question_shows_answer_sources_and_opens_the_datasheet(
        stack: Any, page: Any, watch: Any, shot: Any, axe_source: str, lang: str) -> None:
    question, verdict, kind, sources_label = QUESTIONS[lang]
    statuses: dict[str, int] = {}
    page.context.on("response", lambda r: statuses.__setitem__(r.url, r.status))
    page.goto(f"{stack.app_url}{'/' if lang == 'de' else '/shop'}?lang={lang}")  # home, and the product list
    open_widget(page)
    shot(page, "open")
    reply = say(page, question)

    assert verdict in reply.inner_text()
    cards = reply.locator(".aw-card")
    assert cards.count() >= 1
    assert all("3SX-" in s for s in cards.locator(".aw-sku").all_inner_texts())  # stainless, FDA, up to 120 °C
    # sources: a labelled list, each with a link into the knowledge base and the quoted passage
    assert sources_label in reply.inner_text()
    src = reply.locator(".aw-srcs li")
    assert src.count() >= 1
    for i in range(src.count()):
        assert src.nth(i).locator("a").get_attribute("href").startswith(f"{stack.app_url}/kb/doc/")
        assert src.nth(i).locator("blockquote").inner_text().strip()
    shot(page, "answer")
    assert run_axe(page, axe_source) == []

    # the datasheet link opens the document in a new tab
    sheet = reply.locator(".aw-docs li", has=page.locator(".aw-kind", has_text=kind)).first
    link = sheet.locator("a")
    href = link.get_attribute("href")
    assert href.startswith(f"{stack.app_url}/kb/doc/ds-3sx"), href
    assert link.get_attribute("target") == "_blank"
    with page.context.expect_page() as opened:
        link.click()
    doc = opened.value
    doc.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    doc.wait_for_load_state()
    assert statuses.get(href) == 200, statuses
    assert "3SX" in doc.locator("h1").first.inner_text()
    sku = re.search(r"3SX-\d{4}", link.inner_text()).group(0)  # "Datenblatt 3SX-0604"
    assert sku in doc.locator("article.kb-doc").inner_text()  # the opened sheet covers the article it was named for
    shot(doc, "datasheet")
    doc.close()
    watch.assert_clean()


ADMIN_DOC_ID = "faq-h11-sonderzeichen-probe"
ADMIN_DOC = f"""---
id: {ADMIN_DOC_ID}
type: faq
language: de
title: "Sonderzeichen-Prüfdokument {HOSTILE_IMG}"
products: []
industries: []
---
# Sonderzeichen im Gravurtext {HOSTILE_SCRIPT}

## Welche Zeichen darf der Gravurtext auf Typenschildern enthalten?
Der Gravurtext auf Typenschildern darf höchstens 24 Zeichen haben; erlaubt sind Buchstaben, Ziffern und
diese Zeichen: {HOSTILE_IMG} und {HOSTILE_SCRIPT} werden dagegen wörtlich graviert, nie ausgeführt.
"""


def _admin(page: Any, base: str) -> None:
    settings = get_settings()
    page.goto(f"{base}/admin?lang=de")  # the login page when there is no admin session yet
    if page.locator("#username").count():
        page.locator("#username").fill(settings.admin_user)
        page.locator("#password").fill(settings.admin_password.get_secret_value())
        page.get_by_role("button", name="Anmelden", exact=True).click()
    page.locator("#file").wait_for()


def test_hostile_text_from_the_user_and_from_a_document_renders_as_text(
        stack: Any, page: Any, watch: Any, shot: Any) -> None:
    _admin(page, stack.app_url)
    page.locator("#file").set_input_files(
        {"name": f"{ADMIN_DOC_ID}.md", "mimeType": "text/markdown", "buffer": ADMIN_DOC.encode()})
    page.get_by_role("button", name="Hochladen").click(timeout=90_000)  # waits for the index rebuild
    # validated on a staging copy, index rebuilt and live ("unchanged" if an earlier run left it behind)
    page.locator("p.ok", has_text=re.compile("Übernommen|Keine inhaltliche Änderung")).wait_for()
    try:
        page.goto(f"{stack.app_url}/?lang=de")
        open_widget(page)
        typed = f"Test {HOSTILE_IMG} und {HOSTILE_SCRIPT}"
        say(page, typed)
        assert page.locator(".aw-user").last.inner_text().endswith(typed)
        reply = say(page, "Welche Zeichen darf der Gravurtext auf Typenschildern enthalten?")
        page.wait_for_timeout(300)  # give any injected handler the chance to fire
        # the document's title and quoted passage, markup and all, shown as text
        titles = reply.locator(".aw-srcs li a").all_inner_texts()
        assert any(HOSTILE_IMG in t for t in titles), titles
        excerpts = reply.locator(".aw-srcs blockquote").all_inner_texts()
        assert any("<img src=x onerror=alert(1)" in e and "<script" in e for e in excerpts), excerpts
        counts = shadow_counts(page)
        assert counts["img"] == 0 and counts["script"] == 0 and counts["handlers"] == 0, counts
        assert all(h.startswith(("http://", "https://")) for h in counts["hrefs"]), counts["hrefs"]
        shot(page, "hostile")

        # the knowledge page of that document shows the markup as text too
        src = reply.locator(".aw-srcs li a", has_text="Sonderzeichen").first
        with page.context.expect_page() as opened:
            src.click()
        doc = opened.value
        doc.on("dialog", lambda d: (watch.dialogs.append(d.message), d.dismiss()))
        doc.wait_for_load_state()
        assert HOSTILE_SCRIPT in doc.locator("article").inner_text()
        assert doc.locator("article img, article script").count() == 0
        doc.wait_for_timeout(300)
        shot(doc, "hostile-document")
        doc.close()
        assert watch.dialogs == []
        watch.assert_clean()
    finally:
        _admin(page, stack.app_url)
        page.get_by_role("button", name=f"Löschen {ADMIN_DOC_ID}").click(timeout=90_000)
        page.locator("p.ok", has_text="Gelöscht").wait_for()


def test_keyboard_only_conversation(stack: Any, page: Any, watch: Any, shot: Any, axe_source: str) -> None:
    page.goto(f"{stack.app_url}/?lang=de")
    page.locator(".aw-launcher").wait_for()
    for _ in range(60):  # Tab through the shop page until the launcher has focus
        page.keyboard.press("Tab")
        if "aw-launcher" in shadow_active(page):
            break
    assert "aw-launcher" in shadow_active(page)
    page.keyboard.press("Enter")
    page.locator(".aw-panel").wait_for(state="visible")
    assert "aw-input" in shadow_active(page)
    page.keyboard.type("Was kannst du?")
    page.keyboard.press("Enter")
    reply = wait_turn(page, 0)
    assert "Produktfinder" in reply.inner_text()
    for _ in range(30):  # back from the input to the answer's buttons
        if "aw-chip" in shadow_active(page) and "Produkt finden" in shadow_active(page):
            break
        page.keyboard.press("Shift+Tab")
    assert "Produkt finden" in shadow_active(page)
    shot(page, "keyboard-chip")
    page.keyboard.press("Enter")
    finder = wait_turn(page, 1)
    assert finder.inner_text().strip()
    assert page.locator(".aw-user").last.inner_text().endswith("Produkt finden")
    shot(page, "keyboard-finder")
    assert run_axe(page, axe_source) == []
    page.keyboard.press("Escape")
    page.locator(".aw-panel").wait_for(state="hidden")
    assert "aw-launcher" in shadow_active(page)
    watch.assert_clean()


def test_product_page_on_a_phone(stack: Any, browser: Any, shot: Any, axe_source: str) -> None:
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True,
                              locale="en-GB")
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{stack.app_url}/shop/p/3SX-0604?lang=en")
        open_widget(page)
        assert page.locator(".aw-panel").bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 740}
        reply = say(page, "Is this fitting suitable for 120 °C?")
        # the page's article goes along: the quoted passage is from its series' datasheet (3SX, up to +120 °C)
        quote = reply.locator(".aw-msg").first.inner_text()
        assert "3SX" in quote and "120 °C" in quote, quote
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        shot(page, "phone-answer")
        assert run_axe(page, axe_source) == []
        assert errors == []
    finally:
        ctx.close()


def test_first_message_painted_within_300ms_on_the_real_page(stack: Any, page: Any, watch: Any) -> None:
    samples = []
    for _ in range(5):
        page.goto(f"{stack.app_url}/?lang=de")
        page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
        page.reload()
        page.locator(".aw-launcher").wait_for()
        page.wait_for_timeout(100)  # idle page, as a visitor would click it
        samples.append(measure_first_paint(page))
    assert all(s >= 0 for s in samples), samples  # -1: no message painted two frames after the click
    median = statistics.median(samples)
    write_bench(median, widget_gzip_bytes(stack.app_url), samples)
    assert median <= 300, samples
    assert replies(page).count() == 0
    watch.assert_clean()

