"""Importing BMEcat into today's catalogue: new catalogues, updates that change only what they name, reports,
refusals that change nothing, the commerce database, and the export that round-trips."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.catalog.export import catalogue_bmecat, export_product
from assistant.catalog.importer import CatalogImporter
from assistant.retrieval.loaders import load_all, load_products
from tests.catalog import samples
from tests.catalog.conftest import TODAY, snapshot


def rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["sku"]: r for r in csv.DictReader(fh)}


def new_catalogue(importer: CatalogImporter, *skus: str):
    report = importer.run(io.BytesIO(samples.catalog_2005([samples.product_2005(s) for s in skus])))
    assert report.ok, report.text("en")
    return report


def test_2005_etim_catalogue_becomes_rows_with_converted_units(importer, knowledge_dir, knowledge, repo):
    report = new_catalogue(importer, "4711020", "12.345.67")
    assert report.imported == ["4711020", "12.345.67"] and report.applied
    row = rows(knowledge_dir / "products-bmecat-vent-2026.csv")["12.345.67"]
    assert (row["family"], row["material"], row["seal_material"], row["connection"]) == (
        "valve", "Messing", "FKM", "G1/4")
    assert (row["temp_min_c"], row["temp_max_c"], row["pressure_max_bar"]) == ("-10", "80", "10")  # °F, psi
    assert (row["list_price_eur"], row["price_unit"], row["min_order_qty"], row["lead_time_days"]) == (
        "48.50", "piece", "2", "3")
    assert row["media"] == "air"
    assert report.unmapped == {"EF9000099": 2}
    # the loaders, and so the index, the finder and the answers, read it; the database has it
    assert knowledge.product("12.345.67").temp_max_c == 80
    assert repo.get_products(["12.345.67"])["12.345.67"].list_price_eur == Decimal("48.50")


def test_onto_features_with_irdis_and_inch_and_mpa(importer, knowledge_dir):
    report = importer.run(io.BytesIO(samples.catalog_2005([samples.onto_product("123 456 78")],
                                                          catalog_id="ONTO")))
    assert report.ok, report.text("en")
    row = rows(knowledge_dir / "products-bmecat-onto.csv")["123 456 78"]
    assert (row["family"], row["size"], row["pressure_max_bar"], row["media"], row["price_unit"]) == (
        "pneumatic_fitting", "6.4 mm", "15", "water", "pack10")
    assert report.unmapped == {"Farbe (0173-1#02-ZZZ050#001)": 1}
    assert report.products[0]["features"]["Farbe"] == "blau"


def test_12_catalogue_with_range_feature_in_fahrenheit(importer, knowledge_dir):
    report = importer.run(io.BytesIO(samples.catalog_12([samples.article_12("100 200 30")])))
    assert report.ok, report.text("en")
    row = rows(knowledge_dir / "products-bmecat-dicht-12.csv")["100 200 30"]
    assert (row["family"], row["temp_min_c"], row["temp_max_c"], row["pressure_max_bar"]) == (
        "seal", "-40", "150", "199.9")
    assert (row["certifications"], row["min_order_qty"], row["name_en"]) == (
        "FDA-21CFR177;RoHS", "100", "O-Ring 25 x 2 EPDM")


def test_report_names_skipped_products_with_path_and_reason(importer):
    no_temp = samples.product_2005("3", features=[("EF9000001", "Messing", ""), ("EF9000007", "10", "BAR")])
    unknown_class = samples.product_2005("4", group="EC0000000")
    bad_number = samples.product_2005("ab/12")
    report = importer.run(io.BytesIO(samples.catalog_2005(
        [samples.product_2005("1"), no_temp, unknown_class, bad_number, samples.product_2005("1")])))
    assert report.ok and report.imported == ["1"]
    by_path = {s.path: s.reason for s in report.skipped}
    assert "temperature" in by_path["/BMECAT/T_NEW_CATALOG/PRODUCT[2]"]
    assert "EC0000000" in by_path["/BMECAT/T_NEW_CATALOG/PRODUCT[3]"]
    assert "capital letters and digits" in by_path["/BMECAT/T_NEW_CATALOG/PRODUCT[4]"]
    assert by_path[
        "/BMECAT/T_NEW_CATALOG/PRODUCT[5]"] == "duplicate article number (first at /BMECAT/T_NEW_CATALOG/PRODUCT[1])"


def test_json_report_has_the_agreed_shape(importer):
    report = new_catalogue(importer, "4711020")
    data = json.loads(json.dumps(report.to_json()))
    product = data["products"][0]
    assert set(product) == {"sku", "name_de", "name_en", "prices", "features", "documents"}
    assert product["name_en"] == "Solenoid valve 2/2" and product["prices"][1]["lower_bound"] == "50"
    assert product["features"]["EF9000005"] == "14 FAH"
    assert product["documents"][0]["source"] == "datenblatt/4711020.pdf"
    assert data["unmapped_features"] == [{"feature": "EF9000099", "count": 1}] and data["skipped"] == []


def test_update_prices_changes_only_prices_and_re_embeds_nothing(importer, knowledge_dir, knowledge):
    new_catalogue(importer, "4711020", "12.345.67")
    before = rows(knowledge_dir / "products-bmecat-vent-2026.csv")
    docs_before = snapshot(knowledge_dir / "bmecat")
    report = importer.run(io.BytesIO(samples.update_prices({"4711020": "51.00"})))
    assert report.ok and report.updated == ["4711020"] and report.unchanged == 1
    after = rows(knowledge_dir / "products-bmecat-vent-2026.csv")
    assert after["4711020"]["list_price_eur"] == "51.00"
    assert {**after["4711020"], "list_price_eur": "48.50"} == before["4711020"]
    assert after["12.345.67"] == before["12.345.67"]
    docs_after = snapshot(knowledge_dir / "bmecat")
    assert {k: v for k, v in docs_after.items() if k.endswith(".md")} == {
        k: v for k, v in docs_before.items() if k.endswith(".md")}
    record = json.loads(next(line for line in (knowledge_dir / "bmecat/vent-2026/catalog.jsonl").read_text(
        "utf-8").splitlines() if '"4711020"' in line))
    assert record["gtin"] == "4012345678901" and record["prices"][0]["amount"] == "51.00"
    assert knowledge.build().embedded == 0


def test_update_products_changes_only_the_named_products_and_sections(importer, knowledge_dir):
    new_catalogue(importer, "4711020", "12.345.67")
    before = rows(knowledge_dir / "products-bmecat-vent-2026.csv")
    renamed = ('<PRODUCT mode="update"><SUPPLIER_PID>12.345.67</SUPPLIER_PID><PRODUCT_DETAILS>'
               '<DESCRIPTION_SHORT lang="deu">Magnetventil neu</DESCRIPTION_SHORT>'
               '<DESCRIPTION_SHORT lang="eng">Solenoid valve new</DESCRIPTION_SHORT><DELIVERY_TIME>3</DELIVERY_TIME>'
               '</PRODUCT_DETAILS></PRODUCT>')  # an update replaces the sections it names, whole
    added = samples.product_2005("999", mode="new")
    deleted = '<PRODUCT mode="delete"><SUPPLIER_PID>4711020</SUPPLIER_PID></PRODUCT>'
    report = importer.run(io.BytesIO(samples.catalog_2005([renamed, added, deleted],
                                                          transaction="T_UPDATE_PRODUCTS")))
    assert report.ok, report.text("en")
    assert (report.updated, report.imported, report.removed) == (["12.345.67"], ["999"], ["4711020"])
    after = rows(knowledge_dir / "products-bmecat-vent-2026.csv")
    assert after["12.345.67"]["name_de"] == "Magnetventil neu"
    assert {**after["12.345.67"], "name_de": before["12.345.67"]["name_de"],
            "name_en": before["12.345.67"]["name_en"]} == before["12.345.67"]  # features, prices kept


def test_an_update_before_the_catalogue_is_refused(importer, knowledge_dir):
    before = snapshot(knowledge_dir)
    report = importer.run(io.BytesIO(samples.update_prices({"1": "2.00"})))
    assert report.error[0] == "no_catalogue_to_update"
    assert "zuerst T_NEW_CATALOG" in report.message("de") and "import its T_NEW_CATALOG" in report.message("en")
    assert snapshot(knowledge_dir) == before


@pytest.mark.parametrize("data", [samples.BILLION_LAUGHS, samples.EXTERNAL_ENTITY, samples.DTD_FETCH])
def test_hostile_files_are_refused_and_change_nothing(importer, knowledge_dir, data):
    before = snapshot(knowledge_dir)
    report = importer.run(io.BytesIO(data))
    assert not report.ok and report.message("de").startswith("Abgelehnt")
    assert report.message("en").startswith("Refused")
    assert snapshot(knowledge_dir) == before


def test_new_catalogue_replaces_the_suppliers_articles(importer, knowledge_dir, repo):
    new_catalogue(importer, "4711020", "12.345.67")
    report = new_catalogue(importer, "12.345.67", "555")
    assert (report.imported, report.removed) == (["555"], ["4711020"])
    assert set(rows(knowledge_dir / "products-bmecat-vent-2026.csv")) == {"12.345.67", "555"}
    assert not list((knowledge_dir / "bmecat/vent-2026").glob("bmecat-vent-2026-4711020-*.md"))
    assert repo.get_products(["4711020"])["4711020"].status == "discontinued"  # orders still name it


def test_dry_run_changes_nothing_and_reports(importer, knowledge_dir, repo):
    before = snapshot(knowledge_dir)
    report = importer.run(io.BytesIO(samples.catalog_2005([samples.product_2005("1")])), dry_run=True)
    assert report.ok and report.imported == ["1"] and not report.applied
    assert "Probelauf" in report.text("de") and "Dry run" in report.text("en")
    assert snapshot(knowledge_dir) == before and repo.get_products(["1"]) == {}


def test_an_article_of_another_product_file_is_not_taken_over(importer, knowledge_dir):
    report = importer.run(io.BytesIO(samples.catalog_2005([samples.product_2005("3S-1208"),
                                                           samples.product_2005("1")])))
    assert report.imported == ["1"]
    assert report.skipped[0].reason == "article number already in another product file"


def test_a_failing_index_build_puts_everything_back(knowledge_dir, repo):
    class Broken:
        def build(self):
            raise RuntimeError("disk full")

    before = snapshot(knowledge_dir)
    report = CatalogImporter(knowledge_dir, knowledge=Broken(), repository=repo, today=TODAY).run(
        io.BytesIO(samples.catalog_2005([samples.product_2005("1")])))
    assert report.error[0] == "apply_failed" and "nichts wurde geändert" in report.message("de")
    assert snapshot(knowledge_dir) == before and repo.get_products(["1"]) == {}


def test_a_failing_database_puts_the_files_back(importer, knowledge_dir, knowledge):
    new_catalogue(importer, "1")
    before = snapshot(knowledge_dir)

    class Down:
        def upsert_products(self, rows):
            raise ConnectionError("database down")

    importer._repository = Down()
    report = importer.run(io.BytesIO(samples.update_prices({"1": "9.99"})))
    assert report.error[0] == "commerce" and snapshot(knowledge_dir) == before
    assert knowledge.product("1").list_price_eur == 48.5


def test_a_catalogue_that_would_break_a_document_is_refused(importer, knowledge_dir):
    """Articles that a hand-written datasheet lists may not disappear with a new catalogue: the check sees it."""
    new_catalogue(importer, "1", "2")
    (knowledge_dir / "datasheets" / "ds-imported.md").write_text(
        "---\nid: ds-imported\ntype: guide\nlanguage: de\ntitle: Hinweise\nproducts: [2]\n---\nText.\n", "utf-8")
    before = snapshot(knowledge_dir)
    report = new_catalogue_report = importer.run(io.BytesIO(samples.catalog_2005([samples.product_2005("1")])))
    assert new_catalogue_report.error[0] == "invalid"
    assert any("unknown article" in i.message for i in report.issues)
    assert snapshot(knowledge_dir) == before


def test_export_round_trips_into_an_empty_catalogue(tmp_path, repo, knowledge):
    """Demo catalogue -> BMEcat 2005 -> import into an empty knowledge folder: the same products and prices."""
    demo = Path(__file__).parents[2] / "knowledge"
    products, _, _ = load_products(demo / "products.csv", demo)
    data = catalogue_bmecat([export_product(p, Decimal(f"{p.list_price_eur:.2f}"), price_type="net_customer",
                                            valid_from=TODAY) for p in products],
                            catalog_id="K-10001-2026-11-25", name="Preisliste", buyer="Müller",
                            generated=datetime(2026, 11, 25, 9))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "bmecat-mapping.yml").write_bytes((demo / "bmecat-mapping.yml").read_bytes())

    class NoIndex:
        def build(self):
            return None

    report = CatalogImporter(empty, knowledge=NoIndex(), repository=repo, today=TODAY).run(io.BytesIO(data))
    assert report.ok and not report.skipped and len(report.imported) == len(products)
    back = {p.sku: asdict(p) for p in load_all(empty).products}
    for product in products:
        original = asdict(product)
        again = back[product.sku]
        assert {k: v for k, v in again.items() if k not in ("stock_qty", "datasheet_id")} == {
            k: v for k, v in original.items() if k not in ("stock_qty", "datasheet_id")}
