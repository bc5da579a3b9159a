"""Server-rendered pages: a demo shop (home, product list, product detail) and a demo customer portal.

They exist so the widget can be seen where it will live: anonymous on the shop, with the article
as context on a product page, and as a signed-in buyer in the portal. The portal's user picker
only exists in development; the server mints the chosen demo user's token (as a real shop would)
and hands it to the page's own script through a same-origin endpoint. No inline scripts: the
page JS lives in assistant/static/, so the app's CSP can forbid inline code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import mimetypes
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Protocol
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from assistant.commerce.demo_people import ACCOUNTS, USERS, DemoUser
from assistant.gateway.deps import AppSettings
from assistant.gateway.errors import request_language
from assistant.identity import mint_token
from assistant.retrieval.cad import envelope
from assistant.retrieval.models import KnowledgeError, Product
from assistant.retrieval.urls import cad_url
from assistant.settings import Settings

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
PORTAL_COOKIE = "demo_portal_user"
TOKEN_TTL_S = 15 * 60

router = APIRouter(include_in_schema=False)


class Catalogue(Protocol):
    """What the pages need from the knowledge service (tests pass a small fake)."""

    def products(self) -> list[Product]: ...

    def product(self, sku: str) -> Product | None: ...


def get_catalogue() -> Catalogue:
    from assistant.retrieval.service import get_knowledge_service

    return get_knowledge_service()


@lru_cache(maxsize=1)
def get_templates() -> Jinja2Templates:
    return Jinja2Templates(directory=str(TEMPLATES_DIR))


Shop = Annotated[Catalogue, Depends(get_catalogue)]

FAMILIES: dict[str, dict[str, str]] = {
    "pneumatic_fitting": {"de": "Pneumatik-Verschraubungen", "en": "Pneumatic fittings"},
    "hygienic_fitting": {"de": "Hygiene-Verbindungen", "en": "Hygienic fittings"},
    "hydraulic_coupling": {"de": "Hydraulik-Kupplungen", "en": "Hydraulic couplings"},
    "hydraulic_fitting": {"de": "Hydraulik-Verschraubungen", "en": "Hydraulic tube fittings"},
    "hose": {"de": "Schläuche", "en": "Hoses"},
    "seal": {"de": "Dichtungen", "en": "Seals"},
    "valve": {"de": "Ventile", "en": "Valves"},
    "drive": {"de": "Antriebstechnik", "en": "Drive parts"},
}

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "shop": "Industriebedarf Beispiel GmbH", "home": "Start", "products": "Produkte", "portal": "Kundenportal",
        "skip": "Zum Inhalt springen", "lang_switch": "English", "hero_title": "Verbindungstechnik für Ihre Anlage",
        "hero_text": "Armaturen, Kupplungen, Schläuche, Dichtungen, Ventile und Antriebsteile – mit Datenblättern, "
        "Zeugnissen und einem Assistenten, der Ihre Fragen beantwortet.",
        "hero_cta": "Sortiment ansehen", "ask": "Fragen Sie den Assistenten unten rechts, zum Beispiel: "
        "„Welche Kupplung eignet sich für Lebensmittel bei 120 °C?“",
        "families": "Sortiment", "featured": "Beliebte Artikel", "all_products": "Alle Produkte",
        "search": "Suche", "search_label": "Artikelnummer oder Bezeichnung", "family": "Produktart",
        "all_families": "Alle Produktarten", "filter": "Anzeigen", "results": "{n} Artikel",
        "none": "Keine Artikel gefunden.", "sku": "Art.-Nr.", "name": "Bezeichnung", "price": "Listenpreis",
        "stock": "Lager", "in_stock": "{n} auf Lager", "lead_time": "Lieferzeit {n} Arbeitstage",
        "ex_stock": "ab Lager", "material": "Werkstoff", "seal": "Dichtung", "connection": "Anschluss",
        "size": "Nennweite", "temperature": "Temperatur", "pressure": "Druck max.",
        "certifications": "Zertifizierungen", "media": "Medien", "industries": "Branchen",
        "moq": "Mindestmenge", "per": "je", "successor": "Dieser Artikel läuft aus. Nachfolger: ",
        "facts": "Technische Daten", "price_note": "Listenpreis netto zzgl. MwSt.; Ihr Kundenpreis im Portal.",
        "ask_product": "Fragen zu diesem Artikel? Der Assistent kennt ihn bereits.",
        "cad_download": "CAD-Modell (STEP) herunterladen",
        "back": "Zurück zur Übersicht", "not_found": "Seite nicht gefunden",
        "not_found_text": "Diesen Artikel oder diese Seite gibt es nicht.",
        "unavailable": "Der Katalog ist gerade nicht verfügbar. Bitte versuchen Sie es gleich noch einmal.",
        "portal_title": "Kundenportal (Demo)", "pick": "Als Demo-Benutzer anmelden",
        "pick_text": "Nur in der Entwicklung: Wählen Sie eine Person. Der Server stellt ihr Token aus und der "
        "Assistent arbeitet mit ihrem Kundenkonto.", "login": "Anmelden", "logout": "Abmelden",
        "signed_in": "Angemeldet als", "account": "Kundenkonto", "roles": "Rollen", "limit": "Freigabegrenze",
        "cost_centre": "Kostenstelle", "try": "Probieren Sie im Assistenten zum Beispiel:",
        "try_1": "Bestell das Gleiche wie letzten Montag", "try_2": "Wo ist meine letzte Bestellung?",
        "try_3": "Rechnung zur letzten Lieferung", "portal_off": "Das Demo-Portal gibt es nur in der Entwicklung.",
        "role_buyer": "Einkauf", "role_approver": "Freigabe", "role_technician": "Technik", "person": "Person",
        "footer": "Demo-Shop des Einkaufsassistenten. Alle Daten sind erfunden.",
    },
    "en": {
        "shop": "Industrial Supply Example Ltd", "home": "Home", "products": "Products", "portal": "Customer portal",
        "skip": "Skip to content", "lang_switch": "Deutsch", "hero_title": "Connection technology for your plant",
        "hero_text": "Fittings, couplings, hoses, seals, valves and drive parts – with datasheets, certificates "
        "and an assistant that answers your questions.",
        "hero_cta": "Browse the range", "ask": "Ask the assistant at the bottom right, for example: "
        "“Which coupling suits food processing at 120 °C?”",
        "families": "Range", "featured": "Popular articles", "all_products": "All products",
        "search": "Search", "search_label": "Article number or name", "family": "Product type",
        "all_families": "All product types", "filter": "Show", "results": "{n} articles",
        "none": "No articles found.", "sku": "Art. no.", "name": "Name", "price": "List price",
        "stock": "Stock", "in_stock": "{n} in stock", "lead_time": "Lead time {n} working days",
        "ex_stock": "from stock", "material": "Material", "seal": "Seal", "connection": "Connection",
        "size": "Size", "temperature": "Temperature", "pressure": "Max. pressure",
        "certifications": "Certifications", "media": "Media", "industries": "Industries",
        "moq": "Minimum order", "per": "per", "successor": "This article is being discontinued. Successor: ",
        "facts": "Technical data", "price_note": "Net list price plus VAT; your customer price in the portal.",
        "ask_product": "Questions about this article? The assistant already knows which one.",
        "cad_download": "Download CAD model (STEP)",
        "back": "Back to the list", "not_found": "Page not found",
        "not_found_text": "This article or page does not exist.",
        "unavailable": "The catalogue is unavailable right now. Please try again in a moment.",
        "portal_title": "Customer portal (demo)", "pick": "Sign in as a demo user",
        "pick_text": "Development only: choose a person. The server issues their token and the assistant "
        "works with their customer account.", "login": "Sign in", "logout": "Sign out",
        "signed_in": "Signed in as", "account": "Customer account", "roles": "Roles", "limit": "Approval limit",
        "cost_centre": "Cost centre", "try": "Try asking the assistant, for example:",
        "try_1": "Reorder what I ordered last Monday", "try_2": "Where is my last order?",
        "try_3": "Invoice for the last delivery", "portal_off": "The demo portal exists in development only.",
        "role_buyer": "buyer", "role_approver": "approver", "role_technician": "technician", "person": "Person",
        "footer": "Demo shop of the buying assistant. All data is made up.",
    },
}


UNITS: dict[str, dict[str, str]] = {
    "piece": {"de": "Stück", "en": "piece"},
    "m": {"de": "m", "en": "m"},
    "set": {"de": "Satz", "en": "set"},
}
LABELS_FILE = PACKAGE_DIR / "retrieval" / "templates" / "labels.yml"


@lru_cache(maxsize=1)
def _code_labels() -> dict[str, dict[str, str]]:
    """Names of media and industry codes, shared with the answer templates (read only)."""
    try:
        data = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    codes = data.get("code", {})
    return codes if isinstance(codes, dict) else {}


def code_label(code: str, lang: str) -> str:
    entry = _code_labels().get(code)
    if isinstance(entry, dict) and entry.get(lang):
        return str(entry[lang])
    return code.replace("_", " ")


def page_language(request: Request) -> str:
    """?lang= wins (the language switch), then the browser's preference; German by default."""
    return request_language(request, request.query_params.get("lang"))


