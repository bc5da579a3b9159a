"""How buyers refer to their orders: "letzten Montag", "order #4711", "die Bestellung mit den O-Ringen".

A small, careful, regex-based parser (no dateparser: general date libraries read "12.11." as a time,
"die" as Tuesday and "1.4404" as a date). It turns one chat message into an `OrderReference` whose
fields are validated to narrow charsets, so nothing a user typed reaches a query unchecked.

Semantics (full table with examples in docs/order-references.md). "today" is the calendar date of
`now` in Europe/Berlin; all ranges are inclusive calendar dates.

- "heute"/"today" = today; "gestern"/"yesterday" = today-1; "vorgestern"/"the day before yesterday" = today-2.
- "letzten/vergangenen Montag", "last/previous Monday": the most recent Monday strictly before today
  (on a Monday: 7 days ago).
- bare "Montag", "am/vom Montag", "on Monday": the most recent Monday including today (on a Monday:
  today). Say "letzten Montag" for the one before. The reply names the concrete date, so a buyer
  who meant the other one can correct it.
- "the past week": today-7 .. today, like "the last 7 days".
- "letzte/vergangene Woche", "last/previous week": the ISO week (Mon-Sun) before the current one;
  "vorletzte Woche"/"the week before last": the one before that.
- "letzte Woche Dienstag", "Dienstag letzter Woche", "Tuesday last week": that day of last ISO week.
- "diese Woche"/"this week": Monday of the current week .. today.
- "12.11.", "am 12.11", "12 November", "November 12", "12. Nov.", "Nov 12th": the most recent such
  date not in the future. With a year ("12.11.2026", "12.11.26", "2026-11-12") the date as written.
- "vor 3 Tagen"/"3 days ago": that day. "vor zwei Wochen"/"two weeks ago": the ISO week containing
  today-14. "vor 2 Monaten"/"2 months ago": that calendar month. Number words one..twelve,
  eins..zwölf, ein/eine/a/an.
- "in den letzten 3 Tagen/Wochen", "in the last 14 days": today-N days (weeks, months) .. today.
- "letzten Monat"/"last month": the previous calendar month; "diesen Monat"/"this month": 1st .. today.
- "im Oktober"/"in October"/"Oktober 2025": the most recent October that has begun (current month:
  1st .. today). "letzten Oktober"/"last October": the most recent October before the current month.
- "Anfang/Mitte/Ende des Monats", "Anfang Oktober", "end of last month", "early October": days 1-10,
  11-20, 21-end of that month; for "des Monats" the most recent such part that has begun.
- "seit/since/ab X": X .. today; "bis/until X": open start .. X; "vom X bis Y", "between X and Y",
  "X - Y": X .. Y. Several unrelated dates: the first one counts.
- "meine letzte Bestellung", "my last/latest order", "zuletzt": latest=True.
- "vorletzte Bestellung", "drittletzte", "second to last order", "the order before last", "penultimate order":
  latest=True with skip=1 (2 for "drittletzte"/"third to last"): that many newer orders are passed over.
- "meine offenen Aufträge", "offene Bestellungen", "my open orders", "what is still open": open_only=True.
- "Auftrag 4711", "order #4711", "Bestellung Nr. 4711", "#4711", or one bare 3-10 digit number that is
  not a quantity, size, pressure, temperature, year, material number (1.4404) or part of an article
  number: order_number. A keyword-led number longer than 10 digits rejects the reference's number.
- "Bestellnummer BE-4471/2026", "PO-2026-0815", "PO: 4471", "unsere Referenz X": po_reference (in German
  B2B use the "Bestellnummer" is the buyer's number; the supplier's is the "Auftragsnummer").
- an article number (e.g. 3S-1208, QC-300-08, OR-0250-E; any case) → sku, upper-cased.
- "die Bestellung mit den O-Ringen" → product_hint "o-ringe"; "the order with the hoses" → "hoses";
  "the O-ring order", "die O-Ring-Bestellung" → "o-ring".
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from assistant.errors import InvalidInput

MAX_INPUT_CHARS = 2000
DEFAULT_TZ = "Europe/Berlin"
_MASK = "\x00"

# Article numbers. The catalogue has one-letter suffixes (OR-0250-E), so the suffix is 1..3 chars; the
# prefix must contain a letter so that "0711-1234" or "12-2026" are never taken for articles.
SKU_RE = re.compile(r"^(?=[A-Z0-9]{0,4}[A-Z])[A-Z0-9]{2,5}-[0-9]{3,4}(?:-[0-9A-Z]{1,3})?$")
_SKU_IN_TEXT = re.compile(
    r"(?<![\w./-])((?=[a-z0-9]{0,4}[a-z])[a-z0-9]{2,5}-[0-9]{3,4}(?:-[0-9a-z]{1,3})?)(?![\w-]|[./][0-9a-z])"
)
PO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}$")
ORDER_NUMBER_RE = re.compile(r"^[0-9]{3,10}$")


def _words(block: str) -> list[str]:
    return block.split()


class NaiveDatetime(InvalidInput):
    """`now` must be timezone-aware: a naive time cannot be put into Europe/Berlin reliably."""


@dataclass(frozen=True)
class OrderReference:
    """What a buyer said about which order(s) they mean; every field validated, empty when unsure."""

    order_number: str | None = None
    po_reference: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    latest: bool = False
    skip: int = 0  # with latest: how many newer orders to pass over ("vorletzte" = 1)
    open_only: bool = False
    product_hint: str | None = None
    sku: str | None = None
    description: str = ""

    def is_empty(self) -> bool:
        """True when nothing usable was found (the description does not count)."""
        return not (
            self.order_number or self.po_reference or self.date_from or self.date_to or self.latest
            or self.open_only or self.product_hint or self.sku
        )


# --------------------------------------------------------------------------------------------- words

_WEEKDAYS = {
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5, "sonnabend": 5,
    "sonntag": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}
# Abbreviations are only weekdays after an introducing word ("am Di", "last Fri"), never alone:
# German "die"/"so"/"do" and English "sun"/"sat" are ordinary words.
_WEEKDAY_ABBR = {
    "mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6,
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6,
}
_MONTHS = {
    "januar": 1, "jänner": 1, "jaenner": 1, "january": 1, "jan": 1,
    "februar": 2, "feber": 2, "february": 2, "feb": 2,
    "märz": 3, "maerz": 3, "march": 3, "mär": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "december": 12, "dez": 12, "dec": 12,
}
# Month names that are also ordinary words need a preposition when they stand without a day.
_MONTH_NEEDS_CONTEXT = {"may", "march", "mar", "jan", "sat", "dec", "mai"}
_MONTH_CONTEXT = tuple(_words(
    """
    im in vom von from during seit since ab aus bis until last letzt vergangen previous past anfang mitte ende
    early mid late
    """
))
_NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "eins": 1, "a": 1, "an": 1, "one": 1,
    "zwei": 2, "two": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fünf": 5, "fuenf": 5, "five": 5,
    "sechs": 6, "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "neun": 9, "nine": 9,
    "zehn": 10, "ten": 10, "elf": 11, "eleven": 11, "zwölf": 12, "zwoelf": 12, "twelve": 12,
}

_WD = r"(?P<wd>" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")s?"
_WD_ABBR = r"(?P<wda>" + "|".join(sorted(_WEEKDAY_ABBR, key=len, reverse=True)) + r")\.?"
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_NUM = r"(?P<n>\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_LAST_DE = r"(?:letzte[nrs]?|vergangene[nrs]?|vorige[nrs]?)"
_LAST_EN = r"(?:last|previous|past)"
_LAST_WEEK = rf"(?:{_LAST_DE}\s+woche|(?:last|previous)\s+week|vorwoche)"
_B = r"(?<![\w])"  # word start (also after the mask character)
_E = r"(?![\w])"


def _n(value: str) -> int | None:
    if value.isdigit():
        return int(value)
    return _NUMBER_WORDS.get(value)


# ---------------------------------------------------------------------------------------- date maths


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _recent_day_month(today: date, day: int, month: int) -> date | None:
    """The most recent `day.month.` not after today (Feb 29 looks back to the last leap year)."""
    for year in range(today.year, today.year - 9, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def _recent_month(today: date, month: int, strictly_before: bool = False) -> tuple[int, int]:
    if month < today.month or (month == today.month and not strictly_before):
        return today.year, month
    return today.year - 1, month


def _clamp(span: tuple[date, date], today: date) -> tuple[date, date]:
    start, end = span
    return start, min(end, today) if start <= today else end


def _part_of_month(year: int, month: int, part: str) -> tuple[date, date]:
    last = monthrange(year, month)[1]
    if part in ("anfang", "beginning", "early", "start"):
        return date(year, month, 1), date(year, month, 10)
    if part in ("mitte", "middle", "mid"):
        return date(year, month, 11), date(year, month, 20)
    return date(year, month, 21), date(year, month, last)


def _year(value: str | None) -> int | None:
    if not value:
        return None
    number = int(value)
    return 2000 + number if len(value) == 2 else number


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# ----------------------------------------------------------------------------------------- patterns

Span = tuple[date | None, date | None]
_Handler = Callable[[re.Match[str], date, str], Span | None]


def _weekday_of(m: re.Match[str], original: str) -> int | None:
    groups = m.groupdict()
    if groups.get("wd"):
        return _WEEKDAYS[groups["wd"]]
    abbr = groups.get("wda")
    if not abbr:
        return None
    # German two-letter abbreviations only when capitalised as typed ("am Di", not "am di").
    if len(abbr) == 2 and not original[m.start("wda")].isupper():
        return None
    return _WEEKDAY_ABBR[abbr]


def _last_week_day(m: re.Match[str], today: date, original: str) -> Span | None:
    wd = _weekday_of(m, original)
    if wd is None:
        return None
    day = _monday(today) - timedelta(days=7) + timedelta(days=wd)
    return day, day


def _this_week_day(m: re.Match[str], today: date, original: str) -> Span | None:
    wd = _weekday_of(m, original)
    if wd is None:
        return None
    day = _monday(today) + timedelta(days=wd)
    return day, day


def _previous_weekday(m: re.Match[str], today: date, original: str) -> Span | None:
    wd = _weekday_of(m, original)
    if wd is None:
        return None
    back = (today.weekday() - wd) % 7 or 7
    day = today - timedelta(days=back)
    return day, day


def _weekday_incl_today(m: re.Match[str], today: date, original: str) -> Span | None:
    wd = _weekday_of(m, original)
    if wd is None:
        return None
    day = today - timedelta(days=(today.weekday() - wd) % 7)
    return day, day


def _days_back(days: int) -> _Handler:
    def handler(m: re.Match[str], today: date, original: str) -> Span:
        day = today - timedelta(days=days)
        return day, day

    return handler


def _weeks_back(weeks: int) -> _Handler:
    def handler(m: re.Match[str], today: date, original: str) -> Span:
        start = _monday(today) - timedelta(days=7 * weeks)
        end = start + timedelta(days=6)
        return (start, min(end, today)) if weeks == 0 else (start, end)

    return handler


def _months_back(months: int) -> _Handler:
    def handler(m: re.Match[str], today: date, original: str) -> Span:
        year, month = _shift_month(today.year, today.month, -months)
        return _clamp(_month_range(year, month), today)

    return handler


def _last_n_days(count: int) -> _Handler:
    def handler(m: re.Match[str], today: date, original: str) -> Span:
        return today - timedelta(days=count), today

    return handler


def _ago(m: re.Match[str], today: date, original: str) -> Span | None:
    count = _n(m.group("n"))
    unit = m.group("unit")
    if count is None or count < 1:
        return None
    if unit.startswith(("tag", "day")):
        if count > 400:
            return None
        day = today - timedelta(days=count)
        return day, day
    if unit.startswith(("woche", "week")):
        if count > 60:
            return None
        return _weeks_back(count)(m, today, original)
    if count > 36:
        return None
    return _months_back(count)(m, today, original)


def _last_n(m: re.Match[str], today: date, original: str) -> Span | None:
    count = _n(m.group("n"))
    unit = m.group("unit")
    if count is None or count < 1:
        return None
    if unit.startswith(("tag", "day")):
        days = count
    elif unit.startswith(("woche", "week")):
        days = 7 * count
    else:
        if count > 36:
            return None
        year, month = _shift_month(today.year, today.month, -count)
        day = min(today.day, monthrange(year, month)[1])
        return date(year, month, day), today
    if days > 400:
        return None
    return today - timedelta(days=days), today


def _numeric_date(m: re.Match[str], today: date, original: str) -> Span | None:
    day, month = int(m.group("d")), int(m.group("m"))
    year = _year(m.groupdict().get("y"))
    found = _safe_date(year, month, day) if year else _recent_day_month(today, day, month)
    return (found, found) if found else None


def _iso_date(m: re.Match[str], today: date, original: str) -> Span | None:
    found = _safe_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    return (found, found) if found else None


def _named_date(m: re.Match[str], today: date, original: str) -> Span | None:
    month = _MONTHS[m.group("mon")]
    day = int(m.group("d"))
    year = _year(m.groupdict().get("y"))
    found = _safe_date(year, month, day) if year else _recent_day_month(today, day, month)
    return (found, found) if found else None


def _month_only(strictly_before: bool) -> _Handler:
    def handler(m: re.Match[str], today: date, original: str) -> Span | None:
        month = _MONTHS[m.group("mon")]
        year = _year(m.groupdict().get("y"))
        if year is None:
            year, month = _recent_month(today, month, strictly_before)
        return _clamp(_month_range(year, month), today)

    return handler


def _part_named_month(m: re.Match[str], today: date, original: str) -> Span | None:
    month = _MONTHS[m.group("mon")]
    year = _year(m.groupdict().get("y"))
    if year is None:
        year, month = _recent_month(today, month)
    return _clamp(_part_of_month(year, month, m.group("part")), today)


def _part_relative_month(m: re.Match[str], today: date, original: str) -> Span | None:
    part = m.group("part")
    if m.groupdict().get("last"):
        year, month = _shift_month(today.year, today.month, -1)
        return _part_of_month(year, month, part)
    span = _part_of_month(today.year, today.month, part)
    if span[0] > today:  # "Ende des Monats" on the 2nd: the end of the month that has been
        year, month = _shift_month(today.year, today.month, -1)
        return _part_of_month(year, month, part)
    return _clamp(span, today)


def _today(m: re.Match[str], today: date, original: str) -> Span:
    return today, today


_PART = r"(?P<part>anfang|mitte|ende|beginning|middle|start|end)"
_PART_EN = r"(?P<part>early|mid|late)"
_OF_MONTH = (
    rf"(?:des\s+|dieses\s+)?monats?|(?P<last>(?:des\s+)?{_LAST_DE}\s+monats?|letzten\s+monat|vormonats?)"
)
_OF_MONTH_EN = rf"of\s+(?:the\s+|this\s+)?month|of\s+(?P<last>{_LAST_EN}\s+month)"
_YEAR = r"(?P<y>(?:19|20)\d{2})"

# Order matters: combinations before their parts, longer before shorter.
_DATE_PATTERNS: list[tuple[re.Pattern[str], _Handler]] = [
    (re.compile(p), h)
    for p, h in [
        # last week's weekday, both word orders, German and English
        (
            rf"{_B}(?:in\s+der\s+|am\s+)?{_LAST_WEEK}\s*,?\s*(?:am\s+|on\s+)?(?:{_WD}|{_WD_ABBR}){_E}",
            _last_week_day,
        ),
        (
            rf"{_B}(?:am\s+|on\s+)?(?:{_WD}|{_WD_ABBR})\s*,?\s*(?:der\s+|in\s+der\s+|of\s+)?"
            rf"(?:{_LAST_DE}\s+woche|{_LAST_EN}\s+week|vorwoche){_E}",
            _last_week_day,
        ),
        (rf"{_B}(?:diese\s+woche|this\s+week)\s*,?\s*(?:am\s+|on\s+)?{_WD}{_E}", _this_week_day),
        (rf"{_B}(?:am\s+|on\s+)?{_WD}\s*,?\s*(?:diese[rn]?\s+woche|this\s+week){_E}", _this_week_day),
        (rf"{_B}(?:{_LAST_DE}|{_LAST_EN})\s+(?:{_WD}|{_WD_ABBR}){_E}", _previous_weekday),
        (rf"{_B}(?:am|vom|von|seit|ab|bis|on|since|from|until)\s+{_WD_ABBR}(?![\w])", _weekday_incl_today),
        (rf"{_B}(?:am\s+|vom\s+|on\s+)?{_WD}{_E}", _weekday_incl_today),
        # days
        (rf"{_B}(?:vorgestern|(?:the\s+)?day\s+before\s+yesterday){_E}", _days_back(2)),
        (rf"{_B}(?:gestern|yesterday){_E}", _days_back(1)),
        (rf"{_B}(?:heute|heutigen?|today|today's|this\s+morning){_E}", _today),
        # relative counts
        (rf"{_B}vor\s+{_NUM}\s+(?P<unit>tag|tagen|woche|wochen|monat|monaten){_E}", _ago),
        (rf"{_B}{_NUM}\s+(?P<unit>days?|weeks?|months?)\s+ago{_E}", _ago),
        (
            rf"{_B}(?:in\s+den\s+|in\s+the\s+|während\s+der\s+|during\s+the\s+)?(?:{_LAST_DE}|{_LAST_EN})\s+"
            rf"{_NUM}\s+(?P<unit>tage|tagen|wochen|monate|monaten|days|weeks|months){_E}",
            _last_n,
        ),
        # weeks
        (rf"{_B}(?:vorletzte[nr]?\s+woche|(?:the\s+)?week\s+before\s+last){_E}", _weeks_back(2)),
        (rf"{_B}(?:in\s+der\s+|im\s+)?(?:{_LAST_WEEK}){_E}", _weeks_back(1)),
        (rf"{_B}(?:in\s+|during\s+)?(?:the\s+)?past\s+week{_E}", _last_n_days(7)),
        (rf"{_B}(?:in\s+)?(?:diese[rn]?\s+woche|this\s+week){_E}", _weeks_back(0)),
        # parts of months
        (rf"{_B}{_PART}\s+(?:{_OF_MONTH}){_E}", _part_relative_month),
        (rf"{_B}(?:at\s+the\s+|in\s+the\s+)?{_PART}\s+(?:{_OF_MONTH_EN}){_E}", _part_relative_month),
        (rf"{_B}{_PART}\s+{_MONTH}(?:\s+{_YEAR})?{_E}", _part_named_month),
        (rf"{_B}{_PART_EN}[\s-]+{_MONTH}(?:\s+{_YEAR})?{_E}", _part_named_month),
        # months
        (rf"{_B}(?:im\s+|in\s+)?(?:{_LAST_DE}\s+monat|{_LAST_EN}\s+month|vormonat){_E}", _months_back(1)),
        (rf"{_B}(?:in\s+|im\s+)?(?:diese[nms]?\s+monat|this\s+month|laufenden\s+monat){_E}", _months_back(0)),
        # numeric dates; "12.11." is a date, "12.11" only after a word that introduces a date
        (rf"{_B}{_YEAR}-(?P<m>\d{{2}})-(?P<d>\d{{2}}){_E}", _iso_date),
        (
            r"(?<![\w.,/])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?:(?P<y>\d{4}|\d{2})(?![\d.,]\d?))?(?!\d)",
            _numeric_date,
        ),
        (
            r"(?<![\w])(?:am|vom|von|seit|ab|bis|on|since|from|until)\s+(?P<d>\d{1,2})\.(?P<m>\d{1,2})(?![\d.,])",
            _numeric_date,
        ),
        # month names with a day
        (
            rf"{_B}(?P<d>\d{{1,2}})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?{_MONTH}(?:\s*,?\s*{_YEAR})?{_E}",
            _named_date,
        ),
        (rf"{_B}{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th|\.)?(?:\s*,?\s*{_YEAR})?(?![\w])", _named_date),
        # month names alone
        (rf"{_B}(?:{_LAST_DE}|{_LAST_EN})\s+{_MONTH}(?!\w)", _month_only(strictly_before=True)),
        (
            rf"{_B}(?:im|in|vom|von|from|during|seit|since|ab|aus\s+dem|bis|until)\s+{_MONTH}(?:\s+{_YEAR})?(?!\w)",
            _month_only(strictly_before=False),
        ),
        (rf"{_B}{_MONTH}(?:\s+{_YEAR})?(?!\w)", _month_only(strictly_before=False)),
    ]
]

_RANGE_JOIN = re.compile(
    r"^\s*(?:bis(?:\s+(?:zum|einschließlich|einschliesslich))?|to|until|till|through|and|und|-|–|—)\s*(?:the\s+)?$"
)
_SINCE_BEFORE = re.compile(r"(?:^|\s)(?:seit|ab|since)\s*(?:dem\s+|the\s+)?$")
_UNTIL_BEFORE = re.compile(r"(?:^|\s)(?:bis|until|till|before|up\s+to)\s*(?:zum\s+|dem\s+|the\s+)?$")


@dataclass
class _Found:
    start: int
    end: int
    span: Span


def _find_dates(buf: list[str], original: str, today: date) -> list[_Found]:
    found: list[_Found] = []
    for pattern, handler in _DATE_PATTERNS:
        text = "".join(buf)
        for m in pattern.finditer(text):
            if _MASK in m.group(0):
                continue
            mon = m.groupdict().get("mon")
            if (
                mon in _MONTH_NEEDS_CONTEXT
                and handler is not _named_date
                and not m.group(0).startswith(_MONTH_CONTEXT)
            ):
                continue
            span = handler(m, today, original)
            if span is None:
                continue
            found.append(_Found(m.start(), m.end(), span))
            for i in range(m.start(), m.end()):
                buf[i] = _MASK
    found.sort(key=lambda f: f.start)
    return found


def _combine_dates(found: list[_Found], lowered: str, today: date) -> Span:
    if not found:
        return None, None
    first = found[0]
    start, end = first.span
    between = lowered[first.end:found[1].start] if len(found) >= 2 else ""
    second_text = lowered[found[1].start:found[1].end] if len(found) >= 2 else ""
    if len(found) >= 2 and (
        _RANGE_JOIN.match(between) or (not between.strip() and re.match(r"(?:bis|until|to)\s", second_text))
    ):
        second = found[1]
        lo = min(d for d in (start, second.span[0]) if d is not None)
        hi = max(d for d in (end, second.span[1]) if d is not None)
        return lo, hi
    before = lowered[max(0, first.start - 25):first.start]
    matched = lowered[first.start:first.end]
    before = " " + before
    if _SINCE_BEFORE.search(before) or re.match(r"(?:seit|ab|since)\s", matched):
        return start, today if start is None or start <= today else start
    if _UNTIL_BEFORE.search(before) or re.match(r"(?:bis|until)\s", matched):
        return None, end
    return start, end


# ------------------------------------------------------------------------------------ other fields

_PO_KEYWORD = re.compile(
    r"(?<![\w-])(?:"
    r"p\.?\s?o\.?(?:[\s-]*(?:nr|no|nummer|number|num|ref|reference))?"
    r"|purchase[\s-]+order(?:[\s-]*(?:no|nr|number))?"
    r"|(?:kunden)?bestell(?:ungs)?[\s-]*(?:nummer|nr)"
    r"|bestellzeichen|ihr(?:e)?\s+zeichen|your\s+ref(?:erence)?|our\s+ref(?:erence)?|customer\s+reference"
    r"|referenz(?:nummer)?"
    r")(?![\w])\.?(?:\s+(?:ist|is|lautet|lautete|was|war)(?![\w]))?(?:\s*[:#=]\s*|\s+)(?P<ref>[^\s\x00]+)"
)
_PO_TOKEN = re.compile(r"(?<![\w-])(?P<ref>po[-_/]?\d[^\s\x00]*)")

_ORDER_KEYWORD = re.compile(
    r"(?<![\w-])(?:auftrags?(?:nummer|nr\.?|-nr\.?)?|bestellung|order|ordernummer|vorgang(?:snummer)?)"
    r"(?:[\s-]*(?:nr|no|nummer|number|num|id)\.?)?\s*(?:[:#]\s*|\s+)#?(?P<num>\d+)(?![\d])"
)
_HASH_NUMBER = re.compile(r"(?<![\w#&])#\s?(?P<num>\d+)(?!\d)")
_NR_NUMBER = re.compile(r"(?<![\w-])(?:nr|no|nummer|number)\.?\s*(?P<num>\d+)(?!\d)")
_BARE_NUMBER = re.compile(r"(?<![\w.,/#+\-–:])(?P<num>\d{3,})(?![\w])")
_UNIT_AFTER = re.compile(
    r"^(?:[.,/:]\d|\s*(?:x\b|×|\*|%|€|°|\$|mm\b|cm\b|m\b|km\b|bar\b|psi\b|grad\b|c\b|k\b|kg\b|g\b|l\b|ml\b|"
    r"liter\b|stück|stueck|stk\b|st\.|pcs\b|pc\b|pieces?\b|ea\b|units?\b|eur\b|euro|dn\b|nw\b|v\b|w\b|kw\b|"
    r"hz\b|u/min|rpm\b|mal\b|tage|days?\b|wochen|weeks?\b|monate|months?\b|jahre|years?\b|h\b|min\b))"
)
_NO_ORDER_BEFORE = re.compile(
    r"(?:\b(?:lieferung|lieferschein|lieferscheinnummer|lieferscheinnr|delivery|sendung|shipment|rechnung|"
    r"rechnungsnummer|rechnungsnr|invoice|kunde|kunden|kundennummer|kundennr|customer|account|konto|tel|"
    r"telefon|phone|fax|mobil|plz|zip|zeile|line|pos|position|seite|page|menge|qty|quantity|anzahl|stück|"
    r"preis|price|kst|kostenstelle|cost\s+centre|cost\s+center|jahr|year|dn|pn|nw|größe|size|"
    r"zertifikat|certificate|angebot|quote|ticket|tracking)\.?(?:[\s-]*(?:nr|no|nummer|number)\.?)?"
    r"|(?<![\w])[gmrx]|[×*/€$])\s*[:#]?\s*$"
)

_LATEST = re.compile(
    r"(?<![\w])(?:"
    r"(?:letzte[nrs]?|neueste[nrs]?|jüngste[nrs]?|aktuellste[nrs]?)\s+(?:bestellung|auftrag|einkauf|lieferung|order)"
    r"|zuletzt|(?:das\s+)?letzte\s+mal|letztes\s+mal"
    r"|(?:last|latest|most\s+recent|previous|recent)\s+(?:order|purchase|delivery|one)s?"
    r"|the\s+latest|most\s+recent|last\s+time|ordered\s+last"
    r")(?![\w])"
)
_ORDER_WORD = r"(?:bestellung|auftrag|einkauf|lieferung|order|purchase|delivery|one)"
_SKIP = (
    (2, re.compile(rf"(?<![\w])(?:drittletzte[nrs]?\s+{_ORDER_WORD}|third[\s-]+(?:to|from)[\s-]+last\s+{_ORDER_WORD}"
                   rf"|{_ORDER_WORD}\s+before\s+the\s+one\s+before\s+last)(?![\w])")),
    (1, re.compile(rf"(?<![\w])(?:vorletzte[nrs]?\s+(?:mal|{_ORDER_WORD})|vorletztes\s+mal"
                   rf"|second[\s-]+(?:to|from)[\s-]+last\s+{_ORDER_WORD}|penultimate\s+{_ORDER_WORD}"
                   rf"|(?:the\s+)?{_ORDER_WORD}\s+before\s+(?:the\s+)?(?:my\s+)?(?:last|latest)(?:\s+{_ORDER_WORD})?"
                   rf"(?!\s*(?:week|month|year|time|\w+day))"
                   rf"|{_ORDER_WORD}\s+vor\s+(?:der|dem|meiner|meinem)\s+letzten(?:\s+{_ORDER_WORD})?"
                   rf"(?!\s*(?:woche|monat|jahr|mal|\w+tag))"
                   rf")(?![\w])")),
)
_OPEN = re.compile(
    r"(?<![\w])(?:"
    r"offen(?:e|en|er|es)?|ausstehend(?:e|en|er|es)?|nicht\s+abgeschlossen(?:e|en)?"
    r"|noch\s+nicht\s+(?:geliefert|angekommen|da|versandt|versendet|verschickt|eingetroffen|erhalten)"
    r"|open\s+(?:\w+\s+)?(?:orders?|purchases?|deliveries|items|ones|pos)"
    r"|(?:still|are|is|'s|remains?|remaining)\s+open|outstanding|pending|undelivered|unfulfilled"
    r"|not\s+(?:yet\s+)?(?:been\s+)?(?:delivered|shipped|arrived|received)"
    r")(?![\w])"
)

_HINT_AFTER = re.compile(
    r"(?<![\w])(?:mit|with|containing|enthielt|enthält|enthaelt)\s+"
    r"(?:(?:den|dem|der|die|das|the|some|those|these|our|my|meinen|meine|meiner|unseren|unsere|unserer)\s+)?"
    r"(?P<hint>[a-zäöüß][\w-]*(?:\s+[a-zäöüß0-9][\w-]*){0,2})"
)
# Product words for the shapes "the hose order" / "die O-Ring-Bestellung", which need a known noun.
_PRODUCT_STEMS = tuple(_words(
    """
    hose o-ring oring seal gasket valve coupling fitting belt connector clamp flange nipple adapter
    schlauch dichtung ventil kupplung verschraubung riemen zahnriemen kugelhahn flansch stecker nippel
    schelle epdm fkm nbr hnbr ptfe edelstahl stainless hydraulik hydraulic pneumatik pneumatic
    magnetventil solenoid
    """
))
_HINT_BEFORE_EN = re.compile(
    r"(?<![\w])(?:the|my|our|that|this)\s+(?P<hint>[a-z][a-z0-9-]{1,30})\s+(?:order|purchase)(?![\w])"
)
_HINT_COMPOUND_DE = re.compile(r"(?<![\w-])(?P<hint>[a-zäöüß][\w-]{1,30}?)-(?:bestellung|auftrag)(?![\w])")
_HINT_STOP = frozenset(_words(
    """
    vom von from am an on in im at letzte letzten letzter last bestellt ordered drin drauf darin und and
    oder or bitte please nochmal again wieder noch die der das the which that welche was were war is ist
    sind are bei für for aus of zu to geliefert delivered gekauft bought i ich wir we you sie es it so
    mal als as vor ago seit since
    """
))
_HINT_REJECT_PREFIX = tuple(_words(
    """
    bestell auftrag order liefer deliver rechnung invoice nummer number nr datum date termin status
    problem frage question fehler error mir uns ihnen dir you me us it ihm ihr referenz reference po
    kunde customer last latest recent previous open offen letzt neuest item artikel position zahlung
    payment rabatt discount preis price frist versand shipping freigabe approval eile hurry sicherheit
    dank thank gruß grüß regards best kind freundlich
    """
))
# German dative plural (mit den O-Ringen) back to the nominative plural a catalogue name matches.
# Words in -en are ambiguous (Ringen -> Ringe, but Dichtungen stays), so those come from a list.
_DATIVE_PLURAL = {
    "o-ringen": "o-ringe", "ringen": "ringe", "schläuchen": "schläuche", "schlaeuchen": "schlaeuche",
    "ventilen": "ventile", "flanschen": "flansche", "kugelhähnen": "kugelhähne",
    "kugelhaehnen": "kugelhaehne",
    "riemen": "riemen", "zahnriemen": "zahnriemen", "magnetventilen": "magnetventile",
}


def _normalise_hint(raw: str) -> str | None:
    words: list[str] = []
    for word in raw.split():
        if word in _HINT_STOP or any(c.isdigit() for c in word):
            break
        words.append(word)
    if not words or words[0].startswith(_HINT_REJECT_PREFIX):
        return None
    last = words[-1]
    if last in _DATIVE_PLURAL:
        last = _DATIVE_PLURAL[last]
    elif re.search(r"[^e](?:er|el)n$", last):  # Steckern -> Stecker, Nippeln -> Nippel
        last = last[:-1]
    words[-1] = last
    hint = " ".join(words).strip("-")
    if not re.fullmatch(r"[a-z0-9äöüß][a-z0-9äöüß -]{1,39}", hint):
        return None
    return hint


def _valid_po(raw: str) -> str | None:
    """The whole typed token must be clean: "4471';--" is rejected, not trimmed to "4471"."""
    ref = raw
    if len(ref) >= 2 and ref[0] in "\"'„“‚‘«»(" and ref[-1] in "\"'“”‘’»«)":
        ref = ref[1:-1]
    ref = re.sub(r"[.,;:!?)]+$", "", ref).rstrip("-/_")
    if len(ref) < 3:
        return None
    if not PO_RE.fullmatch(ref) or not re.search(r"\d", ref):
        return None
    if ".." in ref or "--" in ref or "//" in ref:
        return None
    return ref


def _mask(buf: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        buf[i] = _MASK


def _prepare(text: str) -> tuple[str, str]:
    """Truncate, normalise compatibility forms (full-width digits), lower-case without changing length."""
    text = unicodedata.normalize("NFKC", (text or "")[:MAX_INPUT_CHARS])[:MAX_INPUT_CHARS]
    text = text.replace("\u2019", "'")
    lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return text, lowered


# ------------------------------------------------------------------------------------------ public


def parse_order_reference(
    text: str, now: datetime, language: str | None = None, *, tz: str = DEFAULT_TZ
) -> OrderReference:
    """Read which order(s) a buyer means; unknown parts stay empty so the caller can ask."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetime("now must be timezone-aware")
    today = now.astimezone(ZoneInfo(tz)).date()
    original, lowered = _prepare(text)
    buf = list(lowered)

    po_reference = _extract_po(buf, original)
    sku = _extract_sku(buf)
    date_from, date_to = _combine_dates(_find_dates(buf, original, today), lowered, today)
    order_number = _extract_order_number(buf)
    masked = "".join(buf)
    skip = next((n for n, pattern in _SKIP if pattern.search(masked)), 0)
    latest = bool(skip or _LATEST.search(masked))
    open_only = bool(_OPEN.search(masked))
    product_hint = _extract_hint(masked)

    if language not in ("de", "en"):
        from assistant.language import detect_language

        language = detect_language(original, fallback="de")
    ref = OrderReference(
        order_number=order_number, po_reference=po_reference, date_from=date_from, date_to=date_to,
        latest=latest, skip=skip, open_only=open_only, product_hint=product_hint, sku=sku,
    )
    return replace(ref, description=describe(ref, language))


