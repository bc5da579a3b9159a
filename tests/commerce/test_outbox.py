"""Transactional outbox: atomic with the business change, claimed once, retried with backoff, real SMTP."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from datetime import timedelta

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from assistant import clock
from assistant.commerce.domain import OutboxItem
from assistant.commerce.models import OutboxMessage
from assistant.commerce.outbox import OutboxDispatcher, add_to_outbox


class Sink:
    """aiosmtpd handler that records every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        content = envelope.content.decode("utf-8", "replace")
        message_id = next(
            (line.split(":", 1)[1].strip() for line in content.splitlines() if line.lower().startswith("message-id:")),
            "",
        )
        with self.lock:
            self.messages.append((message_id, list(envelope.rcpt_tos), content))
        return "250 OK"

    def ids(self) -> list[str]:
        return [m[0] for m in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


def enqueue(db, topic: str, n: int) -> list[str]:
    with db.session() as s:
        return add_to_outbox(
            s,
            [
                OutboxItem("email", topic, f"buyer{i}@example.com", f"Betreff {i}", f"Text {i} – Grüße")
                for i in range(n)
            ],
        )


def rows(db, topic: str) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)))


def dispatcher(db, settings, port: int, **kwargs) -> OutboxDispatcher:
    return OutboxDispatcher(db, settings.model_copy(update={"smtp_port": port}), base_backoff_s=1, **kwargs)


def test_outbox_row_rolls_back_with_the_business_change(db):
    topic = f"t-{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError), db.session() as s:
        add_to_outbox(s, [OutboxItem("email", topic, "a@example.com", "x", "y")])
        raise RuntimeError("business change failed")
    assert rows(db, topic) == []


def test_two_dispatchers_send_each_message_exactly_once(db, settings, smtp):
    sink, port = smtp
    topic = f"t-{uuid.uuid4().hex[:8]}"
    ids = enqueue(db, topic, 12)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def run() -> None:
        barrier.wait()
        counts.append(dispatcher(db, settings, port).run_once())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counts) == 12
    received = [i for i in sink.ids() if i in ids]
    assert sorted(received) == sorted(ids)  # every message once, none twice
    assert all(r.status == "sent" and r.attempts == 1 for r in rows(db, topic))
    assert dispatcher(db, settings, port).run_once() == 0  # nothing left to send twice
    content = next(m[2] for m in sink.messages if m[0] == ids[0])
    assert "Betreff 0" in content and "buyer0@example.com" in content


def test_retry_with_backoff_until_the_server_is_back(db, settings, smtp):
    sink, port = smtp
    topic = f"t-{uuid.uuid4().hex[:8]}"
    [message_id] = enqueue(db, topic, 1)
    now = [clock.now()]
    down = dispatcher(db, settings, free_port(), clock=lambda: now[0])
    assert down.run_once() == 0
    [row] = rows(db, topic)
    assert row.status == "pending" and row.attempts == 1 and row.last_error and "smtp" in row.last_error
    # Not due yet: backoff.
    up = dispatcher(db, settings, port, clock=lambda: now[0])
    assert up.run_once() == 0
    now[0] += timedelta(seconds=2)
    assert up.run_once() >= 1
    assert sink.ids().count(message_id) == 1
    [row] = rows(db, topic)
    assert row.status == "sent" and row.attempts == 2


def test_gives_up_after_max_attempts(db, settings):
    topic = f"t-{uuid.uuid4().hex[:8]}"
    enqueue(db, topic, 1)
    now = [clock.now()]
    down = dispatcher(db, settings, free_port(), clock=lambda: now[0], max_attempts=2)
    for _ in range(3):
        down.run_once()
        now[0] += timedelta(seconds=60)
    [row] = rows(db, topic)
    assert row.status == "failed" and row.attempts == 2


def test_crash_between_send_and_mark_resends_with_the_same_message_id(db, settings, smtp, monkeypatch):
    sink, port = smtp
    topic = f"t-{uuid.uuid4().hex[:8]}"
    [message_id] = enqueue(db, topic, 1)
    now = [clock.now()]
    crashing = dispatcher(db, settings, port, clock=lambda: now[0], lease_s=30)

    def crash(*args, **kwargs):
        raise SystemExit("killed after send")

    monkeypatch.setattr(crashing, "_finish", crash)
    with pytest.raises(SystemExit):
        crashing.run_once()
    [row] = rows(db, topic)
    assert row.status == "sending"
    survivor = dispatcher(db, settings, port, clock=lambda: now[0], lease_s=30)
    assert survivor.run_once() == 0  # the crashed claim's lease still holds: not resent yet
    assert sink.ids().count(message_id) == 1
    now[0] += timedelta(seconds=31)
    survivor.run_once()
    [row] = rows(db, topic)
    assert row.status == "sent"
    # The resend carries the same Message-ID, which is the receiver's deduplication key.
    assert sink.ids().count(message_id) == 2
    assert len({m[0] for m in sink.messages if m[0] == message_id}) == 1


