"""Transactional outbox: notifications are rows written in the same transaction as the business change.

Delivery guarantee (what "exactly once" means here, precisely):
- A message exists if and only if its business change committed (same transaction).
- A dispatcher *claims* a row with one conditional UPDATE (status pending -> sending, new claim token,
  attempt counter + 1). Only one dispatcher can win a claim, so concurrent dispatchers (several app
  replicas, or `assistant outbox run` twice) never send the same row in parallel.
- After a successful send the row is marked ``sent`` (guarded by the claim token).
- If the process dies between send and mark, the claim's lease expires and the row is sent again, with
  the SAME ``Message-ID`` header (e-mail) / ``Idempotency-Key`` header (webhook), both equal to the
  row's unique ``message_id``. Receivers that deduplicate on that id (mail archives, CRM webhooks)
  therefore see each message exactly once; without such deduplication the crash window gives at least once.
- Failures are retried with exponential backoff up to ``max_attempts``; then the row is ``failed`` and
  stays for an operator (nothing is silently dropped). Any exception while one message is built or sent counts
  as that message's failed attempt, so a poisoned message ends as ``failed`` and never stops the others.
- Header values pass through ``assistant.sanitize.one_line`` and recipients must be plain addresses: nothing a
  person typed can add a header or a recipient.
- When the mail server (or a webhook receiver) cannot be reached at all, the rest of that pass leaves the
  channel's rows alone: they are not claimed and use up no attempt, and the dead server is tried once per
  pass instead of once per waiting message (during an outage that was most of an app worker's time).
"""

from __future__ import annotations

import json
import logging
import smtplib
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from assistant import clock
from assistant.commerce.db import Database, get_database
from assistant.commerce.domain import OutboxItem
from assistant.commerce.models import OutboxMessage
from assistant.sanitize import EMAIL_ADDRESS, one_line
from assistant.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAIL_DOMAIN = "assistant.example-industrie.de"


def _now() -> datetime:
    return clock.now()


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@{MAIL_DOMAIN}>"


