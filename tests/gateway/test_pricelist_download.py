"""GET /api/pricelists/{token}: the CSV of the account the link was signed for; tampered or expired links refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.commerce.links import LinkSigner
from assistant.commerce.prices import price_list_subject_id
from assistant.gateway import documents as documents_route
from assistant.gateway.app import create_app
from tests.actions.orders_support import services
from tests.gateway.fakes import error_code


@pytest.fixture
def client(monkeypatch) -> TestClient:
    monkeypatch.setattr(documents_route, "get_repository", lambda: services().repo)
    return TestClient(create_app(), raise_server_exceptions=False)


def test_family_price_list_has_the_accounts_own_prices(client) -> None:
    repo = services().repo
    token = LinkSigner().sign(price_list_subject_id("seal", []), "K-10001")
    r = client.get(f"/api/pricelists/{token}?lang=de")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    body = r.content.decode("utf-8-sig")
    sku = next(line.split(";")[0] for line in body.splitlines()[1:] if line.startswith("OR-"))
    own = repo.customer_prices("K-10001", [sku]).get(sku)
    if own is not None:
        assert f"{own:.2f}".replace(".", ",") in body


def test_article_list_in_english(client) -> None:
    token = LinkSigner().sign(price_list_subject_id(None, ["3s-1208", "QC-300-08"]), "K-10003")
    r = client.get(f"/api/pricelists/{token}?lang=en")
    assert r.status_code == 200
    assert "3S-1208" in r.text and "QC-300-08" in r.text and "," in r.text.splitlines()[0]


def test_tampered_expired_and_foreign_links_are_refused(client) -> None:
    token = LinkSigner().sign(price_list_subject_id("seal", []), "K-10001")
    sig = token.split(".")[1]
    forged = LinkSigner().sign(price_list_subject_id("seal", []), "K-10002").split(".")[0] + "." + sig
    assert client.get(f"/api/pricelists/{forged}").status_code == 403
    expired = LinkSigner().sign(price_list_subject_id("seal", []), "K-10001", ttl_s=-10)
    r = client.get(f"/api/pricelists/{expired}")
    assert r.status_code == 410 and error_code(r) == "link_expired"
    document_link = LinkSigner().sign("doc-1", "K-10001")  # a document link is no price list link
    assert client.get(f"/api/pricelists/{document_link}").status_code == 403
    hostile = LinkSigner().sign("pricelist:skus:../../etc/passwd", "K-10001")
    assert client.get(f"/api/pricelists/{hostile}").status_code in (403, 404)
