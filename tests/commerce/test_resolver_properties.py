"""parse_order_reference on hostile and random text: linear time, no exception but the documented one, and a result
that is either empty or a valid range that does not reach into the future.

Timing is thread CPU time with a ceiling ten times the parser benchmark's 20 ms budget (tools/bench_parsers.py),
so a loaded machine does not fail it while a backtracking pattern fails it by orders of magnitude.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.commerce.resolver import MAX_INPUT_CHARS, NaiveDatetime, OrderReference, parse_order_reference
from assistant.errors import InvalidInput
from tools.bench_parsers import PAIRS, RUNS, adversarial_inputs, cpu_ms

CEILING_MS = 200.0
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=BERLIN)
# Pieces of date phrases: repeated, they are what could make the date patterns backtrack.
DATE_PIECES = [
    "12.", "12.11.", "am ", "vom ", "Montag ", "Montag, ", "Q3 ", "12/", "4/5 ", "1-", "-15 ", "KW ", "KW 4", "vor ",
    "ago ", "the 1st of ", "13. - ", "Juli ", "July 13-", "2026 ", "2026-", "1 month ", "1 month, ", "letzte ",
    "Woche ", "first ", "of ", "between ", "and ", "bis ", "1. ", "15ten ", "Oct-", "Anfang ", "ende ", "der ",
    "erster ", "zwanzigsten ", "twenty ", "half of ", "H1 ", "Quartal ", "in den letzten ", "2 ", "Tagen ", "seit ",
    "1/2 ", "05.  2016", "'99 ", "\u00a0", "\x00",
]
PIECES = RUNS + [a + b for a, b in PAIRS] + DATE_PIECES + ["Auftrag 4711", "3S-1208", "PO-2026-0815"]


def valid(ref: OrderReference, today: date) -> None:
    """Either no range, or one whose ends are real days in order, none after today."""
    start, end = ref.date_from, ref.date_to
    if start is not None and end is not None:
        assert start <= end
    for day in (start, end):
        assert day is None or date(1900, 1, 1) <= day <= today
    if ref.date_unclear:
        assert start is None and end is None
    assert ref.stated_weekday is None or (start is not None and start == end and start.weekday() != ref.stated_weekday)


def _parse(text: str) -> OrderReference:
    return parse_order_reference(text, NOW, "de")


def test_adversarial_inputs_at_the_message_limit_stay_far_below_a_second() -> None:
    _parse("warm up am 12.11.")
    inputs = list(adversarial_inputs())
    inputs += [(f"run {p!r}", (p * MAX_INPUT_CHARS)[:MAX_INPUT_CHARS]) for p in DATE_PIECES]
    inputs += [(f"run {p!r} + date", (p * MAX_INPUT_CHARS)[:MAX_INPUT_CHARS - 12] + " am 12.11.") for p in DATE_PIECES]
    slow = [(label, round(ms)) for label, text in inputs if (ms := cpu_ms(_parse, text)) > CEILING_MS]
    assert not slow, slow[:5]
    for _, text in inputs:
        valid(_parse(text), NOW.date())


def test_time_grows_linearly_with_the_input() -> None:
    """Ten times the input may take about ten times as long, not a hundred times (best of three)."""
    for piece in ("Q3 ", "Montag, ", "1 month, ", "12.", "between 2015 and ", "1/"):
        short = (piece * 200)[:200]
        long = (piece * 2000)[:2000]
        ratio = cpu_ms(_parse, long, 3) / max(cpu_ms(_parse, short, 3), 0.05)
        assert ratio < 30, (piece, ratio)


runs = st.lists(st.tuples(st.sampled_from(PIECES), st.integers(1, 400)), min_size=1, max_size=6)
free = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def hostile_messages(draw: Any) -> str:
    parts = [piece * count for piece, count in draw(runs)]
    parts.insert(draw(st.integers(0, len(parts))), draw(free))
    return "".join(parts)[: draw(st.sampled_from([MAX_INPUT_CHARS, MAX_INPUT_CHARS + 50, 300]))]


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=hostile_messages(), today=days, language=st.sampled_from(["de", "en", None]))
def test_hostile_messages_parse_quickly_into_empty_or_valid_ranges(text: str, today: date, language: str | None) \
        -> None:
    now = datetime(today.year, today.month, today.day, 12, 0, tzinfo=BERLIN)
    assert cpu_ms(lambda t: parse_order_reference(t, now, language), text) <= CEILING_MS
    valid(parse_order_reference(text, now, language), today)


phrase_parts = st.sampled_from([
    "am", "vom", "bis", "seit", "the", "on", "of", "between", "and", "und", "-", "/", ".", ",", "letzte", "last",
    "Woche", "week", "Monat", "month", "Jahr", "year", "Quartal", "Q3", "KW", "ago", "vor", "Tagen", "days",
    "Montag", "Friday", "Mo", "Juli", "Oct", "März", "may", "erster", "fünfter", "second", "twenty", "15th",
    "15ten", "12.11.", "4/5", "21/04/2016", "2016/11/12", "2025", "11/2026", "Anfang", "end", "early", "H1",
    "31", "29.02.", "0", "99", "1", "12", "13",
])


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(words=st.lists(phrase_parts, min_size=1, max_size=8), today=days)
def test_random_date_phrases_never_raise_and_give_empty_or_valid_ranges(words: list[str], today: date) -> None:
    now = datetime(today.year, today.month, today.day, 9, 0, tzinfo=BERLIN)
    ref = parse_order_reference(" ".join(words), now)
    valid(ref, today)
    assert isinstance(ref.description, str)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(text=free, offset=st.integers(-14, 14))
def test_only_the_documented_error_is_raised(text: str, offset: int) -> None:
    """A timezone-aware `now` in any zone is fine; a naive one raises NaiveDatetime, an InvalidInput."""
    aware = NOW.astimezone(ZoneInfo("UTC")) + timedelta(hours=offset)
    valid(parse_order_reference(text, aware), aware.astimezone(BERLIN).date())
    with pytest.raises(InvalidInput) as raised:
        parse_order_reference(text, aware.replace(tzinfo=None))
    assert isinstance(raised.value, NaiveDatetime)
