"""A small fake of the chat API for the widget's browser tests.

It serves a shop-like test page (with a strict CSP, like the real pages), the widget files and
canned replies for every message type, and it records what the widget sent. The conftest starts
it on 127.0.0.1 with a free port; tests that later run against the real app and Rasa swap the
fixture, not the tests' notion of "a site with the widget".
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

ROOT = Path(__file__).resolve().parents[2]
WIDGET_DIR = ROOT / "widget"
AXE_FILE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

HOSTILE = '<img src=x onerror=alert(1)> <script>alert("x")</script>'

PAGE = """<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/shop.css"></head>
<body>
<header><a href="/">Startseite</a> <a href="/other">Weitere Seite</a></header>
<main><h1>{title}</h1><p>Armaturen, Kupplungen, Schläuche, Dichtungen, Ventile.</p>
<button type="button" id="shop-button">Shop-Knopf</button></main>
<script src="/widget/assistant-widget.js"></script>
<script src="/page.js"></script>
</body></html>
"""

# The shop's own CSS is deliberately hostile to the widget: it must not leak through the shadow root.
SHOP_CSS = """
body { font-family: serif; margin: 2rem; background: #fafafa; color: #111; }
button { background: red !important; font-size: 40px !important; }
div, p, section { border: 3px solid lime; }
a { color: #0645ad; }
"""

PAGE_JS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
(function () {
  var q = new URLSearchParams(location.search);
  var options = {
    apiBase: q.get('api') || '',
    locale: q.get('locale') || document.documentElement.lang || 'de',
    getToken: function () { return localStorage.getItem('fake-shop-token'); }
  };
  if (q.get('slowtoken')) {
    options.getToken = function () {
      return new Promise(function (r) {
        setTimeout(function () { r(localStorage.getItem('fake-shop-token')); }, 400);
      });
    };
  }
  if (q.get('accent')) options.accentColor = q.get('accent');
  if (q.get('title')) options.title = q.get('title');
  if (q.get('sku')) options.context = { sku: q.get('sku') };
  if (q.get('timeout')) options.timeoutMs = Number(q.get('timeout'));
  if (q.get('starters')) options.starters = JSON.parse(q.get('starters'));
  window.__widgetReady = AssistantWidget.init(options);
})();
"""


def every_type_reply(lang: str) -> list[dict[str, Any]]:
    de = lang == "de"
    return [
        {
            "type": "text",
            "text": (
                "**Edelstahl-Kupplung** für Lebensmittel bis 120 °C:\n"
                "- FDA-konform\n- EHEDG-zertifiziert\n"
                "Details im [Datenblatt](/docs/3S-1208.pdf) oder https://example.com/kupplung."
                if de
                else "**Stainless coupling** for food processing up to 120 °C:\n"
                "- FDA compliant\n- EHEDG certified\n"
                "Details in the [datasheet](/docs/3S-1208.pdf) or https://example.com/coupling."
            ),
        },
        {
            "type": "buttons",
            "text": "Soll ich ein Angebot anfragen?" if de else "Shall I request a quote?",
            "buttons": [
                {"title": "Ja, bitte" if de else "Yes, please", "payload": "/affirm"},
                {"title": "Nein" if de else "No", "payload": "/deny"},
            ],
        },
        {
            "type": "products",
            "items": [
                {
                    "sku": "3S-1208",
                    "name": "Schnellkupplung 3S DN12 Edelstahl" if de else "Quick coupling 3S DN12 stainless",
                    "url": "/produkte/3S-1208",
                    "facts": {
                        ("Werkstoff" if de else "Material"): "1.4404",
                        ("Temperatur" if de else "Temperature"): "-20 … 140 °C",
                        ("Druck" if de else "Pressure"): "16 bar",
                    },
                }
            ],
        },
        {
            "type": "documents",
            "items": [
                {"title": "3S-1208 Datenblatt" if de else "3S-1208 datasheet", "kind": "datasheet",
                 "url": "/d/abc123"},
                {"title": "Zeugnis 3.1 80012" if de else "Certificate 3.1 80012", "kind": "certificate",
                 "url": "https://downloads.example.com/d/xyz"},
            ],
        },
        {
            "type": "sources",
            "items": [
                {"title": "Datenblatt QC-300" if de else "QC-300 datasheet", "url": "/kb/qc-300",
                 "excerpt": "Dauertemperatur bis 140 °C" if de else "Continuous temperature up to 140 °C",
                 "page": 3},
            ],
        },
    ]


def hostile_reply() -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": f"{HOSTILE} **{HOSTILE}** [klick](javascript:alert(1)) "
                                 f"[daten](data:text/html,<script>alert(1)</script>)"},
        {"type": "buttons", "text": HOSTILE, "buttons": [{"title": HOSTILE, "payload": "/affirm"}]},
        {"type": "products", "items": [{"sku": HOSTILE, "name": HOSTILE, "url": "javascript:alert(1)",
                                        "facts": {HOSTILE: HOSTILE}}]},
        {"type": "documents", "items": [{"title": HOSTILE, "kind": HOSTILE, "url": "javascript:alert(1)"}]},
        {"type": "sources", "items": [{"title": HOSTILE, "url": "vbscript:x", "excerpt": HOSTILE,
                                       "page": HOSTILE}]},
    ]


