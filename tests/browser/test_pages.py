"""The shop and portal pages (assistant/gateway/pages.py): HTTP checks, then the widget on them in chromium.

The catalogue is a small fake (the pages read it through `get_catalogue`, which defaults to the
knowledge service); the chat API is the fake from fake_server.py.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.gateway import pages
from assistant.gateway.middleware import SecurityHeaders
from assistant.identity import TokenVerifier
from assistant.retrieval.models import IndexNotBuilt, Product
from assistant.settings import Settings, get_settings
from tests.browser.fake_server import FakeChatServer, ServerThread

BASE = Product(
    sku="3S-1208", name_de="Steckverschraubung gerade 12 mm x G1/2", name_en="Push-in straight fitting 12 mm x G1/2",
    family="pneumatic_fitting", series="3S", material="Messing vernickelt", seal_material="NBR",
    connection="G1/2 x 12 mm tube", size="12 mm", temp_min_c=-20, temp_max_c=80, pressure_max_bar=15,
    certifications=("REACH", "RoHS"), media=("air",), industries=("machine_building",), status="active",
    successor_sku="", list_price_eur=1234.5, price_unit="piece", min_order_qty=10, lead_time_days=0,
    stock_qty=250, datasheet_id="ds-3s-push-in",
)
CATALOGUE = [
    BASE,
    replace(BASE, sku="3SX-0604", name_de="Edelstahl-Steckverschraubung 6 mm", name_en="Stainless push-in 6 mm",
            series="3SX", temp_max_c=120, stock_qty=0, lead_time_days=5),
    replace(BASE, sku="HK-1000", name_de="Hydraulik-Kupplung <script>alert(1)</script>",
            name_en="Hydraulic coupling <b>x</b>", family="hydraulic_coupling", series="HK",
            status="discontinued", successor_sku="HK-1001"),
    replace(BASE, sku="HK-1001", name_de="Hydraulik-Kupplung neu", name_en="Hydraulic coupling new",
            family="hydraulic_coupling", series="HK"),
]


class FakeCatalogue:
    def __init__(self, products: list[Product] | None = None, broken: bool = False) -> None:
        self._products = {p.sku: p for p in (products or CATALOGUE)}
        self._broken = broken

    def products(self) -> list[Product]:
        if self._broken:
            raise IndexNotBuilt("no index")
        return list(self._products.values())

    def product(self, sku: str) -> Product | None:
        if self._broken:
            raise IndexNotBuilt("no index")
        return self._products.get(sku.strip().upper())


def pages_app(fake: FakeChatServer | None = None, settings: Settings | None = None,
              catalogue: FakeCatalogue | None = None) -> FastAPI:
    app = fake.app(test_pages=False) if fake else FastAPI()
    app.include_router(pages.router)
    cat = catalogue or FakeCatalogue()
    app.dependency_overrides[pages.get_catalogue] = lambda: cat
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    app.add_middleware(SecurityHeaders, frame_ancestors=["'self'"])
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(pages_app()) as c:
        yield c


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def assert_no_inline_code(html: str) -> None:
    assert INLINE_SCRIPT.findall(html) == []
    assert INLINE_HANDLER.findall(html) == []
    assert "javascript:" not in html


# ---------- HTTP ----------


@pytest.mark.parametrize("lang,words", [("de", "Sortiment"), ("en", "Range")])
def test_home_in_both_languages(client: TestClient, lang: str, words: str) -> None:
    r = client.get(f"/?lang={lang}")
    assert r.status_code == 200
    assert f'<html lang="{lang}">' in r.text
    assert words in r.text
    assert f'data-assistant-locale="{lang}"' in r.text
    assert 'src="/widget/assistant-widget.js"' in r.text and 'src="/static/pages.js"' in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert_no_inline_code(r.text)


def test_home_language_from_browser_preference(client: TestClient) -> None:
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    assert '<html lang="de">' in client.get("/").text


def test_product_list_filters_by_family_and_search(client: TestClient) -> None:
    r = client.get("/shop?family=hydraulic_coupling&lang=en")
    assert r.status_code == 200
    assert "HK-1001" in r.text and "3S-1208" not in r.text
    assert "2 articles" in r.text
    r = client.get("/shop", params={"q": "edelstahl"})
    assert "3SX-0604" in r.text and "3S-1208<" not in r.text
    assert "1 Artikel" in r.text
    r = client.get("/shop", params={"family": "nonsense", "q": "zzz"})
    assert "Keine Artikel gefunden." in r.text
    assert_no_inline_code(r.text)


def test_product_names_are_escaped(client: TestClient) -> None:
    r = client.get("/shop?lang=de")
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert_no_inline_code(r.text)


@pytest.mark.parametrize("lang,label,price", [("de", "Werkstoff", "1.234,50 € je Stück"),
                                              ("en", "Material", "1,234.50 € per piece")])
def test_product_detail_passes_the_article_to_the_widget(client: TestClient, lang: str, label: str,
                                                         price: str) -> None:
    r = client.get(f"/shop/p/3S-1208?lang={lang}")
    assert r.status_code == 200
    assert 'data-assistant-sku="3S-1208"' in r.text
    assert f'<th scope="row">{label}</th>' in r.text
    assert price in r.text
    assert "-20 … 80 °C" in r.text
    assert ("Druckluft" if lang == "de" else "compressed air") in r.text  # media codes get names
    assert_no_inline_code(r.text)


@pytest.mark.parametrize("lang,label", [("de", "CAD-Modell (STEP) herunterladen"), ("en", "Download CAD model (STEP)")])
def test_product_page_links_the_cad_download_only_where_a_model_exists(client: TestClient, lang: str,
                                                                      label: str) -> None:
    r = client.get(f"/shop/p/3S-1208?lang={lang}")
    assert f'<a href="/api/cad/3S-1208.step" download>{label}</a>' in r.text
    assert "/api/cad/" not in client.get(f"/shop/p/HK-1001?lang={lang}").text


def test_discontinued_product_links_its_successor(client: TestClient) -> None:
    r = client.get("/shop/p/HK-1000")
    assert 'href="/shop/p/HK-1001?lang=de"' in r.text


@pytest.mark.parametrize("lang,text", [("de", "Seite nicht gefunden"), ("en", "Page not found")])
def test_unknown_product_is_a_404_page(client: TestClient, lang: str, text: str) -> None:
    r = client.get(f"/shop/p/NOPE-1?lang={lang}")
    assert r.status_code == 404
    assert text in r.text
    assert r.headers["content-type"].startswith("text/html")


def test_catalogue_unavailable_is_a_503_page() -> None:
    with TestClient(pages_app(catalogue=FakeCatalogue(broken=True))) as c:
        for path in ("/", "/shop", "/shop/p/3S-1208"):
            r = c.get(path + "?lang=en")
            assert r.status_code == 503
            assert "catalogue is unavailable" in r.text
            assert "Traceback" not in r.text and "IndexNotBuilt" not in r.text


def test_static_files_and_no_traversal(client: TestClient) -> None:
    assert client.get("/static/pages.js").status_code == 200
    assert client.get("/static/site.css").headers["content-type"].startswith("text/css")
    assert client.get("/static/../gateway/pages.py").status_code == 404
    assert client.get("/static/%2e%2e/settings.py").status_code == 404
    assert client.get("/static/nope.js").status_code == 404


def test_portal_login_mints_the_demo_users_token(client: TestClient) -> None:
    r = client.get("/portal")
    assert r.status_code == 200
    assert 'value="u-1001"' in r.text and "data-assistant-token-url" not in r.text
    assert client.get("/portal/token").status_code == 401

    r = client.post("/portal/login?lang=de", data={"user": "u-2001"}, follow_redirects=False)
    assert r.status_code == 303
    r = client.get("/portal")
    assert "Sabine Hansen" in r.text and "Nordsee Lebensmitteltechnik AG" in r.text
    assert 'data-assistant-token-url="/portal/token"' in r.text
    assert "/reorder" in r.text and "/order_status" in r.text  # a buyer's starter buttons
    assert "/list_approvals" not in r.text  # Sabine is no approver
    assert r.headers["cache-control"] == "no-store"
    assert_no_inline_code(r.text)

    t = client.get("/portal/token")
    assert t.status_code == 200 and t.headers["cache-control"] == "no-store"
    identity = TokenVerifier(get_settings()).verify(t.json()["token"])
    assert (identity.user_id, identity.customer_id, identity.roles) == ("u-2001", "K-10002", frozenset({"buyer"}))

    client.post("/portal/logout", follow_redirects=False)
    assert client.get("/portal/token").status_code == 401


def test_portal_rejects_forged_cookies_and_unknown_users(client: TestClient) -> None:
    client.cookies.set(pages.PORTAL_COOKIE, "u-1002.0000", path="/portal")
    assert client.get("/portal/token").status_code == 401
    client.cookies.clear()
    client.post("/portal/login", data={"user": "u-9999"})
    assert client.get("/portal/token").status_code == 401


def test_portal_does_not_exist_in_production() -> None:
    prod = get_settings().model_copy(update={"profile": "production"})  # no validation: only the profile matters
    with TestClient(pages_app(settings=prod)) as c:
        r = c.get("/portal?lang=en")
        assert r.status_code == 404 and "development only" in r.text
        c.post("/portal/login", data={"user": "u-1001"})
        assert c.get("/portal/token").status_code == 401


# ---------- in the browser ----------


@pytest.fixture(scope="module")
def pages_site() -> Iterator[FakeChatServer]:
    fake = FakeChatServer()
    server = ServerThread(pages_app(fake)).start()
    fake.base_url = server.url
    yield fake
    server.stop()


@pytest.fixture
def site(pages_site: FakeChatServer) -> FakeChatServer:
    pages_site.reset()
    return pages_site


def run_axe(page: Any, source: str) -> list[dict[str, Any]]:
    page.evaluate(source)
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.browser
def test_product_page_widget_sends_the_article(page: Any, site: FakeChatServer, watch: Any, shot: Any) -> None:
    page.goto(f"{site.base_url}/shop/p/3S-1208?lang=en")
    page.locator(".aw-launcher").click()
    page.locator(".aw-input").fill("Does it fit 100 °C?")
    page.locator(".aw-input").press("Enter")
    page.locator(".aw-reply").first.wait_for()
    body = site.chats[0]["body"]
    assert body["context"] == {"sku": "3S-1208"} and body["locale"] == "en"
    assert site.chats[0]["authorization"] is None
    shot(page, "product")
    watch.assert_clean()


@pytest.mark.browser
def test_portal_widget_runs_as_the_chosen_buyer(page: Any, site: FakeChatServer, watch: Any, shot: Any) -> None:
    page.goto(f"{site.base_url}/portal")
    page.locator("input[value=u-1002]").check()
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_text("Angemeldet als Thomas Berger").wait_for()
    page.locator(".aw-launcher").click()
    page.locator(".aw-input").fill("Wo ist meine letzte Bestellung?")
    page.locator(".aw-input").press("Enter")
    page.locator(".aw-reply").first.wait_for()
    auth = site.chats[0]["authorization"]
    assert auth and auth.startswith("Bearer ")
    identity = TokenVerifier(get_settings()).verify(auth.removeprefix("Bearer "))
    assert identity.user_id == "u-1002" and identity.customer_id == "K-10001"
    shot(page, "portal-signed-in")

    # signing out drops the conversation; the next message goes out anonymously with no conversation id
    page.get_by_role("button", name="Abmelden").click()
    page.locator("input[value=u-1001]").wait_for()
    page.locator(".aw-panel").wait_for(state="visible")  # it was open, so it is open again, but empty
    page.locator(".aw-greeting").wait_for()
    assert page.locator(".aw-reply").count() == 0
    assert page.locator(".aw-user").count() == 0
    if not page.locator(".aw-panel").is_visible():
        page.locator(".aw-launcher").click()
    page.locator(".aw-input").fill("Hallo")
    page.locator(".aw-input").press("Enter")
    page.locator(".aw-reply").first.wait_for()
    assert site.chats[-1]["authorization"] is None
    assert site.chats[-1]["body"]["conversation_id"] is None
    watch.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/?lang=de", "/shop?lang=en", "/shop/p/3S-1208?lang=de", "/portal?lang=en"])
def test_pages_have_no_serious_axe_violations(page: Any, site: FakeChatServer, axe_source: str, watch: Any,
                                              shot: Any, path: str) -> None:
    page.goto(f"{site.base_url}{path}")
    page.locator(".aw-launcher").wait_for()
    shot(page, "page")
    assert run_axe(page, axe_source) == []
    watch.assert_clean()


@pytest.mark.browser
def test_pages_on_a_phone(browser: Any, site: FakeChatServer, shot: Any) -> None:
    ctx = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = ctx.new_page()
        page.goto(f"{site.base_url}/shop?lang=de")
        page.locator(".aw-launcher").wait_for()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375
        shot(page, "phone-list")
    finally:
        ctx.close()


@pytest.mark.parametrize(
    ("roles", "present", "absent"),
    [
        (None, {"/start_finder", "/start_rfq", "/help"}, {"/reorder", "/list_approvals"}),
        (("buyer",), {"/reorder", "/order_status", "/quick_order", "/help"}, {"/list_approvals", "/start_rfq"}),
        (("buyer", "approver"), {"/reorder", "/list_approvals"}, set()),
        (("technician",), {"/order_status", "/request_document"}, {"/reorder", "/quick_order", "/list_approvals"}),
    ],
)
def test_starter_buttons_follow_the_role(roles: tuple[str, ...] | None, present: set[str], absent: set[str]) -> None:
    """Every flow a person may use can be started by a click; nobody is offered what their role cannot do."""
    for lang in ("de", "en"):
        payloads = [b["payload"] for b in pages.starters(lang, roles)]
        assert present <= set(payloads) and not absent & set(payloads)
        assert len(payloads) == len(set(payloads)) <= 6


def test_home_page_passes_the_starters_as_escaped_json(client: TestClient) -> None:
    r = client.get("/?lang=en")
    raw = re.search(r'data-assistant-starters="([^"]*)"', r.text).group(1)
    assert json.loads(html.unescape(raw))[0] == {"title": "Find a product", "payload": "/start_finder"}
