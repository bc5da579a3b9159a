"""POST /api/upload: a bill of materials (CSV/XLSX) from the widget, turned into an RFQ step.

The file is checked (type, size, line count) and parsed here, off the event loop within the CPU budget; the parsed
lines are parked server-side for the conversation's sender id, and Rasa only receives
``/upload_bom{"upload_id": "..."}`` through the same path as a chat turn (rate limit, conversation binding, signed
metadata). A refused file gets a specific message and never reaches the dialogue, so everything already entered in
the conversation stays as it was.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from assistant import i18n
from assistant.commerce.bom import BomError, get_upload_store, parse_bom
from assistant.gateway.chat import ChatReply, bind_conversation, enforce_rate_limit, run_turn
from assistant.gateway.deps import AppSettings, Identity
from assistant.gateway.errors import error_responses, request_language
from assistant.gateway.offload import BudgetExceeded, off_loop
from assistant.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["chat"])


def _refusal(reason: str, language: str, settings: Settings) -> JSONResponse:
    status = 413 if reason == "too_large" else 400
    mb = f"{settings.max_upload_bytes / 1_000_000:g}"
    message = i18n.t(f"rfq_upload_error_{reason}", language, mb=mb)
    return JSONResponse({"error": {"code": f"upload_{reason}", "message": message}}, status_code=status)


@router.post("/upload", response_model=ChatReply, response_model_exclude_none=True,
             responses=error_responses(400, 401, 403, 413, 429, 503))
async def upload(
    request: Request,
    identity: Identity,
    settings: AppSettings,
    file: Annotated[UploadFile, File()],
    conversation_id: Annotated[str | None, Form(max_length=64)] = None,
    locale: Annotated[str | None, Form(max_length=5)] = None,
) -> ChatReply | JSONResponse:
    page_locale = locale if locale in ("de", "en") else (None if identity.is_anonymous else identity.locale)
    language = request_language(request, page_locale)
    enforce_rate_limit(request, identity, settings, language)

    data = await file.read(settings.max_upload_bytes + 1)
    try:
        result = await off_loop(parse_bom, file.filename or "", data, settings.max_upload_bytes,
                                budget_s=settings.cpu_budget_s)
    except BomError as exc:
        return _refusal(exc.reason, language, settings)
    except BudgetExceeded:
        log.warning("bill of materials over the %s s budget", settings.cpu_budget_s)
        return _refusal("too_large", language, settings)

    cid, sender = bind_conversation(identity, conversation_id, language)
    upload_id = get_upload_store().save(sender, file.filename or "bom", result)
    payload = "/upload_bom" + json.dumps({"upload_id": upload_id}, separators=(",", ":"))
    return await run_turn(request, identity, cid, sender, language, payload)
