"""POST /api/ces: the widget's one-question effort score after a completed flow, once per conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.analytics.insights import Kpis, load_totals, period
from assistant.analytics.recorder import Recorder
from assistant.clock import today
from assistant.commerce.db import Database
from assistant.gateway import ces as ces_module
from assistant.gateway import chat as chat_module
from tests.gateway.cockpit_helpers import migrated_database, recorder
from tests.gateway.fakes import FakeRasa, bearer, error_code

DONE = [{"recipient_id": "x", "custom": {"t": "greet"}},
        {"recipient_id": "x", "custom": {"_analytics": {"kind": "flow", "flow": "reorder", "event": "finished"}}}]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Database, Recorder]:
    database = migrated_database(tmp_path)
    rec = recorder(database)
    monkeypatch.setattr(chat_module, "get_recorder", lambda: rec)
    monkeypatch.setattr(ces_module, "get_recorder", lambda: rec)
    yield database, rec
    rec.stop()


def kpis(store: tuple[Database, Recorder]) -> Kpis:
    database, rec = store
    assert rec.flush(5)
    return Kpis(load_totals(database, period("last_7", None, None, today())))


def conversation(client: Any, rasa: FakeRasa, headers: dict[str, str] | None = None) -> str:
    rasa.reply = DONE
    body = client.post("/api/chat", json={"message": "Bestellung bestätigen"}, headers=headers or {}).json()
    assert body["survey"] == {"kind": "ces", "flow": "reorder"}
    return str(body["conversation_id"])


def test_an_answer_counts_once_per_conversation(client, rasa: FakeRasa, store) -> None:
    cid = conversation(client, rasa, bearer())
    for score in (5, 1):
        r = client.post("/api/ces", json={"conversation_id": cid, "flow": "reorder", "score": score}, headers=bearer())
        assert r.status_code == 204
    assert kpis(store).ces("reorder") == (1, 0, 5.0)


def test_skipping_is_recorded_as_a_skip(client, rasa: FakeRasa, store) -> None:
    cid = conversation(client, rasa)
    r = client.post("/api/ces", json={"conversation_id": cid, "flow": "reorder", "score": None, "locale": "en"})
    assert r.status_code == 204
    assert kpis(store).ces("reorder") == (0, 1, None)


@pytest.mark.parametrize(("lang", "words"), [("de", "Ungültiger Wert"), ("en", "Invalid value")])
@pytest.mark.parametrize("body", [
    {"flow": "reorder", "score": 0}, {"flow": "reorder", "score": 6}, {"flow": "reorder", "score": "5"},
    {"flow": "reorder", "score": 2.5}, {"flow": "status", "score": 3},
])
def test_bad_scores_and_flows_are_refused_in_the_users_language(client, rasa: FakeRasa, store, body: dict[str, Any],
                                                                 lang: str, words: str) -> None:
    cid = conversation(client, rasa)
    r = client.post("/api/ces", json={"conversation_id": cid, **body}, headers={"Accept-Language": lang})
    assert r.status_code == 400
    message = r.json()["error"]["message"]
    assert words in message or ("Falscher Typ" if lang == "de" else "Wrong type") in message
    assert kpis(store).ces("reorder") == (0, 0, None)


def test_unknown_fields_and_foreign_or_malformed_conversations_are_refused(client, rasa: FakeRasa, store) -> None:
    cid = conversation(client, rasa, bearer())
    r = client.post("/api/ces", json={"conversation_id": cid, "flow": "reorder", "score": 4, "user": "x"},
                    headers=bearer())
    assert r.status_code == 400 and error_code(r) == "unknown_field"
    r = client.post("/api/ces", json={"conversation_id": cid, "flow": "reorder", "score": 4},
                    headers=bearer(sub="u-2001", customer="K-10002"))
    assert r.status_code == 403 and error_code(r) == "conversation_forbidden"
    r = client.post("/api/ces", json={"conversation_id": "nonsense", "flow": "reorder", "score": 4})
    assert r.status_code == 400 and error_code(r) == "invalid_conversation"
    assert kpis(store).ces("reorder") == (0, 0, None)
