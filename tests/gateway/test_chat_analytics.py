"""What the gateway records of a chat turn, and what it never shows: private ``_analytics`` keys.

Rasa is the recording fake; actions' private payloads follow the contract in assistant/analytics/events.py. The
recorder writes to a private store, flushed before each check.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from assistant.analytics import Analytics, conversation_hash
from assistant.analytics.events import AnalyticsConversation, AnalyticsTurn
from assistant.analytics.recorder import Recorder
from assistant.commerce.db import Database
from assistant.gateway import chat as chat_module
from assistant.gateway import kb as kb_module
from assistant.identity import ANONYMOUS, get_binder
from tests.gateway.cockpit_helpers import migrated_database, recorder
from tests.gateway.fakes import FakeRasa, bearer

KNOWLEDGE = {"kind": "knowledge", "answered": True, "verdict": "no", "sources": ["ds-3s-push-in"], "reason": None}


def answer(text: str, **private: Any) -> list[dict[str, Any]]:
    first = {"type": "text", "text": text, "_analytics": KNOWLEDGE, "_debug": {"score": 0.71}, **private}
    return [{"recipient_id": "x", "custom": first},
            {"recipient_id": "x", "custom": {"type": "sources", "items": [{"title": "Datenblatt 3S", "url": "/kb/x"}]}}]


def marker(flow: str, event: str) -> dict[str, Any]:
    return {"recipient_id": "x", "custom": {"_analytics": {"kind": "flow", "flow": flow, "event": event}}}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Database, Recorder]:
    database = migrated_database(tmp_path)
    rec = recorder(database)
    monkeypatch.setattr(chat_module, "get_recorder", lambda: rec)
    yield database, rec
    rec.stop()


def turns(store: tuple[Database, Recorder]) -> list[AnalyticsTurn]:
    database, rec = store
    assert rec.flush(5)
    with database.session() as s:
        return list(s.scalars(select(AnalyticsTurn).order_by(AnalyticsTurn.id)))


@pytest.mark.parametrize(("lang", "question", "reply"), [
    ("de", "Hält die 3S-1208 120 °C aus?", "Nein, die Serie 3S ist bis 80 °C ausgelegt."),
    ("en", "Can the 3S-1208 take 120 °C?", "No, the 3S series is rated to 80 °C."),
])
def test_private_keys_never_reach_the_client_and_the_answer_is_recorded(client, rasa: FakeRasa, store, lang: str,
                                                                       question: str, reply: str) -> None:
    rasa.reply = [*answer(reply), marker("rfq", "started")]
    r = client.post("/api/chat", json={"message": question, "locale": lang, "context": {"sku": "3S-1208"}})
    assert r.status_code == 200
    body = r.json()
    assert "_analytics" not in r.text and "_debug" not in r.text
    assert [m["type"] for m in body["messages"]] == ["text", "sources"]  # the marker-only message is gone
    assert body["messages"][0]["text"] == reply and "survey" not in body
    [row] = turns(store)
    assert (row.kind, row.answered, row.verdict, row.sources, row.flows) == (
        "knowledge", True, "no", '["ds-3s-push-in"]', "rfq:started")
    assert (row.language, row.touchpoint, row.sku, row.logged_in) == (lang, "product", "3S-1208", False)
    assert (row.question, row.first_message, row.message_count) == (question, 0, 2)
    assert reply in row.reply and "Datenblatt 3S" in row.reply and "_analytics" not in row.reply


def test_touchpoint_and_identity_kind_without_the_person(client, rasa: FakeRasa, store) -> None:
    rasa.reply = answer("Ja.")
    client.post("/api/chat", json={"message": "Gibt es FKM-Dichtungen?"})
    client.post("/api/chat", json={"message": "Gibt es FKM-Dichtungen?"}, headers=bearer())
    shop, portal = turns(store)
    assert (shop.touchpoint, shop.logged_in, portal.touchpoint, portal.logged_in) == ("shop", False, "portal", True)
    database, _ = store
    with database.session() as s:
        stored = " ".join(str(v) for t in s.scalars(select(AnalyticsTurn)) for v in vars(t).values())
        stored += " ".join(str(v) for c in s.scalars(select(AnalyticsConversation)) for v in vars(c).values())
    assert "u-1001" not in stored and "K-10001" not in stored and "mueller" not in stored.lower()


def test_other_turns_are_counted_but_keep_no_text(client, rasa: FakeRasa, store) -> None:
    rasa.reply = [{"recipient_id": "x", "custom": {"type": "text", "text": "Danke, Max Mustermann von Beispiel GmbH."}}]
    cid = client.post("/api/chat", json={"message": "Max Mustermann, Beispiel GmbH"}).json()["conversation_id"]
    client.post("/api/chat", json={"payload": "/greet", "conversation_id": cid})
    first, second = turns(store)
    assert (first.kind, first.question, first.reply, second.kind, second.question) == (
        "other", None, None, "other", None)  # an RFQ step is a name or a company: only answers are reviewed
    assert second.first_message == 1  # counted over the messages the client saw, for thumbs


@pytest.mark.parametrize(("flow", "event", "survey"), [
    ("reorder", "finished", "reorder"), ("rfq", "finished", "rfq"), ("document", "finished", "document"),
    ("reorder", "started", None), ("status", "finished", None), ("handoff", "finished", None),
])
def test_a_completed_reorder_rfq_or_document_asks_for_the_effort_score(client, rasa: FakeRasa, store, flow: str,
                                                                       event: str, survey: str | None) -> None:
    rasa.reply = [{"recipient_id": "x", "custom": {"t": "greet"}}, marker(flow, event)]
    body = client.post("/api/chat", json={"message": "ok", "locale": "de"}, headers=bearer()).json()
    assert body.get("survey") == ({"kind": "ces", "flow": survey} if survey else None)
    assert turns(store)[0].flows == f"{flow}:{event}"


def test_a_failing_analytics_store_never_costs_the_turn(client, rasa: FakeRasa, monkeypatch, tmp_path) -> None:
    class Broken:
        def submit(self, event: Any) -> bool:
            raise RuntimeError("store on fire")

    monkeypatch.setattr(chat_module, "get_recorder", lambda: Broken())
    r = client.post("/api/chat", json={"message": "Hallo"})
    assert r.status_code == 200 and r.json()["messages"]


def test_the_turn_never_waits_for_the_store(client, rasa: FakeRasa, store, monkeypatch) -> None:
    database, rec = store
    release, entered = threading.Event(), threading.Event()
    real_session = database.session

    def blocked_session() -> Any:
        entered.set()
        assert release.wait(10), "the test never released the store"
        return real_session()

    monkeypatch.setattr(database, "session", blocked_session)
    rasa.reply = answer("Ja.")
    r = client.post("/api/chat", json={"message": "Gibt es FKM?"})  # would hang here if the turn waited
    assert r.status_code == 200
    assert entered.wait(5) and rec.written == 0  # the writer is still stuck while the reply is already out
    release.set()
    monkeypatch.setattr(database, "session", real_session)
    assert len(turns(store)) == 1


def test_thumbs_from_the_widget_attach_to_the_rated_answer(client, rasa: FakeRasa, store, monkeypatch) -> None:
    database, rec = store
    monkeypatch.setattr(kb_module, "get_analytics", lambda: Analytics(database, rec))

    async def no_tracker(*_args: Any) -> tuple[None, None]:
        return None, None

    monkeypatch.setattr(kb_module, "rated_question", no_tracker)
    client.post("/api/chat", json={"message": "Hallo"})  # message 0
    rasa.reply = answer("Nein.")
    cid = client.post("/api/chat", json={"message": "Hallo"}).json()["conversation_id"]
    client.post("/api/chat", json={"message": "Hält 3S 120 °C?", "conversation_id": cid})  # messages 0-1
    r = client.post("/api/feedback", json={"conversation_id": cid, "message_index": 1, "rating": "down"})
    assert r.status_code == 204
    rows = [t for t in turns(store) if t.conversation == conversation_hash(get_binder().sender_for(cid, ANONYMOUS))]
    assert [(t.first_message, t.rating) for t in rows] == [(0, "down"), (2, None)]
