"""Human handoff through the real gateway and Rasa: ticket with transcript, contact time, both languages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from assistant.commerce.db import Database
from assistant.commerce.models import CallbackTicket, OutboxMessage
from assistant.settings import Settings
from tests.integration.conftest import text_of, token_for
from tests.integration.test_rfq import Chat

pytestmark = pytest.mark.integration


def ticket(reference: str) -> tuple[CallbackTicket, list[OutboxMessage]]:
    db = Database(Settings().resolved_database_url)
    try:
        with db.session() as s:
            t = s.scalars(select(CallbackTicket).where(CallbackTicket.reference == reference)).one()
            mails = list(s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "callback.sales")).all())
            return t, [m for m in mails if reference in m.subject]
    finally:
        db.dispose()


def test_anonymous_callback_request_de(stack) -> None:
    chat = Chat(stack)
    chat.say("Welcher Schlauch eignet sich für Dampf bis 180 °C?")
    assert "Wie ist Ihr Name" in text_of(chat.say("Kann ich mit jemandem sprechen?"))
    chat.say("Max Mustermann")
    assert "mindestens 7 Ziffern" in text_of(chat.say("weiß ich nicht"))
    topic_question = chat.say("0711 1234567")
    assert "Dampf bis 180 °C" in text_of(topic_question)  # the last question is offered as the topic
    chat.say(payload='/inform{"handoff_choice":"suggested"}')
    done = text_of(chat.say("vormittags"))
    reference = re.search(r"CB-\d{4}-\d{6}", done)
    assert reference and "telefonisch" in done and "Uhr" in done
    t, mails = ticket(reference.group(0))
    assert t.phone == "0711 1234567" and "Kunde: Kann ich mit jemandem sprechen?" in (t.free_text or "")
    assert len(mails) == 1 and "Dampf bis 180" in mails[0].body
    again = text_of(chat.say("Welcher Schlauch hält Dampf bis 180 °C aus?"))
    assert "meldet sich unser Vertrieb persönlich" in again and reference.group(0) in again


def test_logged_in_talk_to_sales_en(stack) -> None:
    chat = Chat(stack, token_for("emma.clarke@alpine-pharma.at"), locale="en")
    asked = text_of(chat.say("talk to sales"))
    assert "emma.clarke@alpine-pharma.at" in asked  # name and e-mail come from the login
    assert "What is it about" in text_of(chat.say("+43 662 123456"))
    chat.say("pricing for 500 clamp gaskets")
    done = text_of(chat.say(payload='/inform{"handoff_choice":"any"}'))
    reference = re.search(r"CB-\d{4}-\d{6}", done)
    assert reference and "by phone" in done
    t, _ = ticket(reference.group(0))
    assert t.customer_id == "K-10003" and t.email == "emma.clarke@alpine-pharma.at"
    other = text_of(chat.say("what are your payment terms?"))
    assert other and "get back to you personally" not in other  # other topics are still answered
