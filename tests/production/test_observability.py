"""Metrics, request ids and structured logs: what operations sees must be true and must hold no personal data."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant import observability
from assistant.gateway import chat as chat_module
from assistant.gateway.app import create_app
from assistant.gateway.rasa_client import EngineUnavailable

pytestmark = pytest.mark.integration


class FakeRasa:
    def __init__(self) -> None:
        self.reply: list[dict[str, Any]] = [{"recipient_id": "x", "custom": {"t": "greet"}}]
        self.down = False
        self.metadata: list[dict[str, Any]] = []

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if self.down:
            raise EngineUnavailable("down")
        self.metadata.append(metadata)
        return self.reply


@pytest.fixture
def rasa(monkeypatch) -> FakeRasa:
    fake = FakeRasa()
    monkeypatch.setattr(chat_module, "get_rasa_client", lambda: fake)
    chat_module._limiter.cache_clear()
    return fake


@pytest.fixture
def client(rasa: FakeRasa) -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False, client=("127.0.0.1", 50000))


def _sample(body: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in body.splitlines():
        if line.startswith(name + "{"):
            got = ",".join(sorted(line[len(name) + 1:line.index("}")].split(",")))
            if got == want:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_turns_per_flow_and_engine_outages(client, rasa) -> None:
    before = client.get("/metrics").text
    assert client.post("/api/chat", json={"message": "Hallo", "locale": "de"}).status_code == 200
    rasa.down = True
    assert client.post("/api/chat", json={"message": "Hallo", "locale": "de"}).status_code == 503
    after = client.get("/metrics")
    assert after.status_code == 200 and after.headers["content-type"].startswith("text/plain")
    body = after.text
    assert _sample(body, "assistant_turn_seconds_count", flow="core", language="de") == \
        _sample(before, "assistant_turn_seconds_count", flow="core", language="de") + 1
    assert _sample(body, "assistant_turns_total", flow="unknown", outcome="engine_down") == \
        _sample(before, "assistant_turns_total", flow="unknown", outcome="engine_down") + 1
    for family in ("assistant_intents_total", "assistant_fallbacks_total", "assistant_retrieval_seconds",
                   "assistant_outbox_backlog", "assistant_errors_total", "assistant_http_seconds"):
        assert f"# TYPE {family.removesuffix('_total')}" in body, family


def test_metrics_are_not_served_to_other_networks_without_the_token(rasa, monkeypatch) -> None:
    remote = TestClient(create_app(), client=("203.0.113.9", 40000))
    assert remote.get("/metrics").status_code == 403
    monkeypatch.setenv("ASSISTANT_METRICS_TOKEN", "scrape-token-0123456789")
    from assistant.settings import get_settings

    get_settings.cache_clear()
    remote = TestClient(create_app(), client=("203.0.113.9", 40000))
    assert remote.get("/metrics").status_code == 403
    assert remote.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"}).status_code == 200


def test_request_id_is_carried_into_the_signed_metadata_and_echoed(client, rasa) -> None:
    r = client.post("/api/chat", json={"message": "Hallo"}, headers={"X-Request-Id": "req-abc.123"})
    assert r.headers["x-request-id"] == "req-abc.123"
    assert rasa.metadata[-1]["request_id"] == "req-abc.123"
    hostile = client.post("/api/chat", json={"message": "Hallo"}, headers={"X-Request-Id": "<script>x</script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])
    assert rasa.metadata[-1]["request_id"] == hostile.headers["x-request-id"]


@pytest.mark.parametrize(("raw", "flow"), [
    ([{"custom": {"t": "greet"}}], "core"),
    ([{"custom": {"type": "sources", "items": []}}], "knowledge"),
    ([{"custom": {"type": "products", "items": []}}], "finder"),
    ([{"text": "something nobody wrote"}], "other"),
    ([], "other"),
])
def test_flow_label_from_the_reply(raw: list[dict[str, Any]], flow: str) -> None:
    assert observability.flow_of(raw) == flow


def test_flow_label_recognises_action_texts_by_their_literal_beginning() -> None:
    from assistant import i18n

    key, _entry = next((k, e) for k, e in i18n.catalog().items()
                      if observability._key_flows().get(k) == "rfq" and len(str(e["de"]).split("{")[0]) >= 12)
    text = i18n.t(key, "de", reference="RFQ-2026-000001")
    assert observability.flow_of([{"custom": {"type": "text", "text": text}}]) == "rfq"


def _format(record: logging.LogRecord) -> dict[str, Any]:
    return json.loads(observability.JsonFormatter("app").format(record))


def test_json_log_lines_redact_emails_and_phones_and_carry_the_request_id() -> None:
    token = observability.request_id_var.set("rid-42")
    try:
        record = logging.LogRecord("assistant.x", logging.INFO, __file__, 1,
                                   "contact %s or %s", ("erika@example.com", "+49 171 2345678"), None)
        entry = _format(record)
    finally:
        observability.request_id_var.reset(token)
    assert entry["request_id"] == "rid-42" and entry["level"] == "INFO"
    assert "erika@example.com" not in entry["msg"] and "2345678" not in entry["msg"]


def test_exceptions_are_logged_by_type_and_place_not_by_their_text() -> None:
    try:
        raise ValueError("secret input max@example.com")
    except ValueError:
        import sys

        record = logging.LogRecord("assistant.x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = _format(record)
    assert "ValueError" in entry["msg"] and "secret input" not in entry["msg"]


class _Tracker:
    def __init__(self, request_id: str | None, intent: str = "order_status") -> None:
        self.latest_message = {"intent": {"name": intent}, "metadata": {"request_id": request_id}}


def test_action_span_logs_with_the_turns_request_id_and_counts_the_intent(caplog) -> None:
    caplog.set_level(logging.INFO, logger="assistant.actions.trace")
    before = observability.INTENTS.labels("order_status")._value.get()
    with observability.action_span("action_order_status", _Tracker("req-7")):
        assert observability.request_id_var.get() == "req-7"
    assert observability.request_id_var.get() is None
    assert observability.INTENTS.labels("order_status")._value.get() == before + 1
    record = caplog.records[-1]
    assert _format(record)["request_id"] == "req-7" and record.action == "action_order_status"
    with observability.action_span("action_x", _Tracker("bad id with spaces")):
        assert observability.request_id_var.get() is None


def test_action_base_class_runs_inside_the_span(monkeypatch) -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from assistant.actions.core import ActionGreet

    seen: list[str | None] = []
    original = observability.action_span

    def spy(action: str, tracker: Any):
        seen.append(action)
        return original(action, tracker)

    monkeypatch.setattr(observability, "action_span", spy)
    import asyncio

    from tests.actions.helpers import tracker as make_tracker

    asyncio.run(ActionGreet().run(CollectingDispatcher(), make_tracker(), {}))
    assert seen == ["action_greet"]
