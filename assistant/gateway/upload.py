"""POST /api/upload: a bill of materials (CSV/XLSX) from the widget, turned into an RFQ step.

The file is checked (type, size, line count) and parsed here; the parsed lines are parked server-side for the
conversation's sender id, and Rasa only receives ``/upload_bom{"upload_id": "..."}`` through the same path as a
chat turn (rate limit, conversation binding, signed metadata). A refused file gets a specific message and never
reaches the dialogue, so everything already entered in the conversation stays as it was.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from assistant import i18n
from assistant.commerce.bom import BomError, get_upload_store, parse_bom
from assistant.gateway.chat import ChatMessage, ChatReply, _client_key, _limiter
from assistant.gateway.deps import AppSettings, Identity
from assistant.gateway.dialogue import render_messages
from assistant.gateway.errors import ApiError, request_language
from assistant.gateway.rasa_client import EngineUnavailable, get_rasa_client
from assistant.identity import BuyerIdentity, ConversationForbidden, MalformedConversationId, get_binder, get_signer
from assistant.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["chat"])


async def send_turn(
    request: Request, identity: BuyerIdentity, settings: Settings, conversation_id: str | None, language: str,
    text: str,
) -> ChatReply:
    """One dialogue turn exactly as /api/chat runs it (binding, signed metadata, rendering)."""
    binder = get_binder()
    conversation_id = binder.issue(identity) if conversation_id is None else conversation_id
    try:
        sender = binder.sender_for(conversation_id, identity)
    except MalformedConversationId as exc:
        raise ApiError(400, "invalid_conversation", language) from exc
    except ConversationForbidden as exc:
        raise ApiError(403, "conversation_forbidden", language) from exc
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    metadata = get_signer().sign(identity, sender=sender, language=language, page={}, request_id=request_id)
    try:
        raw = await get_rasa_client().send(sender, text, metadata)
    except EngineUnavailable as exc:
        log.warning("dialogue engine unavailable: %s", exc)
        raise ApiError(503, "engine_down", language, headers={"Retry-After": "5"}) from exc
    messages = render_messages(raw, language) or [i18n.render("internal_error", language)]
    return ChatReply(conversation_id=conversation_id, messages=[ChatMessage(**m) for m in messages])


def _refusal(reason: str, language: str, settings: Settings) -> JSONResponse:
    status = 413 if reason == "too_large" else 400
    mb = f"{settings.max_upload_bytes / 1_000_000:g}"
    message = i18n.t(f"rfq_upload_error_{reason}", language, mb=mb)
    return JSONResponse({"error": {"code": f"upload_{reason}", "message": message}}, status_code=status)


@router.post("/upload", response_model=ChatReply, response_model_exclude_none=True)
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
    wait = _limiter(settings.rate_limit_per_minute).check(_client_key(request, identity.binding_key))
    if wait > 0:
        raise ApiError(429, "rate_limited", language, headers={"Retry-After": str(math.ceil(wait))})

    data = await file.read(settings.max_upload_bytes + 1)
    try:
        result = parse_bom(file.filename or "", data, settings.max_upload_bytes)
    except BomError as exc:
        return _refusal(exc.reason, language, settings)

    binder = get_binder()
    cid = conversation_id or binder.issue(identity)
    try:
        sender = binder.sender_for(cid, identity)
    except MalformedConversationId as exc:
        raise ApiError(400, "invalid_conversation", language) from exc
    except ConversationForbidden as exc:
        raise ApiError(403, "conversation_forbidden", language) from exc
    upload_id = get_upload_store().save(sender, file.filename or "bom", result)
    payload = "/upload_bom" + json.dumps({"upload_id": upload_id}, separators=(",", ":"))
    return await send_turn(request, identity, settings, cid, language, payload)
