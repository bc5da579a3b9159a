"""One rule set for "is this a question about how things are?" (read by Rasa's NLU step and by the actions)."""

from __future__ import annotations

import pytest

from assistant.routing import about_own_business, is_question, misrouted_question


@pytest.mark.parametrize(("text", "intent", "expected"), [
    ("Welche CAD-Formate gibt es?", "price_list", True),
    ("Gibt es eine Preisgleitklausel im Rahmenvertrag?", "price_list", True),
    ("Kann mir jemand sagen, ob die 3SX-Serie dampffest ist?", "request_human", True),  # the person is a manner
    ("Can I talk to someone from sales?", "request_human", False),
    ("Können Sie mir sagen, wie lange der Versand nach Österreich dauert?", "request_human", True),
    ("which push-in fitting do I need for 8 mm tubing?", "start_finder", True),
    ("What does the product finder do?", "start_finder", False),  # asks about the finder: let it start
    ("Ich möchte mit einem Menschen sprechen", "request_human", False),
    ("Preisliste für Steckverschraubungen", "price_list", False),  # a request, not a question
    ("Was kostet die Preisliste?", "price_list", False),
    ("can I get a quote for 50 pieces?", "start_rfq", False),
    ("Wo ist meine Bestellung?", "request_human", False),  # the buyer's own order
    ("Welche CAD-Formate gibt es?", "ask_knowledge", False),  # already where it belongs
    ("/start_finder", "start_finder", False),
])
def test_misrouted_questions(text: str, intent: str, expected: bool) -> None:
    assert misrouted_question(text, intent) is expected


def test_questions_and_own_business_in_both_languages() -> None:
    assert is_question("bis wann muss ich bestellen damit lagerware heute noch rausgeht")
    assert is_question("who has to confirm a 3.2 certificate?") and not is_question("Preisliste Schläuche")
    assert about_own_business("Rechnung zu Auftrag 4711") and about_own_business("where is my order?")
    assert not about_own_business("Wie verfolge ich meine Sendung?")  # how it works, not where mine is
    assert about_own_business("Datenblatt 3S-1208?") and not about_own_business("kv-Wert vom SV-520-08?", False)


def test_rules_are_linear_on_hostile_text() -> None:
    import time

    for text in ("wie " * 600, "?" * 2400, "Auftrag " + "9" * 2000, "mein " * 500 + "bestellung", "a-" * 1200):
        started = time.perf_counter()
        misrouted_question(text, "price_list")
        about_own_business(text)
        assert time.perf_counter() - started < 0.2, text[:20]
