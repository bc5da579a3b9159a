"""Quick-order lists and draft edits, German and English, including bad input."""

from __future__ import annotations

import pytest

from assistant.commerce.textparse import (
    MAX_LINES,
    DraftEdit,
    DraftPosition,
    LineIssue,
    parse_draft_edit,
    parse_qty,
    parse_quick_order,
)

# ------------------------------------------------------------------------------------------- quick order

QUICK_ORDER_OK = [
    ("50x 3S-1208, 10x QC-300-08", [("3S-1208", 50), ("QC-300-08", 10)]),
    ("3S-1208 x 50; QC-300-08 x 10", [("3S-1208", 50), ("QC-300-08", 10)]),
    ("3S-1208 50 Stück\nQC-300-08: 10", [("3S-1208", 50), ("QC-300-08", 10)]),
    ("50 Stk. 3S-1208", [("3S-1208", 50)]),
    ("50 pcs 3S-1208\n20 pieces OR-0250-E", [("3S-1208", 50), ("OR-0250-E", 20)]),
    ("3S-1208\t50\nQC-300-08\t10", [("3S-1208", 50), ("QC-300-08", 10)]),
    ("50\t3S-1208\n10\tQC-300-08", [("3S-1208", 50), ("QC-300-08", 10)]),
    (
        "Pos\tArtikel\tBezeichnung\tMenge\tEinheit\n"
        "1\t3S-1208\tSteckverschraubung 12 mm\t50\tStk\n"
        "2\tOR-0250-E\tO-Ring 25 x 2,5\t100\tStk",
        [("3S-1208", 50), ("OR-0250-E", 100)],
    ),
    ("Bitte 50x 3S-1208 und 10 Stück QC-300-08", [("3S-1208", 50), ("QC-300-08", 10)]),
    ("please 5 x 3s-1208 and 2 x qc-300-08", [("3s-1208", 5), ("qc-300-08", 2)]),
    ("1.000 Stück 3S-1208", [("3S-1208", 1000)]),
    ("3S-1208 x 1,000", [("3S-1208", 1000)]),
    ("3S-1208 x zehn", [("3S-1208", 10)]),
    ("3S-1208 x ten", [("3S-1208", 10)]),
    ("3S-1208 12 mm 50 Stück", [("3S-1208", 50)]),
    ("OR-0250-E O-Ring 25x2,5 100 Stk", [("OR-0250-E", 100)]),
    ("3S-1208 50 QC-300-08 10", [("3S-1208", 50), ("QC-300-08", 10)]),
    ("3S-1208 x 100000", [("3S-1208", 100000)]),
    ("- 3S-1208: 5\n- QC-300-08: 7", [("3S-1208", 5), ("QC-300-08", 7)]),
]


@pytest.mark.parametrize(("text", "lines"), QUICK_ORDER_OK, ids=[c[0][:40] for c in QUICK_ORDER_OK])
def test_quick_order_lines(text: str, lines: list[tuple[str, int]]) -> None:
    parsed = parse_quick_order(text)
    assert parsed.lines == lines
    assert parsed.errors == []
    assert parsed.issues == []


QUICK_ORDER_BAD = [
    ("0x 3S-1208", "zero", "3S-1208"),
    ("3S-1208 x 0", "zero", "3S-1208"),
    ("3S-1208 x -5", "negative", "3S-1208"),
    ("-5 x 3S-1208", "negative", "3S-1208"),
    ("3S-1208: -5", "negative", "3S-1208"),
    ("3S-1208 x 1000000", "too_large", "3S-1208"),
    ("3S-1208 x 100001", "too_large", "3S-1208"),
    ("3S-1208 x 99999999999999999999999999", "too_large", "3S-1208"),
    ("3S-1208 x abc", "not_a_number", "3S-1208"),
    ("3S-1208 x viele", "not_a_number", "3S-1208"),
    ("2,5x 3S-1208", "not_a_number", "3S-1208"),
    ("3S-1208 x 1.5", "not_a_number", "3S-1208"),
    ("3S-1208", "missing_quantity", "3S-1208"),
    ("3S-1208\tSteckverschraubung", "missing_quantity", "3S-1208"),
]


