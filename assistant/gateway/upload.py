"""POST /api/upload: a bill of materials (CSV/XLSX) from the widget, turned into an RFQ or quick-order step."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api", tags=["chat"])
