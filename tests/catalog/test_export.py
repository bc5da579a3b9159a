"""The buyer's "Preisliste als BMEcat": a signed link to a BMEcat 2005 T_NEW_CATALOG of the account's articles
with its own prices (net_customer), that a procurement system can import, checked structurally and by re-import."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from assistant.actions.prices import ActionPriceList
from assistant.catalog.bmecat import Header, Item, read_bmecat
from assistant.commerce.links import LinkSigner
from assistant.commerce.prices import price_list_subject_id
from assistant.gateway import documents as documents_route
from assistant.gateway.app import create_app
from assistant.retrieval import service as knowledge_service
from assistant.retrieval.loaders import load_products
from assistant.settings import PROJECT_ROOT
from tests.actions.helpers import run, tracker
from tests.actions.orders_support import ANNA, services


class Catalogue:
    def products(self):
        root = PROJECT_ROOT / "knowledge"
        return load_products(root / "products.csv", root)[0]


@pytest.fixture
def client(monkeypatch) -> TestClient:
    monkeypatch.setattr(documents_route, "get_repository", lambda: services().repo)
    monkeypatch.setattr(knowledge_service, "get_knowledge_service", lambda: Catalogue())
    return TestClient(create_app(), raise_server_exceptions=False)


def test_account_price_list_as_bmecat_has_the_accounts_prices(client) -> None:
    repo = services().repo
    token = LinkSigner().sign(price_list_subject_id(None, []), "K-10001")
    r = client.get(f"/api/pricelists/{token}/bmecat")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert r.headers["cache-control"] == "private, no-store"
    parsed = list(read_bmecat(io.BytesIO(r.content)))
    header, items = parsed[0], [i for i in parsed[1:] if isinstance(i, Item)]
    assert isinstance(header, Header) and (header.version, header.transaction) == ("2005", "T_NEW_CATALOG")
    own = repo.customer_prices("K-10001", repo.customer_price_skus("K-10001"))
    assert own and {i.sku for i in items} == set(own)
    for item in items:
        [price] = item.prices
        assert (price.price_type, price.amount, price.currency) == ("net_customer", own[item.sku], "EUR")
        assert price.valid_from is not None and item.names["de"] and item.names["en"]
        assert not item.problems


def test_structure_follows_the_2005_schema_order(client) -> None:
    """Own structural checks (the BME's XSD is not shipped): root, namespace, header and product element order."""
    from defusedxml import ElementTree as ET

    token = LinkSigner().sign(price_list_subject_id("seal", []), "K-10001")
    root = ET.fromstring(client.get(f"/api/pricelists/{token}/bmecat").content)
    ns = "{http://www.bmecat.org/bmecat/2005}"
    assert root.tag == f"{ns}BMECAT" and root.get("version") == "2005"
    assert [c.tag.removeprefix(ns) for c in root] == ["HEADER", "T_NEW_CATALOG"]
    catalog = root.find(f"{ns}HEADER/{ns}CATALOG")
    order = [c.tag.removeprefix(ns) for c in catalog]
    assert order.index("LANGUAGE") < order.index("CATALOG_ID") < order.index("CATALOG_VERSION")
    product = root.find(f"{ns}T_NEW_CATALOG/{ns}PRODUCT")
    sections = [c.tag.removeprefix(ns) for c in product]
    expected = ["SUPPLIER_PID", "PRODUCT_DETAILS", "PRODUCT_FEATURES", "PRODUCT_ORDER_DETAILS",
                "PRODUCT_PRICE_DETAILS"]
    assert [s for s in sections if s in expected] == expected
    assert product.find(f"{ns}PRODUCT_PRICE_DETAILS/{ns}PRODUCT_PRICE/{ns}PRICE_AMOUNT").text.count(".") == 1


def test_foreign_or_expired_links_are_refused(client) -> None:
    expired = LinkSigner().sign(price_list_subject_id(None, []), "K-10001", ttl_s=-10)
    assert client.get(f"/api/pricelists/{expired}/bmecat").status_code == 410
    token = LinkSigner().sign(price_list_subject_id(None, []), "K-10001")
    assert client.get(f"/api/pricelists/{token[:-2]}xx/bmecat").status_code == 403


@pytest.mark.parametrize(("text", "language", "title"), [
    ("Preisliste als BMEcat bitte", "de", "Preisliste als BMEcat 2005"),
    ("price list as BMEcat please", "en", "Price list as BMEcat 2005"),
])
async def test_buyer_asks_for_bmecat_and_gets_both_links(text: str, language: str, title: str) -> None:
    dispatcher, _ = await run(ActionPriceList(services().prices), tracker(text, "price_list", ANNA,
                                                                          language=language))
    documents = [m["custom"] for m in dispatcher.messages if m.get("custom", {}).get("type") == "documents"]
    assert documents, dispatcher.messages
    items = documents[0]["items"]
    bmecat = next(i for i in items if i["title"].startswith(title))
    assert "/bmecat?" in bmecat["url"] and any(i["url"].endswith(f"lang={language}") for i in items)
    token = bmecat["url"].split("/api/pricelists/")[1].split("/")[0]
    assert LinkSigner().verify(token).document_id == "pricelist:account"


async def test_a_visitor_asking_for_bmecat_gets_no_account_list() -> None:
    dispatcher, _ = await run(ActionPriceList(services().prices), tracker("Preisliste als BMEcat", "price_list"))
    assert not [m for m in dispatcher.messages if m.get("custom", {}).get("type") == "documents"]


def test_account_prices_are_decimal_amounts() -> None:
    repo = services().repo
    skus = repo.customer_price_skus("K-10001")
    assert skus == sorted(skus) and all(isinstance(v, Decimal) for v in repo.customer_prices("K-10001", skus).values())
