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


def test_a_technician_sees_list_prices_like_a_visitor_not_the_accounts(prices, repo):
    from .conftest import JONAS

    special = repo.customer_prices("K-10001", ["3S-1208"])
    listed = repo.get_products(["3S-1208"])["3S-1208"].list_price_eur
    row = prices.price(JONAS, "3S-1208")
    assert "3S-1208" in special and row.price_eur == listed and not row.is_customer_price
    assert prices.price(ANNA, "3S-1208").price_eur == special["3S-1208"]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_price_list_cells_are_shown_never_run_as_formulas(prices, lang):
    from dataclasses import replace

    [row] = prices.price_list(ANNA, skus=["3S-1208"])
    hostile = replace(row, name='=HYPERLINK("http://evil.example","Klick")', price_unit="@SUM(1)\r\nx")
    cells = list(csv.reader(io.StringIO(PriceService.to_csv([hostile], lang)), delimiter=";" if lang == "de" else ","))
    assert cells[1][1].startswith("'=") and cells[1][3].startswith("'@") and "\r" not in cells[1][3]
    assert len(cells) == 2  # the line break in a cell did not start a row
