"""/admin/review: the knowledge answers as people saw them, filters, one-click cases, and the cases' YAML export.

The filters are plain GET parameters, so a filtered view ("yesterday's thumbs-down answers on product pages") is
a link an editor can bookmark or share. Filing a case is a POST with the session's CSRF token that returns to the
same filtered view, scrolled to the answer. Nothing here shows more than the recorder stored: redacted text and a
one-way conversation hash, never who asked.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from assistant import clock
from assistant.analytics import review as reviews
from assistant.analytics.events import LANGUAGES, TOUCHPOINTS
from assistant.errors import BackendUnavailable, InvalidInput, NotFound
from assistant.gateway.admin import _lang, _render
from assistant.gateway.cockpit import (
    AnalyticsDb,
    InvalidFilter,
    choice,
    download,
    form_refused,
    local_time,
    login_needed,
    parse_day,
    query_value,
    sources_of,
    texts,
)
from assistant.gateway.deps import AppSettings
from assistant.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin/review", include_in_schema=False)

PERIODS = ("all", "today", "yesterday", "last_7", "last_30")


@dataclass(frozen=True)
class Filters:
    """The review's filters as the person chose them (strings), and the query they mean."""

    values: dict[str, str]
    query: reviews.ReviewQuery

    def link(self, **changes: Any) -> str:
        """This view's address with some parameters changed (empty ones and page 1 left out)."""
        params = {**self.values, **{k: str(v) for k, v in changes.items()}}
        return "/admin/review?" + urlencode({k: v for k, v in params.items() if v and (k, v) != ("page", "1")})


def filters_from(params: dict[str, str], lang: str) -> Filters:
    """Validate the filter parameters; raises InvalidFilter with the key of a message for the person."""
    values = {k: (params.get(k) or "").strip()[:200] for k in
              ("period", "from", "to", "language", "touchpoint", "no_answer", "thumbs_down", "handoff", "q", "page")}
    values["lang"] = lang
    period = choice(values["period"], PERIODS) or "all"
    day_from, day_to = parse_day(values["from"]), parse_day(values["to"])
    if day_from is None and day_to is None and period != "all":
        today = clock.today()
        day_from, day_to = {"today": (today, today), "yesterday": (today - timedelta(days=1),) * 2,
                            "last_7": (today - timedelta(days=6), today),
                            "last_30": (today - timedelta(days=29), today)}[period]
    if day_from and day_to and day_to < day_from:
        raise InvalidFilter("period_reversed")
    try:
        page = int(values["page"] or 1)
        query = reviews.ReviewQuery(
            day_from=day_from, day_to=day_to, language=choice(values["language"], LANGUAGES),
            touchpoint=choice(values["touchpoint"], TOUCHPOINTS), no_answer=values["no_answer"] == "1",
            thumbs_down=values["thumbs_down"] == "1", handoff=values["handoff"] == "1", text=values["q"], page=page)
    except (ValueError, InvalidInput) as exc:
        raise InvalidFilter("invalid_filter") from exc
    return Filters(values, query)


def _page(request: Request, settings: Settings, filters: Filters, status: int = 200, error_key: str | None = None,
          **context: Any) -> Response:
    """The review page; with an error, the filters stay as the person typed them, to be corrected."""
    lang = filters.values["lang"]
    c = texts(lang)
    context = {"items": [], "more": False, **context}
    return _render(request, "admin/review.html", settings, status, c=c, filters=filters,
                   error=c[error_key] if error_key else None, when=lambda dt: local_time(dt, lang), **context)


@router.get("")
async def review_page(request: Request, settings: AppSettings, database: AnalyticsDb) -> Response:
    if (refused := login_needed(request, settings)) is not None:
        return refused
    lang = _lang(request)
    raw = {k: query_value(request, k) for k in request.query_params}
    try:
        filters = filters_from(raw, lang)
    except InvalidFilter as exc:
        return _page(request, settings, Filters({**raw, "lang": lang}, reviews.ReviewQuery()), 400, exc.key)
    try:
        items, more = await asyncio.to_thread(reviews.review, database, filters.query)
    except BackendUnavailable:
        return _page(request, settings, filters, 503, "unavailable")
    filed = query_value(request, "filed", 12)
    return _page(request, settings, filters, items=items, more=more, filed=int(filed) if filed.isdigit() else None)


@router.post("/case")
async def file_case(
    request: Request,
    settings: AppSettings,
    database: AnalyticsDb,
    turn_id: Annotated[int, Form(ge=1)],
    category: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if (refused := form_refused(request, settings, csrf)) is not None:
        return refused
    lang = _lang(request)
    try:
        filters = filters_from(dict(parse_qsl(back.lstrip("?"), keep_blank_values=True)), lang)
    except InvalidFilter:
        filters = filters_from({}, lang)
    try:
        await asyncio.to_thread(reviews.file_case, database, turn_id, category, note)
    except InvalidInput:
        return _page(request, settings, filters, 400, "case_invalid")
    except NotFound:
        return _page(request, settings, filters, 404, "case_gone")
    return RedirectResponse(f"{filters.link(filed=turn_id)}#answer-{turn_id}", status_code=303)


@router.get("/cases")
async def cases_page(request: Request, settings: AppSettings, database: AnalyticsDb) -> Response:
    if (refused := login_needed(request, settings)) is not None:
        return refused
    rows = await asyncio.to_thread(reviews.cases, database)
    deleted = query_value(request, "deleted") == "1"
    lang = _lang(request)
    return _render(request, "admin/cases.html", settings, c=texts(lang), cases=rows, deleted=deleted,
                   when=lambda dt: local_time(dt, lang), sources=sources_of)


@router.get("/cases.yml")
async def cases_export(request: Request, settings: AppSettings, database: AnalyticsDb) -> Response:
    if (refused := login_needed(request, settings)) is not None:
        return refused
    rows = await asyncio.to_thread(reviews.cases, database)
    return download(reviews.export_yaml(rows), "application/yaml", "review-cases.yml")


@router.post("/cases/delete")
async def delete_case(
    request: Request,
    settings: AppSettings,
    database: AnalyticsDb,
    case_id: Annotated[int, Form(ge=1)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if (refused := form_refused(request, settings, csrf)) is not None:
        return refused
    await asyncio.to_thread(reviews.delete_case, database, case_id)
    return RedirectResponse(f"/admin/review/cases?lang={_lang(request)}&deleted=1", status_code=303)
