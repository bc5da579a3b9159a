"""RFQ conversations through the real gateway and Rasa, German and English, with mail at a real SMTP server.

The SMTP port is fixed for the whole test session before the stack starts, so the app (once it runs the outbox
dispatcher in its lifespan) and the dispatcher these tests run themselves deliver to the same aiosmtpd server.
Claims make sure that two dispatchers never send one message twice.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from assistant.commerce.db import Database
from assistant.commerce.models import Rfq
from assistant.commerce.outbox import OutboxDispatcher
from assistant.settings import Settings
from tests.integration.conftest import Chat as _Chat
from tests.integration.conftest import text_of, token_for

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Fixed before the stack starts (collection imports this module before any fixture runs).
SMTP_PORT = int(os.environ.setdefault("ASSISTANT_SMTP_PORT", str(_free_port())))
ANNA = "anna.mueller@mueller-maschinenbau.de"
EMMA = "emma.clarke@alpine-pharma.at"


class Chat(_Chat):
    """Anonymous visitors share one bucket per IP (20 turns burst, one per second): wait when throttled,
    as the widget does, instead of lifting the limit for everybody's tests."""

    def post(self, **body: Any) -> httpx.Response:
        for _ in range(60):
            response = super().post(**body)
            if response.status_code != 429:
                return response
            time.sleep(min(5.0, float(response.headers.get("Retry-After", "1"))))
        return response


class Sink:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        headers = "\n".join(f"{k}: {v}" for k, v in message.items())
        body = message.get_content() if not message.is_multipart() else ""
        with self.lock:
            self.messages.append(f"{headers}\n\n{body}")
        return "250 OK"

    def about(self, reference: str) -> list[str]:
        with self.lock:
            return [m for m in self.messages if reference in m]


class SmtpServer:
    """The test's SMTP server on the session's SMTP port; can go down and come back (same recorded mails)."""

    def __init__(self, sink: Sink):
        self.sink = sink
        self.controller: Controller | None = None

    def up(self) -> None:
        if self.controller is None:
            self.controller = Controller(self.sink, hostname="127.0.0.1", port=SMTP_PORT)
            self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="module")
def smtp_server() -> Any:
    server = SmtpServer(Sink())
    server.up()
    yield server
    server.down()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> Sink:
    smtp_server.up()
    return smtp_server.sink


def deliver(reference: str, sink: Sink, expected: int, timeout: float = 15.0, skip_backoff: bool = False) -> list[str]:
    """Run a dispatcher (like the app's) until the mails of one RFQ have arrived."""
    settings = Settings()
    db = Database(settings.resolved_database_url)
    later = (lambda: datetime.now(UTC) + timedelta(hours=1)) if skip_backoff else (lambda: datetime.now(UTC))
    dispatcher = OutboxDispatcher(db, settings, clock=later)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and len(sink.about(reference)) < expected:
            dispatcher.run_once()
            time.sleep(0.2)
    finally:
        db.dispose()
    return sink.about(reference)


def reference_in(text: str) -> str:
    m = re.search(r"RFQ-\d{4}-\d{6}", text)
    assert m, text
    return m.group(0)


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in messages for b in m.get("buttons") or []]


def add_button(messages: list[dict[str, Any]]) -> str:
    return next(b["payload"] for b in buttons(messages) if b["payload"].startswith("/add_to_rfq"))


def finder_until_results(chat: Chat, first: str, answers: list[str]) -> list[dict[str, Any]]:
    """Start the finder and answer its questions until products come back."""
    messages = chat.say(first)
    for answer in answers:
        if any(m["type"] == "products" for m in messages):
            break
        messages = chat.say(answer)
    assert any(m["type"] == "products" for m in messages), text_of(messages)
    return messages


def test_logged_in_buyer_goes_from_finder_result_to_sent_rfq_in_four_turns_de(stack, smtp) -> None:
    chat = Chat(stack, token_for(ANNA))
    results = finder_until_results(chat, "Ich suche eine Steckverschraubung aus Edelstahl für Druckluft, 8 mm", [])
    products = next(m for m in results if m["type"] == "products")["items"]
    assert 1 <= len(products) <= 5 and all("facts" in p for p in products)
    assert any(m["type"] == "documents" for m in results)  # datasheets from any result
    turns = 0
    messages = chat.say(payload=add_button(results))
    turns += 1
    assert "Wie viele Stück" in text_of(messages)
    messages = chat.say("200")
    turns += 1
    assert "Anwendung" in text_of(messages)
    messages = chat.say("Verpackungsmaschine VM-3, bis 15.03.2027")
    turns += 1
    summary = text_of(messages)
    assert "Firma: Müller Maschinenbau GmbH" in summary and "Ansprechpartner: Anna Müller" in summary
    assert "200 Stück" in summary and "legal-privacy-de" in summary
    messages = chat.say(payload="/affirm")
    turns += 1
    reference = reference_in(text_of(messages))
    assert turns <= 4
    mails = deliver(reference, smtp, expected=2)
    assert len(mails) == 2
    confirmation = next(m for m in mails if f"To: {ANNA}" in m)
    assert "Guten Tag Anna Müller" in confirmation and "200 Stück" in confirmation
    sales = next(m for m in mails if "vertrieb@" in m.split("\n\n", 1)[0])
    assert "Verpackungsmaschine VM-3" in sales


