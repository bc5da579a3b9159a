"""Download routes for account documents and price lists behind signed, expiring links.

GET /api/documents/{token}: signature (403), expiry (410), then the document must still belong to the
account named in the link (404 otherwise, same as a document that never existed). Errors are the
standard JSON ``{"error": {"code", "message"}}``; the message is generic and bilingual.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, JSONResponse, Response

from assistant.commerce.documents import DocumentService, get_document_service
from assistant.commerce.links import LinkExpired, LinkInvalid
from assistant.commerce.prices import PriceService, price_list_subject
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


@router.get("/api/pricelists/{token}", response_model=None,
            responses={200: {"content": {"text/csv": {}}, "description": "The price list as CSV"},
                       **error_responses(400, 403, 404, 410, 503)})
def download_price_list(token: str, documents: Documents, lang: str = "de") -> Response:
    """The customer's prices as CSV, computed at download time for the account named in the signed link."""
    try:
        claims = documents.signer.verify(token)
        family, skus = price_list_subject(claims.document_id)
        # Prices are always those of the account the link was issued to (never of whoever holds the link).
        account = BuyerIdentity(user_id="price-list-link", customer_id=claims.customer_id, roles=frozenset({"buyer"}),
                                locale="en" if lang == "en" else "de")
        rows = PriceService(get_repository()).price_list(account, family=family, skus=skus)
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
    return Response(
        PriceService.to_csv(rows, account.locale).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="price-list.csv"',
                 "Cache-Control": "private, no-store"},
    )