@pytest.mark.parametrize(("text", "reason", "sku"), QUICK_ORDER_BAD)
def test_quick_order_reports_bad_quantities(text: str, reason: str, sku: str) -> None:
    parsed = parse_quick_order(text)
    assert parsed.lines == []
    assert parsed.issues == [LineIssue(1, reason, sku, text.strip())]
    assert parsed.errors == [f"line 1: {reason}: {text.strip()}"]


def test_quick_order_keeps_good_lines_and_reports_bad_ones_per_line() -> None:
    parsed = parse_quick_order("3S-1208 x 50\nQC-300-08 x 0\nOR-0250-E x abc\nHS-2010-25 x 3")
    assert parsed.lines == [("3S-1208", 50), ("HS-2010-25", 3)]
    assert [(i.line, i.reason, i.sku) for i in parsed.issues] == [
        (2, "zero", "QC-300-08"),
        (3, "not_a_number", "OR-0250-E"),
    ]


def test_quick_order_rest_is_what_has_no_article_number() -> None:
    parsed = parse_quick_order("O-Ring 25x2,5 EPDM 100 Stück\n3S-1208 x 5\n\nhose DN25, 10 m")
    assert parsed.lines == [("3S-1208", 5)]
    assert parsed.rest == "O-Ring 25x2,5 EPDM 100 Stück\nhose DN25\n10 m"
    assert parsed.errors == []


def test_quick_order_limits_lines_and_ignores_hostile_text() -> None:
    parsed = parse_quick_order("3S-1208 x 1\n" * (MAX_LINES + 20))
    assert len(parsed.lines) == MAX_LINES
    assert [i.reason for i in parsed.issues] == ["too_many_lines"]
    hostile = parse_quick_order("'; DROP TABLE orders; --\n../../etc/passwd x 5")
    assert hostile.lines == [] and hostile.errors == []
    assert parse_quick_order("") == parse_quick_order("   \n  ")


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("50", (50, None)),
        ("50x", (50, None)),
        ("50 Stk.", (50, None)),
        ("1.000", (1000, None)),
        ("1'000", (1000, None)),
        ("zwölf", (12, None)),
        ("0", (None, "zero")),
        ("-1", (None, "negative")),
        ("100001", (None, "too_large")),
        ("1,5", (None, "not_a_number")),
        ("", (None, "not_a_number")),
        ("1e5", (None, "not_a_number")),
    ],
)
def test_parse_qty(token: str, expected: tuple[int | None, str | None]) -> None:
    assert parse_qty(token) == expected


# ------------------------------------------------------------------------------------------- draft edits

DRAFT = [
    DraftPosition(1, "3S-1208", "Steckverschraubung gerade, 12 mm Schlauch, G1/8",
                  "Push-in straight fitting, 12 mm tube, G1/8", "pneumatic_fitting", 50),
    DraftPosition(2, "OR-0250-E", "O-Ring 25 x 2,5 mm EPDM", "O-ring 25 x 2.5 mm EPDM", "seal", 100),
    DraftPosition(3, "HS-2010-25", "Lebensmittelschlauch HS-2010, DN25", "Food-grade hose HS-2010, DN25", "hose", 10),
    DraftPosition(4, "QC-200-08", "Hydraulik-Schnellkupplung QC-200, G1/2", "Hydraulic quick coupling QC-200, G1/2",
                  "hydraulic_coupling", 4),
    DraftPosition(5, "GS-0400-P", "Flachdichtung DN40 PTFE", "Flat gasket DN40 PTFE", "seal", 20),
]
NO_HOSES = [p for p in DRAFT if p.family != "hose"]


