"""Admin pages for the content team (/admin): documents, test search, index health, unanswered questions.

Security: one admin account from settings (admin_user/admin_password). A successful login sets a signed,
expiring session cookie (HttpOnly, SameSite=Strict, Secure when the public URL is https, path /admin). Every form
carries a CSRF token bound to the session (or, for the login form, to a pre-login cookie). Content changes are
validated on a staging copy of the knowledge folder first: a file with errors is refused with file, line and
reason, and the live folder and index stay as they were; a valid change is written and the index rebuilt, which
every app process picks up within ``index_poll_s``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from assistant.analytics import get_analytics
from assistant.gateway.deps import AppSettings
from assistant.gateway.errors import request_language
from assistant.gateway.kb import get_knowledge, live_documents
from assistant.gateway.ratelimit import RateLimits, client_address, client_group, make_limits
from assistant.gateway.sessions import SessionVersion, SessionVersionUnavailable
from assistant.retrieval.content import apply as apply_files
from assistant.retrieval.content import introduced_issues
from assistant.retrieval.models import BuildRefused, BuildReport, Issue, KnowledgeError
from assistant.settings import Settings, get_settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin", include_in_schema=False)

SESSION_COOKIE = "kb_admin"
PRE_COOKIE = "kb_admin_pre"
SESSION_TTL_S = 8 * 3600
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.(md|pdf|csv)$")
_FOLDERS = {"use_case": "use-cases", "faq": "faq", "guide": "guides", "legal": "legal",
            "certificate": "certificates", "datasheet": "datasheets"}
_change_lock = threading.Lock()

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "title": "Wissensdatenbank – Verwaltung", "login": "Anmelden", "user": "Benutzer", "password": "Passwort",
        "logout": "Abmelden", "bad_login": "Benutzer oder Passwort ist falsch.",
        "too_many": "Zu viele Anmeldeversuche. Bitte warten Sie eine Minute.",
        "csrf": "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
        "documents": "Dokumente", "id": "ID", "doc_title": "Titel", "type": "Typ", "language": "Sprache",
        "products": "Artikel", "changed": "Letzte Änderung", "source": "Datei", "delete": "Löschen",
        "upload": "Hochladen oder ersetzen", "file": "Datei (.md, .pdf, products*.csv)",
        "meta": "Metadaten zu einer PDF (.meta.yml, optional)", "replace": "Ersetzt Dokument (optional)",
        "none": "– neues Dokument –", "send": "Hochladen", "search": "Testsuche", "query": "Frage",
        "search_button": "Suchen", "score": "Score", "hits": "Treffer", "no_hits": "Keine Treffer.",
        "index": "Index", "version": "Version", "built": "Gebaut", "embedder": "Embedding-Modell",
        "counts": "Umfang", "health_ok": "Index ist live.", "health_bad": "Kein Index geladen.",
        "issues": "Hinweise zu den Dateien", "refused": "Nicht übernommen – bitte korrigieren:",
        "accepted": "Übernommen. Neue Index-Version {version} ist live.",
        "unchanged": "Keine inhaltliche Änderung; Index-Version {version} bleibt live.",
        "deleted": "Gelöscht. Neue Index-Version {version} ist live.",
        "warnings": "Hinweise:", "unanswered": "Unbeantwortete Fragen", "count": "Anzahl",
        "kinds": "Anlass", "last": "Zuletzt", "examples": "Formulierungen", "csv": "Als CSV herunterladen",
        "nothing": "Noch keine unbeantworteten Fragen.", "lang_switch": "English", "overview": "Übersicht",
        "unavailable": "Die Wissensdatenbank ist gerade nicht verfügbar.",
        "not_found": "Dieses Dokument gibt es nicht im aktuellen Index.",
        "line": "Zeile", "confirm_delete": "Löschen bestätigen",
        "doc_filters": "Dokumente filtern", "doc_search": "Suche nach ID, Titel oder Artikelnummer", "all": "Alle",
        "doc_reset": "Filter zurücksetzen", "doc_count": "{shown} von {total} Dokumenten · Seite {page} von {pages}",
        "doc_none": "Keine Dokumente für diese Filter.", "doc_pages": "Seiten der Dokumentliste",
        "doc_prev": "Vorige Seite", "doc_next": "Nächste Seite", "doc_page": "Seite {page} von {pages}",
        "n_products": "{n} Artikel", "replace_doc": "Ersetzen", "actions": "Aktionen",
        "review": "Gesprächsprüfung", "cases": "Erfasste Fälle", "insights": "Kennzahlen",
        "replace_hint": "ID aus der Dokumentliste; leer lassen für ein neues Dokument.",
    },
    "en": {
        "title": "Knowledge base – admin", "login": "Log in", "user": "User", "password": "Password",
        "logout": "Log out", "bad_login": "User or password is wrong.",
        "too_many": "Too many login attempts. Please wait a minute.",
        "csrf": "The form has expired. Please reload the page and try again.",
        "documents": "Documents", "id": "ID", "doc_title": "Title", "type": "Type", "language": "Language",
        "products": "Articles", "changed": "Last change", "source": "File", "delete": "Delete",
        "upload": "Upload or replace", "file": "File (.md, .pdf, products*.csv)",
        "meta": "Metadata for a PDF (.meta.yml, optional)", "replace": "Replaces document (optional)",
        "none": "– new document –", "send": "Upload", "search": "Test search", "query": "Question",
        "search_button": "Search", "score": "Score", "hits": "Hits", "no_hits": "No hits.",
        "index": "Index", "version": "Version", "built": "Built", "embedder": "Embedding model",
        "counts": "Size", "health_ok": "The index is live.", "health_bad": "No index loaded.",
        "issues": "Notes on the files", "refused": "Not applied – please fix:",
        "accepted": "Applied. New index version {version} is live.",
        "unchanged": "No change in content; index version {version} stays live.",
        "deleted": "Deleted. New index version {version} is live.",
        "warnings": "Notes:", "unanswered": "Unanswered questions", "count": "Count",
        "kinds": "Reason", "last": "Last seen", "examples": "Wordings", "csv": "Download as CSV",
        "nothing": "No unanswered questions yet.", "lang_switch": "Deutsch", "overview": "Overview",
        "unavailable": "The knowledge base is not available right now.",
        "not_found": "This document is not in the live index.",
        "line": "line", "confirm_delete": "Confirm delete",
        "doc_filters": "Filter documents", "doc_search": "Search by id, title or article number", "all": "All",
        "doc_reset": "Reset filters", "doc_count": "{shown} of {total} documents · page {page} of {pages}",
        "doc_none": "No documents match these filters.", "doc_pages": "Pages of the document list",
        "doc_prev": "Previous page", "doc_next": "Next page", "doc_page": "Page {page} of {pages}",
        "n_products": "{n} articles", "replace_doc": "Replace", "actions": "Actions",
        "review": "Conversation review", "cases": "Filed cases", "insights": "Insights",
        "replace_hint": "Id from the document list; leave empty for a new document.",
    },
}


# ------------------------------------------------------------------ session and CSRF
def _secret(settings: Settings) -> bytes:
    """Derived from the identity secret and the admin password: a password change ends every session."""
    material = settings.identity_secret.get_secret_value() + "|admin|" + settings.admin_password.get_secret_value()
    return hashlib.sha256(material.encode()).digest()


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(settings).hex(), salt="kb-admin-session")


def csrf_token(settings: Settings, nonce: str) -> str:
    return hmac.new(_secret(settings), f"csrf|{nonce}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AdminSession:
    user: str
    nonce: str


def read_session(request: Request, settings: Settings) -> AdminSession | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(settings).loads(raw, max_age=SESSION_TTL_S)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != settings.admin_user or not isinstance(data.get("n"), str):
        return None
    try:
        if data.get("v") != SessionVersion(settings).current():  # logged out since: on every replica
            return None
    except SessionVersionUnavailable:
        log.warning("admin session version unavailable; no session trusted")
        return None
    return AdminSession(data["u"], data["n"])


def _cookie_args(settings: Settings) -> dict[str, Any]:
    return {"httponly": True, "samesite": "strict", "secure": settings.public_url.startswith("https://"),
            "path": "/admin"}


def _valid_csrf(settings: Settings, nonce: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(csrf_token(settings, nonce), str(token))


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/admin/login?lang={_lang(request)}", status_code=303)


LOGIN_PER_CLIENT = "5/minute"
LOGIN_FAILURES_EVERYWHERE = "30/minute"  # global backoff: guesses spread over many addresses are slowed too
_ALL_CLIENTS = "admin-login-failures"


@lru_cache(maxsize=1)
def _login_limiter() -> RateLimits:
    return make_limits(get_settings())


def _login_allowed(request: Request, settings: Settings) -> bool:
    """Per client (in the shared store), and no more than LOGIN_FAILURES_EVERYWHERE failures a minute in total."""
    limits = _login_limiter()
    if limits.used_up(LOGIN_FAILURES_EVERYWHERE, _ALL_CLIENTS):
        return False
    client = RateLimits.key("admin-login", client_group(client_address(request, settings)))
    return limits.wait((LOGIN_PER_CLIENT, client)) == 0


# ------------------------------------------------------------------ rendering
def _lang(request: Request) -> str:
    return request_language(request, request.query_params.get("lang"))


def _render(request: Request, template: str, settings: Settings, status: int = 200, **context: Any) -> HTMLResponse:
    from assistant.gateway.pages import TEXTS as PAGE_TEXTS
    from assistant.gateway.pages import get_templates

    lang = context.pop("lang", None) or _lang(request)
    session = read_session(request, settings)
    ctx = {
        "lang": lang,
        "t": PAGE_TEXTS[lang],
        "a": TEXTS[lang],
        "widget": None,
        "other_lang": "en" if lang == "de" else "de",
        "lang_url": f"{request.url.path}?lang={'en' if lang == 'de' else 'de'}",
        "session": session,
        "csrf": csrf_token(settings, session.nonce) if session else None,
        **context,
    }
    response = get_templates().TemplateResponse(request, template, ctx, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ content changes
@dataclass
class ChangeResult:
    ok: bool
    issues: list[Issue] = field(default_factory=list)
    report: BuildReport | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]


def _front_type(data: bytes) -> str | None:
    m = re.search(rb"^type:\s*([A-Za-z_]+)", data[:4000], re.MULTILINE)
    return m.group(1).decode() if m else None


def _target(root: Path, name: str, data: bytes, replace_source: str | None) -> str:
    """Relative path the upload goes to: the replaced document's file, a same-named file, or a folder by type."""
    if replace_source:
        return replace_source
    existing = sorted(p for p in root.rglob(name) if p.is_file() and p.resolve().is_relative_to(root))
    if existing:
        return existing[0].relative_to(root).as_posix()
    ext = name.rsplit(".", 1)[1].lower()
    if ext == "csv":
        return name
    if ext == "pdf":
        return f"datasheets/{name}"
    return f"{_FOLDERS.get(_front_type(data) or '', 'datasheets')}/{name}"


