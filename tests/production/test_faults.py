"""Faults on the two-replica cluster: Rasa killed, Redis gone, PostgreSQL restarted, SMTP down, tracker unreachable.

The rule in every case: the user gets a clear answer in their language (503, never a stack trace), nothing that
was confirmed is lost, and once the part is back the conversation continues where it was.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from assistant import i18n
from assistant.gateway.rasa_client import rasa_auth
from assistant.loadtest import LOAD_SECRETS, free_port
from assistant.runner import Stack
from assistant.settings import Settings
from tests.production.conftest import Cluster, Conversation, cluster_token, text_of

pytestmark = pytest.mark.integration

ANNA = "anna.mueller@mueller-maschinenbau.de"
ADD = '/add_to_rfq{"sku":"3S-1208"}'


def _kill_rasa(stack: Stack) -> None:
    proc = stack.processes.pop("rasa")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def _events(cluster: Cluster, conversation: Conversation) -> list[tuple[str, str]]:
    sender = "c-" + (conversation.conversation_id or "").split(".")[0]
    engine = create_engine(cluster.tracker_url)
    try:
        with engine.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(
                text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})]
    finally:
        engine.dispose()


def _until_ok(chat: Conversation, replica: int, message: str, timeout: float = 60.0) -> tuple[list[Any], list[int]]:
    """Send one turn until it is answered; returns the messages and the statuses seen on the way."""
    statuses: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = chat.post(replica, message)
        statuses.append(response.status_code)
        if response.status_code == 200:
            messages = response.json()["messages"]
            if text_of(messages) not in (i18n.t("internal_error", "de"), i18n.t("internal_error", "en")):
                return messages, statuses
            statuses[-1] = 500  # Rasa failed the turn inside (its REST channel answers an empty reply)
        else:
            assert response.status_code == 503, response.text
        time.sleep(1.0)
    raise AssertionError(f"no answer within {timeout} s: {statuses}")


def _engine_down(response: httpx.Response, language: str) -> None:
    assert response.status_code == 503
    assert response.headers.get("retry-after")
    body = response.json()
    assert body["error"]["code"] == "engine_down"
    assert "Traceback" not in response.text and "Error" not in body["error"]["message"]
    word = {"de": "Bitte", "en": "Please"}[language]
    assert word in body["error"]["message"] or "moment" in body["error"]["message"].lower(), body


def test_rasa_killed_mid_form_answers_503_then_the_form_continues_where_it_was(cluster: Cluster) -> None:
    chat = Conversation(cluster)
    assert "Wie viele Stück" in text_of(chat.say(0, payload=ADD))
    stack = cluster.replicas[0]
    _kill_rasa(stack)
    _engine_down(chat.post(0, "250"), "de")
    english = Conversation(cluster, locale="en")
    _engine_down(english.post(0, "hello there, what can you do"), "en")
    stack.start_rasa()
    stack.wait_rasa(300)
    reply = text_of(chat.say(0, "250"))
    assert "Anwendung" in reply  # the form's state survived: it asks the next question
    users = [t for t, _ in _events(cluster, chat) if t == "user"]
    assert len(users) == 2  # the turn that met the dead engine was not half-stored


def test_redis_unavailable_fails_turns_clearly_and_recovers(cluster: Cluster) -> None:
    chat = Conversation(cluster)
    chat.say(1, "Hallo")
    before = len(_events(cluster, chat))
    cluster.redis.down()
    try:
        for replica, locale, question in ((1, "de", "Wo finde ich das Datenblatt für 3S-1208?"),
                                          (0, "en", "Where can I find the datasheet for 3S-1208?")):
            chat.locale = locale
            response = chat.post(replica, question)
            # Rasa's REST channel swallows the LockError into an empty reply; the gateway answers that with the
            # same friendly 503 as an unreachable engine. Never an answer to the question.
            _engine_down(response, locale)
        assert len(_events(cluster, chat)) == before  # no turn processed without the conversation lock
    finally:
        cluster.redis.up()
    messages, statuses = _until_ok(chat, 1, "Wo finde ich das Datenblatt für 3S-1208?", timeout=30)
    assert messages and statuses[-1] == 200


def _pg_restart() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import psycopg

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(psycopg.OperationalError):
            psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
            return
        time.sleep(0.5)
    raise AssertionError("PostgreSQL did not come back")


class Sink:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def about(self, reference: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.messages if reference in str(m.get("Subject", "")) + m.as_string()]


def _rfq_reference(chat: Conversation, replica: int) -> str:
    """A logged-in buyer's RFQ through to the confirmation; returns its reference."""
    assert "Wie viele Stück" in text_of(chat.say(replica, payload=ADD))
    assert "Anwendung" in text_of(chat.say(replica, "200"))
    summary = text_of(chat.say(replica, "Verpackungsmaschine VM-3, bis 15.03.2027"))
    assert "Bitte prüfen Sie Ihre Anfrage" in summary, summary
    done = text_of(chat.say(replica, payload="/affirm"))
    match = re.search(r"RFQ-\d{4}-\d{6}", done)
    assert match, done
    return match.group(0)


