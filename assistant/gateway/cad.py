"""Public CAD downloads: GET /api/cad/{sku}.step, an envelope model per article (anonymous, like datasheets).

The sku is checked against the article number pattern and then the live catalogue; nothing is built from it
but a lookup key. An unknown article, or one without a model, is the standard 404 JSON error.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from assistant.gateway.errors import ApiError, error_responses, request_language
from assistant.gateway.kb import get_knowledge
from assistant.retrieval.cad import MEDIA_TYPE, cad_model
from assistant.retrieval.models import KnowledgeError

router = APIRouter()

Knowledge = Annotated[Any, Depends(get_knowledge)]
_SKU = re.compile(r"^[A-Z0-9]{2,5}-[0-9]{3,4}(?:-[0-9A-Z]{2,3})?$")


@router.get("/api/cad/{sku}.step", response_model=None,
            responses={200: {"content": {MEDIA_TYPE: {}}, "description": "The article's CAD envelope as STEP"},
                       304: {"description": "Unchanged since the ETag in If-None-Match"}, **error_responses(404, 503)})
def download_cad(sku: str, request: Request, knowledge: Knowledge) -> Response:
    lang = request_language(request)
    wanted = sku.strip().upper()
    try:
        product = knowledge.product(wanted) if len(wanted) <= 16 and _SKU.match(wanted) else None
    except KnowledgeError as exc:  # the catalogue is not loadable right now
        raise ApiError(503, "engine_down", lang) from exc
    model = cad_model(product) if product is not None else None
    if model is None:
        raise ApiError(404, "not_found", lang)
    headers = {"ETag": model.etag, "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
    if model.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{model.filename}"'
    return Response(model.data, media_type=MEDIA_TYPE, headers=headers)