def add_to_outbox(session: Session, items: Iterable[OutboxItem]) -> list[str]:
    """Insert notifications into the caller's transaction; returns their message ids."""
    ids = []
    now = _now()
    for item in items:
        message_id = item.message_id or new_message_id()
        session.add(
            OutboxMessage(
                message_id=message_id,
                channel=item.channel,
                topic=item.topic,
                recipient=item.recipient,
                subject=item.subject,
                body=item.body,
                payload=json.dumps(item.payload, ensure_ascii=False, default=str),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        ids.append(message_id)
    return ids


def webhook_items(settings: Settings, topic: str, payload: dict[str, Any]) -> list[OutboxItem]:
    """The optional CRM webhook copy of an event (none when no webhook is configured)."""
    if not settings.crm_webhook_url:
        return []
    return [OutboxItem("webhook", topic, settings.crm_webhook_url, payload={"event": topic, **payload})]


class SendError(Exception):
    """A transport failure worth retrying (message is for logs)."""

    def __init__(self, message: str, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable  # the server could not be reached: every message of its channel would fail


class OutboxDispatcher:
    """Claims due rows, sends them and marks them; safe to run in several processes at once."""

    def __init__(
        self,
        db: Database | None = None,
        settings: Settings | None = None,
        *,
        max_attempts: int = 8,
        base_backoff_s: float = 5.0,
        lease_s: float = 120.0,
        http: httpx.Client | None = None,
        clock: Callable[[], datetime] = _now,
    ):
        self.db = db or get_database()
        self.settings = settings or get_settings()
        self.max_attempts = max_attempts
        self.base_backoff_s = base_backoff_s
        self.lease_s = lease_s
        self._http = http
        self._clock = clock

    # -- claiming ----------------------------------------------------------------------------------------
    def _due_ids(self, batch: int) -> list[tuple[int, str]]:
        """Due rows as (id, server): the mail server for e-mails, the receiving URL for webhooks."""
        now = self._clock()
        stale = now - timedelta(seconds=self.lease_s)
        with self.db.session() as s:
            rows = (
                s.execute(
                    select(OutboxMessage.id, OutboxMessage.channel, OutboxMessage.recipient)
                    .where(
                        or_(
                            (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
                            (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < stale),
                        )
                    )
                    .order_by(OutboxMessage.id)
                    .limit(batch)
                ).all()
            )
        return [(row_id, channel if channel == "email" else f"{channel}:{recipient}")
                for row_id, channel, recipient in rows]

    def _claim(self, row_id: int) -> tuple[OutboxMessage, str] | None:
        now = self._clock()
        stale = now - timedelta(seconds=self.lease_s)
        token = uuid.uuid4().hex
        with self.db.session() as s:
            claimed = s.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == row_id,
                    or_(
                        (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
                        (OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < stale),
                    ),
                )
                .values(
                    status="sending",
                    claim_token=token,
                    claimed_at=now,
                    attempts=OutboxMessage.attempts + 1,
                )
            ).rowcount
            if not claimed:
                return None
            row = s.get(OutboxMessage, row_id)
            assert row is not None
            s.refresh(row)
            s.expunge(row)
            return row, token

    def _finish(self, row: OutboxMessage, token: str, error: str | None) -> None:
        now = self._clock()
        values: dict[str, Any]
        if error is None:
            values = {"status": "sent", "sent_at": now, "last_error": None}
        elif row.attempts >= self.max_attempts:
            values = {"status": "failed", "last_error": error[:500]}
        else:
            delay = self.base_backoff_s * (2 ** (row.attempts - 1))
            values = {
                "status": "pending",
                "next_attempt_at": now + timedelta(seconds=delay),
                "last_error": error[:500],
            }
        with self.db.session() as s:
            s.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id, OutboxMessage.claim_token == token)
                .values(**values)
            )

    # -- sending -----------------------------------------------------------------------------------------
    def _send_email(self, row: OutboxMessage) -> None:
        recipients = [one_line(r) for r in (row.recipient or "").split(";") if r.strip()]
        if not recipients or not all(EMAIL_ADDRESS.fullmatch(r) for r in recipients):
            raise SendError("smtp: not a plain e-mail address")  # nothing typed may add a header or a recipient
        msg = EmailMessage()
        msg["From"] = one_line(self.settings.mail_from)
        msg["To"] = ", ".join(recipients)
        msg["Subject"] = one_line(row.subject)
        msg["Message-ID"] = one_line(row.message_id)
        msg["X-Assistant-Topic"] = one_line(row.topic)
        msg.set_content(row.body or "")
        try:
            smtp = smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=10)
        except (OSError, smtplib.SMTPConnectError) as exc:
            raise SendError(f"smtp: {type(exc).__name__}: {exc}", unreachable=True) from exc
        try:
            with smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"smtp: {type(exc).__name__}: {exc}") from exc

    def _send_webhook(self, row: OutboxMessage) -> None:
        client = self._http or httpx.Client(timeout=10)
        try:
            response = client.post(
                row.recipient,
                content=row.payload.encode(),
                headers={"Content-Type": "application/json", "Idempotency-Key": row.message_id},
            )
            if response.status_code >= 300:
                raise SendError(f"webhook: HTTP {response.status_code}")
        except httpx.HTTPError as exc:
            raise SendError(f"webhook: {type(exc).__name__}",
                            unreachable=isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)) from exc
        finally:
            if self._http is None:
                client.close()

    def send(self, row: OutboxMessage) -> None:
        if row.channel == "email":
            self._send_email(row)
        elif row.channel == "webhook":
            self._send_webhook(row)
        else:
            raise SendError(f"unknown channel {row.channel}")

    def run_once(self, batch: int = 50) -> int:
        """Send what is due now; returns the number of messages sent."""
        sent = 0
        unreachable: set[str] = set()
        for row_id, server in self._due_ids(batch):
            if server in unreachable:
                continue  # its server is down: try again next pass, without using up an attempt
            claim = self._claim(row_id)
            if claim is None:
                continue  # another dispatcher has it
            row, token = claim
            if row.attempts > self.max_attempts:
                # every attempt was used and the last one never came back (the process died sending it)
                self._finish(row, token, "gave up: the last attempt never finished")
                continue
            try:
                self.send(row)
            except SendError as exc:
                log.warning("outbox message %s attempt %s failed: %s", row.id, row.attempts, exc)
                self._finish(row, token, str(exc))
                if exc.unreachable:
                    unreachable.add(server)
                continue
            except Exception as exc:  # a poisoned message (a header no mail library accepts, bad JSON ...)
                # Counted like any failed attempt, so it ends as failed; the others in this pass go on.
                log.warning("outbox message %s attempt %s failed: %s", row.id, row.attempts, type(exc).__name__)
                self._finish(row, token, f"unexpected: {type(exc).__name__}")
                continue
            self._finish(row, token, None)
            sent += 1
        return sent

    def run_forever(self, poll_s: float = 2.0) -> None:  # pragma: no cover - loop around run_once
        while True:
            try:
                self.run_once()
            except Exception:
                log.exception("outbox dispatcher pass failed")
            time.sleep(poll_s)


def pending_count(db: Database) -> int:
    with db.session() as s:
        return len(s.scalars(select(OutboxMessage.id).where(OutboxMessage.status != "sent")).all())


# -- the dispatcher inside the app ---------------------------------------------------------------------------
_background: tuple[threading.Thread, threading.Event] | None = None
_background_lock = threading.Lock()


def start_dispatcher(poll_s: float = 1.0, dispatcher: OutboxDispatcher | None = None) -> None:
    """Run the outbox in a daemon thread of this process (called from the app's lifespan; idempotent).

    Sending is blocking I/O (smtplib, httpx), so it runs in its own thread, never on the event loop. Several
    app workers or replicas may each run one: claims make sure every message is sent by one of them.
    """
    global _background
    with _background_lock:
        if _background is not None and _background[0].is_alive():
            return
        stop = threading.Event()

        def loop() -> None:
            worker = dispatcher or OutboxDispatcher()
            while not stop.is_set():
                try:
                    worker.run_once()
                except Exception:
                    log.exception("outbox dispatcher pass failed")
                stop.wait(poll_s)

        thread = threading.Thread(target=loop, name="outbox-dispatcher", daemon=True)
        thread.start()
        _background = (thread, stop)


def stop_dispatcher(timeout_s: float = 15.0) -> None:
    """Stop the background dispatcher after its current pass (a message being sent is finished or retried)."""
    global _background
    with _background_lock:
        if _background is None:
            return
        thread, stop = _background
        stop.set()
        thread.join(timeout_s)
        _background = None
