"""A question parsed once: what it asks for, what it is about, which conditions it states, which kind it is."""

from __future__ import annotations

import pytest

from assistant.retrieval.glossary import load_glossary
from assistant.retrieval.loaders import load_products
from assistant.retrieval.question import Catalogue, parse_question
from assistant.settings import PROJECT_ROOT

GLOSSARY = load_glossary(PROJECT_ROOT / "knowledge")[0]
PRODUCTS, _, _ = load_products(PROJECT_ROOT / "knowledge" / "products.csv", PROJECT_ROOT / "knowledge")
CATALOGUE = Catalogue.of({p.sku: p for p in PRODUCTS})


def parse(text: str, lang: str = "de", page: str | None = None):
    return parse_question(text, lang, GLOSSARY, CATALOGUE, page)


@pytest.mark.parametrize(("text", "lang", "kind"), [
    ("Can I use the SV-540 in zone 20?", "en", "suitability"),
    ("Kann ich die 3S-1208 für Dampf nehmen?", "de", "suitability"),
    ("Darf der Drehkörper der 3SL dauernd rotieren?", "de", "suitability"),
    ("Welches Anzugsmoment gilt für 3S mit G1/8?", "de", "value"),
    ("What is the minimum bend radius of HS-201?", "en", "value"),
    ("Welche Steckverschraubung für 8er Schlauch mit G1/4?", "de", "selection"),
    ("push-in fitting for 6 mm tube G1/8 thread", "en", "selection"),  # "thread" is stated, not asked
    ("Which ball valve for 16 bar steam?", "en", "selection"),
    ("Wie lange dauert der Versand nach Österreich?", "de", "value"),
])
def test_kind(text: str, lang: str, kind: str) -> None:
    assert parse(text, lang).kind == kind


def test_subject_from_article_series_or_product_page() -> None:
    q = parse("Is the QC-300 coupling suitable for 350 bar?", "en")
    assert q.series_names == ("QC-300",) and "QC-300-08" in q.subject_skus and not q.skus
    assert parse("Darf der 3SL rotieren?").series_names == ("3SL",)  # not the 3S inside it
    q = parse("ist der für 120 °C geeignet?", page="3S-1208")
    assert q.skus == ("3S-1208",) and q.kind == "suitability"


def test_conditions_say_each_requirement_once() -> None:
    q = parse("Kann ich den HS-201 für Heißwasser bei 12 bar und 150 °C in Zone 1 verwenden?")
    kinds = [(c.kind, c.value) for c in q.conditions]
    assert ("pressure", "12 bar") in kinds and ("temperature_max", "150 °C") in kinds and ("zone", "1") in kinds
    assert ("medium_word", "hot_water") in kinds and ("medium", "water") not in kinds


def test_the_other_languages_words_join_the_search() -> None:
    q = parse("Welcher Unterdruck ist möglich?")
    assert "vacuum" in q.search_text and q.asked == ("vacuum",)


def test_several_questions_in_one_message_are_parts_that_share_the_subject() -> None:
    q = parse("Welchen Biegeradius hat der HS-201? Und wie oft muss er geprüft werden?")
    assert len(q.parts) == 2
    assert all(p.series_names == ("HS-201",) for p in q.parts)


def test_parsing_is_bounded_on_hostile_text() -> None:
    import time

    for text in ("1" * 5000, "G1/4 " * 600, "zone " * 600, "?" * 3000, "Kann ich " * 300):
        started = time.perf_counter()
        q = parse(text)
        assert time.perf_counter() - started < 1.0 and len(q.text) <= 2000
