"""The catalogue and the datasheets must tell the same story.

Retrieval quotes the datasheets, the product finder filters the CSV and the shop sells
from it: a temperature that differs between the two is a wrong answer to a customer.
These tests read the real files under knowledge/ and fail on real inconsistencies.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import frontmatter
import pytest
import yaml
from pypdf import PdfReader

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
DATASHEETS = KNOWLEDGE / "datasheets"

COLUMNS = [
    "sku", "name_de", "name_en", "family", "series", "material", "seal_material", "connection", "size",
    "temp_min_c", "temp_max_c", "pressure_max_bar", "certifications", "media", "industries", "status",
    "successor_sku", "list_price_eur", "price_unit", "min_order_qty", "lead_time_days", "stock_qty",
    "datasheet_id",
]
OPTIONAL = {"seal_material", "certifications", "media", "successor_sku"}
SKU_RE = re.compile(r"^[A-Z0-9]{2,5}-[0-9]{3,4}(-[0-9A-Z]{2,3})?$")
ID_RE = re.compile(r"^[a-z0-9-]+$")
FAMILIES = {"pneumatic_fitting", "hygienic_fitting", "hydraulic_coupling", "hydraulic_fitting", "hose", "seal", "valve",
            "drive"}
CERTS = {"FDA-21CFR177", "EU-1935/2004", "EHEDG", "3-A", "USP-ClassVI", "ATEX", "REACH", "RoHS", "DVGW",
         "ISO8434", "SAE-J517"} | {f"ISO14644-{n}" for n in range(1, 10)}
MEDIA = {"air", "vacuum", "water", "steam", "hydraulic_oil", "food", "beverage", "cip_detergent", "chemicals",
         "inert_gas", "lubricant", "dust"}
INDUSTRIES = {"food_beverage", "pharma", "packaging", "mobile_hydraulics", "chemical", "machine_building",
              "automotive", "water_treatment", "cleanroom", "logistics"}
PRICE_UNITS = {"piece", "m", "pack10", "pack100"}
FRONT_MATTER = ["id", "type", "language", "title", "products", "families", "industries", "updated"]

NUM = r"[+-]?\d+(?:[.,]\d+)?"
TEMP_RE = re.compile(rf"^({NUM})\s*(?:…|\.\.\.?|to|bis)\s*({NUM})\s*°C$")
PRESSURE_RE = re.compile(rf"^({NUM})\s*bar$")
DASHES = {"–", "-", "—", "n/a"}
SKU_HEADERS = {"artikel-nr.", "article no."}
TEMP_HEADERS = {"temperatur", "temperature"}
PRESSURE_HEADERS = {"max. druck", "max. pressure"}
RANGE_ROWS = {"temperaturbereich", "temperature range"}
PMAX_ROWS = {"max. betriebsdruck", "max. working pressure"}


# ---------------------------------------------------------------------------------------------- loading
@cache
def catalogue() -> tuple[list[str], list[dict[str, str]]]:
    with (KNOWLEDGE / "products.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def rows() -> list[dict[str, str]]:
    return catalogue()[1]


@cache
def by_sku() -> dict[str, dict[str, str]]:
    return {r["sku"]: r for r in rows()}


@cache
def markdown_sheets() -> dict[str, frontmatter.Post]:
    return {p.stem: frontmatter.load(p) for p in sorted(DATASHEETS.glob("*.md"))}


@cache
def pdf_only_meta() -> dict[str, dict]:
    metas = {}
    for p in sorted(DATASHEETS.glob("*.meta.yml")):
        metas[p.name.removesuffix(".meta.yml")] = yaml.safe_load(p.read_text(encoding="utf-8"))
    return metas


def all_meta() -> dict[str, dict]:
    metas = {k: dict(v.metadata) for k, v in markdown_sheets().items()}
    metas.update(pdf_only_meta())
    return metas


@cache
def pdf_text(path: Path) -> tuple[int, str]:
    reader = PdfReader(path)
    return len(reader.pages), " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def split_list(value: str) -> list[str]:
    return [v for v in value.split(";") if v]


def number(text: str) -> float:
    return float(text.replace(",", "."))


# ------------------------------------------------------------------------------------ table checking
def markdown_tables(body: str) -> list[list[list[str]]]:
    """Pipe tables of a Markdown body as lists of rows (header first, separator dropped)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*body.splitlines(), ""]:
        if line.strip().startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def parse_temp(cell: str) -> tuple[float, float] | None:
    m = TEMP_RE.match(cell.strip())
    return (number(m.group(1)), number(m.group(2))) if m else None


