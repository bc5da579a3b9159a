"""POST /api/ces: the widget's one-question customer-effort score after a completed flow.

The chat reply that completes a reorder, a request for quote or a document delivery carries ``survey``; the
widget then asks once per conversation "how easy was it?" (1 very hard … 5 very easy) and posts the answer here,
or ``score: null`` when the person skips it. The conversation must belong to the caller, as for a chat turn. The
score goes to the analytics writer like every event; a second answer for the same conversation is ignored there.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from assistant import clock
from assistant.analytics import CesEvent, conversation_hash, get_recorder
from assistant.gateway.chat import bind_conversation, enforce_rate_limit
from assistant.gateway.deps import AppSettings, Identity
from assistant.gateway.errors import error_responses, request_language

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["chat"])


class CesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conversation_id: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    flow: Literal["reorder", "rfq", "document"]
    score: Annotated[StrictInt, Field(ge=1, le=5)] | None = None  # None: skipped
    locale: Literal["de", "en"] | None = None


@router.post("/ces", status_code=204, responses=error_responses(400, 401, 403, 413, 429))
async def customer_effort(body: CesRequest, request: Request, identity: Identity, settings: AppSettings) -> Response:
    language = request_language(request, body.locale or (None if identity.is_anonymous else identity.locale))
    enforce_rate_limit(request, identity, settings, language)
    _, sender = bind_conversation(identity, body.conversation_id, language)
    get_recorder().submit(CesEvent(conversation_hash(sender) or "", clock.now(), body.flow, body.score, language))
    return Response(status_code=204)
