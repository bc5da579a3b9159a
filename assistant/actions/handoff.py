"""Human handoff: "Kann ich mit jemandem sprechen?" becomes a callback ticket for sales, with the transcript.

Same shape as the RFQ form: one free-text answer slot, the request in one state slot. After the ticket is
stored the assistant says when to expect the call (office hours) and remembers the topic in ``handoff_topic``
so that the conversation does not keep guessing at a question a person now owns.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant import clock
from assistant.actions.base import AssistantAction, Events, Reply, Turn
from assistant.commerce.demo_people import account
from assistant.commerce.rfq import (
    CallbackRequest,
    CallbackService,
    RfqInvalid,
    expected_contact,
    find_phone,
    parse_email,
)

_SKIP = re.compile(r"^\s*(egal|weiter|jederzeit|nein|keine|-|skip|any ?time|whenever|no preference|doesn'?t matter|"
                   r"per e-?mail|by e-?mail|e-?mail( ist| is)? (gut|fine|ok))\W*$", re.I)
_TOPIC = re.compile(r"\b(?:über|wegen|bezüglich|zum thema|zu|about|regarding|concerning|on)\s+(.{4,200}?)"
                    r"(?:\s+(?:sprechen|reden|talk|speak))?\s*[?.!]*$", re.I)
STEPS = ("name", "contact", "topic", "time")


def _state(tracker: Tracker) -> dict[str, Any]:
    value = tracker.get_slot("handoff")
    return dict(value) if isinstance(value, dict) else {}


def _text(tracker: Tracker) -> str:
    text = str((tracker.latest_message or {}).get("text") or "")
    return "" if text.startswith("/") else text[:2000]


def next_step(req: CallbackRequest, state: dict[str, Any]) -> str | None:
    if not req.name:
        return "name"
    if not state.get("contact_done"):
        return "contact"
    if not req.topic:
        return "topic"
    if not state.get("time_done"):
        return "time"
    return None


def last_question(tracker: Tracker) -> str | None:
    """The buyer's last real question before asking for a person: the likely topic."""
    texts = [e.get("text") for e in tracker.events if e.get("event") == "user"]
    for text in reversed(texts[:-1]):
        if isinstance(text, str) and not text.startswith("/") and len(text.split()) >= 3:
            return text[:200]
    return None


def transcript(tracker: Tracker) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for e in tracker.events:
        if e.get("event") == "user" and isinstance(e.get("text"), str):
            out.append(("Kunde", e["text"][:2000]))
        elif e.get("event") == "bot":
            custom = (e.get("data") or {}).get("custom") or {}
            text = e.get("text") or custom.get("text") or (f"[{custom['t']}]" if custom.get("t") else "")
            if custom.get("type") == "products":
                text = "[Artikel: " + ", ".join(str(i.get("sku")) for i in custom.get("items") or []) + "]"
            if text:
                out.append(("Assistent", str(text)[:2000]))
    return out[-200:]


class ValidateHandoffForm(AssistantAction):
    def name(self) -> str:
        return "validate_handoff_form"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        state = _state(tracker)
        req = CallbackRequest.from_dict(state.get("request"))
        req.language = turn.language
        identity = turn.identity
        if not identity.is_anonymous:
            req.customer_id = identity.customer_id
            req.name = req.name or identity.name
            req.email = req.email or identity.email
            acct = account(identity.customer_id or "")
            req.company = req.company or (acct.name if acct else None)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        text = _text(tracker)
        step = state.get("step")
        if intent == "cancel" and tracker.get_slot("handoff_answer") is None:
            return []  # the form rejects and core's cancel rule stops it
        if intent == "request_human" and not step:
            m = _TOPIC.search(text)
            if m and not re.search(r"\b(jemand|someone|somebody|mensch|person|human|vertrieb|sales|mitarbeiter)",
                                   m.group(1), re.I):
                req.topic = m.group(1).strip()
            state["suggested_topic"] = last_question(tracker)
        elif tracker.get_slot("handoff_answer") is not None and step:
            value = text or ""
            if step == "name":
                name = re.sub(r"^(ich bin|ich heiße|ich heisse|mein name ist|my name is|i am|i'm|this is)\s+", "",
                              value.strip(), flags=re.I).strip(" .")
                if re.search(r"[A-Za-zÄÖÜäöüß]{2,}", name) and not re.search(r"\d{3,}|@", name):
                    req.name = name[:120]
                else:
                    reply.key("handoff_name_invalid")
            elif step == "contact":
                phone = find_phone(value)
                email = None
                if "@" in value:
                    try:
                        email = parse_email(value)
                    except RfqInvalid:
                        reply.key("handoff_email_invalid")
                if phone or email:
                    req.phone = phone or req.phone
                    req.email = email or req.email
                    state["contact_done"] = True
                elif req.email and _SKIP.match(value):
                    state["contact_done"] = True
                elif "@" not in value:
                    reply.key("handoff_contact_invalid")
            elif step == "topic":
                topic = state.get("suggested_topic") if value.strip().lower() in ("1", "dieses thema", "this topic") \
                    else value
                if not topic and _entity(tracker) == "suggested":
                    topic = state.get("suggested_topic")
                if topic and len(topic.strip()) >= 3:
                    req.topic = topic.strip()[:500]
                else:
                    reply.key("handoff_topic_invalid")
            elif step == "time":
                req.preferred_time = None if _SKIP.match(value) else value.strip()[:200]
                state["time_done"] = True
        elif step and _entity(tracker) == "suggested" and step == "topic":
            req.topic = state.get("suggested_topic")
        state["request"] = req.to_dict()
        nxt = next_step(req, state)
        state["step"] = nxt
        if nxt is None:
            return [SlotSet("handoff", state), SlotSet("handoff_answer", None), SlotSet("requested_slot", None)]
        return [SlotSet("handoff", state), SlotSet("handoff_answer", None), SlotSet("requested_slot", "handoff_answer")]


