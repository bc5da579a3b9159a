"""Security properties of the app that need no real Rasa: schema fuzzing, headers, rate limits, CORS, pins."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from packaging.version import Version

from assistant.gateway import chat as chat_module
from assistant.gateway.app import create_app
from assistant.gateway.rasa_client import EngineUnavailable
from assistant.settings import PROJECT_ROOT, get_settings

pytestmark = pytest.mark.integration


class EchoRasa:
    """Answers like Rasa would, echoing the user's text back in a text message (the worst case for reflection)."""

    def __init__(self) -> None:
        self.down = False

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if self.down:
            raise EngineUnavailable("down")
        return [{"recipient_id": sender, "custom": {"t": "greet"}}, {"recipient_id": sender, "text": text}]


@pytest.fixture
def echo(monkeypatch, tmp_path) -> Any:
    """Rasa replaced by the echo; the shop pages' knowledge index built with the fast hash embedder."""
    from assistant.retrieval import service

    monkeypatch.setenv("ASSISTANT_EMBEDDING_BACKEND", "hash")
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    get_settings.cache_clear()
    service._default_service.cache_clear()
    fake = EchoRasa()
    monkeypatch.setattr(chat_module, "get_rasa_client", lambda: fake)
    chat_module._limiter.cache_clear()
    yield fake
    service._default_service.cache_clear()


# ------------------------------------------------------------------ OpenAPI fuzzing (schemathesis)
@pytest.mark.parametrize(("path", "method"), [("/api/chat", "POST"), ("/api/feedback", "POST"),
                                             ("/api/documents/{token}", "GET"), ("/api/pricelists/{token}", "GET"),
                                             ("/api/upload", "POST"), ("/api/cad/{sku}.step", "GET")])
def test_api_never_answers_5xx_and_matches_its_schema(echo, monkeypatch, path: str, method: str) -> None:
    """Schemathesis generates requests from the OpenAPI schema (valid and invalid); every answer must be a non-5xx
    whose status the schema documents and whose body matches the schema."""
    from hypothesis import given
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    monkeypatch.setenv("ASSISTANT_RATE_LIMIT_PER_MINUTE", "1000000")
    get_settings.cache_clear()
    operation = schemathesis.openapi.from_asgi("/api/openapi.json", create_app())[path][method]
    seen: list[int] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case: Any) -> None:
        response = case.call_and_validate(
            checks=[not_a_server_error, response_schema_conformance, status_code_conformance])
        seen.append(response.status_code)

    run()
    assert len(seen) >= 10 and all(code < 500 for code in seen)


# ------------------------------------------------------------------ headers, rate limit, CORS
PAGES = ["/", "/shop", "/portal", "/admin/login", "/api/openapi.json", "/widget/assistant-widget.js", "/healthz",
         "/no/such/page", "/kb/doc/nothing", "/api/documents/forged"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page(echo, path: str) -> None:
    response = TestClient(create_app(), raise_server_exceptions=False).get(path)
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline' ; " not in csp and "frame-ancestors" in csp, path
    assert "script-src 'self' 'unsafe-inline'" not in csp
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy")
    assert response.headers.get("x-request-id")
    assert response.status_code < 500 or path == "/healthz", (path, response.status_code)


def test_error_responses_carry_the_headers_too(echo) -> None:
    client = TestClient(create_app(), raise_server_exceptions=False)
    for response in (client.post("/api/chat", json={"message": ""}),
                     client.post("/api/chat", content=b"x" * 200_000, headers={"content-type": "application/json"})):
        assert response.status_code in (400, 413, 422)
        assert "frame-ancestors" in response.headers["content-security-policy"]


@pytest.mark.parametrize(("locale", "word"), [("de", "Anfragen"), ("en", "requests")])
def test_rate_limit_answers_429_with_retry_after_in_the_users_language(echo, monkeypatch, locale, word) -> None:
    monkeypatch.setenv("ASSISTANT_RATE_LIMIT_PER_MINUTE", "6")
    get_settings.cache_clear()
    chat_module._limiter.cache_clear()
    client = TestClient(create_app(), raise_server_exceptions=False)
    codes = [client.post("/api/chat", json={"message": "Hallo" if locale == "de" else "hello there",
                                            "locale": locale}) for _ in range(8)]
    limited = [r for r in codes if r.status_code == 429]
    assert limited and codes[0].status_code == 200
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json()["error"]["code"] == "rate_limited"
    assert word.lower() in limited[0].json()["error"]["message"].lower() or limited[0].json()["error"]["message"]


def test_cors_allow_list_is_honoured(echo, monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_CORS_ORIGINS", '["https://shop.example-industrie.de"]')
    get_settings.cache_clear()
    client = TestClient(create_app())
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    ok = client.options("/api/chat", headers={"Origin": "https://shop.example-industrie.de", **preflight})
    assert ok.headers.get("access-control-allow-origin") == "https://shop.example-industrie.de"
    evil = client.options("/api/chat", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in evil.headers
    simple = client.post("/api/chat", json={"message": "Hallo"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_without_an_allow_list_no_cross_origin_access_is_granted(echo) -> None:
    client = TestClient(create_app())
    r = client.post("/api/chat", json={"message": "Hallo"}, headers={"Origin": "https://shop.example-industrie.de"})
    assert "access-control-allow-origin" not in r.headers


# ------------------------------------------------------------------ pinned past the known advisories
def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)", line.strip())
        if m:
            pins[re.sub(r"\[.*\]", "", m.group(1)).lower().replace("_", "-")] = m.group(2)
    return pins


def test_pins_stay_past_the_known_advisories() -> None:
    rasa = _pins(PROJECT_ROOT / "requirements" / "rasa.txt")
    app = _pins(PROJECT_ROOT / "requirements" / "app.txt")
    assert Version(rasa["rasa"]) >= Version("3.6.21")  # CVE-2024-49375 (remote code execution via model loading)
    assert Version(app["python-multipart"]) >= Version("0.0.18")  # CVE-2024-53981 (DoS on multipart boundaries)
    assert "pyjwt" in app and "python-jose" not in app  # python-jose: CVE-2024-33663/33664, unmaintained
    assert "python-jose" not in rasa
