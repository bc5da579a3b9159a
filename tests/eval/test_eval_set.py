"""Validate the retrieval evaluation set and the knowledge pages it points at.

A wrong label silently turns a good retriever into a bad score (or the reverse), so the
set is checked like code: sizes, ids that exist, honest cross-language labels, and the
facts the use-case pages quote from the catalogue.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = ROOT / "knowledge"
EVAL_FILE = Path(__file__).with_name("retrieval.yml")
# The folders whose pages this set owns; other folders (datasheets) are checked by their owners.
OWN_DIRS = ("use-cases", "faq", "guides", "legal")

DOC_ID = re.compile(r"^[a-z0-9-]+$")
SKU = re.compile(r"^[A-Z0-9]{2,5}-[0-9]{3,4}(-[0-9A-Z]{2,3})?$")
# An article number in running text: its prefix has a letter, and "EU-1935/2004" is a regulation, not an article.
SKU_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9-])(?=[0-9]*[A-Z])[A-Z0-9]{2,5}-[0-9]{3,4}(?:-[0-9A-Z]{2,3})?(?![A-Za-z0-9/-])"
)
OWN_PREFIX = {"use_case": "uc-", "faq": "faq-", "guide": ("guide-", "legal-")}
INDUSTRIES = {
    "food_beverage", "pharma", "packaging", "mobile_hydraulics", "chemical", "machine_building",
    "automotive", "water_treatment", "cleanroom", "logistics",
}


@dataclass(frozen=True)
class Doc:
    id: str
    language: str | None
    translation_of: str | None
    path: Path
    meta: dict
    body: str


def _front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}, text
    _, head, body = text.split("---", 2)
    return yaml.safe_load(head) or {}, body


@lru_cache(maxsize=1)
def documents() -> dict[str, Doc]:
    """Every document id in knowledge/: Markdown front matter and *.meta.yml of PDFs."""
    docs: dict[str, Doc] = {}
    for path in sorted(KNOWLEDGE.rglob("*.md")):
        meta, body = _front_matter(path)
        if "id" in meta:
            assert meta["id"] not in docs, f"duplicate id {meta['id']} in {path} and {docs[meta['id']].path}"
            docs[meta["id"]] = Doc(meta["id"], meta.get("language"), meta.get("translation_of"), path, meta, body)
    for path in sorted(KNOWLEDGE.rglob("*.meta.yml")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if "id" in meta:
            assert meta["id"] not in docs, f"duplicate id {meta['id']} in {path}"
            docs[meta["id"]] = Doc(meta["id"], meta.get("language"), meta.get("translation_of"), path, meta, "")
    return docs


@lru_cache(maxsize=1)
def products() -> dict[str, dict[str, str]]:
    """Catalogue rows by sku, from every CSV in knowledge/ that has a sku column."""
    rows: dict[str, dict[str, str]] = {}
    for path in sorted(KNOWLEDGE.rglob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or "sku" not in reader.fieldnames:
                continue
            for row in reader:
                rows[row["sku"]] = row
    return rows


@lru_cache(maxsize=1)
def questions() -> list[dict]:
    data = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))
    return data["questions"]


def own_docs() -> list[Doc]:
    return [d for d in documents().values() if d.path.relative_to(KNOWLEDGE).parts[0] in OWN_DIRS]


def languages_of(doc_id: str) -> set[str]:
    """Languages in which the content of a document exists (itself plus its translations)."""
    docs = documents()
    group = {doc_id}
    origin = docs[doc_id].translation_of
    if origin:
        group.add(origin)
    group |= {d.id for d in docs.values() if d.translation_of in group}
    return {docs[i].language for i in group if i in docs and docs[i].language}


# --- the evaluation set -----------------------------------------------------------------


def test_every_question_is_well_formed() -> None:
    for item in questions():
        assert set(item) == {"q", "lang", "cross_language", "expect"}, item
        assert isinstance(item["q"], str) and len(item["q"].strip()) >= 3, item
        assert item["lang"] in {"de", "en"}, item
        assert isinstance(item["cross_language"], bool), item
        assert isinstance(item["expect"], list) and item["expect"], item
        assert all(isinstance(e, str) for e in item["expect"]), item


def test_sizes_per_language_and_cross_language() -> None:
    counts = Counter(item["lang"] for item in questions())
    cross = sum(item["cross_language"] for item in questions())
    assert len(questions()) >= 130
    assert counts["de"] >= 55 and counts["en"] >= 55, counts
    assert cross >= 22
    cross_langs = Counter(item["lang"] for item in questions() if item["cross_language"])
    assert cross_langs["de"] >= 8 and cross_langs["en"] >= 8, cross_langs


def test_no_duplicate_questions() -> None:
    norm = [re.sub(r"\W+", " ", item["q"].casefold()).strip() for item in questions()]
    dupes = [q for q, n in Counter(norm).items() if n > 1]
    assert not dupes, dupes


def test_every_expected_id_exists() -> None:
    missing = []
    for item in questions():
        for expected in item["expect"]:
            if expected.startswith("product:"):
                ok = expected.removeprefix("product:") in products()
            else:
                ok = expected in documents()
            if not ok:
                missing.append((item["q"], expected))
    assert not missing, missing


def test_cross_language_labels_point_only_at_the_other_language() -> None:
    """A cross-language question must have no answer document in its own language."""
    wrong = []
    for item in questions():
        doc_ids = [e for e in item["expect"] if not e.startswith("product:")]
        if item["cross_language"]:
            assert doc_ids, f"cross-language question without a document: {item['q']}"
            for doc_id in doc_ids:
                if item["lang"] in languages_of(doc_id):
                    wrong.append((item["q"], doc_id))
            for expected in item["expect"]:
                if expected.startswith("product:"):
                    sku = expected.removeprefix("product:")
                    assert sku.casefold() in item["q"].casefold(), (
                        f"cross-language question expects {sku} without naming it: {item['q']}"
                    )
        else:
            own_language = [d for d in doc_ids if item["lang"] in languages_of(d)]
            has_product = len(doc_ids) < len(item["expect"])
            if not (own_language or has_product):
                wrong.append((item["q"], "no expected id in the question's language"))
    assert not wrong, wrong


def test_a_same_language_hit_is_listed_for_translated_content() -> None:
    """If the answer page has a translation in the question's language, that translation must be accepted too."""
    docs = documents()
    missing = []
    for item in questions():
        for expected in item["expect"]:
            doc = docs.get(expected)
            if doc is None or doc.language == item["lang"]:
                continue
            group = {expected, doc.translation_of} - {None}
            same = [d.id for d in docs.values() if d.language == item["lang"]
                    and (d.id in group or d.translation_of in group)]
            if same and not set(same) & set(item["expect"]):
                missing.append((item["q"], same))
    assert not missing, missing


