from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.gateway import chat as chat_module
from assistant.gateway.app import create_app
from tests.gateway.fakes import FakeRasa


@pytest.fixture
def rasa(monkeypatch) -> FakeRasa:
    fake = FakeRasa()
    monkeypatch.setattr(chat_module, "get_rasa_client", lambda: fake)
    chat_module._limiter.cache_clear()
    return fake


@pytest.fixture
def client(rasa: FakeRasa) -> TestClient:
    return TestClient(create_app(), raise_server_exceptions=False)
