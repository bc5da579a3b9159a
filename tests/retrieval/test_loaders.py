from pathlib import Path

import pytest

from assistant.retrieval import loaders, pdftables
from assistant.retrieval.loaders import load_all, load_markdown, load_pdf, load_products
from assistant.retrieval.pdftables import PdfLimits
from assistant.retrieval.service import KnowledgeService

from .conftest import make_pdf, write_md

FRONT = "id: doc-a\ntype: use_case\nlanguage: de\ntitle: Ein Titel"


def test_markdown_with_front_matter(tmp_path: Path):
    path = write_md(tmp_path / "a.md", FRONT + "\nproducts: [3s-1208]", "# Kopf\n\nText.\n")
    doc, issues = load_markdown(path, tmp_path)
    assert issues == []
    assert (doc.doc_id, doc.doc_type, doc.language, doc.title) == ("doc-a", "use_case", "de", "Ein Titel")
    assert doc.metadata["products"] == ["3S-1208"]


def test_broken_front_matter_reports_file_and_line(tmp_path: Path):
    path = write_md(tmp_path / "b.md", "id: doc-b\ntype: [unclosed\nlanguage: de", "Text")
    doc, issues = load_markdown(path, tmp_path)
    assert doc is None
    assert issues[0].path == "b.md" and issues[0].line >= 2 and "YAML" in issues[0].message


def test_missing_front_matter_and_bad_fields(tmp_path: Path):
    (tmp_path / "c.md").write_text("# no front matter\n", encoding="utf-8")
    assert "front matter missing" in load_markdown(tmp_path / "c.md", tmp_path)[1][0].message
    path = write_md(tmp_path / "d.md", "id: doc-d\ntype: brochure\nlanguage: fr\ntitle: T", "Text")
    messages = [i.message for i in load_markdown(path, tmp_path)[1]]
    assert any("'type'" in m for m in messages) and any("'language'" in m for m in messages)
    issue = next(i for i in load_markdown(path, tmp_path)[1] if "'language'" in i.message)
    assert issue.line == 4  # the line of "language:" in the file


def test_empty_and_oversized_files(tmp_path: Path):
    (tmp_path / "e.md").write_bytes(b"")
    assert load_markdown(tmp_path / "e.md", tmp_path)[1][0].message == "file is empty"
    path = write_md(tmp_path / "f.md", FRONT, "x" * 5000)
    assert "too large" in load_markdown(path, tmp_path, max_bytes=1000)[1][0].message


def _sidecar(pdf: Path, doc_id: str = "pdf-1") -> None:
    pdf.with_suffix(".meta.yml").write_text(
        f"id: {doc_id}\ntype: datasheet\nlanguage: en\ntitle: PDF datasheet\nproducts: [QC-300-08]\n", "utf-8"
    )


def test_pdf_text_per_page(tmp_path: Path):
    pdf = make_pdf(tmp_path / "p.pdf", ["Page one about couplings.", "", "Page three: max. pressure 350 bar."])
    _sidecar(pdf)
    doc, issues = load_pdf(pdf, tmp_path)
    assert issues == []
    assert [n for n, _ in doc.pages] == [1, 3]
    assert "350 bar" in doc.pages[1][1]


def test_encrypted_image_only_and_sidecarless_pdfs_are_rejected(tmp_path: Path):
    enc = make_pdf(tmp_path / "enc.pdf", ["secret"], encrypt="pw")
    _sidecar(enc)
    assert "encrypted" in load_pdf(enc, tmp_path)[1][0].message
    blank = make_pdf(tmp_path / "blank.pdf", ["", ""])
    _sidecar(blank)
    assert "no extractable text" in load_pdf(blank, tmp_path)[1][0].message
    lone = make_pdf(tmp_path / "lone.pdf", ["text"])
    assert "sidecar" in load_pdf(lone, tmp_path)[1][0].message


def test_pdf_read_only_in_part_is_a_warning(tmp_path: Path):
    pdf = make_pdf(tmp_path / "long.pdf", ["Seite eins.", "Seite zwei.", "Seite drei."])
    _sidecar(pdf)
    doc, issues = load_pdf(pdf, tmp_path, limits=PdfLimits(max_pages=2))
    assert [n for n, _ in doc.pages] == [1, 2]
    assert [(i.path, i.severity, i.message) for i in issues] == [
        ("long.pdf", "warning", "only the first 2 of 3 pages were read")
    ]


