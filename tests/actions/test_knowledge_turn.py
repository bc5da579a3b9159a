"""Misrouted knowledge questions: a transactional action answers them from the documents instead of asking the
visitor to log in, to name an article or to pick a price list; its own requests still go their way."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.actions.documents import ActionRequestDocument
from assistant.actions.knowledge_turn import knowledge_question
from assistant.actions.orders import ActionOrderStatus
from assistant.actions.prices import ActionPriceList
from assistant.actions.reorder import DRAFT_SLOT, ActionChangeDraft
from assistant.retrieval.service import KnowledgeService
from tests.actions.helpers import run, texts, tracker
from tests.actions.orders_support import ANNA, services

pytestmark = pytest.mark.slow  # the real knowledge folder with the default embedder


@pytest.fixture(scope="module")
def service(real_knowledge: KnowledgeService) -> KnowledgeService:
    return real_knowledge


def detouring(action: Any, service: KnowledgeService) -> Any:
    action.detour_knowledge = service
    return action


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("Wie schnell wird geliefert, wenn ich bis 14 Uhr bestelle?", "de", True),
    ("Wie verfolge ich eine Sendung?", "de", True),
    ("Welche CAD-Formate gibt es?", "de", True),
    ("Gibt es Preisgleitklauseln in Rahmenverträgen?", "de", True),
    ("How fast do you ship if I order before 2 pm?", "en", True),
    ("What are your payment terms?", "en", True),
    ("Wo ist meine Bestellung?", "de", False),
    ("wo ist Auftrag 4711?", "de", False),
    ("Rechnung für Auftrag 4711", "de", False),
    ("Preisliste Steckverschraubungen", "de", False),
    ("3.1-Zeugnis für Lieferung 80012", "de", False),
    ("Datenblatt 3S-1208 bitte", "de", False),
    ("what is waiting for my approval?", "en", False),
    ("where is my order from last Monday?", "en", False),
    ("reorder last Monday's order", "en", False),
    # a day or a verb of ordering inside a question about how things work is no request
    ("do you deliver on saturdays?", "en", True),
    ("Does your REST API push webhooks when an order status changes?", "en", True),
    ("two things: what are your payment terms, and can you send the invoices as XRechnung?", "en", True),
    ("Bis wann muss ich heute bestellen, damit das Lagerteil morgen da ist?", "de", True),
    ("Können Sie mir die Rechnung schicken?", "de", False),
    ("Wo ist meine Lieferung von Montag?", "de", False),
    ("Bitte 50 Stück bestellen", "de", False),
])
def test_what_counts_as_a_knowledge_question(text: str, language: str, expected: bool) -> None:
    assert knowledge_question(text, language) is expected


async def test_anonymous_shipping_question_filed_as_status_is_answered_not_sent_to_login(service) -> None:
    for text, lang, phrase in (
        ("Wie lange braucht ein Paket nach Österreich?", "de", "2 Arbeitstage"),
        ("What does shipping cost within Germany?", "en", "250"),
    ):
        dispatcher, events = await run(detouring(ActionOrderStatus(), service),
                                       tracker(text, "order_status", language=lang))
        reply = "\n".join(texts(dispatcher))
        assert phrase in reply and "Kundenportal" not in reply and "portal" not in reply.lower(), reply
        assert events == []


async def test_own_order_requests_still_go_to_the_order_flow(service) -> None:
    dispatcher, _ = await run(detouring(ActionOrderStatus(), service), tracker("wo ist Auftrag 4711?", "order_status"))
    assert "Kundenportal an" in texts(dispatcher)[0]  # anonymous: log in for own orders
    dispatcher, _ = await run(detouring(ActionOrderStatus(services().orders), service),
                              tracker("where is order 4711?", "order_status", ANNA, language="en",
                                      entities=[{"entity": "order_number", "value": "4711"}]))
    assert texts(dispatcher)[0].startswith("Order 4711")


async def test_document_and_price_intents_answer_general_questions_but_keep_their_requests(service) -> None:
    dispatcher, _ = await run(detouring(ActionRequestDocument(), service),
                              tracker("Welche CAD-Formate gibt es?", "request_document"))
    assert "STEP" in "\n".join(texts(dispatcher))  # the FAQ's answer, not "für welchen Artikel?"
    dispatcher, _ = await run(detouring(ActionPriceList(services().prices), service),
                              tracker("Preisliste Steckverschraubungen", "price_list", ANNA))
    assert texts(dispatcher)[0].startswith("Ihre Preise (netto):")


async def test_a_question_the_documents_do_not_answer_keeps_the_transactional_reply(service) -> None:
    dispatcher, _ = await run(detouring(ActionOrderStatus(), service),
                              tracker("Wie hoch ist der Mond über Hamburg?", "order_status"))
    assert "Kundenportal an" in texts(dispatcher)[0]


async def test_a_question_filed_as_a_draft_edit_is_answered_only_when_no_draft_is_open(service) -> None:
    question = "who has to confirm a 3.2 certificate under EN 10204?"  # "10204" is a standard, not an order
    dispatcher, _ = await run(detouring(ActionRequestDocument(), service),
                              tracker(question, "request_document", language="en",
                                      entities=[{"entity": "order_number", "value": "10204"}]))
    reply = "\n".join(texts(dispatcher))
    assert "Please log in" not in reply and "3.2" in reply, reply
    text = "we buy via SAP Ariba – do you do cXML punchout or only OCI?"
    dispatcher, _ = await run(detouring(ActionChangeDraft(), service), tracker(text, "change_draft", language="en"))
    reply = "\n".join(texts(dispatcher))
    assert "cXML" in reply and "Please log in" not in reply, reply
    dispatcher, _ = await run(detouring(ActionChangeDraft(), service),
                              tracker(text, "change_draft", language="en", slots={DRAFT_SLOT: "d-1"}))
    assert "cXML" not in "\n".join(texts(dispatcher))  # a draft is open: the edit flow (here: log in) decides
