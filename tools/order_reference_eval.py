"""How well order references are read: our table and the public corpora, for our parser and for candidate libraries.

Every phrase ends as one of three outcomes, measured on the inclusive range of calendar days:
- right: the expected range (both ends clamped to the reference day, since no order is from the future; a corpus
  range "the last N days" that ends yesterday also matches one that includes today, our documented reading);
- empty: no range, so the assistant asks;
- wrong: any other range: the buyer would be shown the wrong orders.

Sources: tests/commerce/order_references.yml (our own table) and tests/commerce/corpora/public_date_phrases.tsv
(an extract of duckling's, Microsoft Recognizers-Text's and ctparse's test corpora, with a frozen half).

Candidates: `resolver` (ours) always; `ctparse` and `dateparser` when installed in the running environment (they
are not project dependencies: `pip install ctparse==0.3.6 dateparser==1.5.0` into a scratch virtualenv and run this
tool with it and PYTHONPATH=.). Each library is used as the base of the date grammar would use it: its reading of
the whole message, turned into days.

Usage: python tools/order_reference_eval.py [--candidates resolver,ctparse,dateparser] [--show-wrong]
(--show-wrong lists the misses of the table and of the corpora's dev half; the frozen half is only counted.)
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "tests" / "commerce" / "order_references.yml"
CORPUS = ROOT / "tests" / "commerce" / "corpora" / "public_date_phrases.tsv"
BERLIN = ZoneInfo("Europe/Berlin")
Range = tuple[date | None, date | None]


WEEKDAY_CODES = {"mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6}


@dataclass(frozen=True)
class Case:
    source: str
    lang: str
    today: date
    text: str
    expected: Range  # (None, None): the phrase must give no range
    split: str = "table"
    kind: str = "range"  # "range", "ask" (no range, date_unclear), "none" (no date mentioned)
    weekday: int | None = None  # the contradicting weekday the reply must name ("2026-11-12 !mo")


def parse_expectation(spec: str) -> tuple[str, Range, int | None]:
    """"2026-11-12", "2026-11-09..2026-11-15", "..2026-11-10", "2026-11-12 !mo", "ask", "none"."""
    spec, _, weekday = spec.partition(" !")
    if spec in ("ask", "none"):
        return spec, (None, None), None
    start, sep, end = spec.partition("..")
    return ("range", (date.fromisoformat(start) if start else None, date.fromisoformat(end if sep else start)),
            WEEKDAY_CODES[weekday] if weekday else None)


def table_cases() -> Iterator[Case]:
    import yaml

    data = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    days = {k: date.fromisoformat(str(v)) for k, v in data["now"].items()}
    for lang, now, text, spec in data["cases"]:
        kind, expected, weekday = parse_expectation(str(spec))
        yield Case("table", lang, days[now], text, expected, "table", kind, weekday)


def corpus_cases() -> Iterator[Case]:
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(("#", "source\t")):
            continue
        source, lang, ref, text, start, end, split = line.split("\t")
        yield Case(source.split(":")[0], lang, date.fromisoformat(ref), text,
                   (date.fromisoformat(start), date.fromisoformat(end)), split)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), BERLIN)


def read_resolver(case: Case) -> Range:
    from assistant.commerce.resolver import parse_order_reference

    ref = parse_order_reference(case.text, _noon(case.today), case.lang)
    return ref.date_from, ref.date_to


def read_ctparse(case: Case) -> Range:
    from ctparse import ctparse

    result = ctparse(case.text, ts=_noon(case.today).replace(tzinfo=None), timeout=1.0)
    if result is None:
        return None, None
    value = result.resolution
    if hasattr(value, "t_from"):
        start, end = _ct_time(value.t_from), _ct_time(value.t_to)
        return (start[0] if start else None), (end[1] if end else None)
    span = _ct_time(value)
    return span if span else (None, None)


def _ct_time(value: object) -> tuple[date, date] | None:
    year, month, day = (getattr(value, k, None) for k in ("year", "month", "day"))
    if year and month and day:
        found = date(year, month, day)
        return found, found
    if year and month:
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))
        return date(year, month, 1), last
    return None


def read_dateparser(case: Case) -> Range:
    from dateparser.search import search_dates

    settings = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": _noon(case.today).replace(tzinfo=None)}
    found = search_dates(case.text, languages=[case.lang], settings=settings)
    if not found:
        return None, None
    day = found[0][1].date()
    return day, day


CANDIDATES: dict[str, Callable[[Case], Range]] = {
    "resolver": read_resolver, "ctparse": read_ctparse, "dateparser": read_dateparser,
}


def outcome(case: Case, got: Range) -> str:
    if got == (None, None):
        return "empty"
    today = case.today

    def clamp(r: Range) -> Range:
        return r[0], (min(r[1], today) if r[1] else None)

    expected, result = clamp(case.expected), clamp(got)
    if result == expected:
        return "right"
    start, end = expected
    if (start and end and start != end and end == today - timedelta(days=1) and result == (start, today)):
        return "right"  # "the last 2 days" ending yesterday in the corpus; we include today
    return "wrong"


def evaluate(name: str, cases: list[Case], show_wrong: bool = False) -> dict[tuple[str, str, str], Counter[str]]:
    reader = CANDIDATES[name]
    counts: dict[tuple[str, str, str], Counter[str]] = {}
    for case in cases:
        try:
            got = reader(case)
        except Exception:  # a candidate that crashes on a phrase reads nothing from it
            got = (None, None)
        result = outcome(case, got) if case.expected != (None, None) else ("right" if got == (None, None)
                                                                           else "wrong")
        counts.setdefault((case.source, case.lang, case.split), Counter())[result] += 1
        if show_wrong and result != "right" and case.split != "frozen":  # the frozen half is only counted
            print(f"  {result} [{name}] {case.source} {case.lang} {case.today} {case.text!r}: "
                  f"expected {case.expected}, got {got}")
    return counts


def report(name: str, counts: dict[tuple[str, str, str], Counter[str]]) -> None:
    def line(label: str, c: Counter[str]) -> str:
        total = sum(c.values())
        pct = 100 * c["right"] / total if total else 0.0
        return f"{label:34} {total:5} {c['right']:6} {c['empty']:6} {c['wrong']:6}  {pct:5.1f} %"

    print(f"\n{name}: {'':26} phrases  right  empty  wrong  right")
    groups: dict[str, Counter[str]] = {}
    for (source, lang, split), c in sorted(counts.items()):
        print(line(f"  {source} {lang} {split}", c))
        key = "our table" if source == "table" else f"public corpora {split}"
        groups.setdefault(key, Counter()).update(c)
        if source != "table":
            groups.setdefault(f"public corpora {lang}", Counter()).update(c)
            groups.setdefault("public corpora all", Counter()).update(c)
    for key, c in groups.items():
        print(line(key, c))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", default="resolver")
    parser.add_argument("--show-wrong", action="store_true")
    parser.add_argument("--corpus-only", action="store_true")
    args = parser.parse_args(argv)
    cases = list(corpus_cases()) + ([] if args.corpus_only else list(table_cases()))
    for name in args.candidates.split(","):
        report(name, evaluate(name, cases, args.show_wrong))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
