"""Every PDF datasheet yields one readable unit per article, with the catalogue's temperature and pressure.

The PDF-only datasheets (ds-dk-jaw-couplings in German, ds-kl-deep-groove-bearings in English)
are known to the assistant only through their PDF, so a value the answer engine quotes or
checks comes from these units. The other PDFs are printable twins of Markdown datasheets and
must read the same way. Read through the real path: loader (pdfplumber in a child process),
PDF chunker, passage splitter.
"""

from __future__ import annotations

import csv
import re
import shutil
from functools import cache
from pathlib import Path

import pytest

from assistant.retrieval.chunking import chunk_document
from assistant.retrieval.loaders import load_all, load_pdf
from assistant.retrieval.passages import passage_units

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
DATASHEETS = KNOWLEDGE / "datasheets"
PDF_ONLY = ("ds-dk-jaw-couplings", "ds-kl-deep-groove-bearings")
NUM = r"[+-]?\d+(?:[.,]\d+)?"
TEMPERATURE = re.compile(rf"(?:^|; )(?:Temperatur|Temperature): ({NUM}) … ({NUM}) °C(?:;|$)")
PRESSURE = re.compile(rf"(?:^|; )(?:max\. Druck|Max\. pressure): (–|{NUM} bar)(?:;|$)")


@cache
def catalogue() -> tuple[dict[str, str], ...]:
    with (KNOWLEDGE / "products.csv").open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def number(text: str) -> float:
    return float(text.replace(",", ".").removesuffix(" bar"))


def units_of(pdf: Path, tmp_path: Path) -> list[str]:
    if not pdf.with_suffix(".meta.yml").exists():  # a Markdown twin: give the PDF a sidecar of its own
        shutil.copy(pdf, tmp_path / pdf.name)
        (tmp_path / f"{pdf.stem}.meta.yml").write_text(
            f"id: {pdf.stem}\ntype: datasheet\nlanguage: de\ntitle: {pdf.stem}\n", encoding="utf-8"
        )
        pdf = tmp_path / pdf.name
    doc, issues = load_pdf(pdf, pdf.parent)
    assert doc is not None and issues == [], issues
    return [u for chunk in chunk_document(doc, lambda d: "u") for u in passage_units(chunk.text)]


@pytest.mark.parametrize("pdf", sorted(p.name for p in DATASHEETS.glob("*.pdf")))
def test_every_article_is_one_unit_with_its_catalogue_values(pdf: str, tmp_path: Path):
    units = units_of(DATASHEETS / pdf, tmp_path)
    articles = [r for r in catalogue() if r["datasheet_id"] == pdf.removesuffix(".pdf")]
    assert articles
    for row in articles:
        sku = re.escape(row["sku"])
        rows = [u for u in units if re.match(rf"(?:Artikel-Nr\.|Article no\.): {sku};", u) and TEMPERATURE.search(u)]
        assert len(rows) == 1, f"{pdf}: {row['sku']} has {len(rows)} technical-data units"
        low, high = TEMPERATURE.search(rows[0]).groups()  # type: ignore[union-attr]
        assert (number(low), number(high)) == (float(row["temp_min_c"]), float(row["temp_max_c"])), rows[0]
        pressure = PRESSURE.search(rows[0])
        assert pressure, rows[0]
        shown = 0.0 if pressure.group(1) == "–" else number(pressure.group(1))
        assert shown == float(row["pressure_max_bar"]), rows[0]


def test_pdf_only_datasheets_are_indexed_without_issues():
    loaded = load_all(KNOWLEDGE)
    documents = {d.doc_id: d for d in loaded.documents}
    assert not [i for i in loaded.issues if i.path.endswith(".pdf")]
    for doc_id in PDF_ONLY:
        doc = documents[doc_id]
        assert doc.kind == "pdf" and [n for n, _ in doc.pages] == [1, 2]
        assert "| --- |" in doc.pages[0][1] and "(cid:" not in doc.text
