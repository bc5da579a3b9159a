"""How many article rows of the PDF datasheets come out as one quotable unit, per reader.

    .venv/bin/python tools/pdf_table_rows.py

For every PDF in knowledge/datasheets and every article whose ``datasheet_id`` it is: does
one passage unit (``passage_units`` of the PDF's chunks) hold that article number and no
other, followed by one temperature range and one max. pressure, all equal to products.csv?
Read once with pypdf's plain text (the reader before pdfplumber, now the fallback) and once
with pdfplumber's tables, both through the same chunker and passage splitter. Also prints
the in-process reading time per file (median of 5).
"""

from __future__ import annotations

import csv
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from assistant.retrieval.chunking import chunk_document
from assistant.retrieval.models import Document
from assistant.retrieval.passages import passage_units
from assistant.retrieval.pdftables import DEFAULT_LIMITS, extract, pypdf_pages

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
SKU = re.compile(r"(?<![A-Z0-9-])[A-Z0-9]{2,5}-[0-9]{3,4}(?:-[0-9A-Z]{1,3})?(?![A-Z0-9-])")
NUM = r"[+-]?\d+(?:[.,]\d+)?"
TEMPERATURE = re.compile(rf"({NUM})\s*(?:…|\.\.\.?)\s*({NUM})\s*°C")
PRESSURE_LABELLED = re.compile(rf"(?:Druck|pressure)\s*:\s*(–|{NUM}\s*bar)", re.IGNORECASE)
PRESSURE_AFTER_TEMPERATURE = re.compile(rf"°C\s*(–|{NUM}\s*bar)")


def _number(text: str) -> float:
    return float(text.replace(",", ".").replace("bar", "").strip())


def is_row_unit(unit: str, row: dict[str, str], skus: set[str]) -> bool:
    if {s for s in SKU.findall(unit) if s in skus} != {row["sku"]}:
        return False
    temps = list(TEMPERATURE.finditer(unit))
    if len(temps) != 1 or unit.find(row["sku"]) > temps[0].start():
        return False  # no range, several, or the article number of the next row
    low, high = (_number(g) for g in temps[0].groups())
    if (low, high) != (float(row["temp_min_c"]), float(row["temp_max_c"])):
        return False
    pressures = PRESSURE_LABELLED.findall(unit) or PRESSURE_AFTER_TEMPERATURE.findall(unit)
    if len(pressures) != 1:
        return False
    want = float(row["pressure_max_bar"])
    return want == 0 if pressures[0] == "–" else _number(pressures[0]) == want


def units(pdf: Path, pages: tuple[tuple[int, str], ...]) -> list[str]:
    doc = Document(pdf.stem, pdf.stem, "datasheet", "de", "", pdf.name, "", kind="pdf", pages=pages)
    return [u for chunk in chunk_document(doc, lambda d: "u") for u in passage_units(chunk.text)]


def timed(read: Callable[[], tuple[tuple[int, str], ...]]) -> tuple[tuple[tuple[int, str], ...], float]:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        pages = read()
        runs.append(time.perf_counter() - started)
    return pages, statistics.median(runs)


def main() -> int:
    with (KNOWLEDGE / "products.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    skus = {r["sku"] for r in rows}
    total = {"pypdf": 0, "pdfplumber": 0, "articles": 0}
    print(f"{'datasheet':38} {'articles':>8} {'pypdf':>6} {'pdfplumber':>10} {'pypdf ms':>9} {'plumber ms':>10}")
    for pdf in sorted((KNOWLEDGE / "datasheets").glob("*.pdf")):
        data = pdf.read_bytes()
        plain, t_plain = timed(lambda d=data: tuple(pypdf_pages(d, DEFAULT_LIMITS)[0]))
        tables, t_tables = timed(lambda d=data: extract(d).pages)
        articles = [r for r in rows if r["datasheet_id"] == pdf.stem]
        found = {
            name: sum(any(is_row_unit(u, r, skus) for u in units(pdf, pages)) for r in articles)
            for name, pages in (("pypdf", plain), ("pdfplumber", tables))
        }
        for name, n in found.items():
            total[name] += n
        total["articles"] += len(articles)
        only = " (PDF only)" if pdf.with_suffix(".meta.yml").exists() else ""
        print(f"{pdf.stem + only:38} {len(articles):>8} {found['pypdf']:>6} {found['pdfplumber']:>10} "
              f"{t_plain * 1000:>9.0f} {t_tables * 1000:>10.0f}")
    print(f"{'all':38} {total['articles']:>8} {total['pypdf']:>6} {total['pdfplumber']:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