def test_anonymous_prospect_from_finder_result_to_sent_rfq_in_at_most_eight_turns_en(stack, smtp) -> None:
    chat = Chat(stack, locale="en")
    messages = chat.say("I need a push-in fitting for compressed air")
    assert any(m["type"] == "buttons" for m in messages)  # it asks for what is missing, with buttons
    results = finder_until_results(chat, "8 mm, stainless steel", ["show results"])
    turns = 0
    script = [
        ("payload", add_button(results), "How many pieces"),
        ("text", "50", "application or machine"),
        ("text", "skip", "Which company"),
        ("text", "Roe Engineering GmbH", "your name"),
        ("text", "Jane Roe", "e-mail address"),
        ("text", "jane.roe@roe-engineering.de", "Please check your request"),
    ]
    for kind, value, expect in script:
        messages = chat.say(payload=value) if kind == "payload" else chat.say(value)
        turns += 1
        assert expect in text_of(messages), text_of(messages)
    assert "Country: Germany" in text_of(messages) and "legal-privacy-en" in text_of(messages)
    messages = chat.say(payload="/affirm")
    turns += 1
    reference = reference_in(text_of(messages))
    assert turns <= 8
    mails = deliver(reference, smtp, expected=2)
    confirmation = next(m for m in mails if "To: jane.roe@roe-engineering.de" in m)
    assert "Your request for quotation" in confirmation and "3SC-0804" in confirmation
    # an address nobody verified gets no text the requester typed (not a mail relay), not even the name
    assert "Jane Roe" not in confirmation and "Roe Engineering" not in confirmation


def test_pasted_list_with_bad_input_and_a_correction_before_confirm_de(stack, smtp) -> None:
    chat = Chat(stack)
    assert "Welche Artikel und Mengen" in text_of(chat.say("Ich hätte gern ein Angebot"))
    reply = text_of(chat.say("3S-1208 x 50, QC-300-08 x 0"))
    assert "Menge 0 geht nicht" in reply and "1 Position(en) übernommen" in reply
    chat.say("weiter")
    chat.say("Brauerei Huber GmbH")
    chat.say("Max Huber")
    assert "nicht nach einer gültigen E-Mail-Adresse" in text_of(chat.say("max@huber"))
    summary = text_of(chat.say("max@brauerei-huber.de"))
    assert "Firma: Brauerei Huber GmbH" in summary and "50 Stück" in summary  # nothing lost by the bad e-mail
    summary = text_of(chat.say("die Menge für Position 1 ist 200"))
    assert "200 Stück" in summary and "50 Stück" not in summary
    assert "An welche E-Mail-Adresse" in text_of(chat.say("E-Mail ändern"))
    summary = text_of(chat.say("einkauf@brauerei-huber.de"))
    assert "E-Mail: einkauf@brauerei-huber.de" in summary
    reference = reference_in(text_of(chat.say("senden")))
    db = Database(Settings().resolved_database_url)
    try:
        with db.session() as s:
            rfq = s.scalars(select(Rfq).where(Rfq.reference == reference)).one()
            assert (rfq.email, [ln.quantity for ln in rfq.lines]) == ("einkauf@brauerei-huber.de", [200])
    finally:
        db.dispose()


def upload(chat: Chat, name: str, content: bytes) -> httpx.Response:
    data = {"locale": chat.locale}
    if chat.conversation_id:
        data["conversation_id"] = chat.conversation_id
    return chat.client.post(f"{chat.base}/api/upload", files={"file": (name, content)}, data=data,
                            headers=chat.headers())