# --- the pages this set relies on ----------------------------------------------------------


def test_own_pages_have_valid_front_matter() -> None:
    docs = own_docs()
    assert docs
    for doc in docs:
        meta = doc.meta
        assert DOC_ID.match(doc.id), doc.path
        assert meta.get("type") in OWN_PREFIX, doc.path
        assert doc.id.startswith(OWN_PREFIX[meta["type"]]), doc.path
        assert meta.get("language") in {"de", "en"}, doc.path
        assert isinstance(meta.get("title"), str) and meta["title"], doc.path
        assert isinstance(meta.get("products"), list), doc.path
        assert set(meta.get("industries") or []) <= INDUSTRIES, doc.path
        assert meta.get("updated"), doc.path
        if doc.translation_of:
            origin = documents().get(doc.translation_of)
            assert origin is not None, f"{doc.path}: translation_of {doc.translation_of} does not exist"
            assert origin.language != doc.language, doc.path


def test_use_case_coverage_and_languages() -> None:
    cases = [d for d in own_docs() if d.meta["type"] == "use_case"]
    german = [d for d in cases if d.language == "de"]
    english_translations = [d for d in cases if d.language == "en" and d.translation_of]
    english_only = [d for d in own_docs() if d.language == "en" and languages_of(d.id) == {"en"}]
    german_only = [d for d in cases if d.language == "de" and languages_of(d.id) == {"de"}]
    assert len(german) >= 16
    assert len(english_translations) >= 6
    assert len(english_only) >= 2
    assert len(german_only) >= 3


@pytest.mark.skipif(not products(), reason="the product catalogue is not there yet")
def test_own_pages_name_only_real_articles() -> None:
    unknown = []
    for doc in own_docs():
        for sku in doc.meta.get("products") or []:
            if sku not in products():
                unknown.append((doc.id, sku))
        for sku in SKU_IN_TEXT.findall(doc.body):
            if SKU.match(sku) and sku not in products() and not _is_series(sku):
                unknown.append((doc.id, sku))
    assert not unknown, unknown


def _is_series(token: str) -> bool:
    """Series codes (QC-300) and article stems (HS-2010 for HS-2010-25) look like skus but name a group."""
    return any(row.get("series") == token or sku.startswith(token + "-") for sku, row in products().items())


TEMPERATURE = re.compile(r"^(-?\d+) (?:bis|to) (-?\d+) °C$")


def _number(text: str) -> float:
    return float(text.replace("EUR", "").replace("€", "").strip().replace(",", "."))


@pytest.mark.skipif(not products(), reason="the product catalogue is not there yet")
def test_product_tables_in_use_cases_quote_the_catalogue() -> None:
    """Every product row on an application page must show exactly the catalogue's numbers."""
    wrong = []
    rows_seen = 0
    for doc in own_docs():
        for line in doc.body.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) != 9 or cells[0] not in products():
                continue
            rows_seen += 1
            row = products()[cells[0]]
            temperature = TEMPERATURE.match(cells[4])
            if not temperature or (float(temperature[1]), float(temperature[2])) != (
                float(row["temp_min_c"]), float(row["temp_max_c"])
            ):
                wrong.append((doc.id, cells[0], "temperature", cells[4]))
            pressure = float(row["pressure_max_bar"])
            shown = cells[5]
            if (pressure == 0 and shown != "–") or (pressure > 0 and _number(shown.removesuffix(" bar")) != pressure):
                wrong.append((doc.id, cells[0], "pressure", shown))
            if abs(_number(cells[7].split(" / ")[0]) - float(row["list_price_eur"])) > 0.001:
                wrong.append((doc.id, cells[0], "price", cells[7]))
            lead = int(row["lead_time_days"])
            if row["status"] == "discontinued":
                ok = row["successor_sku"] in cells[8]
            else:
                ok = (cells[8] in {"ab Lager", "from stock"}) if lead == 0 else cells[8].startswith(f"{lead} ")
            if not ok:
                wrong.append((doc.id, cells[0], "lead time / status", cells[8]))
            certs = set(row["certifications"].split(";")) - {""}
            if certs != ({c.strip() for c in cells[6].split(",")} - {"–"}):
                wrong.append((doc.id, cells[0], "certifications", cells[6]))
    assert rows_seen >= 100
    assert not wrong, wrong
