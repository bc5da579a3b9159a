"""Download routes for account documents and price lists behind signed, expiring links.

GET /api/documents/{token}: signature (403), expiry (410), then the document must still belong to the
account named in the link (404 otherwise, same as a document that never existed). Errors are the
standard JSON ``{"error": {"code", "message"}}``; the message is generic and bilingual.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, JSONResponse, Response

from assistant import clock
from assistant.commerce.documents import DocumentService, get_document_service
from assistant.commerce.links import LinkExpired, LinkInvalid
from assistant.commerce.prices import PriceRow, PriceService, price_list_subject
from assistant.commerce.repository import get_repository
from assistant.errors import BackendUnavailable, InvalidInput, NotFound
from assistant.gateway.errors import error_responses
from assistant.identity import BuyerIdentity

router = APIRouter()

Documents = Annotated[DocumentService, Depends(get_document_service)]

_MESSAGES = {
    "link_invalid": "Dieser Link ist ungültig. / This link is not valid.",
    "link_expired": "Dieser Link ist abgelaufen. Bitte fordern Sie im Chat einen neuen an. / "
    "This link has expired. Please ask for a new one in the chat.",
    "not_found": "Dokument nicht gefunden. / Document not found.",
    "unavailable": "Dokumente sind gerade nicht erreichbar. / Documents are unavailable right now.",
}


def _error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": _MESSAGES[code]}}, status_code=status)


@router.get("/api/documents/{token}", response_model=None,
            responses={200: {"content": {"application/pdf": {}}, "description": "The document as a PDF"},
                       **error_responses(403, 404, 410, 503)})
def download_document(token: str, documents: Documents) -> FileResponse | JSONResponse:
    try:
        claims = documents.signer.verify(token)
        doc, path = documents.open_for_download(claims)
    except LinkExpired:
        return _error(410, "link_expired")
    except LinkInvalid:
        return _error(403, "link_invalid")
    except NotFound:
        return _error(404, "not_found")
    except BackendUnavailable:
        return _error(503, "unavailable")
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=f"{doc.kind}-{doc.number}.pdf",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


def _price_rows(
    token: str, documents: DocumentService, lang: str
) -> tuple[BuyerIdentity, list[PriceRow]] | JSONResponse:
    """The rows a signed price-list link stands for, read now for the account named in the link, or the error."""
    try:
        claims = documents.signer.verify(token)
        family, skus = price_list_subject(claims.document_id)
        # Prices are always those of the account the link was issued to (never of whoever holds the link).
        account = BuyerIdentity(user_id="price-list-link", customer_id=claims.customer_id, roles=frozenset({"buyer"}),
                                locale="en" if lang == "en" else "de")
        service = PriceService(get_repository())
        rows = (service.price_list(account, family=family, skus=skus) if family or skus
                else service.account_price_list(account))
    except LinkExpired:
        return _error(410, "link_expired")
    except (LinkInvalid, InvalidInput):
        return _error(403, "link_invalid")
    except NotFound:
        return _error(404, "not_found")
    except BackendUnavailable:
        return _error(503, "unavailable")
    if not rows:
        return _error(404, "not_found")
    return account, rows


@router.get("/api/pricelists/{token}", response_model=None,
            responses={200: {"content": {"text/csv": {}}, "description": "The price list as CSV"},
                       **error_responses(400, 403, 404, 410, 503)})
def download_price_list(token: str, documents: Documents, lang: str = "de") -> Response:
    """The customer's prices as CSV, computed at download time for the account named in the signed link."""
    found = _price_rows(token, documents, lang)
    if isinstance(found, JSONResponse):
        return found
    account, rows = found
    return Response(
        PriceService.to_csv(rows, account.locale).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="price-list.csv"',
                 "Cache-Control": "private, no-store"},
    )


@router.get("/api/pricelists/{token}/bmecat", response_model=None,
            responses={200: {"content": {"application/xml": {}}, "description": "The price list as BMEcat 2005"},
                       **error_responses(400, 403, 404, 410, 503)})
def download_price_list_bmecat(token: str, documents: Documents, lang: str = "de") -> Response:
    """The same prices as a BMEcat 2005 T_NEW_CATALOG (price type net_customer) for a procurement system."""
    from assistant.catalog.export import price_list_bmecat
    from assistant.retrieval.service import get_knowledge_service

    found = _price_rows(token, documents, lang)
    if isinstance(found, JSONResponse):
        return found
    account, rows = found
    customer = account.customer_id or ""
    data = price_list_bmecat(rows, {p.sku: p for p in get_knowledge_service().products()}, customer_id=customer,
                             buyer=get_repository().customer_name(customer) or customer, today=clock.today(),
                             generated=clock.local_now())
    return Response(data, media_type="application/xml; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="price-list-{customer}.xml"',
                             "Cache-Control": "private, no-store"})