def validate_upload(
    settings: Settings, name: str, data: bytes, meta: bytes | None, replace_source: str | None
) -> tuple[dict[str, bytes], list[Issue]]:
    """Check one upload on a staging copy; returns (files to write by relative path, issues it introduces)."""
    if not _NAME.match(name):
        return {}, [Issue(name or "?", 0, "file name must be letters, digits, '.', '_' or '-' ending in .md, "
                                         ".pdf or .csv")]
    ext = name.rsplit(".", 1)[1].lower()
    if ext == "csv" and not name.lower().startswith("products"):
        return {}, [Issue(name, 0, "a product catalogue must be named products*.csv")]
    if replace_source and not replace_source.lower().endswith(f".{ext}"):
        return {}, [Issue(name, 0, f"replaces {replace_source}, which is not a .{ext} file")]
    if not data:
        return {}, [Issue(name, 0, "file is empty")]
    if len(data) > settings.max_upload_bytes:
        return {}, [Issue(name, 0, f"file is too large ({len(data)} bytes > {settings.max_upload_bytes})")]
    if ext == "md" and b"\x00" in data:
        return {}, [Issue(name, 0, "a Markdown file must be text, not binary")]
    root = settings.knowledge_dir.resolve()
    rel = _target(root, name, data, replace_source)
    files = {rel: data}
    if meta is not None:
        if ext != "pdf":
            return {}, [Issue(name, 0, "metadata (.meta.yml) only belongs to a PDF")]
        files[str(Path(rel).with_suffix(".meta.yml").as_posix())] = meta
    # the same staging check as `assistant kb add` (assistant/retrieval/content.py)
    return files, introduced_issues(root, files, max(settings.max_upload_bytes, 1))