def parse_pressure(cell: str) -> float | None:
    if cell.strip() in DASHES:
        return 0.0
    m = PRESSURE_RE.match(cell.strip())
    return number(m.group(1)) if m else None


def table_problems(ds_id: str, body: str, products: list[str], csv_by_sku: dict[str, dict[str, str]]) -> list[str]:
    """Every difference between the datasheet's tables and the catalogue, as readable messages."""
    problems: list[str] = []
    seen: set[str] = set()
    for table in markdown_tables(body):
        header = [h.lower() for h in table[0]]
        if header and header[0] in SKU_HEADERS and (TEMP_HEADERS & set(header)):
            t_col = next(i for i, h in enumerate(header) if h in TEMP_HEADERS)
            p_col = next((i for i, h in enumerate(header) if h in PRESSURE_HEADERS), None)
            for row in table[1:]:
                sku = row[0]
                seen.add(sku)
                if sku not in csv_by_sku:
                    problems.append(f"{ds_id}: table row {sku} is not in products.csv")
                    continue
                if sku not in products:
                    problems.append(f"{ds_id}: table row {sku} is not in the front matter products")
                r = csv_by_sku[sku]
                temp = parse_temp(row[t_col])
                want = (float(r["temp_min_c"]), float(r["temp_max_c"]))
                if temp != want:
                    problems.append(f"{ds_id}: {sku} temperature {row[t_col]!r} != CSV {want}")
                if p_col is not None:
                    p = parse_pressure(row[p_col])
                    if p != float(r["pressure_max_bar"]):
                        problems.append(f"{ds_id}: {sku} pressure {row[p_col]!r} != CSV {r['pressure_max_bar']}")
        elif len(header) == 2:  # property table: a value stated for the whole datasheet holds for every article
            for label, value in table[1:]:
                key = label.lower()
                for sku in products:
                    r = csv_by_sku.get(sku)
                    if r is None:
                        continue
                    if key in RANGE_ROWS and parse_temp(value) != (float(r["temp_min_c"]), float(r["temp_max_c"])):
                        problems.append(f"{ds_id}: general temperature range {value!r} does not hold for {sku}")
                    if key in PMAX_ROWS and parse_pressure(value) != float(r["pressure_max_bar"]):
                        problems.append(f"{ds_id}: general max. pressure {value!r} does not hold for {sku}")
    for sku in products:
        if sku not in seen:
            problems.append(f"{ds_id}: {sku} has no row in the technical data table")
    return problems


# ------------------------------------------------------------------------------------------- the CSV
def test_csv_has_exactly_the_contract_columns_in_order():
    header, data = catalogue()
    assert header == COLUMNS
    assert all(None not in r and len(r) == len(COLUMNS) for r in data), "a row has too many or too few fields"


def test_catalogue_size_and_family_coverage():
    families = Counter(r["family"] for r in rows())
    assert len(rows()) >= 90
    assert set(families) == FAMILIES
    assert min(families.values()) >= 4, families  # the cutting-ring fittings are a family of four


def test_required_fields_are_filled():
    for r in rows():
        empty = [c for c in COLUMNS if c not in OPTIONAL and not r[c].strip()]
        assert not empty, f"{r['sku']}: empty {empty}"
        # drive parts carry no medium; every fluid part must name at least one
        if r["family"] != "drive":
            assert r["media"], f"{r['sku']}: media empty"


