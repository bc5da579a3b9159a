"""The widget on the real demo portal, talking to the real app and Rasa: a signed-in buyer reorders with buttons,
opens an invoice PDF, and a change of user starts a fresh, empty conversation.

The reorder is clicked from the first step: the portal's greeting offers the buyer's starter buttons
("Nachbestellen", "Meine offenen Aufträge", ...), the reorder asks which order with buttons, then shows the quote
with the confirm button. Nothing is typed until the invoice request.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.real_helpers import click_chip, open_widget, replies, run_axe, say

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TEXTS = {
    "de": {"login": "Anmelden", "logout": "Abmelden", "signed_in": "Angemeldet als",
           "reorder": "Nachbestellen", "which": "Welche Bestellung", "quote": "Nachbestellung von Auftrag",
           "placed": "Ihre Bestellung ist aufgegeben", "confirm": ("Bestellen", "Mit Nachfolgeartikel bestellen"),
           "invoice": "Rechnung zu Auftrag {n}", "kind": "Rechnung", "hello": "Hallo", "greet": "Guten Tag, Sabine"},
    "en": {"login": "Sign in", "logout": "Sign out", "signed_in": "Signed in as", "reorder": "Reorder",
           "which": "Which order", "quote": "Reorder of order", "placed": "Your order has been placed",
           "confirm": ("Place order", "Order with successor"),
           "invoice": "invoice for order {n}", "kind": "Invoice", "hello": "Hello", "greet": "Hello, Sabine"},
}


def sign_in(page: Any, base: str, user_id: str, lang: str) -> None:
    page.goto(f"{base}/portal?lang={lang}")
    page.locator(f"input[value={user_id}]").check()
    page.get_by_role("button", name=TEXTS[lang]["login"], exact=True).click()
    page.get_by_text(TEXTS[lang]["signed_in"]).wait_for()


@pytest.mark.parametrize("lang", ["de", "en"])
def test_reorder_with_buttons_invoice_pdf_and_user_switch(stack: Any, page: Any, watch: Any, shot: Any,
                                                         axe_source: str, lang: str) -> None:
    tx = TEXTS[lang]
    sign_in(page, stack.app_url, "u-1001", lang)  # Anna Müller, buyer at Müller Maschinenbau
    shot(page, "signed-in")
    open_widget(page)

    greeting = page.locator(".aw-greeting")
    asked = click_chip(page, greeting, tx["reorder"])  # a starter button: the reorder needs no typing at all
    assert page.locator(".aw-user").last.inner_text().endswith(tx["reorder"])
    assert tx["which"] in asked.inner_text()
    chip = asked.locator(".aw-chip").first
    number = re.match(r"\s*(\d+)", chip.inner_text()).group(1)
    quote = click_chip(page, asked, number)
    assert quote.inner_text().lstrip().startswith(tx["quote"]) or tx["quote"] in quote.inner_text()
    assert f"{number}" in quote.inner_text()
    shot(page, "reorder-quote")
    titles = [t.strip() for t in quote.locator(".aw-chip").all_inner_texts()]
    confirm = [t for t in titles if t in tx["confirm"]]  # plain, or with the successor of a discontinued article
    assert confirm, titles
    placed = click_chip(page, quote, confirm[0])
    assert tx["placed"] in placed.inner_text(), placed.inner_text()
    assert quote.locator(".aw-chip", has_text=confirm[0]).first.is_disabled()  # a used button cannot order twice
    shot(page, "reorder-placed")
    assert run_axe(page, axe_source) == []

    # the invoice of the reordered order: a signed link, served as a PDF
    docs = say(page, tx["invoice"].format(n="4711"))
    link = docs.locator(".aw-docs li", has=page.locator(".aw-kind", has_text=tx["kind"])).first.locator("a")
    href = link.get_attribute("href")
    assert href.startswith(f"{stack.app_url}/api/documents/"), href
    with page.context.expect_event("response", lambda r: r.url == href) as served:
        link.click()
    response = served.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    # chromium's PDF viewer takes the response over, so read the same signed link again for the bytes
    again = page.context.request.get(href)
    assert again.status == 200 and again.body().startswith(b"%PDF")
    for other in page.context.pages:
        if other is not page:
            other.close()
    shot(page, "invoice")
    assert replies(page).count() == 4

    # another person signs in on the same browser: nothing of Anna's conversation is shown or continued
    page.get_by_role("button", name=tx["logout"], exact=True).click()
    page.locator("input[value=u-2001]").wait_for()
    sign_in(page, stack.app_url, "u-2001", lang)  # Sabine Hansen, Nordsee Lebensmitteltechnik
    page.locator(".aw-panel").wait_for(state="visible")  # it was open, so it opens again, for the new person
    page.locator(".aw-greeting").wait_for()
    assert replies(page).count() == 0
    assert page.locator(".aw-user").count() == 0
    hello = say(page, tx["hello"])
    assert tx["greet"] in hello.inner_text()
    assert "Anna" not in page.locator(".aw-log").inner_text()
    shot(page, "switched-user")
    watch.assert_clean()
