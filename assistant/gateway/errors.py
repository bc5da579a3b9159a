"""The one error contract of the HTTP API: ``{"error": {"code", "message"}}``, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

_MESSAGES: dict[str, dict[str, str]] = {
    "bad_request": {"de": "Die Anfrage ist ungültig.", "en": "The request is invalid."},
    "invalid_json": {"de": "Die Anfrage ist kein gültiges JSON.", "en": "The request body is not valid JSON."},
    "message_empty": {"de": "Bitte geben Sie eine Nachricht ein.", "en": "Please enter a message."},
    "message_too_long": {
        "de": "Die Nachricht ist zu lang (höchstens 2000 Zeichen).",
        "en": "The message is too long (at most 2000 characters).",
    },
    "unknown_field": {"de": "Unbekanntes Feld: {field}.", "en": "Unknown field: {field}."},
    "wrong_type": {"de": "Falscher Typ für {field}.", "en": "Wrong type for {field}."},
    "invalid_field": {"de": "Ungültiger Wert für {field}.", "en": "Invalid value for {field}."},
    "message_and_payload": {
        "de": "Bitte entweder eine Nachricht oder einen Button senden, nicht beides.",
        "en": "Send either a message or a button payload, not both.",
    },
    "unknown_payload": {"de": "Diese Auswahl kenne ich nicht.", "en": "That choice is not known."},
    "invalid_conversation": {"de": "Die Gesprächs-ID ist ungültig.", "en": "The conversation id is invalid."},
    "conversation_forbidden": {
        "de": "Dieses Gespräch gehört zu einer anderen Anmeldung. Bitte starten Sie ein neues Gespräch.",
        "en": "This conversation belongs to another login. Please start a new conversation.",
    },
    "token_invalid": {
        "de": "Ihre Anmeldung ist ungültig. Bitte melden Sie sich neu an.",
        "en": "Your login is invalid. Please log in again.",
    },
    "token_expired": {
        "de": "Ihre Anmeldung ist abgelaufen. Bitte laden Sie die Seite neu.",
        "en": "Your login has expired. Please reload the page.",
    },
    "too_large": {"de": "Die Anfrage ist zu groß.", "en": "The request is too large."},
    "rate_limited": {
        "de": "Zu viele Nachrichten in kurzer Zeit. Bitte warten Sie einen Moment.",
        "en": "Too many messages in a short time. Please wait a moment.",
    },
    "engine_down": {
        "de": "Der Assistent ist gerade nicht erreichbar. Bitte versuchen Sie es in einem Moment noch einmal – "
        "Ihre Nachricht geht nicht verloren.",
        "en": "The assistant is not reachable right now. Please try again in a moment – your message is not lost.",
    },
    "not_found": {"de": "Nicht gefunden.", "en": "Not found."},
    "method_not_allowed": {"de": "Methode nicht erlaubt.", "en": "Method not allowed."},
    "unauthorized": {"de": "Nicht berechtigt.", "en": "Not authorised."},
    "forbidden": {"de": "Zugriff verweigert.", "en": "Access denied."},
    "link_expired": {
        "de": "Dieser Link ist abgelaufen. Bitte fordern Sie das Dokument im Chat neu an.",
        "en": "This link has expired. Please ask for the document again in the chat.",
    },
    "internal": {
        "de": "Da ist etwas schiefgegangen. Bitte versuchen Sie es noch einmal.",
        "en": "Something went wrong. Please try again.",
    },
}


def request_language(request: Request, preferred: str | None = None) -> str:
    if preferred in ("de", "en"):
        return preferred
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "de"


def error_message(code: str, language: str, **params: str) -> str:
    texts = _MESSAGES.get(code, _MESSAGES["bad_request"])
    return texts.get(language, texts["de"]).format(**params)


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error of the API: a stable code for programs and a message in the user's language for people."""

    error: ErrorDetail


_STATUS_TEXT = {
    400: "Invalid request: empty or too long message, unknown field or button, malformed conversation id",
    401: "Missing, invalid or expired login token",
    403: "The conversation belongs to another login, or the link is not valid",
    404: "Not found",
    410: "The signed link has expired; ask for the document again in the chat",
    413: "The request body is too large",
    429: "Too many requests from this person or address; retry after Retry-After seconds",
    503: "The dialogue engine or a backend is unavailable; nothing was lost, retry after Retry-After seconds",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can answer with, all in the one error contract."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorBody, "description": _STATUS_TEXT[status]}
        if status in (429, 503):
            entry["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
        out[status] = entry
    return out


def drop_validation_422(schema: dict[str, Any]) -> dict[str, Any]:
    """FastAPI documents a 422 for every route with parameters; this API answers invalid input with 400."""
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        language: str = "de",
        headers: dict[str, str] | None = None,
        **params: str,
    ):
        super().__init__(code)
        self.status, self.code, self.language, self.headers, self.params = status, code, language, headers, params


def error_response(
    status: int, code: str, language: str, headers: dict[str, str] | None = None, **params: str
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": error_message(code, language, **params)}},
        status_code=status,
        headers=headers,
    )


def _describe_validation(exc: RequestValidationError) -> tuple[str, dict[str, str]]:
    first = exc.errors()[0] if exc.errors() else {}
    kind = str(first.get("type", ""))
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    field = ".".join(loc) or "body"
    if kind == "json_invalid" or (kind == "model_attributes_type" and not loc):
        return "invalid_json", {}
    if kind == "extra_forbidden":
        return "unknown_field", {"field": field}
    if field == "message" and kind == "string_too_long":
        return "message_too_long", {}
    if field == "message" and kind == "string_too_short":
        return "message_empty", {}
    if kind.endswith("_type") or kind in ("missing",):
        return "wrong_type", {"field": field}
    return "invalid_field", {"field": field}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.language, exc.headers, **exc.params)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        code, params = _describe_validation(exc)
        return error_response(400, code, request_language(request), **params)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
        }.get(exc.status_code, "bad_request")
        return error_response(exc.status_code, code, request_language(request))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", request_language(request))
