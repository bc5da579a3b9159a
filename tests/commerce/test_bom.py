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
