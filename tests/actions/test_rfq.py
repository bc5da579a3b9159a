"""RFQ form actions end to end at the action level: every step, corrections, bad input, upload, submit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from assistant.actions.finder import CsvCatalogue
from assistant.actions.rfq import ActionAskRfqAnswer, ActionRfqSubmit, ValidateRfqForm, next_step
from assistant.commerce.bom import BomResult, UploadStore, parse_bom
from assistant.commerce.db import Database
from assistant.commerce.demo_people import ACCOUNTS
from assistant.commerce.models import Customer, OutboxMessage, Rfq
from assistant.commerce.rfq import RfqDraft, RfqService
from assistant.identity import ANONYMOUS, BuyerIdentity
from assistant.settings import PROJECT_ROOT, Settings
from tests.actions.helpers import SENDER, run, texts, tracker

CATALOGUE = CsvCatalogue(PROJECT_ROOT / "knowledge", "http://testserver")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ANNA = BuyerIdentity("u-1001", "K-10001", frozenset({"buyer"}), "de", "anna.mueller@mueller-maschinenbau.de",
                     "Anna Müller")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> RfqService:
    path = tmp_path_factory.mktemp("rfq") / "c.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    with db.session() as s:
        s.add_all([Customer(id=a.id, name=a.name, city=a.city, country=a.country, language=a.language)
                   for a in ACCOUNTS])
    return RfqService(db, Settings(), clock=lambda: NOW)


class Conversation:
    """Drives validate -> ask like Rasa's form does, keeping the slots between turns."""

    def __init__(self, service: RfqService, uploads: UploadStore | None = None, identity: BuyerIdentity = ANONYMOUS,
                 language: str = "de"):
        self.kw: dict[str, Any] = {"catalogue": CATALOGUE, "service": service}
        if uploads is not None:
            self.kw["uploads"] = uploads
        self.identity, self.language = identity, language
        self.slots: dict[str, Any] = {}

    async def say(self, text: str, intent: str = "inform", entities: list[dict] | None = None,
                  page: dict | None = None) -> list[str]:
        slots = dict(self.slots)
        if self.slots.get("rfq") is not None and intent not in ("ask_knowledge", "cancel"):
            slots["rfq_answer"] = text
        t = tracker(text, intent, identity=self.identity, language=self.language, slots=slots,
                    entities=entities, page=page)
        d, events = await run(ValidateRfqForm(**self.kw), t)
        out = texts(d)
        for e in events:
            if e.get("event") == "slot":
                self.slots[e["name"]] = e["value"]
        if self.slots.get("requested_slot") is None:
            d, events = await run(ActionRfqSubmit(**self.kw), tracker(text, intent, identity=self.identity,
                                                                      language=self.language, slots=self.slots))
            for e in events:
                if e.get("event") == "slot":
                    self.slots[e["name"]] = e["value"]
            return out + texts(d)
        d, _ = await run(ActionAskRfqAnswer(**self.kw), tracker(text, intent, identity=self.identity,
                                                               language=self.language, slots=self.slots))
        return out + texts(d)

    @property
    def draft(self) -> RfqDraft:
        return RfqDraft.from_dict((self.slots.get("rfq") or {}).get("draft"))


async def test_anonymous_prospect_pasted_list_to_sent_rfq_de(service: RfqService) -> None:
    c = Conversation(service)
    out = await c.say("Ich möchte ein Angebot", "start_rfq")
    assert "Welche Artikel und Mengen" in out[-1]
    out = await c.say("3S-1208 x 50, QC-300-08 x 10")
    assert "2 Position(en) übernommen" in out[0] and "Anwendung" in out[-1]
    out = await c.say("Abfüllanlage, bis 15.03.2027")
    assert c.draft.desired_date == date(2027, 3, 15) and c.draft.application == "Abfüllanlage, bis 15.03.2027"
    assert "Firma" in out[-1]
    await c.say("Brauerei Huber GmbH")
    out = await c.say("Max Huber")
    assert "E-Mail-Adresse" in out[-1]
    out = await c.say("max@")
    assert "keine gültige" in out[0] or "nicht nach einer gültigen" in out[0]
    assert c.draft.company == "Brauerei Huber GmbH" and c.draft.contact == "Max Huber"  # nothing lost
    out = await c.say("max@brauerei-huber.de, Tel. +49 711 1234567")
    summary = out[-1]
    assert "3S-1208" in summary and "QC-300-08 " in summary and "Land: Deutschland" in summary
    assert "Telefon: +49 711 1234567" in summary and "/kb/doc/legal-privacy-de" in summary
    out = await c.say("die Menge für Position 1 ist 200")
    assert "1. 3S-1208 – " in out[-1] and "200 Stück" in out[-1]
    out = await c.say("E-Mail ändern")
    assert "E-Mail-Adresse" in out[-1]
    out = await c.say("einkauf@brauerei-huber.de")
    assert "E-Mail: einkauf@brauerei-huber.de" in out[-1]  # straight back to the summary
    out = await c.say("/affirm", "affirm")
    assert "RFQ-2026-" in out[-1] and c.slots["rfq"] is None
    with service.db.session() as s:
        rfq = s.scalars(select(Rfq).where(Rfq.reference == c.slots["rfq_reference"])).one()
        assert (rfq.email, rfq.consent, [ln.quantity for ln in rfq.lines]) == ("einkauf@brauerei-huber.de", True,
                                                                                 [200, 10])


