"""Asking the knowledge base from any action: the knowledge answer, and the detour of misrouted questions.

NLU sometimes files an application or terms question under a transactional intent: "Wie verfolge ich eine
Sendung?" as order status, "Welche CAD-Formate gibt es?" as a document request, "Gibt es Preisgleitklauseln?" as a
price list. The visitor then got a login prompt or "which article?" instead of the answer the FAQ holds. A
transactional action with ``detour_to_knowledge`` first asks: does the message name anything transactional (an
order, PO or delivery number, a date, an article, a request to send or show something)? If not, and the knowledge
base answers it, the answer is sent instead. Retrieval is the second opinion; the intent still decides whenever
the message is about the buyer's own orders or documents.
"""

from __future__ import annotations

import asyncio
import re

from rasa_sdk import Tracker

from assistant import clock, routing
from assistant.actions.base import Reply, Turn
from assistant.analytics import EMAIL_MARK, PHONE_MARK, redact
from assistant.commerce.resolver import parse_order_reference
from assistant.errors import BackendUnavailable
from assistant.retrieval.models import IndexNotBuilt, KnowledgeAnswer
from assistant.retrieval.service import KnowledgeService, get_knowledge_service


def knowledge_question(
    text: str, language: str, entities: tuple[str, ...] = (), articles_count: bool = True,
) -> bool:
    """A question about how things are (products, terms, shipping), not about the buyer's own orders or
    documents and not a request to do something (assistant/routing.py, plus the order-reference parser).
    ``articles_count``: whether naming an article makes it a request (datasheets, prices) or not (status)."""
    # Rasa's number regex takes any 3-10 digit number for an order number ("EN 10204", "DIN 11851"); the order
    # reference parser below knows better, so only the other entities count here
    entities = tuple(e for e in entities if e != "order_number" and (articles_count or e != "sku"))
    if entities or not routing.is_question(text) or routing.about_own_business(text, articles_count):
        return False
    ref = parse_order_reference(text, clock.now(), language)
    folded = routing.fold(text)
    # a day anchors only a message about orders or deliveries ("die Lieferung von Montag"), not "do you deliver
    # on saturdays?" or "bis wann bestellen, damit es morgen da ist?"
    dated = (ref.date_from or ref.date_to) and (routing.ORDER_THING.search(folded) or routing.OWN.search(folded))
    anchored = ref.order_number or ref.po_reference or dated or ref.latest or ref.skip or ref.product_hint
    return not anchored and not (ref.open_only and not routing.HOW_TO.match(routing.fold(text).strip()))


async def ask_knowledge(service: KnowledgeService, question: str, turn: Turn) -> KnowledgeAnswer:
    """The knowledge answer, off the event loop; contact details are no part of the question."""
    sku = turn.page.get("sku") if isinstance(turn.page.get("sku"), str) else None
    query = " ".join(redact(question).replace(EMAIL_MARK, " ").replace(PHONE_MARK, " ").split()) or question
    try:
        return await asyncio.to_thread(service.answer, query, turn.language, sku)
    except IndexNotBuilt as exc:
        raise BackendUnavailable("knowledge index not built") from exc


def send_answer(reply: Reply, answer: KnowledgeAnswer) -> None:
    for message in answer.messages:
        reply.raw(message)


async def answered_instead(
    service: KnowledgeService, text: str, turn: Turn, reply: Reply, entities: tuple[str, ...] = (),
    articles_count: bool = True,
) -> bool:
    """Answer a misrouted knowledge question; False (nothing sent) when the action should go on."""
    if not text or text.startswith("/") or not knowledge_question(text, turn.language, entities, articles_count):
        return False
    try:
        answer = await ask_knowledge(service, text, turn)
    except BackendUnavailable:
        return False
    if not answer.answered and answer.reason != "not_specified":
        return False  # nothing about it in the documents: the action's own reply may still help
    send_answer(reply, answer)
    return True


class KnowledgeDetour:
    """Mixin for transactional actions: a knowledge question filed under their intent is answered instead.

    Put it first in the bases (``class ActionOrderStatus(KnowledgeDetour, AssistantAction)``). Tests inject a
    service with ``detour_knowledge``.
    """

    detour_knowledge: KnowledgeService | None = None
    # Words that make an article number a request to this action ("Datenblatt 3S-1208?", "Preis 3S-1208?");
    # None: an article is never a request here (order status: "kv-Wert vom SV-520-08?" is a product question).
    request_words: re.Pattern[str] | None = None
    open_question_asks_about = False  # "Welche Zertifikate hat der HS-301?" is about the article, not a request

    async def answered_elsewhere(self, tracker: Tracker, turn: Turn, reply: Reply) -> bool:
        latest = tracker.latest_message or {}
        text = str(latest.get("text") or "").strip()[:2000]
        entities = tuple(str(e.get("entity")) for e in latest.get("entities") or [] if isinstance(e, dict))
        folded = routing.fold(text).strip()
        # "Welche Zertifikate hat der HS-301?" asks about the article; "Zeugnis für 3S-1208" asks for a document
        articles_count = bool(self.request_words and self.request_words.search(folded)
                              and not (self.open_question_asks_about and routing.OPEN_QUESTION.match(folded)))
        return await answered_instead(self.detour_knowledge or get_knowledge_service(), text, turn, reply, entities,
                                      articles_count)
