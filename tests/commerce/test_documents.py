"""Documents: lookup scoped by account and role, real PDFs, signed expiring links and the download route."""

from __future__ import annotations

import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from assistant.commerce.documents import DocumentService, get_document_service
from assistant.commerce.links import LinkExpired, LinkInvalid, LinkSigner
from assistant.errors import NotFound, PermissionDenied
from assistant.gateway.documents import router

from .conftest import ANNA, EMMA, JONAS, SABINE


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clock():
    return Clock()


@pytest.fixture(scope="module")
def documents(repo, settings, clock):
    return DocumentService(repo, settings, LinkSigner(settings, clock))


@pytest.fixture(scope="module")
def client(documents):
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_document_service] = lambda: documents
    return TestClient(app)


def test_certificate_for_delivery_80012(documents):
    certs = documents.certificates(ANNA, delivery_number="80012")
    assert len(certs) == 1
    cert = certs[0]
    assert cert.kind == "certificate_3_1" and cert.delivery_number == "80012" and cert.sku == "HF-200-25"
    assert documents.certificates(ANNA, sku="HF-200-25", batch=cert.batch) == certs
    assert documents.certificates(JONAS, delivery_number="80012") == certs  # technicians fetch certificates


def test_invoices_and_delivery_notes_by_order(documents):
    docs = documents.for_order(ANNA, "4711")
    assert {d.kind for d in docs} == {"invoice", "delivery_note"}
    # Technicians see no prices: the invoice is left out, the delivery note stays.
    assert {d.kind for d in documents.for_order(JONAS, "4711")} == {"delivery_note"}
    invoice = next(d for d in docs if d.kind == "invoice")
    with pytest.raises(PermissionDenied):
        documents.get(JONAS, invoice.id)


def test_other_account_documents_are_not_found(documents):
    assert documents.certificates(SABINE, delivery_number="80012") == []
    assert documents.for_order(SABINE, "4711") == []
    cert = documents.certificates(ANNA, delivery_number="80012")[0]
    with pytest.raises(NotFound) as foreign:
        documents.get(SABINE, cert.id)
    with pytest.raises(NotFound) as missing:
        documents.get(SABINE, "0" * 32)
    assert str(foreign.value) == str(missing.value)
    for hostile in ("../../etc/passwd", "x' OR 1=1 --", "a" * 500):
        with pytest.raises(NotFound):
            documents.get(ANNA, hostile)
    assert documents.certificates(ANNA, delivery_number="80012' OR '1'='1") == []


def test_link_downloads_a_real_pdf(documents, client):
    cert = documents.certificates(ANNA, delivery_number="80012")[0]
    link = documents.link(ANNA, cert)
    assert "80012" in link.title and link.url.startswith("http://testserver/api/documents/")
    response = client.get(link.url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "3.1" in text and "80012" in text and "HF-200-25" in text


def test_invoice_pdf_is_rendered_lazily(documents, client):
    invoice = next(d for d in documents.for_order(EMMA, _first_order(documents, EMMA)) if d.kind == "invoice")
    path = documents.root / invoice.file_path
    assert not path.exists()
    response = client.get(documents.link(EMMA, invoice).url.removeprefix("http://testserver"))
    assert response.status_code == 200 and path.is_file()
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Rechnung / Invoice" in text and "EUR" in text


def _first_order(documents, identity):
    from assistant.commerce.domain import OrderCriteria

    orders = documents.repo.find_orders(identity.customer_id, OrderCriteria(), 50)
    return next(o.order_number for o in orders if o.status == "delivered")


def test_tampered_link_is_403(documents, client):
    cert = documents.certificates(ANNA, delivery_number="80012")[0]
    token = documents.link(ANNA, cert).url.rsplit("/", 1)[1]
    body, sig = token.split(".")
    # Swap the account in the payload but keep the signature: must be refused.
    forged = documents.signer.sign(cert.id, "K-10002").split(".")[0] + "." + sig
    for bad in (forged, body + "." + sig[:-2] + "AA", "garbage", token + "x"):
        response = client.get(f"/api/documents/{bad}")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "link_invalid"
    with pytest.raises(LinkInvalid):
        documents.signer.verify(forged)


def test_expired_link_is_410(documents, client, clock, settings):
    cert = documents.certificates(ANNA, delivery_number="80012")[0]
    url = documents.link(ANNA, cert).url.removeprefix("http://testserver")
    clock.now += settings.link_ttl_s + 1
    try:
        response = client.get(url)
        assert response.status_code == 410
        body = response.json()["error"]
        assert body["code"] == "link_expired" and "abgelaufen" in body["message"] and "expired" in body["message"]
        with pytest.raises(LinkExpired):
            documents.signer.verify(url.rsplit("/", 1)[1])
    finally:
        clock.now -= settings.link_ttl_s + 1


def test_link_for_a_document_of_another_account_is_404(documents, client):
    """A validly signed link whose document is not (or no longer) in that account."""
    cert = documents.certificates(ANNA, delivery_number="80012")[0]
    token = documents.signer.sign(cert.id, "K-10002")
    response = client.get(f"/api/documents/{token}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_links_only_for_visible_documents(documents):
    cert = documents.certificates(ANNA, delivery_number="80012")[0]
    with pytest.raises(NotFound):
        documents.link(SABINE, cert)
