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

from assistant import clock
from assistant.actions.base import Reply, Turn
from assistant.analytics import EMAIL_MARK, PHONE_MARK, redact
from assistant.commerce.resolver import parse_order_reference
from assistant.errors import BackendUnavailable
from assistant.retrieval.models import IndexNotBuilt, KnowledgeAnswer
from assistant.retrieval.service import KnowledgeService, get_knowledge_service
from assistant.retrieval.tokenize import fold

_ARTICLE_OR_DOCUMENT = re.compile(
    r"\b[A-Za-z0-9]{2,5}-\d{3,4}(?:-[0-9A-Za-z]{1,3})?\b|\b(?:lieferung|delivery|lieferschein|rechnung|invoice|"
    r"charge|batch)\s?(?:nr\.?|no\.?|nummer|number)?\s?[A-Z0-9-]*\d{3,}",
    re.IGNORECASE,
)
# Asking how something works in general, not asking for one's own things ("Wie verfolge ich eine Sendung?").
_QUESTION_START = re.compile(
    r"^(?:wie|wieso|warum|weshalb|gibt es|gibt's|kann man|kann ich|koennen wir|koennen sie|muss ich|darf ich|"
    r"bieten sie|liefern sie|versenden sie|habt ihr|haben sie|ist es moeglich|how|why|is there|are there|do you|"
    r"does your|can i|can we|can you|could you|do i|must i|may i|is it possible)\b"
)
_REQUEST = re.compile(
    r"\b(?:schick\w*|send\w*|zeig\w*|show|gib|give|brauche|need|moechte|want|hätte gern|haette gern|bitte|please|"
    r"nochmal|again|bestell\w*|reorder|storn\w*)\b"
)
_OWN = re.compile(r"\b(?:mein\w*|unser\w*|my|our)\b")
_ORDER_THING = re.compile(
    r"(?:bestellung|auftrag|auftraeg|order|lieferung|sendung|paket|rechnung|invoice|shipment|delivery|package|"
    r"parcel|freigabe|approval)"
)
_STATUS = re.compile(
    r"\b(?:status|stand|wo|where|wann kommt|when will|when does|arrive\w*|angekommen|verschickt|versendet|shipped|"
    r"dispatched|unterwegs|offen\w*|open|wartet|waiting|pending|ausstehend\w*)\b"
)


_ANY_QUESTION = re.compile(
    r"^(?:wie|was|welche\w*|wann|wo|warum|wieso|weshalb|gibt|kann|koennen|muss|darf|ist|sind|hat|haben|bieten|"
    r"liefern|versenden|how|what|which|when|where|why|is|are|do|does|can|could|may|must|should|will|would)\b"
)


def knowledge_question(text: str, language: str, entities: tuple[str, ...] = ()) -> bool:
    """A question about how things are (products, terms, shipping), not about the buyer's own orders or
    documents and not a request to do something."""
    folded = fold(text).strip(" ¿!.,")
    if not (folded.endswith("?") or _ANY_QUESTION.match(folded)):
        return False  # "Preise für Schläuche", "Rechnung 4711 bitte": a request, not a question
    if entities or _ARTICLE_OR_DOCUMENT.search(text):
        return False
    ref = parse_order_reference(text, clock.now(), language)
    if ref.order_number or ref.po_reference or ref.date_from or ref.date_to or ref.latest or ref.skip \
            or ref.product_hint:
        return False
    how_to = bool(_QUESTION_START.match(folded))
    if _REQUEST.search(folded) and not how_to:
        return False
    if _ORDER_THING.search(folded) and (_STATUS.search(folded) or (_OWN.search(folded) and not how_to)):
        return False  # "Wo ist meine Bestellung?", "what is waiting for my approval?"
    return not (ref.open_only and not how_to)


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
) -> bool:
    """Answer a misrouted knowledge question; False (nothing sent) when the action should go on."""
    if not text or text.startswith("/") or not knowledge_question(text, turn.language, entities):
        return False
    try:
        answer = await ask_knowledge(service, text, turn)
    except BackendUnavailable:
        return False
    if not answer.answered:
        return False
    send_answer(reply, answer)
    return True


class KnowledgeDetour:
    """Mixin for transactional actions: a knowledge question filed under their intent is answered instead.

    Put it first in the bases (``class ActionOrderStatus(KnowledgeDetour, AssistantAction)``). Tests inject a
    service with ``detour_knowledge``.
    """

    detour_knowledge: KnowledgeService | None = None

    async def answered_elsewhere(self, tracker: Tracker, turn: Turn, reply: Reply) -> bool:
        latest = tracker.latest_message or {}
        text = str(latest.get("text") or "").strip()[:2000]
        entities = tuple(str(e.get("entity")) for e in latest.get("entities") or [] if isinstance(e, dict))
        return await answered_instead(self.detour_knowledge or get_knowledge_service(), text, turn, reply, entities)