def apply_upload(
    knowledge: Any, settings: Settings, name: str, data: bytes, meta: bytes | None, replace_source: str | None
) -> ChangeResult:
    with _change_lock:
        files, issues = validate_upload(settings, name, data, meta, replace_source)
        if not files or any(i.severity == "error" for i in issues):
            return ChangeResult(False, issues)
        try:
            applied = apply_files(settings.knowledge_dir, files)  # undone byte for byte if the build fails
        except ValueError:
            return ChangeResult(False, [Issue(name, 0, "target is outside the knowledge folder")])
        try:
            report = knowledge.build()
        except BuildRefused as exc:
            applied.undo()
            return ChangeResult(False, issues + (exc.report.issues if exc.report else []) or
                                [Issue(name, 0, "the index build was refused")])
        except Exception:
            log.exception("content change failed; restoring the previous files")
            applied.undo()
            return ChangeResult(False, [Issue(name, 0, "the index could not be rebuilt; nothing was changed")])
        return ChangeResult(True, issues, report)


def delete_document(knowledge: Any, doc_id: str) -> ChangeResult:
    with _change_lock:
        try:
            report = knowledge.remove(doc_id)
        except KnowledgeError as exc:
            log.info("delete refused: %s", exc)
            return ChangeResult(False, [Issue(doc_id, 0, "cannot be deleted here (articles live in products.csv)")])
        except Exception as exc:  # DocumentNotFound and friends
            log.info("delete failed: %s", exc)
            return ChangeResult(False, [Issue(doc_id, 0, "no such document in the live index")])
        return ChangeResult(True, report.issues if report else [], report)


