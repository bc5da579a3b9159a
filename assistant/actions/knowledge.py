"""Knowledge in the conversation: grounded answers to application and product questions, and the fallback.

``action_answer_knowledge`` answers ``ask_knowledge`` from the knowledge base (KnowledgeService.answer builds the
passage, the fitting products, the sources and the buttons). ``action_knowledge_fallback`` handles low-confidence
turns (``nlu_fallback``) and ``out_of_scope``: a turn that looks like a product question tries retrieval first;
otherwise, or when retrieval finds nothing good, the visitor gets the fallback buttons or the out-of-scope text.
Whatever could not be answered well is recorded (redacted) for the content team's report.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant import routing
from assistant.actions.base import AssistantAction, Events, Reply, Turn
from assistant.actions.knowledge_turn import ask_knowledge, send_answer
from assistant.analytics import Analytics, get_analytics
from assistant.errors import BackendUnavailable
from assistant.retrieval.constraints import parse_constraints
from assistant.retrieval.models import KnowledgeAnswer
from assistant.retrieval.service import KnowledgeService, get_knowledge_service

log = logging.getLogger(__name__)

# Product words that make an unclear or "off-topic" turn worth a retrieval attempt (DE and EN, folded lower case).
_PRODUCT_WORDS = re.compile(
    r"(verschraub|kupplung|schlauch|schläuch|dichtung|o-ring|ventil|armatur|fitting|flansch|klemm|clamp|"
    r"steck|gewinde|lager|kugellager|antrieb|coupling|hose|seal|gasket|valve|thread|bearing|tube|"
    r"datenblatt|datasheet|zertifikat|certificate|druck|pressure|temperatur|temperature|edelstahl|stainless|"
    r"messing|brass|epdm|fkm|nbr|ptfe|silikon|silicone|dampf|steam|hydraulik|hydraulic|pneumatik|pneumatic|"
    r"druckluft|compressed air|lebensmittel|food|reinraum|cleanroom|atex|fda|ehedg|lieferzeit|lead time|"
    r"lieferung|delivery|versand|shipping|zahlungs|payment|garantie|warranty|medium|medien|media)",
    re.IGNORECASE,
)
_SKU = re.compile(r"\b[A-Za-z0-9]{2,5}-[0-9]{3,4}(?:-[0-9A-Za-z]{1,3})?\b")


def looks_like_product_question(text: str) -> bool:
    """Constraints, an article number or a product word: worth asking the knowledge base before giving up."""
    if not text or not text.strip():
        return False
    if _SKU.search(text) or _PRODUCT_WORDS.search(text):
        return True
    return parse_constraints(text).count > 0


class _KnowledgeAction(AssistantAction):
    """Shared wiring: the knowledge service and the analytics store, injectable for tests."""

    def __init__(self, knowledge: KnowledgeService | None = None, analytics: Analytics | None = None) -> None:
        self._knowledge = knowledge
        self._analytics = analytics

    @property
    def knowledge(self) -> KnowledgeService:
        return self._knowledge or get_knowledge_service()

    @property
    def analytics(self) -> Analytics:
        return self._analytics or get_analytics()

    async def answer(self, question: str, turn: Turn) -> KnowledgeAnswer:
        return await ask_knowledge(self.knowledge, question, turn)

    async def record(self, question: str, kind: str, turn: Turn, tracker: Tracker, score: float | None) -> None:
        """Never lets a failing analytics store break the reply the visitor is waiting for."""
        try:
            await asyncio.to_thread(
                self.analytics.record_unanswered, question, kind, turn.language, score, tracker.sender_id
            )
        except Exception:
            log.exception("could not record an unanswered question")


def _question(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "").strip()


class ActionAnswerKnowledge(_KnowledgeAction):
    """ask_knowledge: a grounded answer, or an honest "the documents do not say" with the closest match."""

    def name(self) -> str:
        return "action_answer_knowledge"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        question = _question(tracker)
        if not question or question.startswith("/"):
            reply.key("knowledge_ask_question")
            return []
        answer = await self.answer(question, turn)
        send_answer(reply, answer)
        if not answer.answered:
            await self.record(question, answer.reason or "low_score", turn, tracker, answer.top_score)
        return []


class ActionKnowledgeFallback(_KnowledgeAction):
    """nlu_fallback and out_of_scope: try the knowledge base when the turn looks like a product question."""

    def name(self) -> str:
        return "action_knowledge_fallback"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        question = _question(tracker)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        # A product question, or any question at all: NLU's low confidence is no reason not to ask the documents.
        product_like = (looks_like_product_question(question) or routing.is_question(question)) \
            and not question.startswith("/")
        if intent == "out_of_scope" and not product_like:
            reply.key("out_of_scope")
            return []
        if not product_like:
            reply.key("fallback")
            if question and not question.startswith("/"):
                await self.record(question, "fallback", turn, tracker, None)
            return []
        try:
            answer = await self.answer(question, turn)
        except BackendUnavailable:
            log.warning("knowledge unavailable during fallback; offering the fallback buttons")
            reply.key("fallback")
            return []
        if answer.answered or answer.reason in ("no_product_match", "not_specified"):
            # A grounded answer, the honest "nothing meets all of it" with the closest articles and why, or the
            # honest "the documents do not specify this" about an article the question names.
            send_answer(reply, answer)
            if not answer.answered:
                await self.record(question, answer.reason or "not_specified", turn, tracker, answer.top_score)
            return []
        if intent == "out_of_scope" and not looks_like_product_question(question):
            reply.key("out_of_scope")  # small talk the documents know nothing about ("Wie wird das Wetter?")
            return []
        reply.key("fallback")
        await self.record(question, "fallback", turn, tracker, answer.top_score)
        return []
