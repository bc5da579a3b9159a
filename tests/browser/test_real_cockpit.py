"""End to end through the real app and Rasa (the session's `stack`): a visitor's question in the widget, thumbs
down, and the content team finding it in the review, filing a case and seeing it counted on the insights page.

This proves the whole path the fakes stand in for elsewhere: the answer's private ``_analytics`` payload passes
Rasa's REST channel, the gateway strips it and records the turn in the background, the thumbs attach to that
turn, and the cockpit reads it back, in German and English.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.browser.real_helpers import open_widget, say
from tests.browser.test_cockpit import admin_log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration]

QUESTIONS = {
    "de": "Welche Steckverschraubung eignet sich für die Lebensmittelindustrie bis 120 °C?",
    "en": "Which push-in fitting suits the food industry up to 120 °C?",
}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_a_thumbs_down_answer_reaches_the_review_and_the_insights(page: Any, stack: Any, shot: Any,
                                                                  lang: str) -> None:
    de = lang == "de"
    base = stack.app_url
    marker = f"{QUESTIONS[lang]} ({int(time.time() * 1000) % 100000})"  # this run's own question
    page.goto(f"{base}/shop/p/3SX-0804?lang={lang}")
    open_widget(page)
    reply = say(page, marker)
    reply.locator(".aw-rate-down").click()
    reply.locator(".aw-fb-note").get_by_text("Danke für Ihre Rückmeldung!" if de else "Thank you for your feedback!"
                                             ).wait_for()
    assert "_analytics" not in page.content()

    admin_log_in(page, base, lang)
    review = (f"{base}/admin/review?lang={lang}&period=today&touchpoint=product&thumbs_down=1"
              f"&q={marker.split('(')[-1].rstrip(')')}")
    deadline = time.monotonic() + 20  # the turn and the rating are written in the background
    while True:
        page.goto(review)
        if page.locator("article.answer").count() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    answer = page.locator("article.answer").first
    assert marker in answer.locator("h3.question").inner_text()
    meta = answer.locator(".meta").inner_text()
    assert ("Produktseite" if de else "Product page") in meta and "3SX-0804" in meta
    assert ("Daumen runter" if de else "Thumbs down") in meta and ("Beantwortet" if de else "Answered") in meta
    assert answer.locator(".sources a").count() >= 1  # the cited documents, as the answer named them
    answer.get_by_role("button", name="Falsche Antwort erfassen" if de else "File as wrong answer").click()
    page.locator("article.answer").first.get_by_text(
        "Fall erfasst: Falsche Antwort" if de else "Case filed: Wrong answer").wait_for()
    shot(page, "review")

    page.goto(f"{base}/admin/insights?lang={lang}&period=last_7&touchpoint=product&language={lang}")
    tiles = page.locator("ul.kpis").inner_text()
    conversations = int(re.search(r"([\d.,]+)\s*\n?\s*(Gespräche|Conversations)", tiles).group(1).replace(".", "")
                        .replace(",", ""))
    assert conversations >= 1
    assert "–" not in page.locator("#thumbs desc").text_content()  # a thumbs ratio exists for that page and language
    shot(page, "insights")
