"""An imported product in chat: its supplier number is recognised by catalogue lookup (not by the demo pattern),
the knowledge answer reads its row, and the finder finds it."""

from __future__ import annotations

import io

import pytest

from assistant.actions.finder import CsvCatalogue, candidates
from assistant.articles import find_known, is_supplier_sku, lookup_table
from assistant.catalog.lookup import articles_in
from assistant.commerce import validation
from assistant.errors import NotFound
from assistant.retrieval.constraints import parse_constraints
from tests.catalog import samples


def test_supplier_numbers_are_accepted_and_bounded():
    assert all(is_supplier_sku(s) for s in ("4711020", "12.345.67", "123 456 78", "AB-12.3"))
    assert not any(is_supplier_sku(s) for s in ("12..3", " 12", "12 ", "ab12", "a/b", "1" * 21, "12\n34"))
    assert validation.sku("12.345.67") == "12.345.67"
    with pytest.raises(NotFound):
        validation.sku("../etc/passwd")


def test_lookup_finds_whole_numbers_only():
    known = lookup_table(["4711", "12.345.67", "123 456 78"])
    assert find_known("Preis für 12.345.67 und 123  456 78?", known) == ["12.345.67", "123 456 78"]
    assert find_known("Bestellung 47110 und 4711-2", known) == []
    assert find_known("x " * 3000, known) == []


@pytest.fixture
def imported(importer, knowledge_dir):
    report = importer.run(io.BytesIO(samples.catalog_2005([samples.product_2005("12.345.67")])))
    assert report.ok, report.text("en")
    return knowledge_dir


@pytest.mark.parametrize(("question", "language", "fact"), [
    ("Ist 12.345.67 für 70 °C geeignet?", "de", "80"),
    ("Is 12.345.67 suitable for 70 °C?", "en", "80"),
])
def test_imported_article_is_answerable(imported, knowledge, question, language, fact):
    answer = knowledge.answer(question, language)
    text = " ".join(str(m.get("text", "")) for m in answer.messages)
    assert answer.answered and fact in text and "12.345.67" in text, text


def test_imported_article_is_found_by_lookup_and_in_the_finder(imported):
    assert articles_in("Was kostet 12.345.67?", imported) == ["12.345.67"]
    products = CsvCatalogue(imported, "https://shop.example").products()
    hits = [m.product.sku for m in candidates(parse_constraints("Magnetventil für Druckluft bei 70 °C"), products)
            if m.fits]
    assert "12.345.67" in hits