# ------------------------------------------------------------------ overview data
DOCS_PER_PAGE = 50


@lru_cache(maxsize=20_000)
def _products_cached(path: str, mtime_ns: int, kind: str) -> tuple[str, ...]:
    """Article numbers of one file version: read once per change, not on every page view (5,000 documents)."""
    return tuple(_products_of(Path(path), kind))


def _products_of(path: Path | None, kind: str) -> list[str]:
    """Article numbers from the front matter (Markdown) or the sidecar (PDF)."""
    if path is None:
        return []
    try:
        if kind == "pdf":
            side = next((p for p in (path.with_suffix(".meta.yml"), path.with_name(path.name + ".meta.yml"))
                         if p.is_file()), None)
            meta = yaml.safe_load(side.read_text(encoding="utf-8")) if side else {}
        else:
            m = re.match(r"\A---[ \t]*\r?\n(.*?)\r?\n---", path.read_text(encoding="utf-8", errors="replace"),
                         re.DOTALL)
            meta = yaml.safe_load(m.group(1)) if m else {}
    except (OSError, yaml.YAMLError):
        return []
    value = (meta or {}).get("products") if isinstance(meta, dict) else None
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    return [str(v) for v in value or []]


@dataclass(frozen=True)
class DocumentFilter:
    """The document list's search (id, title or article number), type and language filters, and page."""

    text: str = ""
    doc_type: str = ""
    language: str = ""
    page: int = 1

    @classmethod
    def of(cls, request: Request) -> DocumentFilter:
        q = request.query_params
        page = q.get("doc_page", "1")
        return cls(" ".join((q.get("doc_q") or "").split())[:100], (q.get("doc_type") or "")[:40],
                   (q.get("doc_lang") or "")[:5], int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1)

    def matches(self, doc: dict[str, Any]) -> bool:
        if self.doc_type not in ("", doc["type"]) or self.language not in ("", doc["language"]):
            return False
        needle = self.text.casefold()
        return not needle or needle in doc["id"].casefold() or needle in (doc["title"] or "").casefold() or any(
            needle in p.casefold() for p in doc["products"])

    def params(self, **changes: Any) -> str:
        values = {"doc_q": self.text, "doc_type": self.doc_type, "doc_lang": self.language, "doc_page": self.page,
                  **changes}
        return urlencode({k: v for k, v in values.items() if v and (k, v) != ("doc_page", 1)})