def _render(request: Request, template: str, lang: str, status_code: int = 200, *,
            widget: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    path = request.url.path
    ctx = {
        "lang": lang,
        "t": TEXTS[lang],
        "families": FAMILIES,
        "widget": widget,
        "other_lang": "en" if lang == "de" else "de",
        "lang_url": f"{path}?lang={'en' if lang == 'de' else 'de'}",
        **context,
    }
    response = get_templates().TemplateResponse(request, template, ctx, status_code=status_code)
    response.headers["Cache-Control"] = "no-store" if widget and widget.get("token_url") else "no-cache"
    return response


# The greeting's buttons: first steps by who is on the page, so every flow can be started without typing.
# Each payload names a domain intent; the action behind it asks for whatever is missing.
STARTERS: dict[str, list[tuple[str, str, str]]] = {
    "anonymous": [("/start_finder", "Produkt finden", "Find a product"),
                  ("/start_rfq", "Angebot anfragen", "Request a quote"),
                  ("/help", "Was kannst du?", "What can you do?")],
    "buyer": [("/reorder", "Nachbestellen", "Reorder"),
              ("/order_status", "Meine offenen Aufträge", "My open orders"),
              ("/quick_order", "Schnellbestellung", "Quick order")],
    "approver": [("/list_approvals", "Offene Freigaben", "Pending approvals")],
    "technician": [("/order_status", "Meine offenen Aufträge", "My open orders"),
                   ("/request_document", "Zeugnis oder Datenblatt", "Certificate or datasheet")],
}


def starters(lang: str, roles: Iterable[str] | None) -> list[dict[str, str]]:
    """The starter buttons for anonymous visitors (``roles`` None) or a signed-in user with these roles."""
    groups = ["anonymous"] if roles is None else [r for r in ("buyer", "approver", "technician") if r in roles]
    out: list[dict[str, str]] = []
    for group in groups:
        for payload, de, en in STARTERS[group]:
            if all(b["payload"] != payload for b in out):
                out.append({"title": en if lang == "en" else de, "payload": payload})
    if roles is not None:
        out.append({"title": "What can you do?" if lang == "en" else "Was kannst du?", "payload": "/help"})
    return out


def _widget(lang: str, sku: str | None = None, token_url: str | None = None,
            roles: Iterable[str] | None = None) -> dict[str, str]:
    config = {"locale": lang, "api": "", "starters": json.dumps(starters(lang, roles), ensure_ascii=False)}
    if sku:
        config["sku"] = sku
    if token_url:
        config["token_url"] = token_url
    return config


def _products(shop: Catalogue) -> list[Product] | None:
    try:
        return sorted(shop.products(), key=lambda p: (p.family, p.sku))
    except KnowledgeError:
        return None


def _unavailable(request: Request, lang: str) -> HTMLResponse:
    return _render(request, "pages/message.html", lang, 503, widget=_widget(lang),
                   title=TEXTS[lang]["products"], text=TEXTS[lang]["unavailable"])


def _matches(p: Product, needle: str) -> bool:
    needle = needle.casefold()
    return any(needle in s.casefold() for s in (p.sku, p.name_de, p.name_en, p.series))


def product_facts(p: Product, lang: str) -> list[tuple[str, str]]:
    """The technical data table of a product page, in the page's language."""
    t = TEXTS[lang]

    def num(x: float) -> str:
        text = f"{x:g}"
        return text.replace(".", ",") if lang == "de" else text

    rows = [
        (t["family"], FAMILIES.get(p.family, {}).get(lang, p.family)),
        (t["material"], p.material),
        (t["seal"], p.seal_material),
        (t["connection"], p.connection),
        (t["size"], p.size),
        (t["temperature"], f"{num(p.temp_min_c)} … {num(p.temp_max_c)} °C"),
        (t["pressure"], f"{num(p.pressure_max_bar)} bar"),
        (t["certifications"], ", ".join(p.certifications)),
        (t["media"], ", ".join(code_label(m, lang) for m in p.media)),
        (t["industries"], ", ".join(code_label(i, lang) for i in p.industries)),
        (t["moq"], str(p.min_order_qty)),
    ]
    return [(k, v) for k, v in rows if v and v.strip()]


def price_text(p: Product, lang: str) -> str:
    amount = f"{p.list_price_eur:,.2f}"
    if lang == "de":
        amount = amount.replace(",", "X").replace(".", ",").replace("X", ".")
    unit = UNITS.get(p.price_unit, {}).get(lang, p.price_unit)
    return f"{amount} € {TEXTS[lang]['per']} {unit}"


def stock_text(p: Product, lang: str) -> str:
    t = TEXTS[lang]
    if p.stock_qty > 0:
        return t["in_stock"].format(n=p.stock_qty)
    return t["lead_time"].format(n=p.lead_time_days)


# ------------------------------------------------------------------ shop


@router.get("/", response_class=HTMLResponse)
def home(request: Request, shop: Shop) -> HTMLResponse:
    lang = page_language(request)
    products = _products(shop)
    if products is None:
        return _unavailable(request, lang)
    present = {p.family for p in products}
    featured = [p for p in products if p.active][:: max(1, len(products) // 6)][:6]
    return _render(request, "pages/home.html", lang, widget=_widget(lang),
                   present_families=[f for f in FAMILIES if f in present], featured=featured,
                   price_text=price_text)


@router.get("/shop", response_class=HTMLResponse)
def product_list(request: Request, shop: Shop, family: str | None = None, q: str | None = None) -> HTMLResponse:
    lang = page_language(request)
    products = _products(shop)
    if products is None:
        return _unavailable(request, lang)
    present = [f for f in FAMILIES if any(p.family == f for p in products)]
    family = family if family in FAMILIES else None
    needle = (q or "").strip()[:100]
    shown = [p for p in products if (family is None or p.family == family) and (not needle or _matches(p, needle))]
    return _render(request, "pages/products.html", lang, widget=_widget(lang), products=shown,
                   present_families=present, family=family, q=needle, price_text=price_text,
                   stock_text=stock_text)


@router.get("/shop/p/{sku}", response_class=HTMLResponse)
def product_detail(request: Request, sku: str, shop: Shop) -> HTMLResponse:
    lang = page_language(request)
    try:
        product = shop.product(sku[:40])
    except KnowledgeError:
        return _unavailable(request, lang)
    if product is None:
        return _render(request, "pages/message.html", lang, 404, widget=_widget(lang),
                       title=TEXTS[lang]["not_found"], text=TEXTS[lang]["not_found_text"])
    return _render(request, "pages/product.html", lang, widget=_widget(lang, sku=product.sku), product=product,
                   facts=product_facts(product, lang), price=price_text(product, lang),
                   stock=stock_text(product, lang), product_url=lambda s: f"/shop/p/{quote(s, safe='')}",
                   cad_url=cad_url("", product.sku) if envelope(product) else None)


# ------------------------------------------------------------------ demo portal


def _cookie_value(user_id: str, settings: Settings) -> str:
    key = settings.jwt_secret.get_secret_value().encode()
    sig = hmac.new(key, f"demo-portal:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{user_id}.{sig}"


def _portal_user(request: Request, settings: Settings) -> DemoUser | None:
    raw = request.cookies.get(PORTAL_COOKIE, "")
    user_id, _, _sig = raw.partition(".")
    if not user_id or not hmac.compare_digest(raw, _cookie_value(user_id, settings)):
        return None
    return next((u for u in USERS if u.id == user_id), None)


def _role_names(roles: Iterable[str], lang: str) -> str:
    return ", ".join(TEXTS[lang].get(f"role_{r}", r) for r in roles)


@router.get("/portal", response_class=HTMLResponse)
def portal(request: Request, settings: AppSettings) -> HTMLResponse:
    lang = page_language(request)
    if not settings.is_development:
        return _render(request, "pages/message.html", lang, 404, title=TEXTS[lang]["portal_title"],
                       text=TEXTS[lang]["portal_off"])
    user = _portal_user(request, settings)
    accounts = {a.id: a for a in ACCOUNTS}
    widget = (_widget(lang, token_url="/portal/token", roles=user.roles)  # noqa: S106 (a URL)
              if user else _widget(lang))
    return _render(request, "pages/portal.html", lang, widget=widget, user=user, users=USERS,
                   accounts=accounts, role_names=_role_names)


@router.post("/portal/login")
def portal_login(request: Request, settings: AppSettings, user: Annotated[str, Form(max_length=20)]) -> Response:
    lang = page_language(request)
    if not settings.is_development or not any(u.id == user for u in USERS):
        return RedirectResponse(f"/portal?lang={lang}", status_code=303)
    response = RedirectResponse(f"/portal?lang={lang}", status_code=303)
    response.set_cookie(PORTAL_COOKIE, _cookie_value(user, settings), httponly=True, samesite="strict",
                        path="/portal", max_age=8 * 3600)
    return response


@router.post("/portal/logout")
def portal_logout(request: Request) -> Response:
    response = RedirectResponse(f"/portal?lang={page_language(request)}", status_code=303)
    response.delete_cookie(PORTAL_COOKIE, path="/portal")
    return response


@router.get("/portal/token")
def portal_token(request: Request, settings: AppSettings) -> JSONResponse:
    """The page script's getToken(): the demo user's JWT, minted here as the shop's server would."""
    headers = {"Cache-Control": "no-store"}
    user = _portal_user(request, settings) if settings.is_development else None
    if user is None:
        return JSONResponse({"token": None}, status_code=401, headers=headers)
    token = mint_token(sub=user.id, customer=user.customer, roles=user.roles, locale=user.locale,
                       email=user.email, name=user.name, ttl_s=TOKEN_TTL_S, settings=settings)
    return JSONResponse({"token": token}, headers=headers)


# ------------------------------------------------------------------ static files of the pages


@router.get("/static/{name:path}")
def static_file(name: str) -> Response:
    path = (STATIC_DIR / name).resolve()
    if not path.is_file() or STATIC_DIR.resolve() not in path.parents:
        return Response(status_code=404)
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=300"})