def _outbox(cluster: Cluster, reference: str) -> list[tuple[str, str, int]]:
    engine = create_engine(cluster.commerce_url)
    try:
        with engine.connect() as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(
                text("SELECT message_id, status, attempts FROM outbox WHERE body LIKE :r OR subject LIKE :r "
                     "OR payload LIKE :r"), {"r": f"%{reference}%"})]
    finally:
        engine.dispose()


def _rfq_exists(cluster: Cluster, reference: str) -> bool:
    engine = create_engine(cluster.commerce_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM rfqs WHERE reference = :r"), {"r": reference}).scalar() == 1
    finally:
        engine.dispose()


def test_smtp_down_then_postgres_restart_loses_no_rfq_and_mails_go_out_exactly_once(cluster: Cluster) -> None:
    """SMTP is down while RFQs are confirmed (the cluster's SMTP port has no server yet); then PostgreSQL
    restarts; then SMTP comes back: both app replicas run the outbox dispatcher, each mail arrives once."""
    from aiosmtpd.controller import Controller

    chat = Conversation(cluster, cluster_token(ANNA))
    reference = _rfq_reference(chat, 0)
    time.sleep(3)  # both replicas' dispatchers try (and fail) at least once
    rows = _outbox(cluster, reference)
    assert rows and all(status != "sent" for _, status, _ in rows), rows

    _pg_restart()
    assert _rfq_exists(cluster, reference)
    assert len(_outbox(cluster, reference)) == len(rows)
    messages, statuses = _until_ok(chat, 1, "Hallo", timeout=60)  # the replicas reconnect by themselves
    assert messages and statuses[-1] == 200

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=int(cluster.env["ASSISTANT_SMTP_PORT"]))
    controller.start()
    try:
        # The dispatchers back off after failures; nudge the rows due now instead of waiting minutes.
        engine = create_engine(cluster.commerce_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE outbox SET next_attempt_at = now() WHERE status = 'pending'"))
        engine.dispose()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(s != "sent" for _, s, _ in _outbox(cluster, reference)):
            time.sleep(0.5)
        assert all(s == "sent" for _, s, _ in _outbox(cluster, reference)), _outbox(cluster, reference)
        time.sleep(3)  # give a duplicate the chance to appear
        mails = sink.about(reference)
        ids = [m["Message-ID"] for m in mails]
        assert len(mails) == len(rows) and len(set(ids)) == len(ids), ids
    finally:
        controller.stop()


def test_unreachable_tracker_store_never_answers_from_memory(cluster: Cluster, tmp_path: Path) -> None:
    """Rasa pointed at a PostgreSQL port where nothing listens: it must not start serving turns from memory."""
    env = {**cluster.env, "ASSISTANT_RASA_DB_PORT": str(free_port()), **LOAD_SECRETS,
           "ASSISTANT_PORT": str(free_port()), "ASSISTANT_RASA_URL": f"http://127.0.0.1:{free_port()}"}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        settings = Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    stack = Stack(settings=settings, extra_env=env, log_dir=tmp_path)
    stack.start_rasa()
    try:
        deadline = time.monotonic() + 30
        answered = []
        while time.monotonic() < deadline and stack.processes["rasa"].poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                r = httpx.post(f"{settings.rasa_url}/webhooks/rest/webhook",
                               json={"sender": "c-probe", "message": "Hallo"}, timeout=5)
                answered.append(r.status_code)
                assert r.status_code != 200 or r.json() == [], r.text
            time.sleep(2)
        status = None
        with contextlib.suppress(httpx.HTTPError):
            status = httpx.get(f"{settings.rasa_url}/status", headers=rasa_auth(settings), timeout=5)
        # Either the process refused to start, or it is still waiting for its store: never ready with a model.
        assert status is None or status.status_code != 200 or not status.json().get("model_file")
        assert 200 not in answered, answered
    finally:
        stack.stop()
