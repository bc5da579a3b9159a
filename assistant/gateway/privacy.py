"""POST /admin/privacy/erase: delete one person's conversations, feedback and analytics (GDPR erasure request).

Protected exactly like the admin pages: the signed admin session cookie plus the session's CSRF token as a form
field (or the ``X-CSRF-Token`` header). What is and is not deleted is documented in ``assistant/privacy_cli.py``
and docs/deployment.md. The answer reports counts only, never the deleted content.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from assistant.errors import BackendUnavailable
from assistant.gateway.admin import _valid_csrf, read_session
from assistant.gateway.deps import AppSettings
from assistant.gateway.errors import request_language
from assistant.privacy_cli import PrivacyError, PrivacyService

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin/privacy", include_in_schema=False)

MESSAGES = {
    "unauthorised": {"de": "Bitte melden Sie sich als Administrator an.", "en": "Please log in as administrator."},
    "csrf": {"de": "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.",
             "en": "The form has expired. Please reload the page."},
    "missing": {"de": "Bitte geben Sie eine Benutzer-ID, eine E-Mail-Adresse oder eine Gesprächs-ID an.",
                "en": "Please give a user id, an e-mail address or a conversation id."},
    "bad_conversation": {"de": "Das ist keine gültige Gesprächs-ID.", "en": "That is not a valid conversation id."},
    "unavailable": {"de": "Die Datenbank ist gerade nicht erreichbar; es wurde nichts gelöscht.",
                    "en": "The database is not reachable right now; nothing was deleted."},
}


def _error(status: int, code: str, language: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": MESSAGES[code][language]}}, status_code=status,
                        headers={"Cache-Control": "no-store"})


@router.post("/erase")
async def erase(
    request: Request,
    settings: AppSettings,
    user_id: Annotated[str, Form(max_length=100)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    conversation_id: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> JSONResponse:
    language = request_language(request, request.query_params.get("lang"))
    session = read_session(request, settings)
    if session is None:
        return _error(401, "unauthorised", language)
    if not _valid_csrf(settings, session.nonce, csrf or request.headers.get("x-csrf-token")):
        return _error(403, "csrf", language)
    if not (user_id.strip() or email.strip() or conversation_id.strip()):
        return _error(400, "missing", language)
    service = PrivacyService(settings)
    try:
        report = await asyncio.to_thread(
            service.erase, user_id.strip() or None, email.strip() or None, conversation_id.strip() or None
        )
    except ValueError:
        return _error(400, "bad_conversation", language)
    except (PrivacyError, BackendUnavailable):
        log.warning("privacy erase failed: store unavailable")
        return _error(503, "unavailable", language)
    log.info("privacy erase by %s: %s", session.user, report.as_dict())
    return JSONResponse({"deleted": report.as_dict()}, headers={"Cache-Control": "no-store"})