def test_skus_are_unique_and_well_formed():
    skus = [r["sku"] for r in rows()]
    dupes = [s for s, n in Counter(skus).items() if n > 1]
    assert not dupes
    bad = [s for s in skus if not SKU_RE.match(s)]
    assert not bad


def test_values_come_from_the_code_lists():
    for r in rows():
        sku = r["sku"]
        assert r["family"] in FAMILIES, sku
        assert r["status"] in {"active", "discontinued"}, sku
        assert r["price_unit"] in PRICE_UNITS, sku
        assert set(split_list(r["certifications"])) <= CERTS, (sku, r["certifications"])
        assert set(split_list(r["media"])) <= MEDIA, (sku, r["media"])
        assert split_list(r["industries"]) and set(split_list(r["industries"])) <= INDUSTRIES, sku
        assert ID_RE.match(r["datasheet_id"]), sku


def test_numbers_are_numbers_and_plausible():
    for r in rows():
        sku = r["sku"]
        tmin, tmax, p = float(r["temp_min_c"]), float(r["temp_max_c"]), float(r["pressure_max_bar"])
        assert -273 < tmin < tmax <= 400, sku
        assert p >= 0, sku
        assert re.fullmatch(r"\d+\.\d{2}", r["list_price_eur"]) and float(r["list_price_eur"]) > 0, sku
        for col in ("min_order_qty", "lead_time_days", "stock_qty"):
            assert re.fullmatch(r"\d+", r[col]), (sku, col)
        assert int(r["min_order_qty"]) >= 1, sku
        if r["family"] != "drive" and r["family"] != "seal":
            assert p > 0, f"{sku}: a fluid component needs a pressure rating"
        if r["family"] == "drive":
            assert p == 0, f"{sku}: drive parts are not pressure-rated"


def test_discontinued_articles_have_an_active_successor_of_the_same_family():
    discontinued = [r for r in rows() if r["status"] == "discontinued"]
    assert 6 <= len(discontinued) <= 12
    for r in discontinued:
        succ = by_sku().get(r["successor_sku"])
        assert succ is not None, f"{r['sku']}: successor {r['successor_sku']!r} missing"
        assert succ["status"] == "active", r["sku"]
        assert succ["family"] == r["family"], r["sku"]
    for r in rows():
        if r["status"] == "active":
            assert not r["successor_sku"], f"{r['sku']}: active article with successor"


def test_stock_and_lead_time_vary():
    assert any(r["stock_qty"] == "0" and r["status"] == "active" for r in rows())
    assert len({r["lead_time_days"] for r in rows()}) >= 3
    assert len({r["list_price_eur"] for r in rows()}) > len(rows()) // 2


# ------------------------------------------------------------------- the combinations the demos ask
def _certs(r: dict[str, str]) -> set[str]:
    return set(split_list(r["certifications"]))


def test_demo_articles_exist():
    assert by_sku()["3S-1208"]["family"] == "pneumatic_fitting"
    assert "12 mm" in by_sku()["3S-1208"]["size"]
    assert by_sku()["QC-300-08"]["family"] == "hydraulic_coupling"
    assert by_sku()["QC-300-08"]["series"] == "QC-300"


def test_food_temperature_question_discriminates():
    food = [r for r in rows() if r["status"] == "active" and {"FDA-21CFR177", "EU-1935/2004"} <= _certs(r)
            and r["family"] in {"hygienic_fitting", "pneumatic_fitting"}]
    hot = [r for r in food if r["material"].startswith("1.4404") and float(r["temp_max_c"]) >= 120]
    assert {r["family"] for r in hot} == {"hygienic_fitting", "pneumatic_fitting"}  # clamp and push-in
    assert any(float(r["temp_max_c"]) < 120 for r in food), "no food fitting stops below 120 °C"
    assert len({float(r["temp_max_c"]) for r in food}) >= 3


