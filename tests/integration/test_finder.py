"""Product finder conversations through the real gateway and Rasa, German and English."""

from __future__ import annotations

import pytest

from tests.integration.conftest import text_of, token_for
from tests.integration.test_rfq import Chat

pytestmark = pytest.mark.integration


def products_of(messages) -> list[dict]:
    return [p for m in messages if m["type"] == "products" for p in m["items"]]


def test_need_in_free_text_asks_only_what_is_missing_then_narrows_de(stack) -> None:
    chat = Chat(stack, token_for("jonas.weber@mueller-maschinenbau.de"))
    first = chat.say("Ich suche eine Steckverschraubung für Druckluft")
    question = next(m for m in first if m["type"] == "buttons")
    assert "Anschluss" in question["text"]  # product group and medium were given: not asked again
    assert "Druckluft" not in [b["title"] for b in question["buttons"]]
    results = chat.say("8 mm, Edelstahl")
    items = products_of(results)
    assert 1 <= len(items) <= 5
    assert all(any(k.startswith("✓") for k in p["facts"]) for p in items)
    assert any(m["type"] == "documents" for m in results)
    payloads = [b["payload"] for m in results for b in m.get("buttons") or []]
    assert any(p.startswith("/add_to_rfq") for p in payloads) and "/compare_products" in payloads
    table = text_of(chat.say(payload="/compare_products"))
    assert "Vergleich" in table and "Druck max." in table


def test_finder_by_buttons_and_closest_results_en(stack) -> None:
    chat = Chat(stack, token_for("mehmet.yilmaz@nordsee-lt.de"), locale="en")
    question = chat.say(payload="/start_finder")
    assert "Which product group" in text_of(question)
    asked = text_of(chat.say(payload='/inform{"finder_value":"Schlauch"}'))
    assert "medium" in asked
    closest = chat.say("steam at 400 °C")
    text = text_of(closest)
    if "No article fits every requirement checked" not in text:  # the finder may ask one more question first
        text = text_of(closest := chat.say(payload='/inform{"finder_value":"show"}'))
    assert "No article fits every requirement checked" in text
    assert any(any(k.startswith("✗") for k in p["facts"]) for p in products_of(closest))


def test_knowledge_question_after_results_and_back_to_rfq_de(stack) -> None:
    chat = Chat(stack, token_for("klaus.petersen@nordsee-lt.de"))
    chat.say("Ich suche eine Steckverschraubung für Druckluft")
    results = chat.say("8 mm, Edelstahl")
    add = next(b["payload"] for m in results for b in m.get("buttons") or [] if b["payload"].startswith("/add_to"))
    answer = chat.say("Ist die 3SX-0804 für Dampf geeignet?")
    assert text_of(answer)  # the knowledge action answers; the finder result stays usable
    assert "Wie viele Stück" in text_of(chat.say(payload=add))
