"""Knowledge documents for people (/kb/doc/{id}, /kb/file/{id}) and answer feedback (POST /api/feedback)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