def _entity(tracker: Tracker) -> str | None:
    for e in (tracker.latest_message or {}).get("entities") or []:
        if e.get("entity") == "handoff_choice":
            return str(e.get("value"))
    return None


class ActionAskHandoffAnswer(AssistantAction):
    def name(self) -> str:
        return "action_ask_handoff_answer"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        state = _state(tracker)
        req = CallbackRequest.from_dict(state.get("request"))
        step = state.get("step") or "name"
        if step == "name":
            reply.key("handoff_ask_name")
        elif step == "contact":
            if req.email:
                reply.key("handoff_ask_phone", email=req.email)
            else:
                reply.key("handoff_ask_contact")
        elif step == "topic":
            suggested = state.get("suggested_topic")
            if suggested:
                reply.buttons(reply.t("handoff_ask_topic_suggested", topic=suggested),
                              [(reply.t("handoff_topic_button"), '/inform{"handoff_choice":"suggested"}')])
            else:
                reply.key("handoff_ask_topic")
        else:
            reply.buttons(reply.t("handoff_ask_time"),
                          [(reply.t("handoff_any_time"), '/inform{"handoff_choice":"any"}')])
        return []


class ActionHandoffSubmit(AssistantAction):
    """Stores the ticket with the transcript, notifies sales through the outbox, says when to expect contact."""

    not_found_key = "handoff_failed"
    invalid_input_key = "handoff_failed"

    def __init__(self, service: CallbackService | None = None, clock: Any = None):
        self._service, self._clock = service, clock

    def name(self) -> str:
        return "action_handoff_submit"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        state = _state(tracker)
        if not state:
            return []
        req = CallbackRequest.from_dict(state.get("request"))
        service = self._service or CallbackService()
        done = service.submit(req, transcript(tracker))
        now = self._clock() if self._clock else clock.local_now(service.settings)
        kind, when = expected_contact(now, service.settings)
        channel = reply.t("handoff_by_phone" if req.phone else "handoff_by_email")
        if kind == "today":
            reply.key("handoff_done_today", reference=done.reference, time=when.strftime("%H:%M"), channel=channel)
        else:
            weekday = reply.t(f"handoff_weekday_{when.weekday()}")
            day = when.strftime("%d.%m." if turn.language == "de" else "%d %b")
            reply.key("handoff_done_later", reference=done.reference, weekday=weekday, day=day,
                      time=when.strftime("%H:%M"), channel=channel)
        reply.mark("handoff", "finished")
        return [SlotSet("handoff", None), SlotSet("handoff_topic", req.topic), SlotSet("handoff_reference",
                                                                                      done.reference)]


_STOP = {"und", "oder", "der", "die", "das", "den", "dem", "ein", "eine", "einen", "für", "fuer", "mit", "bei", "von",
         "ist", "sind", "wie", "was", "welche", "welcher", "welches", "the", "and", "for", "with", "which", "what",
         "does", "is", "are", "can", "kann", "gibt", "there", "ihr", "euer", "your", "unsere", "our", "bitte",
         "please", "geeignet", "suitable", "frage", "question"}


def _content_words(text: str) -> set[str]:
    from assistant.retrieval.tokenize import fold

    words = re.findall(r"[a-z0-9][a-z0-9./-]{2,}", fold(text or ""))
    return {w[:6] for w in words if w not in _STOP}  # a crude stem: "dampfschlaeuche" ~ "dampfschlauch"


def same_topic(question: str, topic: str | None) -> bool:
    """Whether a new question is about what sales now owns (shared article numbers or most content words)."""
    if not topic:
        return False
    q, t = _content_words(question), _content_words(topic)
    if not q or not t:
        return False
    shared = q & t
    return bool(shared) and (len(shared) / min(len(q), len(t)) >= 0.5)


class ActionHandoffFollowup(AssistantAction):
    """After a callback request, a question on the same topic is left to sales; anything else is answered."""

    def name(self) -> str:
        return "action_handoff_followup"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        question = str((tracker.latest_message or {}).get("text") or "")
        if same_topic(question, tracker.get_slot("handoff_topic")):
            reply.key("handoff_topic_owned", reference=tracker.get_slot("handoff_reference") or "-")
            return []
        from assistant.actions.knowledge import ActionAnswerKnowledge

        return await ActionAnswerKnowledge().handle(dispatcher, tracker, domain, turn, reply)
