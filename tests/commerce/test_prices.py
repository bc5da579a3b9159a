"""Customer-specific prices, anonymous list prices / price on request, price lists as rows and CSV."""

from __future__ import annotations

import csv
import io

import pytest

from assistant.commerce.prices import PriceService
from assistant.errors import InvalidInput, NotFound

from .conftest import ANNA, ANONYMOUS, EMMA


@pytest.fixture(scope="module")
def prices(repo):
    return PriceService(repo)


def test_customer_price_or_list_price(prices, repo):
    special = repo.customer_prices("K-10001", ["3S-1208", "QC-300-08", "HF-200-25"])
    for sku in ("3S-1208", "QC-300-08", "HF-200-25"):
        row = prices.price(ANNA, sku)
        list_price = repo.get_products([sku])[sku].list_price_eur
        assert row.price_eur == special.get(sku, list_price)
        assert row.is_customer_price == (sku in special)
    assert special, "the seed gives K-10001 some negotiated prices"


def test_anonymous_sees_list_price_or_on_request(repo):
    assert (
        PriceService(repo).price(ANONYMOUS, "3S-1208").price_eur
        == repo.get_products(["3S-1208"])["3S-1208"].list_price_eur
    )
    hidden = PriceService(repo, show_list_prices_to_anonymous=False).price(ANONYMOUS, "3S-1208")
    assert hidden.on_request
    assert "auf Anfrage" in PriceService.to_csv([hidden], "de")
    assert "on request" in PriceService.to_csv([hidden], "en")


def test_price_list_for_family_as_csv(prices):
    rows = prices.price_list(ANNA, family="seal")
    assert rows and all(r.sku.startswith(("OR-", "GS-")) for r in rows)
    parsed = list(csv.reader(io.StringIO(PriceService.to_csv(rows, "de")), delimiter=";"))
    assert parsed[0][0] == "Artikelnummer" and len(parsed) == len(rows) + 1
    assert "," in parsed[1][2]  # German decimal comma
    en = list(csv.reader(io.StringIO(PriceService.to_csv(prices.price_list(EMMA, family="seal"), "en"))))
    assert en[0][0] == "SKU" and "." in en[1][2]


def test_price_list_for_skus_and_bad_input(prices):
    rows = prices.price_list(ANNA, skus=["QC-300-08", "3s-1208", "ZZ-999"])
    assert [r.sku for r in rows] == ["QC-300-08", "3S-1208"]
    with pytest.raises(InvalidInput):
        prices.price_list(ANNA, family="toys")
    with pytest.raises(NotFound):
        prices.price(ANNA, "x' OR 1=1")
