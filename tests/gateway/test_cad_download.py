"""GET /api/cad/{sku}.step: public STEP download; unknown or hostile article numbers get the 404 JSON contract."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.gateway.app import create_app
from assistant.gateway.kb import get_knowledge
from assistant.retrieval.models import IndexNotBuilt, Product
from tests.retrieval.test_cad import catalogue


class CatalogueOnly:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def product(self, sku: str) -> Product | None:
        self.asked.append(sku)
        return catalogue().get(sku)


@pytest.fixture
def knowledge() -> CatalogueOnly:
    return CatalogueOnly()


@pytest.fixture
def client(knowledge: CatalogueOnly) -> TestClient:
    app = create_app()
    app.dependency_overrides[get_knowledge] = lambda: knowledge
    return TestClient(app, raise_server_exceptions=False)


def test_a_modelled_article_downloads_as_a_step_attachment(client: TestClient) -> None:
    r = client.get("/api/cad/3S-1208.step")
    assert r.status_code == 200
    assert r.headers["content-type"] == "model/step"
    assert r.headers["content-disposition"] == 'attachment; filename="3S-1208.step"'
    assert r.content.startswith(b"ISO-10303-21;") and b"AUTOMOTIVE_DESIGN" in r.content
    assert r.headers["etag"].startswith('"') and "public" in r.headers["cache-control"]
    assert client.get("/api/cad/3s-1208.step").content == r.content  # article numbers are typed in any case
    again = client.get("/api/cad/3S-1208.step", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content


@pytest.mark.parametrize(
    ("path", "language", "message"),
    [("/api/cad/XX-9999.step", "de", "Nicht gefunden."), ("/api/cad/HS-5010-08.step", "en", "Not found.")],
)
def test_unknown_article_or_one_without_a_model_is_the_404_json_error(
    client: TestClient, path: str, language: str, message: str
) -> None:
    r = client.get(path, headers={"Accept-Language": language})
    assert r.status_code == 404
    assert r.json() == {"error": {"code": "not_found", "message": message}}


@pytest.mark.parametrize(
    "sku",
    [
        "..%2F..%2Fetc%2Fpasswd",
        "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "3S-1208'%20OR%20'1'%3D'1",
        "3S-1208%3B%20DROP%20TABLE%20products",
        "A" * 5000,
        "%00",
        "3S-1208%0d%0aX-Injected:%201",
    ],
)
def test_hostile_article_numbers_are_refused_without_a_lookup(
    client: TestClient, knowledge: CatalogueOnly, sku: str
) -> None:
    r = client.get(f"/api/cad/{sku}.step")
    assert r.status_code in (404, 422) and r.json()["error"]["code"] == "not_found"
    assert "x-injected" not in r.headers
    assert knowledge.asked == []


def test_path_traversal_never_reaches_a_file(client: TestClient) -> None:
    r = client.get("/api/cad/../../etc/passwd.step")
    assert r.status_code == 404 and b"root:" not in r.content


def test_an_unloadable_catalogue_is_a_503_not_a_500(client: TestClient, knowledge: CatalogueOnly) -> None:
    def broken(sku: str) -> Product | None:
        raise IndexNotBuilt("no index")

    knowledge.product = broken  # type: ignore[method-assign]
    r = client.get("/api/cad/3S-1208.step")
    assert r.status_code == 503 and r.json()["error"]["code"] == "engine_down"
