"""Human handoff: callback request with transcript, contact time from office hours, both languages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from rasa_sdk import Tracker
from sqlalchemy import select

from assistant.actions.handoff import (
    ActionAskHandoffAnswer,
    ActionHandoffSubmit,
    ValidateHandoffForm,
    transcript,
)
from assistant.commerce.db import Database
from assistant.commerce.demo_people import ACCOUNTS
from assistant.commerce.models import CallbackTicket, Customer, OutboxMessage
from assistant.commerce.rfq import CallbackService
from assistant.identity import ANONYMOUS, BuyerIdentity
from assistant.settings import Settings
from tests.actions.helpers import run, texts, tracker

EMMA = BuyerIdentity("u-3001", "K-10003", frozenset({"buyer"}), "en", "emma.clarke@alpine-pharma.at", "Emma Clarke")
WEDNESDAY_10 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
SATURDAY = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> CallbackService:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('cb') / 'c.db'}")
    db.upgrade()
    with db.session() as s:
        s.add_all([Customer(id=a.id, name=a.name, city=a.city, country=a.country, language=a.language)
                   for a in ACCOUNTS])
    return CallbackService(db, Settings(), clock=lambda: WEDNESDAY_10)


def with_events(t: Tracker, events: list[dict[str, Any]]) -> Tracker:
    t.events = events
    return t


class Conversation:
    def __init__(self, service: CallbackService, identity: BuyerIdentity = ANONYMOUS, language: str = "de",
                 now: datetime = WEDNESDAY_10, history: list[dict[str, Any]] | None = None):
        self.service, self.identity, self.language, self.now = service, identity, language, now
        self.slots: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = list(history or [])

    async def say(self, text: str, intent: str = "inform", entities: list[dict] | None = None) -> list[str]:
        slots = dict(self.slots)
        if self.slots.get("handoff"):
            slots["handoff_answer"] = text
        self.events.append({"event": "user", "text": text})
        t = with_events(tracker(text, intent, identity=self.identity, language=self.language, slots=slots,
                                entities=entities), self.events)
        d, events = await run(ValidateHandoffForm(), t)
        out = texts(d)
        self.slots.update({e["name"]: e["value"] for e in events if e.get("event") == "slot"})
        t = with_events(tracker(text, intent, identity=self.identity, language=self.language, slots=self.slots),
                        self.events)
        if self.slots.get("requested_slot") is None:
            d, events = await run(ActionHandoffSubmit(self.service, clock=lambda: self.now), t)
            self.slots.update({e["name"]: e["value"] for e in events if e.get("event") == "slot"})
        else:
            d, _ = await run(ActionAskHandoffAnswer(), t)
        out += texts(d)
        self.events += [{"event": "bot", "text": x} for x in texts(d)]
        return out


async def test_anonymous_callback_request_de(service: CallbackService) -> None:
    c = Conversation(service)
    out = await c.say("Kann ich mit jemandem sprechen?", "request_human")
    assert "Wie ist Ihr Name" in out[-1]
    await c.say("Max Huber")
    out = await c.say("weiß nicht")
    assert "Telefonnummer (mindestens 7 Ziffern)" in out[0]
    out = await c.say("0711 1234567")
    assert "Worum geht es" in out[-1]
    out = await c.say("Dampfschläuche für unsere Sterilisation")
    assert "Wann passt es" in out[-1]
    out = await c.say("vormittags")
    assert "Ticket CB-2026-" in out[-1] and "heute bis spätestens 12:00 Uhr" in out[-1] and "telefonisch" in out[-1]
    assert c.slots["handoff_topic"] == "Dampfschläuche für unsere Sterilisation"
    with service.db.session() as s:
        ticket = s.scalars(select(CallbackTicket).where(CallbackTicket.reference == c.slots["handoff_reference"])).one()
        assert ticket.phone == "0711 1234567" and "Kunde: Kann ich mit jemandem sprechen?" in (ticket.free_text or "")
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "callback.sales")
                         .order_by(OutboxMessage.id.desc())).first()
        assert mail is not None and "Dampfschläuche" in mail.body and "vormittags" in mail.body


async def test_logged_in_buyer_on_a_saturday_is_told_monday_en(service: CallbackService) -> None:
    history = [{"event": "user", "text": "which hose for steam at 180 °C?"}, {"event": "bot", "text": "..."}]
    c = Conversation(service, identity=EMMA, language="en", now=SATURDAY, history=history)
    out = await c.say("talk to sales", "request_human")
    assert "emma.clarke@alpine-pharma.at" in out[-1]  # name and e-mail come from the login
    out = await c.say("by e-mail")
    assert "which hose for steam at 180 °C?" in out[-1]
    await c.say('/inform{"handoff_choice":"suggested"}', "inform", [{"entity": "handoff_choice", "value": "suggested"}])
    out = await c.say('/inform{"handoff_choice":"any"}', "inform", [{"entity": "handoff_choice", "value": "any"}])
    assert "on Monday, 30 Nov, from 08:00" in out[-1] and "by e-mail" in out[-1]
    assert c.slots["handoff_topic"] == "which hose for steam at 180 °C?"


async def test_topic_in_the_request_itself_is_not_asked_again_de(service: CallbackService) -> None:
    c = Conversation(service)
    await c.say("Kann ich mit jemandem über Dampfschläuche sprechen?", "request_human")
    await c.say("Max Huber")
    out = await c.say("max@huber.de")
    assert "Wann passt es" in out[-1]


def test_transcript_keeps_both_sides() -> None:
    t = tracker("x")
    t.events = [{"event": "user", "text": "Hallo"}, {"event": "bot", "data": {"custom": {"t": "greet"}}},
                {"event": "bot", "data": {"custom": {"type": "products", "items": [{"sku": "3S-1208"}]}}}]
    assert transcript(t) == [("Kunde", "Hallo"), ("Assistent", "[greet]"), ("Assistent", "[Artikel: 3S-1208]")]


async def test_cancel_during_the_handoff_is_left_to_the_cancel_rule() -> None:
    t = tracker("abbrechen", "cancel", slots={"handoff": {"step": "contact", "request": {"name": "Max"}}})
    _, events = await run(ValidateHandoffForm(), t)
    assert events == []


def test_same_topic_recognises_follow_up_questions() -> None:
    from assistant.actions.handoff import same_topic

    topic = "Dampfschläuche für unsere Sterilisation"
    assert same_topic("Welcher Dampfschlauch hält die Sterilisation aus?", topic)
    assert not same_topic("Was sind eure Zahlungsbedingungen?", topic)
    assert same_topic("pricing for clamp gaskets DN40?", "pricing for 500 clamp gaskets")
    assert not same_topic("anything", None)


async def test_follow_up_on_the_handed_over_topic_is_left_to_sales_de() -> None:
    from assistant.actions.handoff import ActionHandoffFollowup

    t = tracker("Welcher Dampfschlauch hält 180 °C aus?", "ask_knowledge",
                slots={"handoff_topic": "Dampfschläuche für 180 °C", "handoff_reference": "CB-2026-000007"})
    d, events = await run(ActionHandoffFollowup(), t)
    assert "meldet sich unser Vertrieb persönlich" in texts(d)[0] and "CB-2026-000007" in texts(d)[0]
    assert events == []


async def test_other_questions_after_a_handoff_are_still_answered_en(monkeypatch) -> None:
    from assistant.actions import knowledge
    from assistant.actions.handoff import ActionHandoffFollowup

    async def answered(self, dispatcher, tracker, domain, turn, reply):
        reply.text("knowledge answer")
        return []

    monkeypatch.setattr(knowledge.ActionAnswerKnowledge, "handle", answered)
    t = tracker("what are your payment terms?", "ask_knowledge", language="en",
                slots={"handoff_topic": "steam hoses for 180 °C", "handoff_reference": "CB-2026-000007"})
    d, _ = await run(ActionHandoffFollowup(), t)
    assert texts(d) == ["knowledge answer"]