def _extract_po(buf: list[str], original: str) -> str | None:
    result: str | None = None
    for pattern in (_PO_KEYWORD, _PO_TOKEN):
        for m in pattern.finditer("".join(buf)):
            ref = _valid_po(original[m.start("ref"):m.end("ref")])
            _mask(buf, m.start(), m.end())
            if ref and result is None:
                result = ref
    return result


def _extract_sku(buf: list[str]) -> str | None:
    result: str | None = None
    for m in _SKU_IN_TEXT.finditer("".join(buf)):
        candidate = m.group(1).upper()
        if SKU_RE.fullmatch(candidate):
            _mask(buf, m.start(), m.end())
            result = result or candidate
    return result


def _extract_order_number(buf: list[str]) -> str | None:
    text = "".join(buf)
    keyed: list[str] = []
    rejected = False
    for pattern in (_ORDER_KEYWORD, _HASH_NUMBER, _NR_NUMBER):
        for m in pattern.finditer(text):
            num = m.group("num")
            if pattern is _NR_NUMBER and _NO_ORDER_BEFORE.search(text[max(0, m.start() - 30):m.start()]):
                continue
            if _UNIT_AFTER.match(text[m.end():m.end() + 12]):
                continue
            _mask(buf, m.start(), m.end())
            if len(num) > 10:
                rejected = True
            elif len(num) >= 3:
                keyed.append(num)
        text = "".join(buf)
    if keyed:
        return keyed[0]
    if rejected:
        return None
    bare: list[str] = []
    for m in _BARE_NUMBER.finditer(text):
        num = m.group("num")
        if len(num) > 10:
            return None  # a hostile or pasted long number: no guessing around it
        if _UNIT_AFTER.match(text[m.end():m.end() + 12]):
            continue
        if _NO_ORDER_BEFORE.search(text[max(0, m.start() - 30):m.start()]):
            continue
        if len(num) == 4 and 1900 <= int(num) <= 2099:
            continue  # a year, not an order
        bare.append(num)
    distinct = list(dict.fromkeys(bare))
    return distinct[0] if len(distinct) == 1 else None