@dataclass
class Failure:
    status: int
    retry_after: int | None = None


@dataclass
class FakeChatServer:
    """Canned chat API plus a record of every call, shared between the server thread and the test."""

    chats: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    base_url: str = ""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        self.chats.clear()
        self.feedback.clear()
        self.uploads.clear()
        self.failures.clear()
        self._ids = itertools.count(1)

    def fail_next(self, status: int, retry_after: int | None = None, times: int = 1) -> None:
        self.failures.extend(Failure(status, retry_after) for _ in range(times))

    def _failure(self, lang: str) -> JSONResponse | None:
        if not self.failures:
            return None
        f = self.failures.pop(0)
        headers = {"Retry-After": str(f.retry_after)} if f.retry_after is not None else None
        text = {"de": "Fehler", "en": "Error"}[lang]
        return JSONResponse({"error": {"code": f"e{f.status}", "message": text}}, status_code=f.status,
                            headers=headers)

    def _conversation(self, given: str | None) -> str:
        return given or f"conv-{next(self._ids)}"

    def app(self, test_pages: bool = True) -> FastAPI:
        """The fake API and the widget files; `test_pages` adds the hostile test shop page."""
        app = FastAPI()

        def page(lang: str, title: str) -> HTMLResponse:
            return HTMLResponse(PAGE.format(lang=lang, title=title), headers={"Content-Security-Policy": CSP})

        if test_pages:

            @app.get("/")
            async def home(locale: str = "de") -> HTMLResponse:
                return page(locale, "Testshop")

            @app.get("/other")
            async def other(locale: str = "de") -> HTMLResponse:
                return page(locale, "Weitere Seite")

            @app.get("/shop.css")
            async def shop_css() -> Response:
                return Response(SHOP_CSS, media_type="text/css")

            @app.get("/page.js")
            async def page_js() -> Response:
                return Response(PAGE_JS, media_type="text/javascript")

        @app.get("/favicon.ico")
        async def favicon() -> Response:
            return Response(status_code=204)

        @app.get("/widget/{name}")
        async def widget(name: str) -> Response:
            path = WIDGET_DIR / name
            if path.parent != WIDGET_DIR or not path.is_file():
                return Response(status_code=404)
            return FileResponse(path)

        @app.get("/axe.min.js")
        async def axe() -> Response:
            if not AXE_FILE.is_file():
                return Response(status_code=404)
            return FileResponse(AXE_FILE, media_type="text/javascript")

        @app.post("/api/chat")
        async def chat(request: Request) -> Response:
            body = await request.json()
            lang = body.get("locale") or "de"
            self.chats.append({"body": body, "authorization": request.headers.get("authorization")})
            failure = self._failure(lang)
            if failure is not None:
                return failure
            cid = self._conversation(body.get("conversation_id"))
            message = body.get("message") or ""
            payload = body.get("payload")
            if payload:
                messages = [{"type": "text", "text": f"payload {payload}"}]
            elif message.strip().lower() in {"alles", "all"}:
                messages = every_type_reply(lang)
            elif message.strip().lower() == "xss":
                messages = hostile_reply()
            elif message.strip().lower() == "slow":
                await asyncio.sleep(3)
                messages = [{"type": "text", "text": "late"}]
            else:
                prefix = "Sie schrieben" if lang == "de" else "You wrote"
                messages = [{"type": "text", "text": f"{prefix}: {message}"}]
            return JSONResponse({"conversation_id": cid, "messages": messages})

        @app.post("/api/feedback")
        async def feedback(request: Request) -> Response:
            self.feedback.append(await request.json())
            return Response(status_code=204)

        @app.post("/api/upload")
        async def upload(request: Request) -> Response:
            form = await request.form()
            upload = form.get("file")
            data = await upload.read() if upload is not None and hasattr(upload, "read") else b""
            lang = str(form.get("locale") or "de")
            self.uploads.append({
                "filename": getattr(upload, "filename", None),
                "size": len(data),
                "content": data[:200].decode("utf-8", "replace"),
                "conversation_id": form.get("conversation_id"),
                "locale": form.get("locale"),
                "authorization": request.headers.get("authorization"),
            })
            failure = self._failure(lang)
            if failure is not None:
                return failure
            cid = self._conversation(form.get("conversation_id"))  # type: ignore[arg-type]
            lines = max(0, len(data.decode("utf-8", "replace").strip().splitlines()) - 1)
            text = f"{lines} Positionen erkannt." if lang == "de" else f"{lines} lines recognised."
            return JSONResponse({"conversation_id": cid, "messages": [{"type": "text", "text": text}]})

        return app


class ServerThread:
    """Runs a FastAPI app with uvicorn on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(self, app: FastAPI) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake chat server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._sock.close()