def test_pdf_falls_back_to_plain_text_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pdf = make_pdf(tmp_path / "odd.pdf", ["Max. pressure 350 bar."])
    _sidecar(pdf)

    def pdfplumber_fails(data: bytes, limits: PdfLimits) -> pdftables.PdfText:
        raise ValueError("no grid")

    monkeypatch.setattr(pdftables, "_plumb", pdfplumber_fails)
    monkeypatch.setattr(loaders, "read_pdf", pdftables.extract)  # in-process, so the patch reaches the reader
    doc, issues = load_pdf(pdf, tmp_path)
    assert doc is not None and "350 bar" in doc.text
    assert issues[0].severity == "warning" and "pdfplumber failed (ValueError)" in issues[0].message


def test_a_corrupt_pdf_is_reported_with_its_path_and_the_build_goes_on(settings, embedder):
    datasheets = settings.knowledge_dir / "datasheets"
    (datasheets / "ds-broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\ntruncated")
    (datasheets / "ds-broken.meta.yml").write_text("id: ds-broken\ntype: datasheet\nlanguage: de\ntitle: Kaputt\n")
    report = KnowledgeService(settings=settings, embedder=embedder).build()
    assert report.built and report.documents == 7
    issue = next(i for i in report.issues if i.path == "datasheets/ds-broken.pdf")
    assert issue.severity == "error" and "cannot be read" in issue.message


HEADER = (
    "sku,name_de,name_en,family,series,material,seal_material,connection,size,temp_min_c,temp_max_c,"
    "pressure_max_bar,certifications,media,industries,status,successor_sku,list_price_eur,price_unit,"
    "min_order_qty,lead_time_days,stock_qty,datasheet_id"
)
GOOD = (
    "QC-300-08,Kupplung,Coupling,hydraulic_coupling,QC-300,Stahl,NBR,G1/2,G1/2,-30,100,350,ISO8434,hydraulic_oil,"
    "mobile_hydraulics,active,,48.50,piece,1,5,40,ds-qc300"
)


def test_product_rows_validated_with_line_numbers(tmp_path: Path):
    rows = [
        HEADER,
        GOOD,
        GOOD,  # duplicate
        GOOD.replace("QC-300-08", "QC-300-09").replace(",350,", ",lots,"),
        GOOD.replace("QC-300-08", "bad sku"),
        GOOD.replace("QC-300-08", "QC-300-10").replace("ISO8434", "ISO9999"),
        GOOD.replace("QC-300-08", "QC-300-11").replace("active,,", "discontinued,,"),
        "QC-300-12,too,few",
    ]
    (tmp_path / "products.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    products, issues, fatal = load_products(tmp_path / "products.csv", tmp_path)
    assert not fatal
    assert [p.sku for p in products] == ["QC-300-08"]
    by_line = {i.line: i.message for i in issues}
    assert "duplicate article number QC-300-08" in by_line[3]
    assert "pressure_max_bar" in by_line[4]
    assert "sku" in by_line[5]
    assert "ISO9999" in by_line[6]
    assert "successor_sku" in by_line[7]
    assert "fields" in by_line[8]


def test_wrong_csv_header_is_fatal(tmp_path: Path):
    (tmp_path / "products.csv").write_text("sku,name\nQC-300-08,x\n", encoding="utf-8")
    _, issues, fatal = load_products(tmp_path / "products.csv", tmp_path)
    assert fatal and issues[0].line == 1


def test_document_referencing_unknown_article_is_skipped(knowledge_dir: Path):
    write_md(
        knowledge_dir / "use-cases" / "ghost.md", FRONT.replace("doc-a", "uc-ghost") + "\nproducts: [ZZ-9999]", "Text"
    )
    loaded = load_all(knowledge_dir)
    assert "uc-ghost" not in {d.doc_id for d in loaded.documents}
    issue = next(i for i in loaded.issues if "ZZ-9999" in i.message)
    assert issue.path == "use-cases/ghost.md" and issue.line == 6 and issue.severity == "error"


def test_fixture_folder_loads_with_warnings_only(knowledge_dir: Path):
    loaded = load_all(knowledge_dir)
    assert not loaded.fatal
    assert [i for i in loaded.issues if i.severity == "error"] == []
    assert {"3S-1208", "QC-300-08", "OR-0250-E"} <= {p.sku for p in loaded.products}
    assert len(loaded.documents) == 7