def test_uploaded_bom_with_unmatched_and_broken_rows_en(stack, smtp) -> None:
    chat = Chat(stack, token_for(EMMA), locale="en")
    chat.say("I'd like a quote")
    bad = upload(chat, "bom.pdf", b"%PDF-1.4")
    assert bad.status_code == 400 and "CSV or XLSX" in bad.json()["error"]["message"]
    assert upload(chat, "bom.csv", b"").json()["error"]["code"] == "upload_empty"
    too_many = "sku,qty\n" + "\n".join(f"3S-1208,{n}" for n in range(1, 503))
    assert upload(chat, "bom.csv", too_many.encode()).json()["error"]["code"] == "upload_too_many_lines"
    big = upload(chat, "bom.csv", b"sku;qty\n" + b"3S-1208;1\n" * (Settings().max_upload_bytes // 10 + 1))
    assert big.status_code == 413 and "larger than 2 MB" in big.json()["error"]["message"]
    content = b"sku,description,qty\n3S-1208,fitting,50\nZZ-9999,custom gasket 42x3 FKM,20\nQC-300-08,coupling,-4\n"
    r = upload(chat, "bom.csv", content)
    assert r.status_code == 200, r.text
    chat.conversation_id = r.json()["conversation_id"]
    reply = text_of(r.json()["messages"])
    assert "2 item(s) taken over" in reply and "Row 4" in reply and "negative quantity" in reply
    assert "free text" in reply
    summary = text_of(chat.say("skip"))
    assert "[free text, not a catalogue article] ZZ-9999" in summary and "3S-1208" in summary
    reference = reference_in(text_of(chat.say(payload="/affirm")))
    mails = deliver(reference, smtp, expected=2)
    sales = next(m for m in mails if "vertrieb@" in m.split("\n\n", 1)[0])
    assert "FREITEXT" in sales and "ZZ-9999" in sales


def test_knowledge_question_mid_form_is_answered_and_the_form_resumes_de(stack) -> None:
    chat = Chat(stack, token_for("lena.schmidt@mueller-maschinenbau.de"))
    chat.say("Angebot anfragen")
    chat.say("3SX-1208 x 20")
    messages = chat.say("Ist die 3SX-1208 für Dampf geeignet?")
    text = text_of(messages)
    assert "Zurück zu Ihrer Angebotsanfrage" in text and "Anwendung" in text
    summary = text_of(chat.say("weiter"))
    assert "3SX-1208" in summary and "20 Stück" in summary and "Lena Schmidt" in summary


def test_cancel_stops_the_form_and_a_new_request_starts_empty_en(stack) -> None:
    chat = Chat(stack, token_for("sofia.rossi@alpine-pharma.at"), locale="en")
    chat.say("request a quote")
    chat.say("3S-1208 x 5")
    cancelled = text_of(chat.say("cancel"))
    assert cancelled and "application" not in cancelled
    assert "Which articles and quantities" in text_of(chat.say("I'd like a quote"))


def test_crash_between_confirm_and_send_delivers_exactly_once(stack, smtp_server: SmtpServer) -> None:
    """SMTP is down at confirm; the app is killed and restarted; then SMTP comes back: each mail exactly once."""
    smtp = smtp_server.sink
    chat = Chat(stack, token_for("thomas.berger@mueller-maschinenbau.de"))
    chat.say("Angebot anfragen")
    for text in ("3S-1208 x 7", "weiter"):
        chat.say(text)
    smtp_server.down()
    try:
        reference = reference_in(text_of(chat.say("ja, senden")))
        db = Database(Settings().resolved_database_url)
        try:
            OutboxDispatcher(db, Settings()).run_once()  # the attempt fails: the rows stay pending
        finally:
            db.dispose()
        stack.stop_process("app", timeout=0.1)  # the app dies (SIGTERM, then SIGKILL)
        stack.start_app()
        stack.wait_app()
        assert smtp.about(reference) == []
    finally:
        smtp_server.up()
    mails = deliver(reference, smtp, expected=2, skip_backoff=True)
    time.sleep(1.0)
    deliver(reference, smtp, expected=3, timeout=2.0, skip_backoff=True)  # nothing more to send
    assert len(smtp.about(reference)) == 2 and len(mails) == 2


def test_benchmark_conversation_returns_one_latency_per_turn(stack) -> None:
    import asyncio

    from assistant.bench_rfq import SCRIPT, rfq_conversation

    latencies = asyncio.run(rfq_conversation(stack.app_url))
    assert len(latencies) == len(SCRIPT) and all(0 < x < 10 for x in latencies)


def test_handoff_in_the_middle_of_an_rfq_keeps_the_request_en(stack) -> None:
    chat = Chat(stack, token_for("david.huber@alpine-pharma.at"), locale="en")
    chat.say("request a quote")
    chat.say("3S-1208 x 40")
    assert "Which phone number" in text_of(chat.say("can someone call me back?"))
    for text in ("+43 662 123456", "delivery times for large quantities", "any time"):
        last = chat.say(text)
    assert "CB-" in text_of(last)
    resumed = text_of(chat.say("I'd like a quote"))
    assert "everything you entered is kept" in resumed and "application or machine" in resumed
    summary = text_of(chat.say("skip"))
    assert "3S-1208" in summary and "40 pcs" in summary and "David Huber" in summary