async def test_logged_in_buyer_adds_from_finder_and_is_never_asked_for_account_data_en(service) -> None:
    c = Conversation(service, identity=ANNA, language="en")
    out = await c.say('/add_to_rfq{"sku":"3SX-1208"}', "add_to_rfq", [{"entity": "sku", "value": "3SX-1208"}])
    assert "3SX-1208" in out[0] and "How many pieces of 3SX-1208" in out[-1]
    out = await c.say("0")
    assert "0 is not possible" in out[0]
    out = await c.say("-5")
    assert "negative" in out[0]
    out = await c.say("2000000")
    assert "implausibly large" in out[0]
    await c.say("200")
    out = await c.say("filling line, by 01.01.2026")
    assert "in the past" in out[0] and c.draft.application is None
    out = await c.say("filling line, by 2027-03-15")
    summary = out[-1]
    assert "Company: Müller Maschinenbau GmbH" in summary and "Contact: Anna Müller" in summary
    assert "/kb/doc/legal-privacy-en" in summary
    out = await c.say("yes", "affirm")
    assert "reference RFQ-2026-" in out[-1]


async def test_unknown_number_offers_closest_matches_and_unmatched_stays_free_text_de(service) -> None:
    c = Conversation(service)
    await c.say("Angebot anfragen", "start_rfq")
    out = await c.say("3S-1280 x 50, ZZ-9999 x 3")
    assert "3S-1280 kenne ich nicht" in out[-1] and "3S-1208" in out[-1]
    assert [ln.status for ln in c.draft.lines] == ["unknown", "free_text"]
    out = await c.say('/inform{"sku":"3S-1208"}', "inform", [{"entity": "sku", "value": "3S-1208"}])
    assert "Statt 3S-1280 steht jetzt 3S-1208" in out[0]
    assert [(ln.sku, ln.status) for ln in c.draft.lines] == [("3S-1208", "ok"), (None, "free_text")]
    assert next_step(c.draft) == "details"


async def test_uploaded_bom_with_broken_and_unmatched_rows_en(service, tmp_path) -> None:
    uploads = UploadStore(tmp_path)
    data = b"sku,description,qty\n3S-1208,fitting,50\nQQ-4711,special seal 42x3 FKM,20\n3S-0806,x,0\n"
    upload_id = uploads.save(SENDER, "bom.csv", parse_bom("bom.csv", data, 10_000))
    c = Conversation(service, uploads=uploads, language="en")
    out = await c.say(f'/upload_bom{{"upload_id":"{upload_id}"}}', "upload_bom",
                      [{"entity": "upload_id", "value": upload_id}])
    joined = "\n".join(out)
    assert "2 item(s) taken over" in joined and "Row 4" in joined and "quantity 0" in joined
    assert "free text" in joined
    assert [(ln.sku, ln.status) for ln in c.draft.lines] == [("3S-1208", "ok"), (None, "free_text")]
    other = Conversation(service, uploads=uploads, language="en")
    t = tracker("/upload_bom", "upload_bom", language="en", sender="c-someone-else",
                entities=[{"entity": "upload_id", "value": upload_id}])
    d, _ = await run(ValidateRfqForm(catalogue=CATALOGUE, uploads=uploads, service=service), t)
    assert "cannot find the bill of materials" in texts(d)[0]
    assert other.slots == {}


