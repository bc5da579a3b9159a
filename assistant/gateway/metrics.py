"""GET /metrics: the Prometheus exposition (turn latency per flow, intents, fallbacks, retrieval, outbox, errors).

Meant for the monitoring network only: when ``metrics_token`` is set the scrape must send it as a bearer token;
otherwise only loopback clients may scrape (the reverse proxy must not forward /metrics).
"""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from assistant import observability
from assistant.gateway.deps import AppSettings
from assistant.gateway.ratelimit import is_loopback_client
from assistant.settings import Settings

router = APIRouter(include_in_schema=False)


def _allowed(request: Request, settings: Settings, token: str | None) -> bool:
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    # The socket's address, or through a configured trusted proxy the client it names: a spoofed
    # X-Forwarded-For: 127.0.0.1 from anyone else is not loopback.
    return is_loopback_client(request, settings)


@router.get("/metrics")
async def metrics(request: Request, settings: AppSettings) -> Response:
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if not _allowed(request, settings, token):
        return JSONResponse({"error": {"code": "forbidden", "message": "metrics are not public"}}, status_code=403)
    body = await asyncio.to_thread(observability.exposition)
    return Response(body, media_type=observability.PROMETHEUS_CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"})
