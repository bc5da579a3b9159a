"""/admin/catalog: the content team uploads a BMEcat file; the same all-or-nothing import as the CLI.

The session, the CSRF token and the page frame are the admin page's own (assistant/gateway/admin.py); this module
only adds the form and the report. The upload is capped at ASSISTANT_MAX_UPLOAD_BYTES like every admin upload
(larger catalogues go through `assistant catalog import`), and the import runs off the event loop.
"""

from __future__ import annotations

import asyncio
import io
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from assistant.catalog.importer import CatalogImporter
from assistant.commerce.repository import get_repository
from assistant.gateway.admin import _lang, _login_redirect, _render, _valid_csrf, read_session
from assistant.gateway.deps import AppSettings
from assistant.gateway.kb import get_knowledge

router = APIRouter(prefix="/admin/catalog", include_in_schema=False)

TEXTS: dict[str, dict[str, str]] = {
    "de": {"title": "Katalog-Import (BMEcat)", "file": "BMEcat-Datei (1.2 oder 2005, .xml)",
           "intro": "T_NEW_CATALOG ersetzt die Artikel des Lieferantenkatalogs, T_UPDATE_PRODUCTS und "
                    "T_UPDATE_PRICES ändern nur die genannten. Zuordnung der Merkmale: knowledge/bmecat-mapping.yml.",
           "dry_run": "Nur prüfen (Probelauf)", "send": "Importieren", "result": "Ergebnis",
           "ok": "Übernommen.", "ok_dry": "Geprüft, nichts geändert.",
           "too_large": "Die Datei ist zu groß für das Hochladen ({size} Bytes, höchstens {limit}). "
                        "Große Kataloge mit `assistant catalog import` einspielen."},
    "en": {"title": "Catalogue import (BMEcat)", "file": "BMEcat file (1.2 or 2005, .xml)",
           "intro": "T_NEW_CATALOG replaces the supplier catalogue's articles, T_UPDATE_PRODUCTS and "
                    "T_UPDATE_PRICES change only those they name. Feature mapping: knowledge/bmecat-mapping.yml.",
           "dry_run": "Check only (dry run)", "send": "Import", "result": "Result",
           "ok": "Applied.", "ok_dry": "Checked, nothing changed.",
           "too_large": "The file is too large to upload ({size} bytes, at most {limit}). "
                        "Import large catalogues with `assistant catalog import`."},
}


def _page(request: Request, settings: AppSettings, status: int = 200, **context: Any) -> HTMLResponse:
    lang = _lang(request)
    return _render(request, "admin/catalog_import.html", settings, status, c=TEXTS[lang], **context)


@router.get("")
async def catalog_page(request: Request, settings: AppSettings) -> Response:
    if read_session(request, settings) is None:
        return _login_redirect(request)
    return _page(request, settings, report=None)


@router.post("/import")
async def catalog_import(request: Request, settings: AppSettings, file: UploadFile,
                         csrf: Annotated[str, Form(max_length=200)] = "",
                         dry_run: Annotated[str, Form(max_length=5)] = "") -> Response:
    session = read_session(request, settings)
    if session is None:
        return _login_redirect(request)
    if not _valid_csrf(settings, session.nonce, csrf):
        return _render(request, "admin/message.html", settings, 403, error="csrf")
    data = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        message = TEXTS[_lang(request)]["too_large"].format(size=f"> {settings.max_upload_bytes}",
                                                            limit=settings.max_upload_bytes)
        return _page(request, settings, 413, report=None, error_text=message)
    importer = CatalogImporter(settings.knowledge_dir, knowledge=get_knowledge(), repository=get_repository())
    report = await asyncio.to_thread(importer.run, io.BytesIO(data), dry_run=dry_run == "1")
    return _page(request, settings, 200 if report.ok else 400, report=report)
