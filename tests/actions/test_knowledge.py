"""Knowledge actions: grounded answers with sources, honest non-answers, the fallback, and what gets recorded."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from assistant.actions.knowledge import (
    ActionAnswerKnowledge,
    ActionKnowledgeFallback,
    looks_like_product_question,
)
from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.service import KnowledgeService
from assistant.settings import Settings
from tests.actions.helpers import run, tracker

FIXTURES = Path(__file__).resolve().parents[1] / "retrieval" / "fixtures" / "knowledge"


class Recorder:
    """Stands in for Analytics: keeps what the action would store."""

    def __init__(self, fail: bool = False) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.fail = fail

    def record_unanswered(self, question: str, kind: str, language: str, score: Any, sender: Any) -> None:
        if self.fail:
            raise RuntimeError("database down")
        self.rows.append((question, kind, language))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeService:
    root = tmp_path_factory.mktemp("kbactions")
    shutil.copytree(FIXTURES, root / "knowledge")
    settings = Settings(
        var_dir=root / "var", knowledge_dir=root / "knowledge", index_dir=root / "index",
        embedding_backend="hash", public_url="https://shop.example",
    )
    svc = KnowledgeService(settings=settings, embedder=HashEmbedder())
    svc.build()
    return svc


def _messages(dispatcher: Any) -> list[dict[str, Any]]:
    return [m["custom"] for m in dispatcher.messages]


def _text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def _of(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == kind]


def _payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for m in _of(messages, "buttons") for b in m["buttons"]]


async def test_english_product_question_gets_the_fitting_coupling_facts_and_sources(service) -> None:
    rec = Recorder()
    action = ActionAnswerKnowledge(service, rec)
    d, events = await run(action, tracker("Which quick coupling for mobile hydraulics at 350 bar?", "ask_knowledge",
                                          language="en"))
    messages = _messages(d)
    assert events == []
    product = _of(messages, "products")[0]["items"][0]
    assert product["sku"] == "QC-300-08" and product["facts"]["Max. pressure"] == "350 bar ✓"
    assert _text(messages).startswith("For your requirements (Max. pressure 350 bar")
    assert _of(messages, "sources")[0]["items"][0]["url"].startswith("https://shop.example/kb/")
    assert {"/start_finder", "/start_rfq"} <= set(_payloads(messages))
    assert rec.rows == []  # answered: nothing for the report


async def test_german_faq_question_quotes_the_passage_with_its_source(service) -> None:
    d, _ = await run(ActionAnswerKnowledge(service, Recorder()),
                     tracker("Wie schnell wird geliefert, wenn ich bis 14 Uhr bestelle?", "ask_knowledge"))
    messages = _messages(d)
    assert _text(messages).startswith("Laut FAQ „Häufige Fragen zu Lieferung und Versand“:")
    source = _of(messages, "sources")[0]["items"][0]
    assert source["url"] == "https://shop.example/kb/doc/faq-lieferung" and "14 Uhr" in source["excerpt"]


async def test_every_answer_button_is_a_payload_the_gateway_accepts(service) -> None:
    questions = [("Lebensmittelschlauch bis 120 °C", "de"), ("Which quick coupling for 350 bar?", "en"),
                 ("Wer gewann die Fußball-Weltmeisterschaft 1954?", "de")]
    for question, lang in questions:
        d, _ = await run(ActionAnswerKnowledge(service, Recorder()), tracker(question, "ask_knowledge", language=lang))
        payloads = _payloads(_messages(d))
        assert payloads and "/handoff" not in payloads
        assert not any(p.startswith("/request_datasheet") for p in payloads)
        for p in payloads:
            if p.startswith("/request_document"):
                assert p.startswith('/request_document{"sku": "')


@pytest.mark.parametrize(
    ("question", "lang", "phrase", "why"),
    [
        ("Lebensmittelschlauch bis 120 °C", "de", "Kein Artikel", "Temperatur max. 90 °C statt 120 °C"),
        ("food hose up to 120 °C", "en", "No article", "Max. temperature 90 °C instead of 120 °C"),
    ],
)
async def test_no_fitting_product_is_said_plainly_with_the_closest_and_recorded(
    service, question: str, lang: str, phrase: str, why: str
) -> None:
    rec = Recorder()
    d, _ = await run(ActionAnswerKnowledge(service, rec), tracker(question, "ask_knowledge", language=lang))
    messages = _messages(d)
    assert phrase in _text(messages) and why in _text(messages)
    assert "/request_human" in _payloads(messages) and "/start_rfq" in _payloads(messages)
    assert rec.rows == [(question, "no_product_match", lang)]


@pytest.mark.parametrize(
    ("question", "lang", "phrase"),
    [
        ("Wer gewann die Fußball-Weltmeisterschaft 1954?", "de", "keine verlässliche Antwort"),
        ("Who painted the Mona Lisa?", "en", "can't find a reliable answer"),
    ],
)
async def test_unanswerable_question_is_honest_offers_a_person_and_is_recorded(
    service, question: str, lang: str, phrase: str
) -> None:
    rec = Recorder()
    d, _ = await run(ActionAnswerKnowledge(service, rec), tracker(question, "ask_knowledge", language=lang))
    messages = _messages(d)
    assert phrase in _text(messages)
    assert not _of(messages, "sources")
    assert "/request_human" in _payloads(messages)
    assert len(rec.rows) == 1 and rec.rows[0][1] in ("low_score", "no_documents")


async def test_product_page_context_reaches_the_knowledge_service() -> None:
    seen: list[tuple[str, str, Any]] = []

    class Spy:
        def answer(self, question: str, language: str, sku: Any) -> Any:
            from assistant.retrieval.models import KnowledgeAnswer

            seen.append((question, language, sku))
            return KnowledgeAnswer(messages=[{"type": "text", "text": "ok"}], answered=True, top_score=1.0)

    await run(ActionAnswerKnowledge(Spy(), Recorder()),  # type: ignore[arg-type]
              tracker("is this one suitable for 120 °C?", "ask_knowledge", language="en", page={"sku": "3S-1208"}))
    assert seen == [("is this one suitable for 120 °C?", "en", "3S-1208")]
    await run(ActionAnswerKnowledge(Spy(), Recorder()),  # type: ignore[arg-type]
              tracker("Ist FKM dampffest? Antwort an jan@kunde.de oder +49 30 1234567", "ask_knowledge"))
    assert seen[-1] == ("Ist FKM dampffest? Antwort an oder", "de", None)


async def test_failing_analytics_never_breaks_the_reply(service) -> None:
    d, _ = await run(ActionAnswerKnowledge(service, Recorder(fail=True)),
                     tracker("Who painted the Mona Lisa?", "ask_knowledge", language="en"))
    assert "can't find a reliable answer" in _text(_messages(d))


async def test_index_missing_is_reported_as_unavailable_not_as_an_error_text(tmp_path: Path) -> None:
    empty = Settings(var_dir=tmp_path / "v", knowledge_dir=tmp_path / "k", index_dir=tmp_path / "i",
                     embedding_backend="hash")
    svc = KnowledgeService(settings=empty, embedder=HashEmbedder(), auto_build=False)
    d, _ = await run(ActionAnswerKnowledge(svc, Recorder()), tracker("Welche Kupplung für 350 bar?", "ask_knowledge"))
    text = _text(_messages(d))
    assert text and "Traceback" not in text and "IndexNotBuilt" not in text
    assert text == __import__("assistant.i18n", fromlist=["t"]).t("backend_unavailable", "de")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("welche kupplung hält 350 bar", True),
        ("hose for steam?", True),
        ("geht 3S-1208 bei 120 °C", True),
        ("bis 120 °C", True),
        ("wie wird das wetter morgen?", False),
        ("tell me a joke", False),
        ("xqz vbnm plok", False),
        ("", False),
    ],
)
def test_what_looks_like_a_product_question(text: str, expected: bool) -> None:
    assert looks_like_product_question(text) is expected


async def test_out_of_scope_small_talk_gets_the_out_of_scope_text_in_both_languages(service) -> None:
    rec = Recorder()
    d, _ = await run(ActionKnowledgeFallback(service, rec), tracker("Wie wird das Wetter morgen?", "out_of_scope"))
    assert _messages(d) == [{"type": "text", "text": "Dabei kann ich leider nicht helfen. Ich beantworte Fragen zu "
                                                    "unseren Produkten, Anwendungen, Bestellungen und Dokumenten."}]
    d, _ = await run(ActionKnowledgeFallback(service, rec), tracker("tell me a joke", "out_of_scope", language="en"))
    assert "can't help" in _text(_messages(d))
    assert rec.rows == []


async def test_out_of_scope_that_is_a_product_question_is_answered_from_the_documents(service) -> None:
    d, _ = await run(ActionKnowledgeFallback(service, Recorder()),
                     tracker("Which quick coupling for mobile hydraulics at 350 bar?", "out_of_scope", language="en"))
    messages = _messages(d)
    assert _of(messages, "products")[0]["items"][0]["sku"] == "QC-300-08"
    assert _of(messages, "sources")


async def test_low_confidence_gibberish_gets_the_fallback_buttons_and_is_recorded(service) -> None:
    for lang, phrase in (("de", "anders formulieren"), ("en", "rephrase")):
        rec = Recorder()
        d, _ = await run(ActionKnowledgeFallback(service, rec), tracker("xqz vbnm plok", "nlu_fallback", language=lang))
        messages = _messages(d)
        assert phrase in _text(messages)
        assert _payloads(messages) == ["/start_finder", "/start_rfq", "/request_human"]
        assert rec.rows == [("xqz vbnm plok", "fallback", lang)]


async def test_low_confidence_product_question_without_a_good_answer_falls_back_honestly(service) -> None:
    for question, lang, phrase in (("Gibt es das Ventil in lila mit Einhornmuster?", "de", "anders formulieren"),
                                   ("valve in purple with unicorn print?", "en", "rephrase")):
        rec = Recorder()
        d, _ = await run(ActionKnowledgeFallback(service, rec), tracker(question, "nlu_fallback", language=lang))
        messages = _messages(d)
        assert phrase in _text(messages)
        assert _payloads(messages) == ["/start_finder", "/start_rfq", "/request_human"]
        assert rec.rows == [(question, "fallback", lang)]


async def test_low_confidence_product_question_with_an_answer_is_answered(service) -> None:
    rec = Recorder()
    d, _ = await run(ActionKnowledgeFallback(service, rec),
                     tracker("lieferung bis 14 uhr bestellt wie schnell", "nlu_fallback"))
    messages = _messages(d)
    assert "Häufige Fragen zu Lieferung und Versand" in _text(messages)
    assert rec.rows == []
