"""RFQ and callback services: validation with reasons, references, catalogue matching, outbox in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from assistant.commerce.models import CallbackTicket, OutboxMessage, Rfq
from assistant.commerce.rfq import (
    CallbackRequest,
    CallbackService,
    RfqDraft,
    RfqInvalid,
    RfqLineItem,
    RfqService,
    closest_skus,
    country_from_email,
    expected_contact,
    find_phone,
    lines_from_text,
    parse_country,
    parse_desired_date,
    parse_email,
    resolve_line,
)
from assistant.settings import Settings

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    sku: str
    name_de: str
    name_en: str


CATALOGUE = [
    Item("3S-1208", "Steckverschraubung 12 mm x G1/4", "Push-in fitting 12 mm x G1/4"),
    Item("3S-0806", "Steckverschraubung 8 mm x G1/8", "Push-in fitting 8 mm x G1/8"),
    Item("QC-300-08", "Kupplung ISO A 1/2", "Coupling ISO A 1/2"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bis 15.03.2027", date(2027, 3, 15)),
        ("2027-01-10", date(2027, 1, 10)),
        ("am 3.12.", date(2026, 12, 3)),
        ("bis 10.1.", date(2027, 1, 10)),
        ("in 4 Wochen", date(2026, 12, 23)),
        ("in 10 days", date(2026, 12, 5)),
        ("KW 6", date(2027, 2, 12)),
        ("15. März 2027", date(2027, 3, 15)),
        ("March 15", date(2027, 3, 15)),
        ("Ende Januar", date(2027, 1, 31)),
        ("so schnell wie möglich", None),
    ],
)
def test_desired_dates_in_german_and_english(text: str, expected: date | None) -> None:
    assert parse_desired_date(text, TODAY) == expected


@pytest.mark.parametrize(("text", "reason"), [("01.01.2026", "past"), ("31.02.2027", "invalid"),
                                              ("2031-01-01", "too_far"), ("yesterday 2026-11-24", "past")])
def test_bad_dates_have_a_reason(text: str, reason: str) -> None:
    with pytest.raises(RfqInvalid) as err:
        parse_desired_date(text, TODAY)
    assert (err.value.field, err.value.reason) == ("date", reason)


def test_contact_fields() -> None:
    assert parse_email("Meine Adresse: Max.Muster@Brauerei-Huber.de bitte") == "max.muster@brauerei-huber.de"
    for bad in ("max@", "max at example dot com", "max@example", "a@b..de"):
        with pytest.raises(RfqInvalid):
            parse_email(bad)
    assert find_phone("erreichbar unter +49 711 123456-0") == "+49 711 123456-0"
    assert find_phone("max@firma.de") is None and find_phone("50 Stück") is None
    assert parse_country("Österreich") == "AT" and parse_country("we are in Switzerland") == "CH"
    assert parse_country("de") == "DE"
    with pytest.raises(RfqInvalid):
        parse_country("Atlantis")
    assert country_from_email("a@b.de") == "DE" and country_from_email("a@b.com") is None


def test_unknown_article_numbers_get_the_closest_catalogue_numbers() -> None:
    assert closest_skus("3S-1280", CATALOGUE)[0] == "3S-1208"
    line = resolve_line("3S-1280", 50, "3S-1280", CATALOGUE, "de")
    assert line.status == "unknown" and "3S-1208" in line.suggestions
    far = resolve_line("ZZ-9999", 5, "ZZ-9999 Sonderteil", CATALOGUE, "en")
    assert far.status == "free_text" and far.sku is None and "ZZ-9999" in far.description
    ok = resolve_line("qc-300-08", 10, "", CATALOGUE, "en")
    assert (ok.sku, ok.description, ok.status) == ("QC-300-08", "Coupling ISO A 1/2", "ok")


def test_pasted_list_becomes_lines_and_bad_quantities_are_reported() -> None:
    items, issues = lines_from_text("3S-1208 x 50, QC-300-08 x 10", CATALOGUE, "de")
    assert [(i.sku, i.quantity) for i in items] == [("3S-1208", 50), ("QC-300-08", 10)]
    items, issues = lines_from_text("3S-1208 x 0\nQC-300-08 x -3", CATALOGUE, "de")
    assert items == [] and [i.reason for i in issues] == ["zero", "negative"]


def draft(**changes) -> RfqDraft:
    base = RfqDraft(
        lines=[RfqLineItem("Steckverschraubung", 50, "3S-1208"),
               RfqLineItem("Sonderdichtung 42x3 FKM", 20, None, status="free_text")],
        application="Abfüllanlage", desired_date=date(2027, 3, 15), company="Brauerei Huber GmbH",
        contact="Max Huber", email="max@brauerei-huber.de", phone=None, country="DE", consent=True, language="de",
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_draft_round_trips_through_a_slot_value() -> None:
    d = draft()
    assert RfqDraft.from_dict(d.to_dict()) == d


@pytest.mark.parametrize(
    ("changes", "field_name", "reason"),
    [
        ({"lines": []}, "lines", "empty"),
        ({"email": "max@"}, "email", "invalid"),
        ({"consent": False}, "consent", "missing"),
        ({"desired_date": date(2026, 1, 1)}, "date", "past"),
        ({"company": " "}, "company", "missing"),
        ({"lines": [RfqLineItem("x", 0, "3S-1208")]}, "quantity", "not_positive"),
        ({"lines": [RfqLineItem("x", 10**6, "3S-1208")]}, "quantity", "too_large"),
        ({"lines": [RfqLineItem("x", 5, None, status="unknown", suggestions=["3S-1208"])]}, "lines", "unresolved"),
    ],
)
def test_submit_refuses_incomplete_or_bad_requests(db, settings, changes, field_name, reason) -> None:
    service = RfqService(db, settings, clock=lambda: NOW)
    with pytest.raises(RfqInvalid) as err:
        service.submit(draft(**changes))
    assert (err.value.field, err.value.reason) == (field_name, reason)


def test_submit_stores_with_reference_and_queues_mails_in_the_requesters_language(db, settings) -> None:
    service = RfqService(db, settings.model_copy(update={"crm_webhook_url": "http://crm.test/hook"}),
                         clock=lambda: NOW)
    first = service.submit(draft())
    second = service.submit(draft(language="en", contact="Jane Roe", email="jane@roe.co.uk", country="GB"))
    assert first.reference.startswith("RFQ-2026-") and len(first.reference) == 15
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1
    with db.session() as s:
        rfq = s.scalars(select(Rfq).where(Rfq.reference == first.reference)).one()
        assert [(ln.position, ln.sku, ln.quantity) for ln in rfq.lines] == [(1, "3S-1208", 50), (2, None, 20)]
        assert "[free text] Sonderdichtung" in (rfq.free_text or "")
        rows = {r.topic: r for r in s.scalars(select(OutboxMessage).where(
            OutboxMessage.message_id.in_(first.message_ids + second.message_ids))).all()
            if r.message_id in first.message_ids}
        assert set(rows) == {"rfq.sales", "rfq.confirmation", "rfq.created"}
        assert rows["rfq.confirmation"].recipient == "max@brauerei-huber.de"
        assert "Ihre Angebotsanfrage" in rows["rfq.confirmation"].subject
        assert "[FREITEXT – kein Katalogartikel] Sonderdichtung 42x3 FKM" in rows["rfq.sales"].body
        assert rows["rfq.created"].recipient == "http://crm.test/hook"
        english = s.scalars(select(OutboxMessage).where(OutboxMessage.message_id.in_(second.message_ids),
                                                        OutboxMessage.topic == "rfq.confirmation")).one()
        assert "Your request for quotation" in english.subject and english.body.startswith("Hello,")
        assert "Jane Roe" not in english.body  # an unverified address gets nothing the requester typed


def test_callback_ticket_keeps_the_transcript_and_notifies_sales(db, settings) -> None:
    service = CallbackService(db, settings, clock=lambda: NOW)
    with pytest.raises(RfqInvalid):
        service.submit(CallbackRequest(name="Max", topic="Angebot"))
    done = service.submit(CallbackRequest(name="Max Huber", phone="+49 711 1234567", topic="Dampfschläuche",
                                          preferred_time="vormittags"),
                          [("user", "Kann ich mit jemandem sprechen?"), ("bot", "Gern.")])
    assert done.reference.startswith("CB-2026-")
    with db.session() as s:
        ticket = s.scalars(select(CallbackTicket).where(CallbackTicket.reference == done.reference)).one()
        assert "user: Kann ich mit jemandem sprechen?" in (ticket.free_text or "")
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.message_id.in_(done.message_ids))).one()
        assert "Dampfschläuche" in mail.body and mail.topic == "callback.sales"


@pytest.mark.parametrize(
    ("now", "kind", "at"),
    [
        (datetime(2026, 11, 25, 9, 0, tzinfo=UTC), "today", "12:00"),  # 10:00 Berlin, Wednesday
        (datetime(2026, 11, 25, 15, 0, tzinfo=UTC), "today", "17:00"),  # 16:00 Berlin: by the end of the day
        (datetime(2026, 11, 25, 16, 45, tzinfo=UTC), "next", "08:00"),  # 17:45 Berlin: tomorrow
        (datetime(2026, 11, 28, 10, 0, tzinfo=UTC), "next", "08:00"),  # Saturday: Monday
        (datetime(2026, 11, 25, 5, 0, tzinfo=UTC), "next", "08:00"),  # 06:00 Berlin: today at eight
    ],
)
def test_expected_contact_respects_office_hours(now: datetime, kind: str, at: str) -> None:
    got_kind, when = expected_contact(now, Settings())
    assert got_kind == kind and when.strftime("%H:%M") == at
    assert when.weekday() < 5
    if now.day == 28:
        assert when.day == 30


def test_background_dispatcher_delivers_rfq_mails_to_the_development_sink(db, settings, tmp_path) -> None:
    import socket
    import time

    from assistant.commerce.mailsink import start_sink
    from assistant.commerce.outbox import OutboxDispatcher, start_dispatcher, stop_dispatcher

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = start_sink("127.0.0.1", port, tmp_path / "mail")
    mail_settings = settings.model_copy(update={"smtp_port": port, "crm_webhook_url": None})
    try:
        done = RfqService(db, mail_settings, clock=lambda: NOW).submit(draft(email="sink@brauerei-huber.de"))
        start_dispatcher(poll_s=0.1, dispatcher=OutboxDispatcher(db, mail_settings))
        start_dispatcher(poll_s=0.1)  # idempotent: still one thread
        deadline = time.monotonic() + 10
        mine: list[str] = []
        while time.monotonic() < deadline and len(mine) < 2:
            mine = [p.read_text() for p in (tmp_path / "mail").glob("*.eml") if done.reference in p.read_text()]
            time.sleep(0.1)
    finally:
        stop_dispatcher()
        sink.stop()
    assert len(mine) == 2
    confirmation = next(m for m in mine if "sink@brauerei-huber.de" in m.split("\n\n", 1)[0])
    assert "Subject: =?utf-8?q?Ihre_Angebotsanfrage" in confirmation or "Ihre Angebotsanfrage" in confirmation


# ------------------------------------------------------------------ not a mail relay
HOSTILE_TEXT = "Click http://evil.example/win to claim your prize"


def _confirmation(db, submitted):
    with db.session() as s:
        return s.scalars(select(OutboxMessage).where(OutboxMessage.message_id.in_(submitted.message_ids),
                                                     OutboxMessage.topic == "rfq.confirmation")).one_or_none()


@pytest.mark.parametrize(("language", "greeting", "own_words"),
                         [("de", "Guten Tag,", "Positionen in Ihren Worten: 1"),
                          ("en", "Hello,", "Items in your own words: 1")])
def test_a_confirmation_to_an_unverified_address_carries_no_text_the_requester_typed(
        db, settings, language, greeting, own_words) -> None:
    service = RfqService(db, settings, clock=lambda: NOW)
    typed = draft(language=language, contact=HOSTILE_TEXT, company=HOSTILE_TEXT, application=HOSTILE_TEXT,
                  email=f"victim-{language}@example.org",
                  lines=[RfqLineItem("Steckverschraubung", 50, "3S-1208"),
                         RfqLineItem(HOSTILE_TEXT, 20, None, status="free_text")])
    mail = _confirmation(db, service.submit(typed))
    assert mail is not None and mail.body.startswith(greeting)
    assert "evil.example" not in mail.body and "evil.example" not in mail.subject
    assert "3S-1208" in mail.body and own_words in mail.body


def test_a_portal_users_own_address_gets_the_full_summary(db, settings) -> None:
    service = RfqService(db, settings, clock=lambda: NOW)
    own = draft(customer_id="K-10001", email="anna.mueller@mueller-maschinenbau.de", contact="Anna Müller")
    mail = _confirmation(db, service.submit(own))
    assert mail is not None and mail.body.startswith("Guten Tag Anna Müller,") and "Sonderdichtung" in mail.body


def test_confirmations_are_capped_per_address_and_per_client_a_day(db, settings) -> None:
    from assistant.commerce.rfq import CONFIRMATIONS_PER_ADDRESS_PER_DAY, CONFIRMATIONS_PER_CLIENT_PER_DAY

    service = RfqService(db, settings, clock=lambda: NOW)
    address = f"flood-{NOW.timestamp():.0f}-{id(service)}@example.org"
    done = [service.submit(draft(email=address)) for _ in range(CONFIRMATIONS_PER_ADDRESS_PER_DAY + 1)]
    assert [d.confirmation_sent for d in done] == [True] * CONFIRMATIONS_PER_ADDRESS_PER_DAY + [False]
    assert _confirmation(db, done[-1]) is None
    with db.session() as s:  # the request itself is stored and sales hear of it
        assert s.scalars(select(Rfq).where(Rfq.reference == done[-1].reference)).one()
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.message_id.in_(done[-1].message_ids),
                                                     OutboxMessage.topic == "rfq.sales")).one()
    client = f"client-{id(done)}"
    by_client = [service.submit(draft(email=f"a{n}-{id(done)}@example.org"), client=client)
                 for n in range(CONFIRMATIONS_PER_CLIENT_PER_DAY + 1)]
    assert [d.confirmation_sent for d in by_client] == [True] * CONFIRMATIONS_PER_CLIENT_PER_DAY + [False]
    assert service.submit(draft(email=f"other-{id(done)}@example.org"), client="another-client").confirmation_sent
