"""The production profile's defaults: no API map, a health check without file paths."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.gateway import health
from assistant.gateway.app import create_app
from assistant.settings import get_settings

PRODUCTION = {
    "ASSISTANT_PROFILE": "production",
    "ASSISTANT_JWT_SECRET": "prod-jwt-secret-0123456789abcdef",
    "ASSISTANT_IDENTITY_SECRET": "prod-identity-secret-0123456789",
    "ASSISTANT_ACTION_TOKEN": "prod-action-token-0123456789",
    "ASSISTANT_RASA_TOKEN": "prod-rasa-token-0123456789",
    "ASSISTANT_LINK_SECRET": "prod-link-secret-0123456789",
    "ASSISTANT_ADMIN_PASSWORD": "prod-admin-password-0123456789",
    "ASSISTANT_METRICS_TOKEN": "prod-metrics-token-0123456789",
    "ASSISTANT_JWT_ISSUER": "https://shop.example-industrie.de",
    "ASSISTANT_JWT_AUDIENCE": "assistant",
}


class StatusOnlyRasa:
    async def status(self) -> dict[str, Any]:
        return {"model_file": "/srv/assistant/models/assistant.tar.gz", "model_id": "20261204-101010-brisk-bison"}


@pytest.fixture
def production(monkeypatch, tmp_path) -> TestClient:
    from assistant.retrieval import service

    for key, value in PRODUCTION.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASSISTANT_EMBEDDING_BACKEND", "hash")
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    service._default_service.cache_clear()
    monkeypatch.delenv("ASSISTANT_TODAY", raising=False)
    get_settings.cache_clear()
    monkeypatch.setattr(health, "get_rasa_client", lambda: StatusOnlyRasa())
    return TestClient(create_app(), raise_server_exceptions=False)


def test_production_hides_the_api_map(production: TestClient) -> None:
    assert production.get("/api/openapi.json").status_code == 404
    assert production.get("/api/docs").status_code == 404


def test_development_shows_the_api_map() -> None:
    assert TestClient(create_app()).get("/api/openapi.json").status_code == 200


def test_health_names_the_model_by_id_never_by_path(production: TestClient) -> None:
    response = production.get("/healthz")
    body = response.text
    assert response.json()["checks"]["rasa"] == {"ok": True, "model": "20261204-101010-brisk-bison"}
    assert "/srv" not in body and "models/" not in body and ".tar.gz" not in body
