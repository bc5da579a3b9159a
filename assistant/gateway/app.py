"""The application: one FastAPI app that only wires routers, middleware and error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from assistant import observability
from assistant.analytics import stop_recorder
from assistant.commerce.outbox import start_dispatcher, stop_dispatcher
from assistant.gateway import (
    admin,
    cad,
    catalog_import,
    ces,
    chat,
    documents,
    health,
    insights,
    kb,
    pages,
    privacy,
    review,
    upload,
    webhook,
)
from assistant.gateway import metrics as metrics_router
from assistant.gateway.errors import drop_validation_422, install_error_handlers
from assistant.gateway.middleware import BodyLimit, SecurityHeaders
from assistant.gateway.rasa_client import get_rasa_client
from assistant.settings import PROJECT_ROOT, Settings, get_settings

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    from assistant.retrieval.service import get_knowledge_service

    settings = get_settings()
    observability.instrument_knowledge(get_knowledge_service())
    if settings.outbox_dispatcher:
        # Every app process sends the outbox (e-mails, CRM webhook); claims make each message go out once.
        start_dispatcher(poll_s=settings.outbox_poll_s)
    yield
    if settings.outbox_dispatcher:
        stop_dispatcher()
    stop_recorder()  # write the analytics events still queued
    await get_rasa_client().aclose()


def _document_errors_only_as_answered(app: FastAPI) -> None:
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = drop_validation_422(
                get_openapi(title=app.title, version=app.version, routes=app.routes)
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    observability.configure_logging("app")
    app = FastAPI(
        title="B2B buying assistant",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs" if settings.is_development else None,
        redoc_url=None,
        openapi_url="/api/openapi.json" if settings.is_development else None,  # production: no API map for anyone
    )
    install_error_handlers(app)
    _document_errors_only_as_answered(app)
    # review and insights before admin: its catch-all /admin/{path} would answer their paths with a 404 page
    for module in (chat, upload, ces, kb, documents, cad, health, webhook, pages, review, insights, catalog_import,
                   admin, privacy, metrics_router):
        app.include_router(module.router)
    app.mount("/widget", StaticFiles(directory=PROJECT_ROOT / "widget"), name="widget")

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["Retry-After"],
            max_age=600,
        )
    app.add_middleware(
        BodyLimit,
        default_limit=64 * 1024,
        limits={"/api/upload": settings.max_upload_bytes + 16 * 1024, "/admin": settings.max_upload_bytes + 16 * 1024,
                "/webhook": 8 * 1024 * 1024},
    )
    # Outside BodyLimit: its 413 answers carry the security headers too.
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)
    app.add_middleware(observability.RequestContext)  # outermost: sees every response
    return app