def test_webhook_carries_idempotency_key_and_retries(db, settings):
    topic = f"t-{uuid.uuid4().hex[:8]}"
    with db.session() as s:
        [message_id] = add_to_outbox(
            s, [OutboxItem("webhook", topic, "http://crm.invalid/hook", payload={"order_number": "4711"})]
        )
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500 if len(calls) == 1 else 204)

    now = [clock.now()]
    d = OutboxDispatcher(
        db, settings, base_backoff_s=1, clock=lambda: now[0], http=httpx.Client(transport=httpx.MockTransport(handler))
    )
    assert d.run_once() == 0
    now[0] += timedelta(seconds=2)
    assert d.run_once() == 1
    assert len(calls) == 2
    assert {c.headers["Idempotency-Key"] for c in calls} == {message_id}
    assert json.loads(calls[1].content) == {"order_number": "4711"}


def test_an_unreachable_mail_server_is_tried_once_per_pass(db, settings, smtp):
    """During an outage the waiting mails keep their attempts; the dead server gets one connection per pass."""
    sink, port = smtp
    topic = f"t-{uuid.uuid4().hex[:8]}"
    ids = enqueue(db, topic, 5)
    now = [clock.now()]
    down = dispatcher(db, settings, free_port(), clock=lambda: now[0])
    assert down.run_once() == 0
    attempts = [r.attempts for r in rows(db, topic)]
    assert len(attempts) == 5 and sum(attempts) <= 1  # one connection attempt (maybe for an older waiting row)
    up = dispatcher(db, settings, port, clock=lambda: now[0])
    assert up.run_once() >= 4  # the four untried ones go out at once when the server is back
    now[0] += timedelta(seconds=6)
    up.run_once()
    assert sorted(sink.ids().count(i) for i in ids) == [1] * 5
    assert all(r.status == "sent" for r in rows(db, topic))


def test_a_poisoned_message_fails_alone_and_ends_as_failed(db, settings, smtp, monkeypatch):
    """Any exception while one message is built or sent counts as its attempt; the others of the pass are sent."""
    sink, port = smtp
    topic = f"t-{uuid.uuid4().hex[:8]}"
    ids = enqueue(db, topic, 3)
    now = [clock.now()]
    d = dispatcher(db, settings, port, clock=lambda: now[0], max_attempts=2)
    real_send = d._send_email

    def poisoned(row):
        if row.message_id == ids[1]:
            raise UnicodeEncodeError("ascii", "ä", 0, 1, "poisoned")  # not a SendError
        real_send(row)

    monkeypatch.setattr(d, "_send_email", poisoned)
    assert d.run_once() == 2
    poisoned_row = rows(db, topic)[1]
    assert poisoned_row.status == "pending" and poisoned_row.attempts == 1
    assert "UnicodeEncodeError" in poisoned_row.last_error
    assert sorted(i for i in sink.ids() if i in ids) == sorted([ids[0], ids[2]])
    now[0] += timedelta(seconds=5)
    assert d.run_once() == 0
    assert [(r.status, r.attempts) for r in rows(db, topic)] == [("sent", 1), ("failed", 2), ("sent", 1)]


def test_a_message_whose_sender_died_every_time_is_given_up(db, settings, smtp):
    """Claimed, never finished (the process died while sending), all attempts used: failed, not sent again."""
    sink, port = smtp
    topic = f"t-{uuid.uuid4().hex[:8]}"
    [message_id] = enqueue(db, topic, 1)
    with db.session() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic)).one()
        row.status, row.attempts, row.claimed_at = "sending", 2, clock.now() - timedelta(hours=1)
    assert dispatcher(db, settings, port, max_attempts=2).run_once() == 0
    [row] = rows(db, topic)
    assert row.status == "failed" and "never finished" in row.last_error
    assert message_id not in sink.ids()


def test_typed_text_cannot_add_a_header_or_a_recipient(db, settings, smtp):
    sink, port = smtp
    topic = f"t-{uuid.uuid4().hex[:8]}"
    with db.session() as s:
        good, bad = add_to_outbox(s, [
            OutboxItem("email", topic, "buyer@example.com", "Angebot – Firma\r\nBcc: victim@example.org", "Text"),
            OutboxItem("email", topic, "buyer@example.com\r\nBcc: victim@example.org", "Offer", "Text"),
        ])
    d = dispatcher(db, settings, port, max_attempts=1)
    assert d.run_once() == 1
    [(message_id, recipients, content)] = [m for m in sink.messages if m[0] in (good, bad)]
    assert message_id == good and recipients == ["buyer@example.com"]
    header_names = [line.split(":", 1)[0].lower() for line in content.split("\n\n", 1)[0].splitlines()
                    if line and not line[0].isspace()]
    assert "bcc" not in header_names and header_names.count("subject") == 1  # the line break became a space
    assert [r.status for r in rows(db, topic)] == ["sent", "failed"]
