"""Reading BMEcat 1.2 and 2005 (both feature styles), and refusing hostile XML."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from assistant.catalog.bmecat import BmecatError, Header, Item, read_bmecat
from tests.catalog import samples


def read(data: bytes) -> tuple[Header, list[Item]]:
    out = list(read_bmecat(io.BytesIO(data)))
    header = out[0]
    assert isinstance(header, Header)
    return header, [i for i in out[1:] if isinstance(i, Item)]


def test_2005_classic_features_names_prices_documents():
    header, items = read(samples.catalog_2005([samples.product_2005("4711020"), samples.product_2005("12.345.67")]))
    assert (header.version, header.transaction, header.catalog_id, header.languages) == (
        "2005", "T_NEW_CATALOG", "VENT-2026", ("de", "en"))
    first = items[0]
    assert first.path == "/BMECAT/T_NEW_CATALOG/PRODUCT[1]" and items[1].sku == "12.345.67"
    assert first.names == {"de": "Magnetventil 2/2", "en": "Solenoid valve 2/2"}
    assert (first.gtin, first.manufacturer_pid, first.delivery_days) == ("4012345678901", "MV-4711020", Decimal(3))
    assert first.keywords == {"de": ["Ventil"], "en": ["valve"]}
    assert [(p.amount, p.lower_bound) for p in first.prices] == [(Decimal("48.50"), 1), (Decimal("40.00"), 50)]
    assert first.prices[0].valid_to.isoformat() == "2099-12-31" and first.prices[0].territories == ("DE",)
    assert (first.quantity_min, first.quantity_interval) == (Decimal(2), Decimal(2))
    temp = next(f for f in first.features if f.key == "EF9000006")
    assert (temp.values, temp.unit, temp.system, temp.group) == (("176",), "FAH", "ETIM-9.0", "EC9000001")
    assert first.documents[0].purpose == "data_sheet"


def test_2005_onto_features_ftemplate_and_value_idref():
    _, [item] = read(samples.catalog_2005([samples.onto_product("123 456 78")],
                                          namespace="http://www.bmecat.org/bmecat/2005+onto"))
    by_key = {f.key: f for f in item.features}
    medium = by_key["0173-1#02-ZZZ009#001"]
    assert medium.value_ids == ("0173-1#07-ZZZ901#001",) and medium.values == ("Wasser",)
    assert medium.name("de") == "Medium"
    assert by_key["0173-1#02-ZZZ004#001"].unit == "INH"
    assert ("ECLASS-12.0", "0173-1#01-ZZZ100#001") in item.groups


def test_12_articles_with_a_plain_doctype_are_read_like_2005():
    header, [item] = read(samples.catalog_12([samples.article_12("100 200 30")]))
    assert (header.version, header.catalog_id) == ("1.2", "DICHT-12")
    assert item.path == "/BMECAT/T_NEW_CATALOG/ARTICLE[1]"
    assert (item.sku, item.names, item.gtin, item.manufacturer_pid) == (
        "100 200 30", {"de": "O-Ring 25 x 2 EPDM"}, "4000000000017", "OR25-EP")
    assert item.prices[0].amount == Decimal("0.85") and item.prices[0].currency == "EUR"
    assert {f.key for f in item.features} >= {"Werkstoff", "Temperaturbereich"}


def test_a_product_with_a_broken_number_is_reported_not_fatal():
    broken = samples.product_2005("1").replace("<PRICE_AMOUNT>48.50", "<PRICE_AMOUNT>viel")
    _, items = read(samples.catalog_2005([broken, samples.product_2005("2")]))
    assert items[0].problems and "PRICE_AMOUNT" in items[0].problems[0]
    assert not items[1].problems


@pytest.mark.parametrize(("data", "code"), [
    (samples.BILLION_LAUGHS, "hostile_dtd_subset"),
    (samples.EXTERNAL_ENTITY, "hostile_dtd_subset"),
    (samples.DTD_FETCH, "hostile_dtd_fetch"),
    (b"<BMECAT version='2005'><HEADER>", "not_xml"),
    (b"<catalog/>", "not_bmecat"),
    (b"<BMECAT version='3.0'/>", "unsupported_version"),
    (b"<BMECAT version='2005'><HEADER><CATALOG><CATALOG_ID>A</CATALOG_ID></CATALOG></HEADER></BMECAT>",
     "no_transaction"),
])
def test_files_that_cannot_be_imported_are_refused_with_a_reason(data: bytes, code: str):
    with pytest.raises(BmecatError) as err:
        list(read_bmecat(io.BytesIO(data)))
    assert err.value.code == code


def test_entities_are_refused_even_without_the_doctype_check(monkeypatch):
    """defusedxml is the second line: with the DOCTYPE check off, entity declarations still fail."""
    from assistant.catalog.bmecat import reader

    monkeypatch.setattr(reader._Parser, "_check_doctype", lambda self, *a: None)
    for data in (samples.BILLION_LAUGHS, samples.EXTERNAL_ENTITY):
        with pytest.raises(BmecatError) as err:
            list(read_bmecat(io.BytesIO(data)))
        assert err.value.code == "hostile_entities"


def test_memory_does_not_grow_with_the_file():
    """Read products are removed from the tree: it holds at most the products of one parser chunk (64 KiB)."""
    from assistant.catalog.bmecat import reader

    seen: list[int] = []
    original = reader._drop

    def spy(parent, el):
        original(parent, el)
        seen.append(len(parent))

    reader._drop = spy
    try:
        read(samples.catalog_2005([samples.product_2005(str(n)) for n in range(1, 2001)]))
    finally:
        reader._drop = original
    assert len(seen) == 2000 and max(seen) < 40
