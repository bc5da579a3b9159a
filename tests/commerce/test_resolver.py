"""parse_order_reference: every case asserts all fields exactly (dates as inclusive calendar ranges)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.commerce.resolver import (
    MAX_INPUT_CHARS,
    NaiveDatetime,
    OrderReference,
    parse_order_reference,
)
from assistant.errors import InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")
MON = datetime(2026, 11, 16, 10, 0, tzinfo=BERLIN)  # Monday
SUN = datetime(2026, 11, 22, 18, 0, tzinfo=BERLIN)  # Sunday
FIRST = datetime(2027, 1, 1, 9, 0, tzinfo=BERLIN)  # Friday, 1st of month and of year
SECOND = datetime(2026, 12, 2, 8, 0, tzinfo=BERLIN)  # Wednesday, 2nd of month


def d(text: str) -> date:
    return date.fromisoformat(text)


def days(start: str, end: str | None = None) -> OrderReference:
    return OrderReference(date_from=d(start), date_to=d(end or start))


DATE_CASES = [
    # --- a Monday (2026-11-16)
    ("letzten Montag", MON, days("2026-11-09")),
    ("vergangenen Montag", MON, days("2026-11-09")),
    ("last Monday", MON, days("2026-11-09")),
    ("am Montag", MON, days("2026-11-16")),
    ("on Monday", MON, days("2026-11-16")),
    ("Montag", MON, days("2026-11-16")),
    ("die Bestellung vom Dienstag", MON, days("2026-11-10")),
    ("am Di", MON, days("2026-11-10")),
    ("heute", MON, days("2026-11-16")),
    ("today", MON, days("2026-11-16")),
    ("gestern", MON, days("2026-11-15")),
    ("yesterday", MON, days("2026-11-15")),
    ("vorgestern", MON, days("2026-11-14")),
    ("the day before yesterday", MON, days("2026-11-14")),
    ("letzte Woche", MON, days("2026-11-09", "2026-11-15")),
    ("in der vergangenen Woche", MON, days("2026-11-09", "2026-11-15")),
    ("last week", MON, days("2026-11-09", "2026-11-15")),
    ("letzte Woche Dienstag", MON, days("2026-11-10")),
    ("Tuesday last week", MON, days("2026-11-10")),
    ("diese Woche", MON, days("2026-11-16")),
    ("this week", MON, days("2026-11-16")),
    ("am 12.11.", MON, days("2026-11-12")),
    ("am 12.11", MON, days("2026-11-12")),
    ("12.11.2026", MON, days("2026-11-12")),
    ("12.11.26", MON, days("2026-11-12")),
    ("2026-11-12", MON, days("2026-11-12")),
    ("12 November", MON, days("2026-11-12")),
    ("November 12", MON, days("2026-11-12")),
    ("12. November", MON, days("2026-11-12")),
    ("Nov 12th", MON, days("2026-11-12")),
    ("the 12th of November", MON, days("2026-11-12")),
    ("am 20.11.", MON, days("2025-11-20")),  # not in the future: last year's
    ("vor zwei Wochen", MON, days("2026-11-02")),  # that day, as both public corpora read it
    ("two weeks ago", MON, days("2026-11-02")),
    ("vor 3 Tagen", MON, days("2026-11-13")),
    ("3 days ago", MON, days("2026-11-13")),
    ("vor zwölf Tagen", MON, days("2026-11-04")),
    ("letzten Monat", MON, days("2026-10-01", "2026-10-31")),
    ("last month", MON, days("2026-10-01", "2026-10-31")),
    ("im Oktober", MON, days("2026-10-01", "2026-10-31")),
    ("in October", MON, days("2026-10-01", "2026-10-31")),
    ("im Dezember", MON, days("2025-12-01", "2025-12-31")),
    ("Anfang des Monats", MON, days("2026-11-01", "2026-11-10")),
    ("Ende des Monats", MON, days("2026-10-21", "2026-10-31")),
    ("vom 2.11. bis 6.11.", MON, days("2026-11-02", "2026-11-06")),
    ("between 1 Nov and 5 Nov", MON, days("2026-11-01", "2026-11-05")),
    ("in den letzten 2 Wochen", MON, days("2026-11-02", "2026-11-16")),
    ("seit letzter Woche", MON, days("2026-11-09", "2026-11-16")),
    ("in the past week", MON, days("2026-11-09", "2026-11-16")),
    ("bis 10.11.", MON, OrderReference(date_to=d("2026-11-10"))),
    # --- a Sunday (2026-11-22)
    ("letzten Montag", SUN, days("2026-11-16")),
    ("Sonntag", SUN, days("2026-11-22")),
    ("letzten Sonntag", SUN, days("2026-11-15")),
    ("last Sunday", SUN, days("2026-11-15")),
    ("Dienstag", SUN, days("2026-11-17")),
    ("letzte Woche", SUN, days("2026-11-09", "2026-11-15")),
    ("diese Woche", SUN, days("2026-11-16", "2026-11-22")),
    ("Tuesday last week", SUN, days("2026-11-10")),
    ("Dienstag letzter Woche", SUN, days("2026-11-10")),
    ("gestern", SUN, days("2026-11-21")),
    ("vor zwei Wochen", SUN, days("2026-11-08")),
    ("vorletzte Woche", SUN, days("2026-11-02", "2026-11-08")),
    ("vor 3 Tagen", SUN, days("2026-11-19")),
    ("am 30.11.", SUN, days("2025-11-30")),
    ("im November", SUN, days("2026-11-01", "2026-11-22")),
    ("letzten November", SUN, days("2025-11-01", "2025-11-30")),
    ("last November", SUN, days("2025-11-01", "2025-11-30")),
    # --- the 1st of a month, across the year boundary (Friday 2027-01-01)
    ("gestern", FIRST, days("2026-12-31")),
    ("vorgestern", FIRST, days("2026-12-30")),
    ("letzte Woche", FIRST, days("2026-12-21", "2026-12-27")),
    ("last week", FIRST, days("2026-12-21", "2026-12-27")),
    ("diese Woche", FIRST, days("2026-12-28", "2027-01-01")),
    ("letzten Monat", FIRST, days("2026-12-01", "2026-12-31")),
    ("last month", FIRST, days("2026-12-01", "2026-12-31")),
    ("im Dezember", FIRST, days("2026-12-01", "2026-12-31")),
    ("im Januar", FIRST, days("2027-01-01")),
    ("am 12.11.", FIRST, days("2026-11-12")),
    ("am 1.1.", FIRST, days("2027-01-01")),
    ("am 2.1.", FIRST, days("2026-01-02")),
    ("letzten Freitag", FIRST, days("2026-12-25")),
    ("Freitag", FIRST, days("2027-01-01")),
    ("Montag", FIRST, days("2026-12-28")),
    ("letzte Woche Dienstag", FIRST, days("2026-12-22")),
    ("vor 2 Monaten", FIRST, days("2026-11-01")),
    ("vor zwei Wochen", FIRST, days("2026-12-18")),
    ("Ende des Monats", FIRST, days("2026-12-21", "2026-12-31")),
    ("Anfang des Monats", FIRST, days("2027-01-01")),
    ("seit dem 20.12.", FIRST, days("2026-12-20", "2027-01-01")),
    ("Dec 24th", FIRST, days("2026-12-24")),
    ("24. Dezember", FIRST, days("2026-12-24")),
    ("in the last 3 days", FIRST, days("2026-12-29", "2027-01-01")),
    ("this month", FIRST, days("2027-01-01")),
    # --- the 2nd of a month (Wednesday 2026-12-02)
    ("letzte Woche", SECOND, days("2026-11-23", "2026-11-29")),
    ("letzten Monat", SECOND, days("2026-11-01", "2026-11-30")),
    ("diese Woche", SECOND, days("2026-11-30", "2026-12-02")),
    ("Montag", SECOND, days("2026-11-30")),
    ("Mittwoch", SECOND, days("2026-12-02")),
    ("letzten Mittwoch", SECOND, days("2026-11-25")),
    ("am 3.12.", SECOND, days("2025-12-03")),
    ("Ende des Monats", SECOND, days("2026-11-21", "2026-11-30")),
    ("Anfang des Monats", SECOND, days("2026-12-01", "2026-12-02")),
    ("vorgestern", SECOND, days("2026-11-30")),
    ("Dienstag letzter Woche", SECOND, days("2026-11-24")),
    ("two weeks ago", SECOND, days("2026-11-18")),
    ("vor einer Woche", SECOND, days("2026-11-25")),
    ("a week ago", SECOND, days("2026-11-25")),
    ("im Dezember", SECOND, days("2026-12-01", "2026-12-02")),
    ("end of last month", SECOND, days("2026-11-21", "2026-11-30")),
]


@pytest.mark.parametrize(
    ("text", "now", "expected"), DATE_CASES, ids=[f"{c[0]}@{c[1]:%a-%Y-%m-%d}" for c in DATE_CASES]
)
def test_dates(text: str, now: datetime, expected: OrderReference) -> None:
    assert replace(parse_order_reference(text, now), description="") == expected


OTHER_CASES = [
    # order numbers
    ("Auftrag 4711", OrderReference(order_number="4711")),
    ("order #4711", OrderReference(order_number="4711")),
    ("Bestellung Nr. 4711", OrderReference(order_number="4711")),
    ("Wo ist meine Bestellung 4711?", OrderReference(order_number="4711")),
    ("where is order no. 123456", OrderReference(order_number="123456")),
    ("Auftragsnummer: 0815", OrderReference(order_number="0815")),
    ("#4711", OrderReference(order_number="4711")),
    ("wo ist 4711?", OrderReference(order_number="4711")),
    ("Auftrag 12", OrderReference()),
    ("4711 oder 4712?", OrderReference()),
    # things that are not order numbers
    ("3S-1208", OrderReference(sku="3S-1208")),
    ("3s-1208 bitte", OrderReference(sku="3S-1208")),
    ("OR-0250-E nachbestellen", OrderReference(sku="OR-0250-E")),
    ("QC-300-08 x 50", OrderReference(sku="QC-300-08")),
    ("50 Stück 3S-1208", OrderReference(sku="3S-1208")),
    ("500 Stück", OrderReference()),
    ("G1/4, 8 mm, 350 bar, 120 °C", OrderReference()),
    ("Werkstoff 1.4404", OrderReference()),
    ("Edelstahl 1.4571, DN 100", OrderReference()),
    ("Lieferschein 80012", OrderReference()),
    ("Rechnung Nr. 90012", OrderReference()),
    ("Kunden-Nr. 10001", OrderReference()),
    ("who has to confirm a 3.2 certificate under EN 10204?", OrderReference()),
    ("Milchrohrverschraubung DIN 11851", OrderReference()),
    ("Verschraubungen nach DIN EN ISO 8434-1", OrderReference()),
    ("im Jahr 2026", days("2026-01-01", "2026-11-16")),  # a year, never an order number
    ("um 12.30 Uhr", OrderReference()),
    ("die", OrderReference()),
    ("so", OrderReference()),
    # PO references
    ("Bestellnummer BE-4471/2026", OrderReference(po_reference="BE-4471/2026")),
    ("our PO number PO-2026-0815", OrderReference(po_reference="PO-2026-0815")),
    ("PO-2026-0815", OrderReference(po_reference="PO-2026-0815")),
    ("PO: 4471", OrderReference(po_reference="4471")),
    ("unsere Bestell-Nr. lautet 4500012345.", OrderReference(po_reference="4500012345")),
    # flags and hints
    ("meine letzte Bestellung", OrderReference(latest=True)),
    ("my last order", OrderReference(latest=True)),
    ("show me the latest", OrderReference(latest=True)),
    ("meine vorletzte Bestellung", OrderReference(latest=True, skip=1)),
    ("den vorletzten Auftrag nochmal", OrderReference(latest=True, skip=1)),
    ("wie beim vorletzten Mal", OrderReference(latest=True, skip=1)),
    ("die Bestellung vor der letzten", OrderReference(latest=True, skip=1)),
    ("meine drittletzte Bestellung", OrderReference(latest=True, skip=2)),
    ("my second to last order", OrderReference(latest=True, skip=1)),
    ("the order before last", OrderReference(latest=True, skip=1)),
    ("the one before my last order", OrderReference(latest=True, skip=1)),
    ("penultimate order", OrderReference(latest=True, skip=1)),
    ("third-to-last order", OrderReference(latest=True, skip=2)),
    ("meine offenen Aufträge", OrderReference(open_only=True)),
    ("my open orders", OrderReference(open_only=True)),
    ("which orders are still open?", OrderReference(open_only=True)),
    ("was ist noch nicht geliefert?", OrderReference(open_only=True)),
    ("die Bestellung mit den O-Ringen", OrderReference(product_hint="o-ringe")),
    ("the order with the O-rings", OrderReference(product_hint="o-rings")),
    ("the order with the hoses", OrderReference(product_hint="hoses")),
    ("die mit den Schläuchen", OrderReference(product_hint="schläuche")),
    ("die Bestellung mit den Dichtungen", OrderReference(product_hint="dichtungen")),
    ("die O-Ring-Bestellung", OrderReference(product_hint="o-ring")),
    ("the hose order", OrderReference(product_hint="hose")),
    ("the new order", OrderReference()),
    ("mit der Auftragsnummer", OrderReference()),
    # combinations
    ("die Bestellung mit den Schläuchen vom letzten Montag",
     OrderReference(product_hint="schläuche", date_from=d("2026-11-09"), date_to=d("2026-11-09"))),
    ("Auftrag 4711 vom 12.11.",
     OrderReference(order_number="4711", date_from=d("2026-11-12"), date_to=d("2026-11-12"))),
    ("meine letzte Bestellung von 3S-1208", OrderReference(latest=True, sku="3S-1208")),
    ("offene Bestellungen seit Oktober",
     OrderReference(open_only=True, date_from=d("2026-10-01"), date_to=d("2026-11-16"))),
]


@pytest.mark.parametrize(("text", "expected"), OTHER_CASES, ids=[c[0] for c in OTHER_CASES])
def test_references(text: str, expected: OrderReference) -> None:
    assert replace(parse_order_reference(text, MON), description="") == expected


HOSTILE_CASES = [
    "Auftrag 12345678901",
    "12345678901234567890",
    "order 99999999999999999999999999",
    "PO: ../../etc/passwd",
    "Bestellnummer x'; DROP TABLE orders; --",
    "Bestellnummer 4471';--",
    "PO " + "A1" * 30,
    "<script>alert(1)</script>",
    "Bestellnummer ..\\..\\windows",
    "PO: 1 OR 1=1",
]


@pytest.mark.parametrize("text", HOSTILE_CASES)
def test_hostile_input_yields_nothing(text: str) -> None:
    ref = parse_order_reference(text, MON)
    assert ref.is_empty(), ref
    assert ref.description == ""


def test_only_validated_charsets_reach_fields() -> None:
    text = "order 4711'; DROP TABLE orders;-- PO-12/../x mit den ' OR 1=1 --"
    ref = parse_order_reference(text, MON)
    assert ref.order_number == "4711"
    for value in (ref.order_number, ref.po_reference, ref.product_hint, ref.sku):
        assert value is None or (not any(c in value for c in "';\"\\<>=*") and ".." not in value)


def test_input_is_truncated() -> None:
    assert parse_order_reference("x" * 2100 + " Auftrag 4711", MON).is_empty()
    assert parse_order_reference("Auftrag 4711 " + "x" * 5000, MON).order_number == "4711"
    assert MAX_INPUT_CHARS == 2000


def test_now_is_converted_to_berlin() -> None:
    # 23:30 UTC on Sunday is already Monday in Berlin.
    now = datetime(2026, 11, 15, 23, 30, tzinfo=UTC)
    assert parse_order_reference("heute", now) == replace(days("2026-11-16"), description="Mo., 16.11.2026")
    assert parse_order_reference("letzten Montag", now).date_from == d("2026-11-09")


def test_naive_now_is_refused() -> None:
    with pytest.raises(NaiveDatetime):
        parse_order_reference("heute", datetime(2026, 11, 16, 10, 0))
    assert issubclass(NaiveDatetime, InvalidInput)


@pytest.mark.parametrize(
    ("text", "language", "description"),
    [
        ("Auftrag 4711 vom letzten Montag", "de", "Auftrag 4711, Mo., 09.11.2026"),
        ("order 4711 from last Monday", "en", "order 4711, Mon 9 Nov 2026"),
        ("letzte Woche", "de", "09.11.2026 – 15.11.2026"),
        ("last week", "en", "9 Nov 2026 – 15 Nov 2026"),
        ("meine letzte Bestellung mit den O-Ringen", None, "letzte Bestellung, mit „o-ringe“"),
        ("meine vorletzte Bestellung", "de", "vorletzte Bestellung"),
        ("the order before last", "en", "second to last order"),
        ("my open orders with the hoses", None, "open orders, with “hoses”"),
        ("Bestellnummer BE-4471/2026", "de", "Bestellnummer BE-4471/2026"),
        ("PO-2026-0815", "en", "PO reference PO-2026-0815"),
        ("3S-1208", "en", "article 3S-1208"),
        ("bis 10.11.", "de", "bis 10.11.2026"),
        ("seit dem 12.11.", "en", "12 Nov 2026 – 16 Nov 2026"),
    ],
)
def test_description_in_the_input_language(text: str, language: str | None, description: str) -> None:
    assert parse_order_reference(text, MON, language).description == description


def test_is_empty() -> None:
    assert OrderReference().is_empty()
    assert OrderReference(description="irgendwas").is_empty()
    assert not OrderReference(latest=True).is_empty()
    assert not OrderReference(date_to=d("2026-11-10")).is_empty()