def overview(knowledge: Any, settings: Settings, doc_filter: DocumentFilter | None = None) -> dict[str, Any]:
    """Index status and one page of the document list (filtered); types and languages for the filter lists."""
    from assistant.gateway.kb import document_path

    doc_filter = doc_filter or DocumentFilter()
    status = knowledge.status()
    documents = []
    types, languages = set(), set()
    for doc_id, info in sorted(live_documents(knowledge).items(), key=lambda kv: kv[1].get("source", "")):
        types.add(str(info.get("type") or ""))
        languages.add(str(info.get("language") or ""))
        path = document_path(settings, info)
        stat = path.stat() if path else None
        kind = info.get("kind", "markdown")
        doc = {"id": doc_id, "title": info.get("title"), "type": info.get("type"), "language": info.get("language"),
               "source": info.get("source"), "kind": kind,
               "products": _products_cached(str(path), stat.st_mtime_ns, kind) if path and stat else (),
               "mtime": stat.st_mtime if stat else None}
        if doc_filter.matches(doc):
            documents.append(doc)
    pages = max(1, -(-len(documents) // DOCS_PER_PAGE))
    page = min(doc_filter.page, pages)
    shown = documents[(page - 1) * DOCS_PER_PAGE: page * DOCS_PER_PAGE]
    for doc in shown:
        changed = datetime.fromtimestamp(doc.pop("mtime"), UTC) if doc["mtime"] else None
        doc["changed"] = changed.strftime("%Y-%m-%d %H:%M") if changed else "–"
    return {"index": status, "documents": shown, "total": len(documents), "page": page, "pages": pages,
            "doc_filter": doc_filter, "types": sorted(t for t in types if t),
            "languages": sorted(lang for lang in languages if lang)}


# ------------------------------------------------------------------ routes
@router.get("/login")
async def login_page(request: Request, settings: AppSettings) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    response = _render(request, "admin/login.html", settings, login_csrf=csrf_token(settings, nonce))
    response.set_cookie(PRE_COOKIE, _serializer(settings).dumps({"p": nonce}), max_age=3600, **_cookie_args(settings))
    return response


@router.post("/login")
async def login(
    request: Request,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if not _login_allowed(request, settings):
        return _render(request, "admin/login.html", settings, 429, error="too_many", login_csrf=None)
    pre = request.cookies.get(PRE_COOKIE, "")
    try:
        nonce = _serializer(settings).loads(pre, max_age=3600).get("p", "")
    except (BadSignature, AttributeError):
        nonce = ""
    if not nonce or not _valid_csrf(settings, nonce, csrf):
        return _render(request, "admin/login.html", settings, 403, error="csrf", login_csrf=None)
    user_ok = hmac.compare_digest(username.encode(), settings.admin_user.encode())
    password_ok = hmac.compare_digest(password.encode(), settings.admin_password.get_secret_value().encode())
    if not (user_ok and password_ok):
        _login_limiter().count(LOGIN_FAILURES_EVERYWHERE, _ALL_CLIENTS)
        fresh = secrets.token_urlsafe(16)
        response = _render(request, "admin/login.html", settings, 401, error="bad_login",
                           login_csrf=csrf_token(settings, fresh))
        response.set_cookie(PRE_COOKIE, _serializer(settings).dumps({"p": fresh}), max_age=3600,
                            **_cookie_args(settings))
        return response
    response = RedirectResponse(f"/admin?lang={_lang(request)}", status_code=303)
    try:
        version = SessionVersion(settings).current()
    except SessionVersionUnavailable:
        return _render(request, "admin/message.html", settings, 503, error="unavailable")
    session = _serializer(settings).dumps({"u": settings.admin_user, "n": secrets.token_urlsafe(16), "v": version})
    response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_TTL_S, **_cookie_args(settings))
    response.delete_cookie(PRE_COOKIE, path="/admin")
    return response


@router.post("/logout")
async def logout(request: Request, settings: AppSettings, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    session = read_session(request, settings)
    if session is not None and not _valid_csrf(settings, session.nonce, csrf):
        return _render(request, "admin/message.html", settings, 403, error="csrf")
    if session is not None:
        try:
            SessionVersion(settings).bump()  # every session issued so far ends, in every browser and replica
        except SessionVersionUnavailable:
            return _render(request, "admin/message.html", settings, 503, error="unavailable")
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response


def _dashboard(request: Request, settings: AppSettings, status: int = 200, **extra: Any) -> HTMLResponse:
    knowledge = get_knowledge()
    try:
        data = overview(knowledge, settings, DocumentFilter.of(request))
    except KnowledgeError:
        return _render(request, "admin/message.html", settings, 503, error="unavailable")
    query = (request.query_params.get("q") or "").strip()[:500]
    hits = []
    if query:
        for h in knowledge.search(query, k=10):
            hits.append({"title": h.title, "doc_id": h.doc_id, "type": h.doc_type, "language": h.language,
                         "score": h.score, "dense": h.metadata.get("dense_score"),
                         "bm25": h.metadata.get("bm25_score"), "url": h.url, "page": h.page,
                         "text": " ".join(h.text.split())[:240]})
    replace = (request.query_params.get("replace") or "")[:200]
    return _render(request, "admin/index.html", settings, status, query=query, hits=hits, replace=replace, **data,
                   **extra)


@router.get("")
async def dashboard(request: Request, settings: AppSettings) -> Response:
    if read_session(request, settings) is None:
        return _login_redirect(request)
    return await asyncio.to_thread(_dashboard, request, settings)


@router.post("/upload")
async def upload(
    request: Request,
    settings: AppSettings,
    file: UploadFile,
    csrf: Annotated[str, Form(max_length=200)] = "",
    replace: Annotated[str, Form(max_length=200)] = "",
    meta: UploadFile | None = None,
) -> Response:
    session = read_session(request, settings)
    if session is None:
        return _login_redirect(request)
    if not _valid_csrf(settings, session.nonce, csrf):
        return _render(request, "admin/message.html", settings, 403, error="csrf")
    data = await file.read(settings.max_upload_bytes + 1)
    meta_data = await meta.read(64 * 1024) if meta is not None and meta.filename else None
    knowledge = get_knowledge()
    replace_source = None
    if replace:
        info = (await asyncio.to_thread(live_documents, knowledge)).get(replace)
        if info is None:
            return await asyncio.to_thread(_dashboard, request, settings, 404, change=ChangeResult(
                False, [Issue(replace, 0, "the document to replace is not in the live index")]))
        replace_source = info.get("source")
    name = Path(file.filename or "").name
    result = await asyncio.to_thread(apply_upload, knowledge, settings, name, data, meta_data, replace_source)
    return await asyncio.to_thread(_dashboard, request, settings, 200 if result.ok else 400, change=result)


@router.post("/delete")
async def delete(
    request: Request,
    settings: AppSettings,
    doc_id: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    session = read_session(request, settings)
    if session is None:
        return _login_redirect(request)
    if not _valid_csrf(settings, session.nonce, csrf):
        return _render(request, "admin/message.html", settings, 403, error="csrf")
    result = await asyncio.to_thread(delete_document, get_knowledge(), doc_id)
    return await asyncio.to_thread(_dashboard, request, settings, 200 if result.ok else 400, change=result,
                                   deleted=True)


@router.get("/unanswered")
async def unanswered(request: Request, settings: AppSettings) -> Response:
    if read_session(request, settings) is None:
        return _login_redirect(request)
    groups = await asyncio.to_thread(get_analytics().report)
    return _render(request, "admin/unanswered.html", settings, groups=groups[:500])


@router.get("/unanswered.csv")
async def unanswered_csv(request: Request, settings: AppSettings) -> Response:
    if read_session(request, settings) is None:
        return _login_redirect(request)
    text = await asyncio.to_thread(get_analytics().csv_report)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="unanswered-questions.csv"', "Cache-Control": "no-store"},
    )


@router.get("/{rest:path}")
async def unknown(rest: str, request: Request, settings: AppSettings) -> Response:
    if read_session(request, settings) is None:
        return _login_redirect(request)
    return _render(request, "admin/message.html", settings, 404, error="not_found")