def _extract_hint(masked: str) -> str | None:
    for pattern in (_HINT_AFTER, _HINT_COMPOUND_DE, _HINT_BEFORE_EN):
        for m in pattern.finditer(masked):
            hint = _normalise_hint(m.group("hint"))
            if hint and pattern is not _HINT_AFTER and not hint.startswith(_PRODUCT_STEMS):
                continue
            if hint:
                return hint
    return None


# ------------------------------------------------------------------------------------ descriptions

_WD_SHORT = {"de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
             "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_MON_SHORT_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _fmt(day: date, lang: str) -> str:
    if lang == "de":
        return day.strftime("%d.%m.%Y")
    return f"{day.day} {_MON_SHORT_EN[day.month - 1]} {day.year}"


def _describe_dates(start: date | None, end: date | None, lang: str) -> str:
    if start and end and start == end:
        return f"{_WD_SHORT[lang][start.weekday()]}{',' if lang == 'de' else ''} {_fmt(start, lang)}"
    if start and end:
        return f"{_fmt(start, lang)} – {_fmt(end, lang)}"
    if start:
        return f"{'ab' if lang == 'de' else 'from'} {_fmt(start, lang)}"
    if end:
        return f"{'bis' if lang == 'de' else 'until'} {_fmt(end, lang)}"
    return ""


def describe(ref: OrderReference, language: str = "de") -> str:
    """A short human-readable summary for replies ("Auftrag 4711, Mo., 16.11.2026")."""
    lang = "en" if language == "en" else "de"
    de = lang == "de"
    parts: list[str] = []
    if ref.latest and ref.skip:
        parts.append(({1: "vorletzte", 2: "drittletzte"}.get(ref.skip, f"{ref.skip + 1}.-letzte") + " Bestellung")
                     if de else f"{({1: 'second', 2: 'third'}.get(ref.skip, f'{ref.skip + 1}th'))} to last order")
    elif ref.latest:
        parts.append("letzte Bestellung" if de else "latest order")
    if ref.open_only:
        parts.append("offene Bestellungen" if de else "open orders")
    if ref.order_number:
        parts.append(f"{'Auftrag' if de else 'order'} {ref.order_number}")
    if ref.po_reference:
        parts.append(f"{'Bestellnummer' if de else 'PO reference'} {ref.po_reference}")
    dates = _describe_dates(ref.date_from, ref.date_to, lang)
    if dates:
        parts.append(dates)
    if ref.sku:
        parts.append(f"{'Artikel' if de else 'article'} {ref.sku}")
    if ref.product_hint:
        parts.append(f"mit „{ref.product_hint}“" if de else f"with “{ref.product_hint}”")
    return ", ".join(parts)