def test_hydraulic_pressure_question_discriminates():
    couplings = [r for r in rows() if r["family"] == "hydraulic_coupling" and r["status"] == "active"]
    pressures = {float(r["pressure_max_bar"]) for r in couplings}
    assert 250 in pressures and max(pressures) >= 350
    assert any(float(r["pressure_max_bar"]) < 350 and r["series"].startswith("QC") for r in couplings)


def test_atex_cleanroom_and_seal_materials():
    assert sum(1 for r in rows() if r["family"] == "valve" and "ATEX" in _certs(r)) >= 3
    cleanroom = [r for r in rows() if "ISO14644-5" in _certs(r)]
    assert cleanroom and all("pharma" in r["industries"] for r in cleanroom)
    assert any(r["family"] == "pneumatic_fitting" for r in cleanroom)
    seals = {r["material"]: r for r in rows() if r["family"] == "seal" and r["series"].startswith("OR-")}
    assert "hydraulic_oil" not in seals["EPDM"]["media"] and "steam" in seals["EPDM"]["media"]
    assert "hydraulic_oil" in seals["FKM"]["media"] and "steam" not in seals["FKM"]["media"]
    assert (float(seals["PTFE"]["temp_min_c"]), float(seals["PTFE"]["temp_max_c"])) == (-200, 260)


def test_hoses_cover_steam_food_and_hydraulics():
    hoses = [r for r in rows() if r["family"] == "hose" and r["status"] == "active"]
    for medium in ("steam", "food", "hydraulic_oil", "air"):
        assert any(medium in split_list(r["media"]) for r in hoses), medium
    assert any(r["price_unit"] == "m" for r in hoses)


# -------------------------------------------------------------------------------------- datasheets
def test_every_datasheet_id_resolves_to_a_document():
    for ds_id in {r["datasheet_id"] for r in rows()}:
        has_md = (DATASHEETS / f"{ds_id}.md").exists()
        has_pdf_only = (DATASHEETS / f"{ds_id}.pdf").exists() and (DATASHEETS / f"{ds_id}.meta.yml").exists()
        assert has_md or has_pdf_only, ds_id
        assert not (has_md and (DATASHEETS / f"{ds_id}.meta.yml").exists()), f"{ds_id}: md and sidecar"


def test_datasheet_counts_and_languages():
    md = markdown_sheets()
    assert len(md) >= 42
    english = sum(1 for post in md.values() if post["language"] == "en")
    assert 0.15 <= english / len(md) <= 0.4
    assert len(pdf_only_meta()) >= 2
    for ds_id in pdf_only_meta():
        assert not (DATASHEETS / f"{ds_id}.md").exists()


@pytest.mark.parametrize("ds_id", sorted(all_meta()))
def test_front_matter_is_complete_and_true(ds_id: str):
    meta = all_meta()[ds_id]
    assert set(FRONT_MATTER) <= set(meta), set(FRONT_MATTER) - set(meta)
    assert meta["id"] == ds_id and ID_RE.match(ds_id)
    assert meta["type"] == "datasheet"
    assert meta["language"] in {"de", "en"}
    assert isinstance(meta["title"], str) and meta["title"].strip()
    assert isinstance(meta["updated"], dt.date)
    products = meta["products"]
    assert products and all(p in by_sku() for p in products), [p for p in products if p not in by_sku()]
    # the front matter lists exactly the articles whose datasheet_id points here
    assert set(products) == {r["sku"] for r in rows() if r["datasheet_id"] == ds_id}
    assert set(meta["families"]) == {by_sku()[p]["family"] for p in products}
    assert set(meta["industries"]) <= INDUSTRIES
    assert set(meta["industries"]) == {i for p in products for i in split_list(by_sku()[p]["industries"])}


@pytest.mark.parametrize("ds_id", sorted(markdown_sheets()))
def test_datasheet_tables_agree_with_the_catalogue(ds_id: str):
    post = markdown_sheets()[ds_id]
    assert post.content.lstrip().startswith("# ")
    assert re.search(r"^## (Technische Daten|Technical data)$", post.content, re.M)
    assert table_problems(ds_id, post.content, post["products"], by_sku()) == []


