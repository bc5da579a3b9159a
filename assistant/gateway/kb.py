"""Knowledge documents for people (/kb/doc/{id}, /kb/file/{id}) and answer feedback (POST /api/feedback).

Sources in chat answers link here. Markdown is rendered with raw HTML disabled (markdown-it escapes it) and only
http(s)/relative links, so a document can never inject script into the shop's origin. Files are served only when
the live index names them and their path stays inside the knowledge folder.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from markdown_it import MarkdownIt
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from assistant import i18n
from assistant.analytics import get_analytics
from assistant.gateway.deps import AppSettings, Identity
from assistant.gateway.errors import ApiError, error_responses, request_language
from assistant.gateway.rasa_client import rasa_auth
from assistant.gateway.ratelimit import RateLimits, make_limits, request_checks
from assistant.identity import ConversationForbidden, MalformedConversationId, get_binder
from assistant.retrieval.models import KnowledgeError
from assistant.settings import Settings, get_settings

log = logging.getLogger(__name__)
router = APIRouter()

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_SAFE_LINK = re.compile(r"^(?:https?://|/|#|\.{0,2}/?[\w.-])", re.IGNORECASE)


def get_knowledge() -> Any:
    from assistant.retrieval.service import get_knowledge_service

    return get_knowledge_service()


def live_documents(knowledge: Any) -> dict[str, dict[str, Any]]:
    """doc_id -> manifest entry (source, type, language, title, kind) of the live index version."""
    # KnowledgeService has no public accessor for the manifest's documents yet (see the report of this change).
    return dict(knowledge._index().manifest.get("documents", {}))


def document_path(settings: Settings, info: dict[str, Any]) -> Path | None:
    """The document's file, only if it is inside the knowledge folder (a manifest is data, not trust)."""
    root = settings.knowledge_dir.resolve()
    path = (root / str(info.get("source", ""))).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    md.validateLink = lambda url: bool(_SAFE_LINK.match(url.strip())) and not url.strip().lower().startswith(
        ("javascript:", "data:", "vbscript:")
    )
    return md


def render_markdown(text: str) -> str:
    """Markdown body (front matter removed) to HTML; raw HTML in the source comes out escaped."""
    body = _FRONT.sub("", text, count=1)
    return _markdown().render(body)


def _page_language(request: Request) -> str:
    return request_language(request, request.query_params.get("lang"))


def _page(request: Request, lang: str, status: int, **context: Any) -> HTMLResponse:
    from assistant.gateway.pages import TEXTS, get_templates

    ctx = {
        "lang": lang,
        "t": TEXTS[lang],
        "k": {key: i18n.t(key, lang) for key in i18n.catalog() if key.startswith("knowledge_doc_")},
        "widget": {"locale": lang, "api": ""},
        "other_lang": "en" if lang == "de" else "de",
        "lang_url": f"{request.url.path}?lang={'en' if lang == 'de' else 'de'}",
        **context,
    }
    response = get_templates().TemplateResponse(request, "admin/public_doc.html", ctx, status_code=status)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _lookup(doc_id: str) -> tuple[Any, dict[str, Any] | None]:
    knowledge = get_knowledge()
    return knowledge, live_documents(knowledge).get(doc_id)


@router.get("/kb/doc/{doc_id}", include_in_schema=False)
async def kb_doc(doc_id: str, request: Request, settings: AppSettings) -> HTMLResponse:
    lang = _page_language(request)
    try:
        _, info = await asyncio.to_thread(_lookup, doc_id)
    except KnowledgeError:
        return _page(request, lang, 503, title=i18n.t("knowledge_doc_unavailable", lang), html=None, info=None)
    path = document_path(settings, info) if info else None
    if info is None or path is None:
        return _page(request, lang, 404, title=i18n.t("knowledge_doc_not_found", lang), html=None, info=None)
    pdf_url = None
    if info.get("kind") == "pdf":
        html = None
        pdf_url = f"/kb/file/{doc_id}"
    else:
        html = render_markdown(path.read_text(encoding="utf-8", errors="replace"))
        if path.with_suffix(".pdf").is_file():
            pdf_url = f"/kb/file/{doc_id}"
    return _page(request, lang, 200, title=info.get("title") or doc_id, html=html, info=info, pdf_url=pdf_url,
                 doc_lang=info.get("language") if info.get("language") in ("de", "en") else lang)


