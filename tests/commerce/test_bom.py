"""Bills of materials: CSV and XLSX, header or none, and a specific reason for every refused file or row."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from assistant.commerce.bom import MAX_LINES, BomError, parse_bom

LIMIT = 2_000_000


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_semicolon_csv_with_german_header_and_a_free_text_row() -> None:
    data = b"Artikelnummer;Bezeichnung;Menge\n3S-1208;Steckverschraubung;50\n;Sonderdichtung 42x3 FKM;20\n"
    result = parse_bom("stueckliste.csv", data, LIMIT)
    assert [(ln.row, ln.sku, ln.quantity) for ln in result.lines] == [(2, "3S-1208", 50), (3, None, 20)]
    assert result.lines[1].description == "Sonderdichtung 42x3 FKM"
    assert result.issues == []


def test_comma_csv_in_english_without_header_guesses_columns() -> None:
    data = b"QC-300-08,Coupling ISO A,10\nOR-0250-E,O-ring EPDM,200\n"
    result = parse_bom("bom.csv", data, LIMIT)
    assert [(ln.sku, ln.quantity) for ln in result.lines] == [("QC-300-08", 10), ("OR-0250-E", 200)]


def test_broken_rows_are_reported_by_row_and_the_rest_is_kept() -> None:
    data = (b"sku,description,qty\n3S-1208,fitting,50\nQC-300-08,coupling,0\n3S-0602,x,-5\n"
            b"3S-0405,y,abc\n3S-0405,z,\n,,7\n")
    result = parse_bom("bom.csv", data, LIMIT)
    assert [ln.sku for ln in result.lines] == ["3S-1208"]
    assert [(i.row, i.reason) for i in result.issues] == [
        (3, "zero"), (4, "negative"), (5, "not_a_number"), (6, "missing_quantity"), (7, "empty_item"),
    ]


def test_xlsx_with_header_and_numbers_as_floats() -> None:
    data = xlsx([["Artikel", "Menge", "Bezeichnung"], ["3S-1208", 50.0, "Steckverschraubung"],
                 ["XYZ-9999", 3, "unbekannt"]])
    result = parse_bom("liste.xlsx", data, LIMIT)
    assert [(ln.sku, ln.quantity) for ln in result.lines] == [("3S-1208", 50), ("XYZ-9999", 3)]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("bom.pdf", b"%PDF-1.4", "not_csv_xlsx"),
        ("bom.txt", b"3S-1208;5", "not_csv_xlsx"),
        ("bom.csv", b"", "empty"),
        ("bom.csv", b"  \n\n", "empty"),
        ("bom.csv", b"x" * (LIMIT + 1), "too_large"),
        ("bom.xlsx", b"this is no zip file", "unreadable"),
        ("bom.csv", b"hello;world\nfoo;bar\n", "no_columns"),
    ],
)
def test_whole_file_refusals_name_their_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(BomError) as err:
        parse_bom(name, data, LIMIT)
    assert err.value.reason == reason


def test_more_than_500_lines_is_refused_in_csv_and_xlsx() -> None:
    rows = "\n".join(f"3S-1208;{n}" for n in range(1, MAX_LINES + 3))
    with pytest.raises(BomError) as err:
        parse_bom("bom.csv", ("Artikel;Menge\n" + rows).encode(), LIMIT)
    assert err.value.reason == "too_many_lines"
    with pytest.raises(BomError) as err:
        parse_bom("bom.xlsx", xlsx([["Artikel", "Menge"]] + [["3S-1208", n] for n in range(1, MAX_LINES + 3)]), LIMIT)
    assert err.value.reason == "too_many_lines"
    ok = parse_bom("bom.csv", ("Artikel;Menge\n" + "\n".join(f"3S-1208;{n}" for n in range(1, 501))).encode(), LIMIT)
    assert len(ok.lines) == 500


# ------------------------------------------------------------------------------------------- hostile files
def _rewrite(data: bytes, member_filter) -> bytes:
    """Copy an XLSX zip, passing each member's bytes through ``member_filter(name, content)``."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, member_filter(info.filename, src.read(info.filename)))
    return out.getvalue()


def test_a_declared_dimension_of_the_whole_sheet_is_ignored() -> None:
    """<dimension ref="A1:XFD1048576"> made openpyxl pad every row to 16,384 cells (and a million rows)."""
    import re
    import time
    import zipfile

    data = xlsx([["Artikel", "Menge"], ["3S-1208", 5], ["QC-300-08", 7]])
    whole_sheet = b'<dimension ref="A1:XFD1048576"/>'
    lying = _rewrite(data, lambda name, content: re.sub(rb'<dimension ref="[^"]*" ?/>', whole_sheet, content)
                     if name.startswith("xl/worksheets/") else content)
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(lying)).read("xl/worksheets/sheet1.xml")
    started = time.thread_time()
    result = parse_bom("bom.xlsx", lying, LIMIT)
    assert time.thread_time() - started < 1.0
    assert [(ln.sku, ln.quantity) for ln in result.lines] == [("3S-1208", 5), ("QC-300-08", 7)]


def test_a_zip_bomb_is_too_large_before_it_is_opened() -> None:
    data = xlsx([["Artikel", "Menge"], ["3S-1208", 5]])
    bomb = _rewrite(data, lambda name, content: content + b" " * 30_000_000 if name == "xl/styles.xml"
                    else content)
    assert len(bomb) < LIMIT
    with pytest.raises(BomError) as refused:
        parse_bom("bom.xlsx", bomb, LIMIT)
    assert refused.value.reason == "too_large"


def test_content_far_down_the_sheet_is_too_many_lines() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Artikel", "Menge"])
    ws.cell(row=200_000, column=1, value="3S-1208")
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(BomError) as refused:
        parse_bom("bom.xlsx", buf.getvalue(), LIMIT)
    assert refused.value.reason == "too_many_lines"


def test_wide_rows_are_cut_while_reading_and_huge_fields_are_unreadable() -> None:
    wide = ("Artikel;Menge;" + ";" * 200_000 + "\n3S-1208;5" + ";x" * 100_000 + "\n").encode()
    result = parse_bom("bom.csv", wide, LIMIT)
    assert [(ln.sku, ln.quantity) for ln in result.lines] == [("3S-1208", 5)]
    huge = b'Artikel;Menge\n3S-1208;"' + b"x" * 300_000 + b'"\n'
    with pytest.raises(BomError) as refused:
        parse_bom("bom.csv", huge, LIMIT)
    assert refused.value.reason == "unreadable"
