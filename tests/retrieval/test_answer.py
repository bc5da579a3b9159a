import re

from assistant.retrieval.passages import passage_units as _units


def _types(answer):
    return [m["type"] for m in answer.messages]


def _text(answer):
    return "\n".join(m["text"] for m in answer.messages if m["type"] == "text")


def test_german_answer_quotes_the_passage_and_links_the_source(service):
    a = service.answer("Wie schnell wird geliefert, wenn ich bis 14 Uhr bestelle?", "de")
    assert a.answered and a.reason is None
    assert _text(a).startswith("Laut FAQ „Häufige Fragen zu Lieferung und Versand“:")
    assert "bis 14 Uhr eingeht" in _text(a).split("\n", 1)[1]  # the sentence that answers, quoted
    sources = next(m for m in a.messages if m["type"] == "sources")["items"]
    assert sources[0]["url"] == "https://shop.example/kb/doc/faq-lieferung"
    assert "14 Uhr" in sources[0]["excerpt"]


def test_english_answer_with_fitting_product_and_facts(service):
    a = service.answer("Which quick coupling for mobile hydraulics at 350 bar?", "en")
    assert a.answered
    products = next(m for m in a.messages if m["type"] == "products")["items"]
    assert products[0]["sku"] == "QC-300-08"
    assert products[0]["url"] == "https://shop.example/shop/p/QC-300-08"
    assert products[0]["facts"]["Max. pressure"] == "350 bar ✓"
    assert _text(a).startswith("For your requirements (Max. pressure 350 bar")
    assert "meet all" not in _text(a)  # only what was checked is claimed
    buttons = next(m for m in a.messages if m["type"] == "buttons")["buttons"]
    assert {"/start_finder", "/start_rfq"} <= {b["payload"] for b in buttons}
    docs = next(m for m in a.messages if m["type"] == "documents")["items"]
    assert docs[0] == {
        "title": "Datasheet QC-300-08",
        "kind": "datasheet",
        "url": "https://shop.example/kb/doc/ds-qc300",
    }


def test_no_product_meets_the_constraints_says_so_and_why(service):
    for lang, question, phrase, why in [
        ("de", "Lebensmittelschlauch bis 120 °C", "Kein Artikel", "Temperatur max. 90 °C statt 120 °C"),
        ("en", "food hose up to 120 °C", "No article", "Max. temperature 90 °C instead of 120 °C"),
    ]:
        a = service.answer(question, lang)
        assert not a.answered and a.reason == "no_product_match"
        assert phrase in _text(a) and why in _text(a), _text(a)
        assert "/request_human" in {b["payload"] for m in a.messages if m["type"] == "buttons" for b in m["buttons"]}


def test_unanswerable_question_is_reported_unanswered(service):
    for lang, q in [("de", "Wer gewann die Fußball-Weltmeisterschaft 1954?"), ("en", "Who painted the Mona Lisa?")]:
        a = service.answer(q, lang)
        assert not a.answered and a.reason in ("low_score", "no_documents")
        assert "sources" not in _types(a)
        assert ("keine verlässliche Antwort" if lang == "de" else "can't find a reliable answer") in _text(a)


def test_numbers_in_the_answer_come_from_the_sources(service):
    a = service.answer("Wie schnell wird geliefert, wenn ich bis 14 Uhr bestelle?", "de")
    sources = " ".join(s["excerpt"] for m in a.messages if m["type"] == "sources" for s in m["items"])
    for number in re.findall(r"\d+", _text(a)):
        assert number in sources or number in "14", number


def test_context_sku_prefers_its_documents(service):
    a = service.answer("Wie wird das montiert?", "de", context_sku="3S-1208")
    assert a.hits[0].doc_id in ("ds-3s", "product:3S-1208")


def test_table_rows_become_header_value_pairs():
    units = _units("| Artikel | Druck |\n|---|---|\n| X-1 | 16 bar |")
    assert units == ["Artikel: X-1; Druck: 16 bar"]
