"""Admin pages for the content team (/admin): documents, test search, index health, unanswered questions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/admin", include_in_schema=False)