def E(kind: str, pos: int | None = None, sku: str | None = None, qty: int | None = None,
      reason: str | None = None) -> tuple[str, int | None, str | None, int | None, str | None]:
    return (kind, pos, sku, qty, reason)


def brief(edits: list[DraftEdit]) -> list[tuple[str, int | None, str | None, int | None, str | None]]:
    return [(e.kind, e.pos_no, e.sku, e.qty, e.reason) for e in edits]


EDIT_CASES = [
    # set quantity by position
    ("Position 2 auf 20 Stück", DRAFT, [E("set_qty", 2, "OR-0250-E", 20)]),
    ("Pos. 2: 20", DRAFT, [E("set_qty", 2, "OR-0250-E", 20)]),
    ("set line 1 to 1.000", DRAFT, [E("set_qty", 1, "3S-1208", 1000)]),
    ("change position 4 to 8 pcs", DRAFT, [E("set_qty", 4, "QC-200-08", 8)]),
    ("Position 2 auf zwanzig", DRAFT, [E("set_qty", 2, "OR-0250-E", 20)]),
    ("Pos 1: 60, Pos 2: 80", DRAFT, [E("set_qty", 1, "3S-1208", 60), E("set_qty", 2, "OR-0250-E", 80)]),
    # set quantity by article number or family/name
    ("3S-1208 auf 100", DRAFT, [E("set_qty", 1, "3S-1208", 100)]),
    ("change the hoses to 15", DRAFT, [E("set_qty", 3, "HS-2010-25", 15)]),
    ("die Schläuche auf 15", DRAFT, [E("set_qty", 3, "HS-2010-25", 15)]),
    ("den Schlauch auf 5", DRAFT, [E("set_qty", 3, "HS-2010-25", 5)]),
    ("Position 2 auf 20 und 3S-1208 auf 100", DRAFT,
     [E("set_qty", 2, "OR-0250-E", 20), E("set_qty", 1, "3S-1208", 100)]),
    # remove
    ("remove position 3", DRAFT, [E("remove", 3, "HS-2010-25")]),
    ("Position 3 löschen", DRAFT, [E("remove", 3, "HS-2010-25")]),
    ("Position 2 und 3 entfernen", DRAFT, [E("remove", 2, "OR-0250-E"), E("remove", 3, "HS-2010-25")]),
    ("ohne die Dichtungen", DRAFT, [E("remove", 2, "OR-0250-E"), E("remove", 5, "GS-0400-P")]),
    ("without the seals", DRAFT, [E("remove", 2, "OR-0250-E"), E("remove", 5, "GS-0400-P")]),
    ("ohne die O-Ringe", DRAFT, [E("remove", 2, "OR-0250-E")]),
    ("drop the O-rings", DRAFT, [E("remove", 2, "OR-0250-E")]),
    ("die Flachdichtung raus", DRAFT, [E("remove", 5, "GS-0400-P")]),
    ("EPDM raus", DRAFT, [E("remove", 2, "OR-0250-E")]),
    ("Position 2 auf 0", DRAFT, [E("remove", 2, "OR-0250-E")]),
    ("remove QC-200-08", DRAFT, [E("remove", 4, "QC-200-08")]),
    # add
    ("add 20x QC-300-08", DRAFT, [E("add", None, "QC-300-08", 20)]),
    ("füge 20 Stück QC-300-08 hinzu", DRAFT, [E("add", None, "QC-300-08", 20)]),
    ("add 20x QC-300-08 and 10x OR-0250-F", DRAFT, [E("add", None, "QC-300-08", 20), E("add", None, "OR-0250-F", 10)]),
    ("füge 20x QC-300-08, 10x OR-0250-F hinzu", DRAFT,
     [E("add", None, "QC-300-08", 20), E("add", None, "OR-0250-F", 10)]),
    ("noch 10 Stück 3S-1208 dazu", DRAFT, [E("add", 1, "3S-1208", 10)]),
    # successor
    ("Nachfolger nehmen", DRAFT, [E("use_successor")]),
    ("take the successor", DRAFT, [E("use_successor")]),
    ("Nachfolger für Position 4", DRAFT, [E("use_successor", 4, "QC-200-08")]),
    ("use the successor for QC-200-08", DRAFT, [E("use_successor", 4, "QC-200-08")]),
    # double everything
    ("alles doppelt", DRAFT, [E("set_qty", p.pos_no, p.sku, p.qty * 2) for p in DRAFT]),
    ("double everything", DRAFT, [E("set_qty", p.pos_no, p.sku, p.qty * 2) for p in DRAFT]),
    # unmatched: the caller asks
    ("die Schläuche raus", NO_HOSES, [E("unmatched", reason="no_match")]),
    ("change the hoses to 15", NO_HOSES, [E("unmatched", reason="no_match")]),
    ("die Dichtung raus", DRAFT, [E("unmatched", reason="ambiguous")]),
    ("remove the seal", DRAFT, [E("unmatched", reason="ambiguous")]),
    ("Position 9 auf 5", DRAFT, [E("unmatched", 9, reason="no_such_position")]),
    ("3S-0806 auf 10", DRAFT, [E("unmatched", None, "3S-0806", 10, reason="not_in_draft")]),
    ("Position 2 auf -3", DRAFT, [E("unmatched", 2, "OR-0250-E", reason="negative")]),
    ("Position 2 auf 500000", DRAFT, [E("unmatched", 2, "OR-0250-E", reason="too_large")]),
    ("Position 2 auf viele", DRAFT, [E("unmatched", 2, "OR-0250-E", reason="not_a_number")]),
    ("Position 2 auf 2,5", DRAFT, [E("unmatched", 2, "OR-0250-E", reason="not_a_number")]),
    ("bitte", DRAFT, [E("unmatched", reason="unclear")]),
    ("'; DROP TABLE drafts; --", DRAFT, [E("unmatched", reason="no_match")]),
]