def test_table_check_catches_a_wrong_number():
    """The checker itself must fail on a datasheet that disagrees with the CSV."""
    post = markdown_sheets()["ds-3s-push-in"]
    good = post.content
    assert table_problems("x", good, post["products"], by_sku()) == []
    row = "| 3S-1208 | Steckverschraubung gerade 12 mm x G1/2 | G1/2 x 12 mm tube | 12 mm | -20 … +80 °C"
    wrong_temp = good.replace(row, row.replace("+80 °C", "+120 °C"))
    assert wrong_temp != good
    assert any("3S-1208 temperature" in p for p in table_problems("x", wrong_temp, post["products"], by_sku()))
    wrong_general = good.replace("| Max. Betriebsdruck | 15 bar |", "| Max. Betriebsdruck | 16 bar |")
    assert wrong_general != good
    assert table_problems("x", wrong_general, post["products"], by_sku())
    missing_row = "\n".join(line for line in good.splitlines() if not line.startswith("| 3S-0405 | Steck"))
    assert any("3S-0405 has no row" in p for p in table_problems("x", missing_row, post["products"], by_sku()))


@pytest.mark.parametrize("ds_id", sorted(markdown_sheets()))
def test_discontinued_articles_are_named_with_their_successor(ds_id: str):
    post = markdown_sheets()[ds_id]
    for sku in post["products"]:
        r = by_sku()[sku]
        if r["status"] == "discontinued":
            assert re.search(rf"{re.escape(sku)}\b.*{re.escape(r['successor_sku'])}", post.content), sku


# --------------------------------------------------------------------------------------------- PDFs
def test_pdf_counts():
    pdfs = sorted(DATASHEETS.glob("*.pdf"))
    with_md = [p for p in pdfs if p.with_suffix(".md").exists()]
    assert len(with_md) >= 10
    assert sum(1 for p in pdfs if pdf_text(p)[0] > 1) >= 3
    for p in pdfs:
        assert p.stem in all_meta(), f"{p.name} has neither Markdown nor a meta sidecar"
        assert p.stat().st_size < 100_000, f"{p.name} is too large for a content file"


def _signed(value: str) -> str:
    return f"+{value}" if float(value) > 0 else value


@pytest.mark.parametrize("pdf", sorted(p.name for p in DATASHEETS.glob("*.pdf")))
def test_pdf_text_is_extractable_and_names_its_articles(pdf: str):
    path = DATASHEETS / pdf
    meta = all_meta()[path.stem]
    pages, text = pdf_text(path)
    assert pages >= 1 and len(text) > 500
    assert meta["title"].replace("≤", "<=") in text
    for sku in meta["products"]:
        assert sku in text, f"{pdf}: {sku} missing"
    temps = {(r["temp_min_c"], r["temp_max_c"]) for r in (by_sku()[s] for s in meta["products"])}
    for tmin, tmax in temps:
        shown = f"{_signed(tmin)} … {_signed(tmax)} °C"
        assert shown in text, f"{pdf}: temperature range {shown} missing"


def test_pdfs_are_regenerated_after_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A committed PDF that differs from what the generator makes now is stale."""
    spec = importlib.util.spec_from_file_location("make_datasheet_pdfs", KNOWLEDGE / "tools" / "make_datasheet_pdfs.py")
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, tool)  # dataclasses look their module up there
    spec.loader.exec_module(tool)
    data = tool.load_catalogue()
    stale = []
    for ds_id in [*tool.FROM_MARKDOWN, *tool.PDF_ONLY]:
        fresh = tool.build(ds_id, data, out_dir=tmp_path)
        if fresh.read_bytes() != (DATASHEETS / f"{ds_id}.pdf").read_bytes():
            stale.append(ds_id)
    assert not stale, f"re-run knowledge/tools/make_datasheet_pdfs.py for {stale}"