@router.get("/kb/file/{doc_id}", include_in_schema=False)
async def kb_file(doc_id: str, request: Request, settings: AppSettings) -> Response:
    lang = request_language(request)
    try:
        _, info = await asyncio.to_thread(_lookup, doc_id)
    except KnowledgeError as exc:
        raise ApiError(503, "engine_down", lang) from exc
    path = document_path(settings, info) if info else None
    if path is not None and path.suffix.lower() != ".pdf":
        twin = path.with_suffix(".pdf")
        path = twin if twin.is_file() else None
    if info is None or path is None:
        raise ApiError(404, "not_found", lang)
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=path.name,
        content_disposition_type="inline",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


# ------------------------------------------------------------------ feedback
class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conversation_id: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    message_index: Annotated[StrictInt, Field(ge=0, le=100_000)]
    rating: Literal["up", "down"]
    comment: Annotated[StrictStr, Field(max_length=1000)] | None = None


async def rated_question(settings: Settings, sender: str, message_index: int) -> tuple[str | None, str | None]:
    """(question, language) of the rated answer, read from Rasa's tracker: the user text before that bot message.

    Every bot event is one message the server sent, so ``message_index`` counts bot events. Best effort: when Rasa
    cannot be asked, the rating is still stored, without its question.
    """
    try:
        async with httpx.AsyncClient(base_url=settings.rasa_url, timeout=3.0) as client:
            response = await client.get(f"/conversations/{sender}/tracker", params={"include_events": "ALL"},
                                        headers=rasa_auth(settings))
        if response.status_code != 200:
            return None, None
        events = response.json().get("events") or []
    except (httpx.HTTPError, ValueError, AttributeError):
        log.warning("could not read the tracker for feedback")
        return None, None
    return question_at(events, message_index)


def question_at(events: list[Any], message_index: int) -> tuple[str | None, str | None]:
    """Walk the tracker events: the user text (and its language) before the ``message_index``-th bot message."""
    question: str | None = None
    language: str | None = None
    seen = 0
    for event in events:
        if not isinstance(event, dict):
            continue
        if event.get("event") == "user":
            question = event.get("text") if isinstance(event.get("text"), str) else None
            metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
            language = metadata.get("language") if metadata.get("language") in ("de", "en") else None
        elif event.get("event") == "bot":
            custom = (event.get("data") or {}).get("custom") if isinstance(event.get("data"), dict) else None
            if isinstance(custom, dict) and custom and all(str(k).startswith("_") for k in custom):
                continue  # a private analytics marker: the client never saw it, so it has no index there
            if seen == message_index:
                return (question if question and not question.startswith("/") else None), language
            seen += 1
    return None, None


@lru_cache(maxsize=1)
def _feedback_limiter() -> RateLimits:
    return make_limits(get_settings())


@router.post("/api/feedback", status_code=204, tags=["chat"], responses=error_responses(400, 401, 403, 413, 429, 503))
async def feedback(body: FeedbackRequest, request: Request, identity: Identity, settings: AppSettings) -> Response:
    language = request_language(request, None if identity.is_anonymous else identity.locale)
    identity_key = None if identity.is_anonymous else identity.binding_key
    wait = _feedback_limiter().wait(*request_checks(request, settings, identity_key, "feedback",
                                                    settings.rate_limit_per_minute))
    if wait > 0:
        raise ApiError(429, "rate_limited", language, headers={"Retry-After": str(math.ceil(wait))})
    try:
        sender = get_binder().sender_for(body.conversation_id, identity)
    except MalformedConversationId as exc:
        raise ApiError(400, "invalid_conversation", language) from exc
    except ConversationForbidden as exc:
        raise ApiError(403, "conversation_forbidden", language) from exc
    question, question_language = await rated_question(settings, sender, body.message_index)
    try:
        await asyncio.to_thread(
            get_analytics().record_feedback,
            sender,
            body.message_index,
            body.rating,
            body.comment,
            question,
            question_language or language,
        )
    except Exception:
        log.exception("could not store feedback")
        raise ApiError(503, "internal", language) from None
    return Response(status_code=204)
