"""POST /api/chat: one turn of a conversation, exactly as DESIGN.md's chat API describes it."""

from __future__ import annotations

import logging
import math
import time
import uuid
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from assistant import clock, observability
from assistant.analytics import TurnEvent, conversation_hash, get_recorder
from assistant.analytics.events import CES_FLOWS, flow_steps, touchpoint_of
from assistant.gateway.deps import AppSettings, Identity
from assistant.gateway.dialogue import (
    UnknownPayload,
    neutralise_text,
    render_messages,
    split_private,
    validate_payload,
)
from assistant.gateway.errors import ApiError, error_responses, request_language
from assistant.gateway.rasa_client import EngineUnavailable, get_rasa_client
from assistant.gateway.ratelimit import RateLimits, client_address, client_group, make_limits, request_checks
from assistant.identity import (
    BuyerIdentity,
    ConversationForbidden,
    MalformedConversationId,
    get_binder,
    get_signer,
)
from assistant.language import detect_language
from assistant.settings import Settings, get_settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["chat"])

# The demo pattern, or a supplier's own number (digits, dots, spaces: assistant/articles.py), at most 20 characters.
SKU_PATTERN = r"^(?:[A-Za-z0-9]{2,5}-[0-9]{3,4}(-[0-9A-Za-z]{2,3})?|[A-Za-z0-9]+(?:[ .\-][A-Za-z0-9]+)*)$"


class ChatContext(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Annotated[StrictStr, Field(pattern=SKU_PATTERN, max_length=20)] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: Annotated[StrictStr, Field(min_length=1, max_length=2000)] | None = None
    conversation_id: Annotated[StrictStr, Field(max_length=64)] | None = None
    locale: Literal["de", "en"] | None = None
    payload: Annotated[StrictStr, Field(min_length=2, max_length=1000)] | None = None
    context: ChatContext | None = None


class Button(BaseModel):
    title: str
    payload: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["text", "buttons", "products", "documents", "sources"]
    text: str | None = None
    buttons: list[Button] | None = None
    items: list[dict[str, Any]] | None = None


class Survey(BaseModel):
    """Ask the one-question customer-effort score: a flow was just completed (the widget asks once per conversation)."""

    kind: Literal["ces"] = "ces"
    flow: Literal["reorder", "rfq", "document"]


class ChatReply(BaseModel):
    conversation_id: str
    messages: list[ChatMessage]
    survey: Survey | None = None


@lru_cache(maxsize=1)
def _limiter() -> RateLimits:
    return make_limits(get_settings())


@router.post("/chat", response_model=ChatReply, response_model_exclude_none=True,
             responses=error_responses(400, 401, 403, 413, 429, 503))
async def chat(body: ChatRequest, request: Request, identity: Identity, settings: AppSettings) -> ChatReply:
    page_locale = body.locale or (None if identity.is_anonymous else identity.locale)
    language = request_language(request, page_locale)
    enforce_rate_limit(request, identity, settings, language)

    if body.message is not None and body.payload is not None:
        raise ApiError(400, "message_and_payload", language)
    if body.payload is not None:
        try:
            text = validate_payload(body.payload)
        except UnknownPayload as exc:
            raise ApiError(400, "unknown_payload", language) from exc
    elif body.message is not None:
        text = neutralise_text(body.message)
        if not text:
            raise ApiError(400, "message_empty", language)
        language = detect_language(text, fallback=language)
    else:
        raise ApiError(400, "message_empty", language)

    conversation_id, sender = bind_conversation(identity, body.conversation_id, language)
    page = body.context.model_dump(exclude_none=True) if body.context else {}
    return await run_turn(request, identity, conversation_id, sender, language, text, page)


def enforce_rate_limit(request: Request, identity: BuyerIdentity, settings: Settings, language: str) -> None:
    """Turns per identity and per client, counted in the store every worker and replica shares."""
    identity_key = None if identity.is_anonymous else identity.binding_key
    wait = _limiter().wait(*request_checks(request, settings, identity_key, "chat", settings.rate_limit_per_minute))
    if wait > 0:
        raise ApiError(429, "rate_limited", language, headers={"Retry-After": str(math.ceil(wait))})


def bind_conversation(identity: BuyerIdentity, conversation_id: str | None, language: str) -> tuple[str, str]:
    """The conversation id (issued when new) and the Rasa sender id, if this identity may use the conversation."""
    binder = get_binder()
    conversation_id = binder.issue(identity) if conversation_id is None else conversation_id
    try:
        return conversation_id, binder.sender_for(conversation_id, identity)
    except MalformedConversationId as exc:
        raise ApiError(400, "invalid_conversation", language) from exc
    except ConversationForbidden as exc:
        raise ApiError(403, "conversation_forbidden", language) from exc


async def run_turn(
    request: Request, identity: BuyerIdentity, conversation_id: str, sender: str, language: str, text: str,
    page: dict[str, Any] | None = None,
) -> ChatReply:
    """One dialogue turn: signed identity to Rasa, its reply rendered in the turn's language (also used by uploads)."""
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    signer = get_signer()
    client = signer.client_tag(client_group(client_address(request, get_settings())))
    # no e-mail or name in what Rasa stores with every turn: actions read them from the user directory
    metadata = signer.sign(identity.without_contact(), sender=sender, language=language, page=page or {},
                           request_id=request_id, client=client)
    started = time.perf_counter()
    try:
        raw = await get_rasa_client().send(sender, text, metadata)
    except EngineUnavailable as exc:
        log.warning("dialogue engine unavailable: %s", exc)
        observability.observe_turn("unknown", language, time.perf_counter() - started, "engine_down")
        raise ApiError(503, "engine_down", language, headers={"Retry-After": "5"}) from exc
    observability.observe_turn(observability.flow_of(raw), language, time.perf_counter() - started)

    raw, private = split_private(raw)
    messages = render_messages(raw, language)
    if not messages:
        # Rasa's REST channel answers an empty list when the turn failed inside it (tracker store or lock store
        # down): the user message was not processed, so it is a 503 like an unreachable Rasa, not a reply.
        log.warning("dialogue engine answered nothing for a turn")
        observability.observe_turn("unknown", language, time.perf_counter() - started, "engine_down")
        raise ApiError(503, "engine_down", language, headers={"Retry-After": "5"})
    record_turn(identity, sender, language, text, page or {}, messages, private)
    completed = [s.flow for s in flow_steps(private) if s.event == "finished" and s.flow in CES_FLOWS]
    return ChatReply(conversation_id=conversation_id, messages=[ChatMessage(**m) for m in messages],
                     survey=Survey(flow=completed[-1]) if completed else None)  # type: ignore[arg-type]


def record_turn(identity: BuyerIdentity, sender: str, language: str, text: str, page: dict[str, Any],
                messages: list[dict[str, Any]], private: list[dict[str, Any]]) -> None:
    """Hand the turn to the analytics writer: a queue put, so the turn never waits and never fails for it."""
    try:
        sku = page.get("sku") if isinstance(page.get("sku"), str) else None
        get_recorder().submit(TurnEvent(
            conversation=conversation_hash(sender) or "", created_at=clock.now(), language=language,
            touchpoint=touchpoint_of(sku, logged_in=not identity.is_anonymous), logged_in=not identity.is_anonymous,
            question=None if text.startswith("/") else text, messages=tuple(messages), private=tuple(private),
            sku=sku,
        ))
    except Exception:
        log.exception("could not hand the turn to analytics")