@pytest.mark.parametrize(("text", "draft", "expected"), EDIT_CASES, ids=[c[0] for c in EDIT_CASES])
def test_draft_edits(text: str, draft: list[DraftPosition], expected: list[tuple]) -> None:
    assert brief(parse_draft_edit(text, draft)) == expected


def test_unmatched_keeps_the_phrase_to_ask_about() -> None:
    [edit] = parse_draft_edit("die Schläuche raus", NO_HOSES)
    assert edit.kind == "unmatched"
    assert edit.phrase == "die Schläuche raus"


def test_plain_tuples_are_accepted_as_positions() -> None:
    tuples = [tuple(p) for p in DRAFT]
    assert brief(parse_draft_edit("Pos. 2: 20", tuples)) == [E("set_qty", 2, "OR-0250-E", 20)]


def test_empty_and_oversized_input() -> None:
    assert parse_draft_edit("", DRAFT) == []
    edits = parse_draft_edit("Position 2 auf 20 " + "x" * 5000, DRAFT)
    assert all(len(e.phrase) <= 200 for e in edits)


# ------------------------------------------------------------------------------------------- hostile text
def test_the_message_that_once_stalled_the_app_is_read_like_any_other() -> None:
    """A digit, 1,900 spaces, a letter and an article: 11 s of backtracking once; now an article without quantity."""
    parsed = parse_quick_order("1" + " " * 1900 + "a 3S-1208")
    assert parsed.lines == [] and [(i.reason, i.sku) for i in parsed.issues] == [("missing_quantity", "3S-1208")]
    assert parse_quick_order("50" + " " * 1900 + "x 3S-1208").lines == [("3S-1208", 50)]


@pytest.mark.parametrize("text", ["Position 2, 3 entfernen", "remove positions 2,  3", "Position 2 und  3 löschen"])
def test_a_list_of_positions_stays_one_clause_however_it_is_spaced(text: str) -> None:
    assert brief(parse_draft_edit(text, DRAFT)) == [E("remove", 2, "OR-0250-E"), E("remove", 3, "HS-2010-25")]
