"""PDF pages as readable rows: generated PDFs with ruled tables, and hostile or broken files."""

from __future__ import annotations

import time
import zlib
from pathlib import Path

import pytest

from assistant.retrieval import pdftables
from assistant.retrieval.passages import passage_units
from assistant.retrieval.pdftables import PdfLimits, PdfText, PdfTooCostly, PdfUnreadable, extract, read_pdf

HEAD_DE = ["Artikel-Nr.", "Bezeichnung", "Temperatur", "max. Druck"]
ROWS_DE = [
    ["QC-300-08", "Schnellkupplung Muffe ISO 7241-A 1/2\" mit langer Bezeichnung über mehrere Zeilen",
     "-25 … +100 °C", "250 bar"],
    ["QC-305-08", "Stecker 1/2\"", "-25 … +100 °C", "250 bar"],
]


def datasheet_pdf(path: Path, blocks: list[tuple[str, object]], repeat_header: bool = True) -> Path:
    """A PDF drawn like the real datasheets: headings, paragraphs, bullets, ruled tables with a bold header."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = {
        "h1": ParagraphStyle("h1", fontName="Helvetica-Bold", fontSize=15, leading=19, spaceAfter=6),
        "h2": ParagraphStyle("h2", fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=8, spaceAfter=4),
        "p": ParagraphStyle("p", fontName="Helvetica", fontSize=9, leading=12, spaceAfter=4),
        "li": ParagraphStyle("li", fontName="Helvetica", fontSize=9, leading=12, leftIndent=10, bulletIndent=2),
        "cell": ParagraphStyle("cell", fontName="Helvetica", fontSize=7, leading=8.5),
        "head": ParagraphStyle("head", fontName="Helvetica-Bold", fontSize=7, leading=8.5),
    }
    story: list = []
    for kind, content in blocks:
        if kind == "table":
            rows = content  # type: ignore[assignment]
            data = [[Paragraph(c, styles["head" if r == 0 else "cell"]) for c in row] for r, row in enumerate(rows)]
            table = Table(data, colWidths=[60, 160, 80, 60][: len(rows[0])] if len(rows[0]) <= 4 else None,
                          repeatRows=1 if repeat_header else 0)
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(table)
        elif kind == "bullets":
            story += [Paragraph(item, styles["li"], bulletText="•") for item in content]  # type: ignore[union-attr]
        elif kind == "break":
            story.append(PageBreak())
        else:
            story.append(Paragraph(str(content), styles[kind]))
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def raw_pdf(streams: list[bytes]) -> bytes:
    """A minimal PDF with one page per content stream (Flate-compressed), written by hand."""
    n = len(streams)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(f"{4 + 2 * i} 0 R" for i in range(n)).encode(), n),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, stream in enumerate(streams):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i))
        data = zlib.compress(stream, 9)
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _text(pdf: Path) -> str:
    return "\n\n".join(t for _, t in extract(pdf.read_bytes()).pages)


# ------------------------------------------------------------------------------------ tables
def test_a_ruled_table_becomes_a_pipe_table_with_one_line_per_row(tmp_path: Path):
    pdf = datasheet_pdf(tmp_path / "de.pdf", [("h2", "Technische Daten"), ("table", [HEAD_DE, *ROWS_DE])])
    lines = _text(pdf).splitlines()
    start = lines.index("| Artikel-Nr. | Bezeichnung | Temperatur | max. Druck |")
    assert lines[start + 1] == "| --- | --- | --- | --- |"
    assert lines[start + 2] == ("| QC-300-08 | Schnellkupplung Muffe ISO 7241-A 1/2\" mit langer Bezeichnung über "
                                "mehrere Zeilen | -25 … +100 °C | 250 bar |")  # a cell's lines joined with a space
    assert lines[start + 3] == "| QC-305-08 | Stecker 1/2\" | -25 … +100 °C | 250 bar |"


def test_a_table_row_is_one_readable_unit_in_english(tmp_path: Path):
    head = ["Article no.", "Description", "Temperature", "Max. pressure"]
    pdf = datasheet_pdf(tmp_path / "en.pdf", [("h2", "Technical data"),
                                              ("table", [head, ["KL-6204-2RS", "Deep groove ball bearing 6204-2RS",
                                                                "-30 … +110 °C", "–"]])])
    units = passage_units(_text(pdf))
    assert ("Article no.: KL-6204-2RS; Description: Deep groove ball bearing 6204-2RS; "
            "Temperature: -30 … +110 °C; Max. pressure: –") in units


def test_text_inside_a_table_is_not_repeated_as_loose_text(tmp_path: Path):
    pdf = datasheet_pdf(tmp_path / "once.pdf", [("p", "Die Kupplungen der Serie QC-300 sind austauschbar."),
                                                ("table", [HEAD_DE, *ROWS_DE]),
                                                ("p", "Nicht unter Druck kuppeln.")])
    text = _text(pdf)
    assert text.count("QC-300-08") == 1 and text.count("Temperatur") == 1 and text.count("250 bar") == 2
    assert text.index("austauschbar") < text.index("| Artikel-Nr.") < text.index("Nicht unter Druck")


def test_headings_paragraphs_and_bullets_are_lines(tmp_path: Path):
    pdf = datasheet_pdf(tmp_path / "prose.pdf", [
        ("h1", "Klauenkupplungen Serie DK – Datenblatt"),
        ("h2", "Einsatzgrenzen und Hinweise"),
        ("p", "Die Temperaturgrenzen gelten für den Zahnkranz; außerhalb verschleißt er schnell. " * 3),  # 3 lines
        ("bullets", ["Zahnkranz nicht mit Öl oder Fett in Kontakt bringen.",
                     "ATEX: nur mit Zahnkranz 92 oder 98 Shore A aus unserem Sortiment, Naben geerdet, "
                     "und nur nach Prüfung der Ausrichtung mit dem Haarlineal vor der Inbetriebnahme der Anlage."]),
    ])
    blocks = _text(pdf).split("\n\n")
    assert blocks[0] == "# Klauenkupplungen Serie DK – Datenblatt"
    assert blocks[1] == "## Einsatzgrenzen und Hinweise"
    sentence = "Die Temperaturgrenzen gelten für den Zahnkranz; außerhalb verschleißt er schnell."
    assert blocks[2] == " ".join([sentence] * 3)
    assert blocks[3].splitlines() == [
        "- Zahnkranz nicht mit Öl oder Fett in Kontakt bringen.",
        "- ATEX: nur mit Zahnkranz 92 oder 98 Shore A aus unserem Sortiment, Naben geerdet, und nur nach Prüfung "
        "der Ausrichtung mit dem Haarlineal vor der Inbetriebnahme der Anlage.",
    ]


def test_a_table_broken_over_pages_keeps_its_header(tmp_path: Path):
    rows = [[f"3S-{i:04d}", f"Steckverschraubung {i}", "-20 … +80 °C", "15 bar"] for i in range(1, 90)]
    pdf = datasheet_pdf(tmp_path / "long.pdf", [("h2", "Technische Daten"), ("table", [HEAD_DE, *rows])],
                        repeat_header=False)
    pages = extract(pdf.read_bytes()).pages
    assert len(pages) >= 2
    for _, text in pages:
        assert text.count("| Artikel-Nr. | Bezeichnung | Temperatur | max. Druck |") == 1
    units = [u for _, text in pages for u in passage_units(text)]
    assert "Artikel-Nr.: 3S-0089; Bezeichnung: Steckverschraubung 89; Temperatur: -20 … +80 °C; max. Druck: 15 bar" \
        in units


def test_a_framed_paragraph_is_text_and_a_headerless_pair_table_is_key_value_lines(tmp_path: Path):
    from reportlab.lib import colors
    from reportlab.pdfgen import canvas

    path = tmp_path / "boxes.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 9)
    c.rect(50, 700, 400, 20)
    c.drawString(55, 706, "Hinweis: nicht für Dampf.")
    c.setStrokeColor(colors.black)
    for i, (key, value) in enumerate([("Max. Betriebsdruck", "10 bar"), ("Temperaturbereich", "-40 … +140 °C")]):
        y = 600 - 20 * i
        c.rect(50, y, 150, 20)
        c.rect(200, y, 150, 20)
        c.drawString(55, y + 6, key)
        c.drawString(205, y + 6, value)
    c.showPage()
    c.save()
    text = _text(path)
    assert "Hinweis: nicht für Dampf." in text.splitlines() and "|" not in text
    assert "Max. Betriebsdruck: 10 bar\nTemperaturbereich: -40 … +140 °C" in text


# ------------------------------------------------------------------------------------ broken and hostile input
def test_a_corrupt_pdf_is_unreadable_not_a_crash():
    with pytest.raises(PdfUnreadable, match="cannot be read"):
        read_pdf(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer\n<< >>\n%%EOF\n")
    with pytest.raises(PdfUnreadable):
        read_pdf(b"\x00\xff" * 500)


def test_when_pdfplumber_fails_pypdf_text_is_used_and_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pdf = datasheet_pdf(tmp_path / "fallback.pdf", [("p", "Nenndrehmoment 35 Nm.")])

    def broken(data: bytes, limits: PdfLimits) -> PdfText:
        raise KeyError("Kids")

    monkeypatch.setattr(pdftables, "_plumb", broken)
    text = extract(pdf.read_bytes())
    assert text.reader == "pypdf" and "Nenndrehmoment 35 Nm." in text.pages[0][1]
    assert "pdfplumber failed (KeyError)" in text.notes[0]


def test_only_the_first_pages_are_read():
    page = b"BT /F1 9 Tf 50 400 Td (Seite mit Text) Tj ET\n"
    text = read_pdf(raw_pdf([page] * 30), PdfLimits(max_pages=5))
    assert [n for n, _ in text.pages] == [1, 2, 3, 4, 5]
    assert text.notes == ("only the first 5 of 30 pages were read",)


def test_a_page_with_very_many_objects_is_read_without_table_detection():
    page = b"BT /F1 9 Tf 50 400 Td (Druck 10 bar) Tj ET\n" + b"0 0 1 1 re f\n" * 3000
    text = extract(raw_pdf([page]), PdfLimits(max_page_objects=1000))
    assert text.pages == ((1, "Druck 10 bar"),)
    assert text.notes == ("page 1: 3012 objects, tables read as plain text",)


def test_a_pdf_that_takes_too_long_is_stopped():
    many = b"BT /F1 9 Tf 50 400 Td (x) Tj ET\n" + b"0 0 1 1 re f\n" * 200_000  # 6 KB file, about 20 s to parse
    started = time.monotonic()
    with pytest.raises(PdfTooCostly, match="longer than 1 s"):
        read_pdf(raw_pdf([many]), PdfLimits(timeout_s=1.0))
    assert time.monotonic() - started < 3


def test_a_decompression_bomb_is_bounded_by_memory():
    bomb = b"BT /F1 9 Tf 50 400 Td (x) Tj ET\n" + b" " * 300_000_000  # 300 MB of spaces in 300 KB
    started = time.monotonic()
    with pytest.raises(PdfTooCostly, match="more than 200 MB"):
        read_pdf(raw_pdf([bomb]), PdfLimits(max_memory_mb=200))
    assert time.monotonic() - started < 15


def test_a_pdf_read_before_is_not_parsed_again(monkeypatch: pytest.MonkeyPatch):
    data = raw_pdf([b"BT /F1 9 Tf 50 400 Td (Einmal lesen) Tj ET\n"])
    first = read_pdf(data)

    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(pdftables.subprocess, "run", no_child)
    assert read_pdf(data) is first and first.pages == ((1, "Einmal lesen"),)
    with pytest.raises(AssertionError, match="parsed again"):
        read_pdf(data, PdfLimits(max_pages=1))  # other limits, other result