async def test_digression_keeps_everything_and_resumes_de(service) -> None:
    c = Conversation(service)
    await c.say("Angebot", "start_rfq")
    await c.say("3S-1208 x 5")
    before = c.draft
    question = tracker("Ist das für Dampf geeignet?", "ask_knowledge", slots=c.slots)
    d, events = await run(ValidateRfqForm(catalogue=CATALOGUE, service=service), question)
    assert events == [] and d.messages == []  # right after the message: the form rejects, the rule answers
    question.events = [{"event": "user", "text": "Ist das für Dampf geeignet?"},
                       {"event": "action", "name": "action_answer_knowledge"},
                       {"event": "bot", "text": "Ja, bis 150 °C."},
                       {"event": "action", "name": "rfq_form"}]
    d, events = await run(ValidateRfqForm(catalogue=CATALOGUE, service=service), question)
    assert "Ihre Angaben sind erhalten" in texts(d)[0]
    assert {e["name"]: e["value"] for e in events}["rfq_step"] == "details"
    assert c.draft == before


async def test_cancel_and_handoff_are_not_taken_as_answers(service) -> None:
    c = Conversation(service, language="en")
    await c.say("request a quote", "start_rfq")
    for intent in ("cancel", "request_human"):
        d, events = await run(ValidateRfqForm(catalogue=CATALOGUE, service=service),
                              tracker("cancel", intent, language="en", slots=c.slots))
        assert events == [] and d.messages == []


async def test_free_text_requirement_when_no_article_fits_en(service) -> None:
    c = Conversation(service, language="en")
    await c.say("request a quote", "start_rfq")
    out = await c.say("20 pcs custom PTFE gasket 42x3 for a steam valve")
    assert "free-text requirement" in out[0]
    assert c.draft.lines[0].quantity == 20 and c.draft.lines[0].sku is None


async def test_submitted_rfq_queues_sales_mail_and_confirmation_in_requester_language(service) -> None:
    c = Conversation(service, language="en")
    await c.say("quote please for 3S-1208 x 5", "start_rfq")
    await c.say("skip")
    await c.say("Roe Ltd")
    await c.say("Jane Roe")
    out = await c.say(f"jane.{uuid.uuid4().hex[:6]}@roe.com")
    assert "Which country" in out[-1]  # .com says nothing about the country
    out = await c.say("Atlantis")
    assert "don't know that country" in out[0]
    await c.say("United Kingdom")
    await c.say("send", "inform")
    ref = c.slots["rfq_reference"]
    with service.db.session() as s:
        rfq = s.scalars(select(Rfq).where(Rfq.reference == ref)).one()
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "rfq.confirmation",
                                                      OutboxMessage.recipient == rfq.email)).all()
        assert rfq.country == "GB" and len(mails) == 1 and "Your request for quotation" in mails[0].subject


def test_bom_result_type_is_what_the_store_saves(tmp_path) -> None:
    store = UploadStore(tmp_path)
    upload_id = store.save("s", "a.csv", BomResult())
    assert store.load("s", upload_id) == {"filename": "a.csv", "lines": [], "issues": []}
    assert store.load("s", "../../etc/passwd") is None and store.load("other", upload_id) is None


@pytest.mark.parametrize(("language", "said"), [("de", "genug Bestätigungen"), ("en", "enough confirmations")])
async def test_the_chat_says_when_the_days_confirmations_to_an_address_are_used_up(service, language, said) -> None:
    """The request is stored and with sales; only the confirmation mail is left out (not a mail relay)."""
    from assistant.commerce.rfq import CONFIRMATIONS_PER_ADDRESS_PER_DAY, RfqLineItem

    address = f"flood-{uuid.uuid4().hex[:8]}@example.org"
    draft = RfqDraft(lines=[RfqLineItem("Steckverschraubung", 50, "3S-1208")], company="Firma", contact="Name",
                     email=address, country="DE", consent=True, language=language)
    replies = []
    for _ in range(CONFIRMATIONS_PER_ADDRESS_PER_DAY + 1):
        t = tracker("/affirm", "affirm", language=language, slots={"rfq": {"draft": draft.to_dict()}})
        dispatcher, _ = await run(ActionRfqSubmit(catalogue=CATALOGUE, service=service), t)
        replies.append(texts(dispatcher)[-1])
    assert all(said not in r for r in replies[:-1]) and said in replies[-1] and address in replies[-1]
    assert "RFQ-" in replies[-1]
