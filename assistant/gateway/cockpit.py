"""What the content team's cockpit pages (review.py, insights.py) share: texts, database, filters, downloads.

The pages are admin pages: the same session, CSRF and layout as assistant/gateway/admin.py, whose helpers they
use. Their texts live in the one text catalogue (``assistant/i18n/cockpit.yml``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import Response

from assistant import i18n
from assistant.analytics.events import ReviewCase
from assistant.commerce.db import Database, get_database
from assistant.gateway.admin import _login_redirect, _render, _valid_csrf, read_session
from assistant.settings import Settings, get_settings


class InvalidFilter(ValueError):
    """A filter value that cannot be used; ``key`` names the message to show (cockpit_<key>)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def texts(lang: str) -> dict[str, str]:
    """The cockpit's texts in one language, keyed without their ``cockpit_`` prefix (placeholders left as is)."""
    lang = lang if lang in i18n.LANGUAGES else "de"
    return {key.removeprefix("cockpit_"): str(entry[lang]) for key, entry in i18n.catalog().items()
            if key.startswith("cockpit_")}


def analytics_database() -> Database:
    return get_database()


AnalyticsDb = Annotated[Database, Depends(analytics_database)]


def query_value(request: Request, name: str, max_len: int = 200) -> str:
    return (request.query_params.get(name) or "").strip()[:max_len]


def parse_day(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidFilter("invalid_date") from exc


def choice(value: str, allowed: Iterable[str]) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise InvalidFilter("invalid_filter")
    return value


def login_needed(request: Request, settings: Settings) -> Response | None:
    """The login page for a visitor without an admin session, else None."""
    return _login_redirect(request) if read_session(request, settings) is None else None


def form_refused(request: Request, settings: Settings, csrf: str) -> Response | None:
    """Why a form post may not change anything (no session: login; a stale CSRF token: 403), else None."""
    session = read_session(request, settings)
    if session is None:
        return _login_redirect(request)
    if not _valid_csrf(settings, session.nonce, csrf):
        return _render(request, "admin/message.html", settings, 403, error="csrf")
    return None


def download(text: str, media_type: str, filename: str) -> Response:
    return Response(text.encode("utf-8"), media_type=f"{media_type}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def day_label(day: date, lang: str) -> str:
    return day.strftime("%d.%m.%Y") if lang == "de" else day.isoformat()


def local_time(when: datetime, lang: str) -> str:
    """A stored instant (UTC; SQLite returns it without zone) in the shop's time zone."""
    aware = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    local = aware.astimezone(ZoneInfo(get_settings().timezone))
    return local.strftime("%d.%m.%Y %H:%M" if lang == "de" else "%Y-%m-%d %H:%M")


def sources_of(case: ReviewCase) -> list[str]:
    try:
        return [str(s) for s in json.loads(case.sources or "[]")]
    except ValueError:
        return []
