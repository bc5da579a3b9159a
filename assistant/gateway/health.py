"""GET /healthz: is every part of a turn ready (Rasa and its model, the database, the knowledge index)?

Public (load balancers call it), so it names no file path, host or error text: states, ids and error types only.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from assistant.gateway.rasa_client import EngineUnavailable, get_rasa_client

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


def _database() -> dict[str, Any]:
    from sqlalchemy import text

    from assistant.commerce.db import get_database

    try:
        with get_database().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # health must report, never raise
        log.warning("database check failed: %s", exc)
        return {"ok": False, "error": type(exc).__name__}


def _index() -> dict[str, Any]:
    try:
        from assistant.retrieval.service import get_knowledge_service

        status = get_knowledge_service().status()
        info = status if isinstance(status, dict) else getattr(status, "__dict__", {})
        version = info.get("version")
        return {"ok": version is not None, "version": version}
    except Exception as exc:
        log.warning("index check failed: %s", exc)
        return {"ok": False, "error": type(exc).__name__}


@router.get("/healthz")
async def healthz() -> JSONResponse:
    rasa: dict[str, Any]
    try:
        status = await get_rasa_client().status()
        # Rasa's model_file is a path on this machine; the public answer names the model by its id only.
        rasa = {"ok": bool(status.get("model_file")), "model": str(status.get("model_id") or "")[:64] or None}
    except EngineUnavailable as exc:
        rasa = {"ok": False, "error": str(exc)}
    database, index = await asyncio.gather(asyncio.to_thread(_database), asyncio.to_thread(_index))
    checks = {"rasa": rasa, "database": database, "index": index}
    ok = all(c["ok"] for c in checks.values())
    return JSONResponse({"status": "ok" if ok else "degraded", "checks": checks}, status_code=200 if ok else 503)
