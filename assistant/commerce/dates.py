"""The date grammar of order references: which calendar days a buyer means, or nothing when unsure.

`read_dates` finds the date expressions in one lower-cased chat message, masks them, and combines them into one
inclusive range of calendar dates. The rules (docs/order-references.md has the full table):

- Never guess. A phrase that is ambiguous or only partly understood ("4/5", "31.11.", "vom 4. bis zum 23.", two
  unrelated dates, "am 12.11. 15", a date after today) gives no range at all and `unclear=True`,
  so the action asks. A wider or different range is never returned instead: leftovers next to what was read
  (numbers, month names, ordinals, "ago") make the whole reading unclear.
- An explicit date wins over a contradicting weekday ("Montag, 12.11." when the 12th is a Thursday): the range is
  the date, and `stated_weekday` keeps the weekday so the reply can point out the mismatch.
- Without a year, a date is the most recent such date that is not in the future; a period is the most recent one
  that has begun, and a period that includes today ends today (orders cannot be in the future).
- Every pattern is a plain regular expression without nested quantifiers over the same characters, the input is
  at most 2000 characters with whitespace runs collapsed, and more than MAX_MENTIONS dates stop the reading, so
  parsing is linear in the input (tests/commerce/test_resolver_properties.py).
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

MASK = "\x00"

# ------------------------------------------------------------------------------------------------ words


def _words(block: str) -> list[str]:
    return block.split()


WEEKDAYS = {
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5, "sonnabend": 5,
    "sonntag": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}
# Abbreviations are only weekdays after an introducing word ("am Di", "last Fri"), never alone:
# German "die"/"so"/"do" and English "sun"/"sat" are ordinary words.
WEEKDAY_ABBR = {
    "mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5, "so": 6,
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6,
}
MONTHS = {
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
_MONTH_NEEDS_CONTEXT = {"may", "march", "mar", "jan", "dec", "mai"}
_MONTH_CONTEXT = tuple(_words(
    """
    im in vom von from during seit since ab aus bis until last letzt vergangen previous past anfang mitte ende
    early mid late this diese
    """
))
NUMBER_WORDS = {
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "einer": 1, "eins": 1, "a": 1, "an": 1, "one": 1,
    "zwei": 2, "two": 2, "drei": 3, "three": 3, "vier": 4, "four": 4, "fünf": 5, "fuenf": 5, "five": 5,
    "sechs": 6, "six": 6, "sieben": 7, "seven": 7, "acht": 8, "eight": 8, "neun": 9, "nine": 9,
    "zehn": 10, "ten": 10, "elf": 11, "eleven": 11, "zwölf": 12, "zwoelf": 12, "twelve": 12,
    "vierzehn": 14, "fourteen": 14,
}


def _ascii_variants(word: str) -> set[str]:
    return {word, word.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")}


def _ordinal_words() -> dict[str, int]:
    """Day ordinals 1..31 as words: "fünfter", "ersten", "second", "twenty-first", "einunddreißigsten"."""
    en_units = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
    words: dict[str, int] = {w: i + 1 for i, w in enumerate(en_units)}
    words |= {
        "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
        "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
    }
    for sep in (" ", "-", ""):
        words |= {f"twenty{sep}{w}": 21 + i for i, w in enumerate(en_units)}
        words[f"thirty{sep}first"] = 31
    de_units = ("ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun")
    stems = {
        "erst": 1, "zweit": 2, "dritt": 3, "viert": 4, "fünft": 5, "sechst": 6, "siebt": 7, "siebent": 7,
        "acht": 8, "neunt": 9, "zehnt": 10, "elft": 11, "zwölft": 12, "dreizehnt": 13, "vierzehnt": 14,
        "fünfzehnt": 15, "sechzehnt": 16, "siebzehnt": 17, "achtzehnt": 18, "neunzehnt": 19, "zwanzigst": 20,
        "dreißigst": 30, "einunddreißigst": 31,
    }
    stems |= {f"{u}undzwanzigst": 21 + i for i, u in enumerate(de_units)}
    for stem, n in stems.items():
        for variant in _ascii_variants(stem):
            for ending in ("e", "en", "er", "es", "em"):
                words[variant + ending] = n
    return words


def _cardinal_words() -> dict[str, int]:
    """English day numbers as words after a month name ("May twenty one", "Friday the fifteen")."""
    units = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    words = {w: i + 1 for i, w in enumerate(units)}
    words |= {
        "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
        "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    }
    for sep in (" ", "-"):
        words |= {f"twenty{sep}{w}": 21 + i for i, w in enumerate(units)}
        words[f"thirty{sep}one"] = 31
    return words


def _year_words() -> dict[str, int]:
    """English years 1900..2099 in words: "nineteen ninety nine", "twenty twenty-five", "two thousand and eight"."""
    units = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    teens = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
             "nineteen")
    tens = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
    below_100: dict[str, int] = {w: 10 + i for i, w in enumerate(teens)}
    for i, ten in enumerate(tens):
        below_100[ten] = 20 + 10 * i
        for sep in (" ", "-"):
            below_100 |= {f"{ten}{sep}{u}": 21 + 10 * i + k for k, u in enumerate(units)}
    years: dict[str, int] = {}
    for century, word in ((1900, "nineteen"), (2000, "twenty")):
        years |= {f"{word} {w}": century + n for w, n in below_100.items()}
        years |= {f"{word} oh {u}": century + k + 1 for k, u in enumerate(units)}
    for w, n in (below_100 | {u: k + 1 for k, u in enumerate(units)}).items():
        years[f"two thousand and {w}"] = years[f"two thousand {w}"] = 2000 + n
    years["two thousand"] = 2000
    return years


ORDINAL_WORDS = _ordinal_words()
YEAR_WORDS = _year_words()
CARDINAL_WORDS = _cardinal_words()
# Quantities, sizes and pressures are never years or days ("2000 Stück", "16 bar").
UNIT_AFTER = re.compile(
    r"^(?:[.,/:]\d|\s*(?:x\b|×|\*|%|€|°|\$|mm\b|cm\b|m\b|km\b|bar\b|psi\b|grad\b|c\b|k\b|kg\b|g\b|l\b|ml\b|"
    r"liter\b|stück|stueck|stk\b|st\.|pcs\b|pc\b|pieces?\b|ea\b|units?\b|eur\b|euro|dn\b|nw\b|v\b|w\b|kw\b|"
    r"hz\b|u/min|rpm\b|mal\b|tage|days?\b|wochen|weeks?\b|monate|months?\b|jahre|years?\b|h\b|min\b))"
)


def _alt(words: object) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))  # type: ignore[call-overload]


_WD = rf"(?P<wd>{_alt(WEEKDAYS)})s?"
_WD_ABBR = rf"(?P<wda>{_alt(WEEKDAY_ABBR)})\.?"
_MONTH = rf"(?P<mon>{_alt(MONTHS)})\.?"
_MONTH2 = rf"(?P<mon2>{_alt(MONTHS)})\.?"
_ORDW = rf"(?P<ow>{_alt(ORDINAL_WORDS)})"
_CARDW = rf"(?P<cw>{_alt(CARDINAL_WORDS)})"
_NUM = rf"(?P<n>\d{{1,3}}|{_alt(NUMBER_WORDS)})"
_SUFFIX = r"(?:\.|st|nd|rd|th|sten|ster|ste|ten|ter|te|tn)"
_DAY = rf"(?P<d>\d{{1,2}}){_SUFFIX}?"
_YEAR = r"(?P<y>(?:19|20)\d{2})"
_YEAR_WORD = rf"(?=nineteen|twenty|two\s)(?P<yw>{_alt(YEAR_WORDS)})"  # the look-ahead spares 400 tries per character
_YEAR_ANY = r"(?P<y>(?:19|20)\d{2}|'\d{2})"
_LAST_DE = r"(?:letzte[nrs]?|letze[nrs]?|lezte[nrs]?|vergangene[nrs]?|vorige[nrs]?)"
_LAST_EN = r"(?:last|previous|past)"
_THIS_DE = r"(?:diese[nrsm]?|laufende[nrsm]?|aktuelle[nrsm]?)"
_THIS_EN = r"(?:this|current)"
_LAST_WEEK = rf"(?:{_LAST_DE}\s+woche|(?:last|previous)\s+week|vorwoche)"
_B = r"(?<![\w])"  # word start (also after the mask character)
_E = r"(?![\w])"
_NTH = (
    r"(?P<nth>first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th|erste[nrs]?|zweite[nrs]?|dritte[nrs]?|"
    r"vierte[nrs]?|fünfte[nrs]?|letzte[nrs]?)"
)
_NTH_VALUES = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
               "fifth": 5, "5th": 5, "erst": 1, "zweit": 2, "dritt": 3, "viert": 4, "fünft": 5}
_REL_MONTH = (
    rf"(?P<relm>(?:the\s+)?{_LAST_EN}\s+month|(?:the\s+)?{_THIS_EN}\s+month|(?:des\s+)?{_LAST_DE}\s+monats?"
    rf"|(?:des\s+)?{_THIS_DE}\s+monats?|vormonats?)"
)
_REL_YEAR = (
    rf"(?P<rely>(?:the\s+)?{_LAST_EN}\s+year|(?:the\s+)?{_THIS_EN}\s+year|(?:des\s+)?{_LAST_DE}\s+jahres"
    rf"|(?:des\s+)?{_THIS_DE}\s+jahres|vorjahr(?:es)?)"
)


def _n(value: str) -> int | None:
    if value.isdigit():
        return int(value)
    return NUMBER_WORDS.get(value)


def _nth(word: str | None) -> int | None:
    """1..5 for "first"/"1st"/"ersten"/"3" ..; -1 for "last"/"letzter"."""
    if not word:
        return None
    if word.isdigit():
        return int(word)
    if word.startswith(("last", "letzt")):
        return -1
    return _NTH_VALUES.get(word) or _NTH_VALUES.get(re.sub(r"e[nrsm]?$", "", word))


# --------------------------------------------------------------------------------------------- date maths


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _minus_months(day: date, months: int) -> date:
    year, month = _shift_month(day.year, day.month, -months)
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _recent_day_month(today: date, day: int, month: int) -> date | None:
    """The most recent `day.month.` not after today (Feb 29 looks back to the last leap year)."""
    for year in range(today.year, today.year - 9, -1):
        candidate = _safe_date(year, month, day)
        if candidate and candidate <= today:
            return candidate
    return None


def _recent_day_of_month(today: date, day: int) -> date | None:
    """The most recent "15th" not after today (the 31st skips months that have none)."""
    year, month = today.year, today.month
    for _ in range(13):
        candidate = _safe_date(year, month, day)
        if candidate and candidate <= today:
            return candidate
        year, month = _shift_month(year, month, -1)
    return None


def _year(value: str | None, today: date) -> int | None:
    """Four digits as written; two digits ("26", "'99") in the century that keeps them at most a year ahead."""
    if not value:
        return None
    digits = value.lstrip("'")
    if len(digits) == 4:
        return int(digits)
    year = 2000 + int(digits)
    return year if year <= today.year + 1 else year - 100


def _clamp(span: tuple[date, date], today: date) -> Span | None:
    """A period that includes today ends today; one that has not begun is no answer."""
    start, end = span
    if start > today:
        return None
    return start, min(end, today)


def _recent_month(today: date, month: int) -> tuple[int, int]:
    """The most recent such month that has begun (the current month counts)."""
    return (today.year, month) if month <= today.month else (today.year - 1, month)


def _full_weeks(year: int, month: int) -> list[date]:
    """Mondays of the Monday-to-Sunday weeks that lie wholly inside the month."""
    first, last = _month_range(year, month)
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    weeks = []
    while monday + timedelta(days=6) <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def _iso_week_monday(year: int, week: int) -> date | None:
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        return None


def _weeks_in_year(year: int) -> int:
    return date(year, 12, 28).isocalendar()[1]


# ------------------------------------------------------------------------------------------------ items

Span = tuple[date | None, date | None]


@dataclass(frozen=True)
class DateReading:
    """What the message says about dates. Both ends None and `unclear` False: it said nothing about dates."""

    start: date | None = None
    end: date | None = None
    stated_weekday: int | None = None  # a weekday the buyer named that the explicit date contradicts
    unclear: bool = False  # something date-like could not be read for certain: ask instead of guessing


@dataclass
class _Item:
    start: int
    end: int
    span: Span
    kind: str  # "day", "weekday", "dom" (a bare day of month), "period", "future", "unclear"
    weekday: int | None = None  # the weekday said, for "Montag" and "Tuesday the 19th"
    dom: int | None = None
    explicit_year: bool = False
    stated: int | None = None  # a weekday said next to this date that the date contradicts


_UNCLEAR = "unclear"
_FUTURE = "future"  # a named period after today: only the end of a range that began before


@dataclass(frozen=True)
class _Ctx:
    today: date
    original: str


_Handler = Callable[[re.Match[str], _Ctx], "_Item | None"]


def _item(m: re.Match[str], span: Span | None, kind: str = "period", **extra: object) -> _Item | None:
    if span is None:
        return None
    return _Item(m.start(), m.end(), span, kind, **extra)  # type: ignore[arg-type]


def _unclear(m: re.Match[str]) -> _Item:
    return _Item(m.start(), m.end(), (None, None), _UNCLEAR)


def _one_day(m: re.Match[str], day: date | None, kind: str = "day", **extra: object) -> _Item | None:
    if day is None:
        return _unclear(m)
    return _item(m, (day, day), kind, **extra)


def _weekday_of(m: re.Match[str], ctx: _Ctx) -> int | None:
    groups = m.groupdict()
    if groups.get("wd"):
        return WEEKDAYS[groups["wd"]]
    abbr = groups.get("wda")
    if not abbr:
        return None
    # German two-letter abbreviations only when capitalised as typed ("am Di", not "am di").
    if len(abbr) == 2 and not ctx.original[m.start("wda")].isupper():
        return None
    return WEEKDAY_ABBR[abbr]


def _day_number(m: re.Match[str]) -> int | None:
    groups = m.groupdict()
    if groups.get("d"):
        return int(groups["d"])
    if groups.get("ow"):
        return ORDINAL_WORDS[groups["ow"]]
    if groups.get("cw"):
        return CARDINAL_WORDS[groups["cw"]]
    return None


# ---------------------------------------------------------------------------------------------- handlers


def _weekday_handler(which: str) -> _Handler:
    """Weekdays: "last" = strictly before today, "this" = in the current week, "prev_week" = in last week,
    "recent" = the most recent including today."""

    def handler(m: re.Match[str], ctx: _Ctx) -> _Item | None:
        wd = _weekday_of(m, ctx)
        if wd is None:
            return None
        today = ctx.today
        if which == "prev_week":
            day = _monday(today) - timedelta(days=7) + timedelta(days=wd)
        elif which == "this":
            day = _monday(today) + timedelta(days=wd)
            if day > today:
                return _unclear(m)
        elif which == "last":
            day = today - timedelta(days=(today.weekday() - wd) % 7 or 7)
        else:
            day = today - timedelta(days=(today.weekday() - wd) % 7)
        return _one_day(m, day, "weekday", weekday=wd)

    return handler


def _days_back(days: int) -> _Handler:
    def handler(m: re.Match[str], ctx: _Ctx) -> _Item | None:
        return _one_day(m, ctx.today - timedelta(days=days))

    return handler


def _ago(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"vor 3 Tagen", "two weeks ago", "vor zwei Monaten": that very day, as both public corpora read it.
    Years back are too vague to name a day: ask."""
    count = _n(m.group("n"))
    unit = m.group("unit")
    if count is None or count < 1:
        return _unclear(m)
    today = ctx.today
    if unit.startswith(("tag", "day")) and count <= 400:
        return _one_day(m, today - timedelta(days=count))
    if unit.startswith(("woche", "week")) and count <= 60:
        return _one_day(m, today - timedelta(days=7 * count))
    if unit.startswith(("monat", "month")) and count <= 36:
        return _one_day(m, _minus_months(today, count))
    if unit.startswith("fortnight"):
        return _one_day(m, today - timedelta(days=14 * count))
    return _unclear(m)


_COUNT = rf"(?:\d{{1,3}}|{_alt(NUMBER_WORDS)})"
_COUNT_PART = re.compile(rf"({_COUNT})\s+(jahr|monat|woche|tag|year|month|week|day)")


def _compound_ago(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"1 month 21 days ago", "vor 1 Woche und 2 Tagen": the day that far back."""
    months = days = 0
    for count, unit in _COUNT_PART.findall(m.group(0)):
        n = _n(count)
        if n is None or n > 400:
            return _unclear(m)
        if unit in ("jahr", "year"):
            months += 12 * n
        elif unit in ("monat", "month"):
            months += n
        elif unit in ("woche", "week"):
            days += 7 * n
        else:
            days += n
    if months > 120:
        return _unclear(m)
    return _one_day(m, _minus_months(ctx.today, months) - timedelta(days=days))


def _few_days_ago(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"vor ein paar Tagen", "a few days ago": two to four days back; the reply names the range."""
    return _item(m, (ctx.today - timedelta(days=4), ctx.today - timedelta(days=2)))


def _last_n(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"in den letzten 3 Tagen", "past 3 weeks", "die letzten 2 Jahre": that long back up to today."""
    raw = m.groupdict().get("n")
    count = 3 if raw is None else _n(raw)
    unit = m.group("unit")
    today = ctx.today
    if count is None or count < 1:
        return _unclear(m)
    if unit.startswith(("tag", "day")) and count <= 400:
        return _item(m, (today - timedelta(days=count), today))
    if not m.groupdict().get("within"):
        return _last_whole(m, count, unit, today)
    if unit.startswith(("woche", "week")) and count <= 60:
        return _item(m, (today - timedelta(days=7 * count), today))
    if unit.startswith(("monat", "month")) and count <= 36:
        return _item(m, (_minus_months(today, count), today))
    if unit.startswith(("jahr", "year")) and count <= 10:
        return _item(m, (_minus_months(today, 12 * count), today))
    return _unclear(m)


def _last_whole(m: re.Match[str], count: int, unit: str, today: date) -> _Item | None:
    """"die letzten 2 Wochen", "last 2 months", "die letzten 3 Jahre" name whole calendar periods before the current
    one, as "letzte Woche" and "last month" do; "in den letzten 2 Wochen" (a duration) is the rolling range."""
    if unit.startswith(("woche", "week")) and count <= 60:
        monday = _monday(today)
        return _item(m, (monday - timedelta(days=7 * count), monday - timedelta(days=1)))
    if unit.startswith(("monat", "month")) and count <= 36:
        year, month = _shift_month(today.year, today.month, -count)
        last_year, last_month = _shift_month(today.year, today.month, -1)
        return _item(m, (date(year, month, 1), _month_range(last_year, last_month)[1]))
    if unit.startswith(("jahr", "year")) and count <= 10:
        return _item(m, (date(today.year - count, 1, 1), date(today.year - 1, 12, 31)))
    return _unclear(m)


def _weeks_back(weeks: int) -> _Handler:
    def handler(m: re.Match[str], ctx: _Ctx) -> _Item | None:
        start = _monday(ctx.today) - timedelta(days=7 * weeks)
        return _item(m, _clamp((start, start + timedelta(days=6)), ctx.today))

    return handler


def _calendar_week(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"KW 45", "in KW 44/2026", "calendar week 46": the ISO week; without a year the latest one that began."""
    week, today = int(m.group("wk")), ctx.today
    year = _year(m.groupdict().get("y"), today)
    if year is None:
        year = today.year
        monday = _iso_week_monday(year, week)
        if monday is None or monday > today:
            year -= 1
    monday = _iso_week_monday(year, week)
    if monday is None:
        return _unclear(m)
    return _period(m, (monday, monday + timedelta(days=6)), today)


def _rolling_days(days: int) -> _Handler:
    def handler(m: re.Match[str], ctx: _Ctx) -> _Item | None:
        return _item(m, (ctx.today - timedelta(days=days), ctx.today))

    return handler


_PART_DAYS = {"anfang": (0, 2), "beginning": (0, 2), "start": (0, 2), "early": (0, 2),
              "mitte": (1, 3), "middle": (1, 3), "mid": (1, 3),
              "ende": (3, 6), "end": (3, 6), "late": (3, 6)}


def _part_of_week(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"Anfang letzter Woche" Mon-Wed, "Mitte" Tue-Thu, "Ende"/"late last week" Thu-Sun."""
    first, last = _PART_DAYS[m.group("part")]
    monday = _monday(ctx.today)
    if m.groupdict().get("last") or monday + timedelta(days=first) > ctx.today:
        monday -= timedelta(days=7)
    return _item(m, _clamp((monday + timedelta(days=first), monday + timedelta(days=last)), ctx.today))


def _months_back(months: int) -> _Handler:
    def handler(m: re.Match[str], ctx: _Ctx) -> _Item | None:
        year, month = _shift_month(ctx.today.year, ctx.today.month, -months)
        return _item(m, _clamp(_month_range(year, month), ctx.today))

    return handler


def _part_of_month(year: int, month: int, part: str) -> tuple[date, date]:
    last = monthrange(year, month)[1]
    if part in ("anfang", "beginning", "early", "start"):
        return date(year, month, 1), date(year, month, 10)
    if part in ("mitte", "middle", "mid"):
        return date(year, month, 11), date(year, month, 20)
    return date(year, month, 21), date(year, month, last)


def _part_relative_month(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    part, today = m.group("part"), ctx.today
    if m.groupdict().get("last"):
        year, month = _shift_month(today.year, today.month, -1)
        return _item(m, _part_of_month(year, month, part))
    span = _part_of_month(today.year, today.month, part)
    if span[0] > today:  # "Ende des Monats" on the 2nd: the end of the month that has been
        year, month = _shift_month(today.year, today.month, -1)
        return _item(m, _part_of_month(year, month, part))
    return _item(m, _clamp(span, today))


def _part_named_month(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    month = MONTHS[m.group("mon")]
    year = _year(m.groupdict().get("y"), ctx.today)
    if year is None:
        year, month = _recent_month(ctx.today, month)
    return _item(m, _clamp(_part_of_month(year, month, m.group("part")), ctx.today))


def _today(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    return _one_day(m, ctx.today)


def _numeric_date(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    day, month = int(m.group("d")), int(m.group("m"))
    raw_year = m.groupdict().get("y")
    year = _year(raw_year, ctx.today)
    found = _safe_date(year, month, day) if year else _recent_day_month(ctx.today, day, month)
    return _dated(m, found, explicit_year=bool(year))


def _dated(m: re.Match[str], found: date | None, explicit_year: bool) -> _Item | None:
    """A single explicit date; an impossible one ("31.11.") or one in the future is asked about."""
    if found is None:
        return _unclear(m)
    return _Item(m.start(), m.end(), (found, found), "day", explicit_year=explicit_year)


def _ymd(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    return _dated(m, _safe_date(int(m.group("y")), int(m.group("m")), int(m.group("d"))), True)


def _day_month_order(a: int, b: int) -> tuple[int, int] | None:
    """(day, month) of "21/04" or "4/22" when only one order is a valid date; None when both are ("4/5")."""
    as_dm = 1 <= a <= 31 and 1 <= b <= 12
    as_md = 1 <= a <= 12 and 1 <= b <= 31
    if a == b and as_dm:
        return a, b
    if as_dm and not as_md:
        return a, b
    if as_md and not as_dm:
        return b, a
    return None


def _slash_date(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"21/04/2016", "9-18-15", "am 22/04", "on 4/22": read when only one order of day and month is possible;
    "4/5" asks; "50/65" is no date at all (a nominal size, not a day)."""
    a, b = int(m.group("a")), int(m.group("b"))
    order = _day_month_order(a, b)
    if order is None:
        both = 1 <= a <= 12 and 1 <= b <= 12
        return _unclear(m) if both else None
    day, month = order
    year = _year(m.groupdict().get("y"), ctx.today)
    found = _safe_date(year, month, day) if year else _recent_day_month(ctx.today, day, month)
    return _dated(m, found, explicit_year=bool(year))


def _ambiguous(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    return _unclear(m)


def _month_year_numeric(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    month = int(m.group("m"))
    if not 1 <= month <= 12:
        return None
    return _period(m, _month_range(int(m.group("y")), month), ctx.today)


def _period(m: re.Match[str], span: tuple[date, date], today: date) -> _Item | None:
    """A named period; one that has not begun can only end a range ("between 2015 and Feb 2018")."""
    clamped = _clamp(span, today)
    if clamped is None:
        return _Item(m.start(), m.end(), span, _FUTURE)
    return _item(m, clamped, explicit_year=True)


def _named_date(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    month = MONTHS[m.group("mon")]
    day = _day_number(m)
    if day is None:
        return None
    year = _year(m.groupdict().get("y"), ctx.today)
    found = _safe_date(year, month, day) if year else _recent_day_month(ctx.today, day, month)
    if found is not None and found > ctx.today:
        return _unclear(m)
    return _dated(m, found, explicit_year=bool(year))


def _weekday_dom(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"Tuesday the 19th", "Dienstag, der 8.": the most recent such day; the weekday is checked later."""
    wd = _weekday_of(m, ctx)
    day = _day_number(m)
    if wd is None or day is None:
        return None
    return _one_day(m, _recent_day_of_month(ctx.today, day), "day", weekday=wd)


def _dom(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"am 15.", "am 15ten", "on the 1st", "am ersten": a day of a month said elsewhere, else the latest one."""
    day = _day_number(m)
    if day is None or not 1 <= day <= 31:
        return _unclear(m)
    return _one_day(m, _recent_day_of_month(ctx.today, day), "dom", dom=day)


def _resolve_month_year(m: re.Match[str], ctx: _Ctx, start_day: int) -> tuple[int, int, bool]:
    month = MONTHS[m.group("mon")]
    year = _year(m.groupdict().get("y"), ctx.today)
    if year is not None:
        return year, month, True
    candidate = _safe_date(ctx.today.year, month, min(start_day, monthrange(ctx.today.year, month)[1]))
    if candidate is not None and candidate <= ctx.today:
        return ctx.today.year, month, False
    return ctx.today.year - 1, month, False


def _day_range_in_month(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"13. - 15. Juli", "July 13-15", "from 3 until 12 of Sept", "zwischen dem 2. und dem 22. Oktober"."""
    d1, d2 = int(m.group("d1")), int(m.group("d2"))
    mon2 = m.groupdict().get("mon2")
    year, month, explicit = _resolve_month_year(m, ctx, d1)
    month2 = MONTHS[mon2] if mon2 else month
    start = _safe_date(year, month, d1)
    end = _safe_date(year + (1 if month2 < month else 0), month2, d2)
    if start is None or end is None or end < start:
        return _unclear(m)
    return _item(m, _clamp((start, end), ctx.today), explicit_year=explicit) or _unclear(m)


def _numeric_day_range(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"14. - 15.10.", "14./15.10.2018", "07.-10.08.2018", "16. bis 21.02.2018"."""
    d1, d2, month = int(m.group("d1")), int(m.group("d2")), int(m.group("m"))
    year = _year(m.groupdict().get("y"), ctx.today)
    explicit = year is not None
    if year is None:
        end_guess = _recent_day_month(ctx.today, d2, month)
        start_guess = _recent_day_month(ctx.today, d1, month)
        if end_guess is None or start_guess is None:
            return _unclear(m)
        year = end_guess.year if start_guess.year == end_guess.year else start_guess.year
    start, end = _safe_date(year, month, d1), _safe_date(year, month, d2)
    if start is None or end is None or end < start:
        return _unclear(m)
    return _item(m, _clamp((start, end), ctx.today), explicit_year=explicit) or _unclear(m)


def _year_in_words(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    year = YEAR_WORDS[m.group("yw")]
    return _period(m, (date(year, 1, 1), date(year, 12, 31)), ctx.today)


def _month_only(which: str) -> _Handler:
    """"im Oktober" (the most recent October that has begun), "diesen September" (this year's, if begun),
    "letzten Oktober" (only certain in October itself: last year's; before that it could be either)."""

    def handler(m: re.Match[str], ctx: _Ctx) -> _Item | None:
        month = MONTHS[m.group("mon")]
        if m.group("mon") in _MONTH_NEEDS_CONTEXT and not m.group(0).startswith(_MONTH_CONTEXT):
            return None
        today = ctx.today
        year = _year(m.groupdict().get("y"), today)
        if m.groupdict().get("yw"):
            year = YEAR_WORDS[m.group("yw")]
        if year is not None:
            return _period(m, _month_range(year, month), today)
        if which == "this":
            if month > today.month:
                return _unclear(m)
            return _item(m, _clamp(_month_range(today.year, month), today))
        if which == "last":
            if month == today.month:
                return _item(m, _month_range(today.year - 1, month))
            if month > today.month:
                return _item(m, _month_range(today.year - 1, month))
            return _unclear(m)
        year, month = _recent_month(today, month)
        return _item(m, _clamp(_month_range(year, month), today))

    return handler


def _nth_weekday_of_month(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"first monday of last month", "letzter Montag im März", "the first friday in this month"."""
    nth = _nth(m.group("nth"))
    wd = WEEKDAYS[m.group("wd")]
    today = ctx.today
    groups = m.groupdict()
    named = bool(groups.get("mon") or groups.get("relm"))
    year, month = _month_of(m, ctx) if named else (today.year, today.month)  # "the second Sunday": of this month
    if nth is None or year is None or month is None:
        return _unclear(m)
    for _ in range(2):
        first, last = _month_range(year, month)
        if nth == -1:
            day = last - timedelta(days=(last.weekday() - wd) % 7)
        else:
            day = first + timedelta(days=(wd - first.weekday()) % 7 + 7 * (nth - 1))
        if day.month != month:
            return _unclear(m)
        if day <= today:
            return _one_day(m, day)
        if groups.get("y") or groups.get("relm") or not named:
            return _unclear(m)
        year -= 1  # "the first friday of july" before it came this year: last year's
    return _unclear(m)


def _month_of(m: re.Match[str], ctx: _Ctx) -> tuple[int | None, int | None]:
    groups, today = m.groupdict(), ctx.today
    rel = groups.get("relm")
    if rel:
        if re.search(r"last|previous|past|letzt|vergangen|vorig|vormonat", rel):
            return _shift_month(today.year, today.month, -1)
        return today.year, today.month
    if groups.get("mon"):
        month = MONTHS[groups["mon"]]
        year = _year(groups.get("y"), today)
        if year is None:
            year, month = _recent_month(today, month)
        return year, month
    return None, None


def _nth_week(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"the first week of Oct" (weeks wholly inside the month), "first week of 2015" (ISO weeks of the year)."""
    nth = _nth(m.group("nth"))
    groups, today = m.groupdict(), ctx.today
    if nth is None:
        return _unclear(m)
    if groups.get("mon") or groups.get("relm"):
        year, month = _month_of(m, ctx)
        if year is None or month is None:
            return _unclear(m)
        weeks = _full_weeks(year, month)
        if not weeks or nth > len(weeks):
            return _unclear(m)
        monday = weeks[-1] if nth == -1 else weeks[nth - 1]
        if monday > today and not (groups.get("y") or groups.get("relm")):
            weeks = _full_weeks(year - 1, month)
            monday = weeks[-1] if nth == -1 else weeks[nth - 1]
    else:
        year = _year_of(m, ctx)
        if year is None:
            return _unclear(m)
        week = _weeks_in_year(year) if nth == -1 else nth
        found = _iso_week_monday(year, week)
        if found is None:
            return _unclear(m)
        monday = found
    return _period(m, (monday, monday + timedelta(days=6)), today)


def _year_of(m: re.Match[str], ctx: _Ctx) -> int | None:
    groups = m.groupdict()
    if groups.get("y") or groups.get("yo"):
        return _year(groups.get("y") or groups["yo"], ctx.today)
    rel = groups.get("rely")
    if rel:
        back = re.search(r"last|previous|past|letzt|vergangen|vorig|vorjahr", rel)
        return ctx.today.year - 1 if back else ctx.today.year
    return None


def _week_of_date(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"week of september 16th": the Monday-to-Sunday week around that day."""
    day = _recent_day_month(ctx.today, int(m.group("d")), MONTHS[m.group("mon")])
    if day is None:
        return _unclear(m)
    return _period(m, (_monday(day), _monday(day) + timedelta(days=6)), ctx.today)


def _year_part_range(year: int, index: int, parts: int) -> tuple[date, date]:
    """Quarter (parts=4) or half-year (parts=2) number `index` (1-based) of `year`."""
    months = 12 // parts
    first_month = months * (index - 1) + 1
    return date(year, first_month, 1), _month_range(year, first_month + months - 1)[1]


def _year_part(parts: int, groups_of: tuple[str, ...]) -> _Handler:
    """"Q3", "im dritten Quartal", "3. Quartal 2025"; "erstes Halbjahr", "H2 2025", "the second half of last year".
    Without a year: the latest one that has begun."""

    def handler(m: re.Match[str], ctx: _Ctx) -> _Item | None:
        groups, today = m.groupdict(), ctx.today
        index = _nth(next((groups[g] for g in groups_of if groups.get(g)), None))
        if index is None or not 1 <= index <= parts:
            return _unclear(m)
        year = _year_of(m, ctx)
        if year is None:
            year = today.year if _year_part_range(today.year, index, parts)[0] <= today else today.year - 1
        return _period(m, _year_part_range(year, index, parts), today)

    return handler


def _relative_year_part(parts: int, back: int) -> _Handler:
    """"letztes Quartal", "this quarter", "letztes Halbjahr": counted back from the current one."""

    def handler(m: re.Match[str], ctx: _Ctx) -> _Item | None:
        index = ctx.today.year * parts + (ctx.today.month - 1) // (12 // parts) - back
        return _period(m, _year_part_range(index // parts, index % parts + 1, parts), ctx.today)

    return handler


def _last_n_years(count: int) -> _Handler:
    def handler(m: re.Match[str], ctx: _Ctx) -> _Item | None:
        return _item(m, (_minus_months(ctx.today, 12 * count), ctx.today))

    return handler


def _relative_year(back: int) -> _Handler:
    def handler(m: re.Match[str], ctx: _Ctx) -> _Item | None:
        year = ctx.today.year - back
        return _period(m, (date(year, 1, 1), date(year, 12, 31)), ctx.today)

    return handler


_NOT_A_YEAR_BEFORE = re.compile(
    r"(?<![\w])(?:auftrag|auftragsnummer|bestellung|order|nr|no|nummer|number|#|lieferschein|rechnung|invoice|"
    r"delivery|kunde|kunden|customer|dn|pn|artikel|article|pos|position|menge|qty)\.?\s?[:#]?\s?$"
)


def _year_only(m: re.Match[str], ctx: _Ctx) -> _Item | None:
    """"2025", "im Jahr 2025", "in 2025": that year (up to today); not a quantity or a number after "Auftrag"."""
    text = m.string
    if UNIT_AFTER.match(text[m.end():m.end() + 12]):
        return None
    if not m.groupdict().get("ctx") and _NOT_A_YEAR_BEFORE.search(text[max(0, m.start() - 25):m.start()]):
        return None
    year = int(m.group("y"))
    return _period(m, (date(year, 1, 1), date(year, 12, 31)), ctx.today)


# ---------------------------------------------------------------------------------------------- patterns

_PART = r"(?P<part>anfang|mitte|ende|beginning|middle|start|end)"
_PART_EN = r"(?P<part>early|mid|late)"
_PART_ANY = r"(?P<part>anfang|mitte|ende|beginning|middle|start|end|early|mid|late)"
_ORDER_WORDS = (
    r"bestellung|auftrag|order|one|mal|lieferung|einkauf|purchase|delivery|time|position|line|item|artikel|article|"
    r"posten|option|variante|version"
)
_OF_MONTH = (
    rf"(?:des\s+|dieses\s+)?monats?|(?P<last>(?:des\s+)?{_LAST_DE}\s+monats?|letzten\s+monat|vormonats?)"
)
_OF_MONTH_EN = rf"of\s+(?:the\s+|this\s+)?month|of\s+(?P<last>{_LAST_EN}\s+month)"
_OF_WEEK = (
    rf"(?:der\s+|dieser\s+)?woche|(?P<last>(?:der\s+)?{_LAST_DE}\s+woche|vorwoche)"
)
_OF_WEEK_EN = r"of\s+(?:the\s+|this\s+)?week|of\s+(?P<last>(?:the\s+)?(?:last|previous)\s+week)"
_RANGE_WORD = r"(?:-|–|bis(?:\s+zum)?|to|till|until|thru|through|and|und(?:\s+dem)?|/)"
_SINCE_UNTIL = r"(?:vom|von|from|between|zwischen(?:\s+dem)?)"
_DATE_PREP = r"(?:am|vom|von|seit|ab|bis|on|since|from|until|des)"
_SLASH_PREP = r"(?:am|vom|von|seit|ab|bis|bis\s+zum|on|since|from|until|dated|des)"
_DOM_PREP = (
    r"(?:am|vom|seit\s+dem|ab\s+dem|bis\s+zum|on\s+the|for\s+the|since\s+the|from\s+the|until\s+the|on|since|"
    r"from|until|the)"
)
_HALF = (
    r"(?:(?P<hn>[12])\.\s*(?:halbjahr|hj)|(?P<hw>erste[snm]?|zweite[snm]?|first|second|1st|2nd)\s+"
    r"(?:halbjahr|jahreshälfte|half[\s-]+year|half\s+of\s+the\s+year|half(?=\s+of\s+(?:(?:19|20)\d\d|last\s+year|"
    r"this\s+year|previous\s+year))|hälfte\s+des\s+jahres)"
    r"|h(?P<hh>[12])(?=\s?[/'-]?\s?(?:19|20)\d{2}))"
)
_QUARTER = (
    r"(?:(?P<qn>[1-4])\.\s*quartal|(?P<qw>erste[snm]?|zweite[snm]?|dritte[snm]?|vierte[snm]?|first|second|"
    r"third|fourth|1st|2nd|3rd|4th)\s+(?:quartal|quarter|qtr)|q(?P<qq>[1-4]))"
)
_IN_THE = r"(?:im\s+|in\s+(?:the\s+)?)?"
_IN_THE_DAS = r"(?:im\s+|in\s+(?:the\s+)?|the\s+|das\s+|der\s+|dem\s+)?"
_QUARTER_WORD = r"(?:quartal|quarter|qtr)"
_HALF_WORD = r"(?:halbjahr|half[\s-]+year)"
_OF_YEAR = rf"(?:(?:\s?(?:/|-|'|of(?:\s+the)?|des\s+jahres|im\s+jahre?|in)\s?|\s)(?:{_YEAR}|{_REL_YEAR}))?"

_DATE_PATTERNS: list[tuple[re.Pattern[str], _Handler]] = [
    (re.compile(p), h)
    for p, h in [
        # ranges inside one month, before their single days
        (
            rf"{_B}(?:{_SINCE_UNTIL}\s+(?:the\s+)?)?(?P<d1>\d{{1,2}}){_SUFFIX}?\s*{_RANGE_WORD}\s*(?:the\s+|dem\s+|zum\s+)?"
            rf"(?P<d2>\d{{1,2}}){_SUFFIX}?\s*(?:of\s+)?{_MONTH}(?:\s*,?\s*{_YEAR})?{_E}",
            _day_range_in_month,
        ),
        (
            rf"{_B}(?:{_SINCE_UNTIL}\s+)?{_MONTH}\s*(?P<d1>\d{{1,2}})(?:st|nd|rd|th|\.)?\s*"
            rf"(?:-|–|to|till|until|thru|through|bis)\s*(?:{_MONTH2}\s*)?(?P<d2>\d{{1,2}})(?:st|nd|rd|th|\.)?"
            rf"(?:\s*,?\s*{_YEAR})?(?![\w.]|\.\d)",
            _day_range_in_month,
        ),
        (
            rf"{_B}(?:im\s+|in\s+)?{_MONTH}\s+(?:between|zwischen)\s+(?:dem\s+|the\s+)?(?P<d1>\d{{1,2}}){_SUFFIX}?\s+"
            rf"(?:and|und)\s+(?:dem\s+|the\s+)?(?P<d2>\d{{1,2}}){_SUFFIX}?(?:\s*,?\s*{_YEAR})?(?![\w]|\.\d)",
            _day_range_in_month,
        ),
        (
            r"(?<![\w.,/])(?P<d1>\d{1,2})\.?\s*(?:-|–|/|bis(?:\s+zum)?)\s*(?P<d2>\d{1,2})\.(?P<m>\d{1,2})\.?"
            r"(?:(?P<y>\d{4}|\d{2})(?![\d.,]\d?))?(?![\d])",
            _numeric_day_range,
        ),
        # nth weekday / nth week of a month or year
        (
            rf"{_B}(?:the\s+|der\s+|den\s+|am\s+)?{_NTH}\s+{_WD}\s+(?:of|in|im|des)\s+(?:the\s+)?"
            rf"(?:{_REL_MONTH}|{_MONTH}(?:\s+{_YEAR})?){_E}",
            _nth_weekday_of_month,
        ),
        (
            rf"{_B}(?:the\s+|die\s+|der\s+|in\s+der\s+)?{_NTH}\s+(?:week|woche)\s+(?:of|in|im|des)\s+(?:the\s+)?"
            rf"(?:{_REL_MONTH}|{_REL_YEAR}|{_MONTH}(?:\s+{_YEAR})?|(?P<yo>(?:19|20)\d{{2}})){_E}",
            _nth_week,
        ),
        (rf"{_B}(?:the\s+)?week\s+of\s+{_MONTH}[\s.]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?{_E}", _week_of_date),
        # parts of a week, before "letzte Woche" and "Ende des Monats"
        (rf"{_B}(?:am\s+|zu\s+|at\s+the\s+|in\s+the\s+)?{_PART}\s+(?:{_OF_WEEK}){_E}", _part_of_week),
        (rf"{_B}(?:at\s+the\s+|in\s+the\s+)?{_PART}\s+(?:{_OF_WEEK_EN}){_E}", _part_of_week),
        (rf"{_B}{_PART_EN}[\s-]+(?:(?P<last>(?:last|previous)\s+week)|this\s+week){_E}", _part_of_week),
        # weekday with a bare day of month ("Tuesday the 19th", "Dienstag, der 8.", "Friday the fifteen")
        (rf"{_B}(?:{_WD}|{_WD_ABBR})\s*,?\s*(?:der|den|the)\s+{_DAY}(?![\w.]|\.\d)", _weekday_dom),
        (rf"{_B}(?:{_WD}|{_WD_ABBR})\s*,?\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th){_E}", _weekday_dom),
        (rf"{_B}(?:{_WD}|{_WD_ABBR})\s*,?\s*(?:der|den|the)\s+(?:{_ORDW}|{_CARDW}){_E}", _weekday_dom),
        # last week's weekday, both word orders, German and English
        (
            rf"{_B}(?:in\s+der\s+|am\s+)?{_LAST_WEEK}\s*,?\s*(?:am\s+|on\s+)?(?:{_WD}|{_WD_ABBR}){_E}",
            _weekday_handler("prev_week"),
        ),
        (
            rf"{_B}(?:am\s+|on\s+)?(?:{_WD}|{_WD_ABBR})\s*,?\s*(?:der\s+|in\s+der\s+|of\s+|from\s+)?"
            rf"(?:{_LAST_DE}\s+woche|{_LAST_EN}\s+week|vorwoche){_E}",
            _weekday_handler("prev_week"),
        ),
        (rf"{_B}(?:last|previous)\s+week's\s+{_WD}{_E}", _weekday_handler("prev_week")),
        (rf"{_B}(?:diese\s+woche|this\s+week)\s*,?\s*(?:am\s+|on\s+)?{_WD}{_E}", _weekday_handler("this")),
        (
            rf"{_B}(?:am\s+|on\s+)?{_WD}\s*,?\s*(?:diese[rn]?\s+woche|(?:of\s+)?this\s+week){_E}",
            _weekday_handler("this"),
        ),
        (rf"{_B}(?:{_LAST_DE}|{_LAST_EN})\s+(?:{_WD}|{_WD_ABBR}){_E}", _weekday_handler("last")),
        (rf"{_B}(?:the\s+|am\s+|on\s+the\s+|der\s+|den\s+)?{_NTH}\s+{_WD}{_E}", _nth_weekday_of_month),
        (rf"{_B}(?:am|vom|von|seit|ab|bis|on|since|from|until)\s+{_WD_ABBR}(?![\w])", _weekday_handler("recent")),
        (rf"{_B}(?:am\s+|vom\s+|on\s+)?{_WD}{_E}", _weekday_handler("recent")),
        # days
        (rf"{_B}(?:vorgestern|(?:the\s+)?day\s+before\s+yesterday){_E}", _days_back(2)),
        (rf"{_B}(?:gestern|yesterday){_E}", _days_back(1)),
        (rf"{_B}(?:heute|heutigen?|today|today's|this\s+morning){_E}", _today),
        # relative counts
        (
            rf"{_B}vor\s+(?:ein\s+paar|einigen|wenigen|ein\s+paar\s+wenigen)\s+tagen{_E}"
            rf"|{_B}(?:a\s+few|a\s+couple(?:\s+of)?|couple\s+of|few)\s+days\s+ago{_E}",
            _few_days_ago,
        ),
        (
            rf"{_B}(?:{_COUNT}\s+(?:years?|months?|weeks?|days?)(?:\s?,\s?|\s+and\s+|\s+)){{2,4}}ago{_E}"
            rf"|{_B}vor\s+(?:{_COUNT}\s+(?:jahre?n?|monate?n?|wochen?|tage?n?)(?:\s?,\s?|\s+und\s+|\s+)){{1,3}}"
            rf"{_COUNT}\s+(?:jahre?n?|monate?n?|wochen?|tage?n?){_E}",
            _compound_ago,
        ),
        (rf"{_B}vor\s+{_NUM}\s+(?P<unit>tag|tagen|woche|wochen|monat|monaten|jahr|jahren){_E}", _ago),
        (rf"{_B}{_NUM}\s+(?P<unit>days?|weeks?|months?|years?|fortnights?)\s+ago{_E}", _ago),
        (rf"{_B}(?P<n>a)\s+(?P<unit>fortnight)\s+ago{_E}", _ago),
        (
            rf"{_B}(?P<within>in\s+den\s+|in\s+the\s+|within\s+the\s+|während\s+der\s+|during\s+the\s+|"
            rf"over\s+the\s+|innerhalb\s+der\s+)?(?:die\s+|the\s+)?(?:{_LAST_DE}|{_LAST_EN})\s+"
            rf"(?:{_NUM}\s*|(?:paar|few|couple(?:\s+of)?)\s+)(?P<unit>tage|tagen|wochen|monate|monaten|jahre|jahren|days|"
            rf"weeks|months|years?){_E}",
            _last_n,
        ),
        # weeks
        (rf"{_B}(?:vorletzte[nr]?\s+woche|(?:the\s+)?week\s+before\s+last){_E}", _weeks_back(2)),
        (
            rf"{_B}(?:in\s+der\s+|in\s+|im\s+|der\s+)?(?:kw|kalenderwoche|cw|calendar\s+week|week)\s?(?P<wk>\d{{1,2}})"
            rf"(?:\s?[/.-]?\s?{_YEAR})?(?![\w.]|\.\d)",
            _calendar_week,
        ),
        (rf"{_B}(?:in\s+der\s+|im\s+)?(?:{_LAST_WEEK}){_E}", _weeks_back(1)),
        (rf"{_B}(?:(?:in|during|over|within)\s+(?:the\s+)?|the\s+)past\s+week{_E}", _rolling_days(7)),
        (rf"{_B}past\s+week{_E}", _weeks_back(1)),
        (rf"{_B}(?:in\s+)?(?:diese[rn]?\s+woche|(?:this|current)\s+week){_E}", _weeks_back(0)),
        # parts of months
        (rf"{_B}{_PART}\s+(?:{_OF_MONTH}){_E}", _part_relative_month),
        (rf"{_B}(?:at\s+the\s+|in\s+the\s+)?{_PART}\s+(?:{_OF_MONTH_EN}){_E}", _part_relative_month),
        (rf"{_B}{_PART}\s+{_MONTH}(?:\s+{_YEAR})?{_E}", _part_named_month),
        (rf"{_B}{_PART_EN}[\s-]+{_MONTH}(?:\s+{_YEAR})?{_E}", _part_named_month),
        (rf"{_B}{_PART_EN}[\s-]+(?P<last>last|previous)\s+month{_E}", _part_relative_month),
        # parts of a year are read in too many ways ("Ende 1989": Q4? the last months? H2?): ask
        (
            rf"{_B}{_PART_ANY}[\s-]+(?:des\s+|of\s+(?:the\s+)?)?(?:{_LAST_DE}\s+jahres|{_THIS_DE}\s+jahres|"
            rf"jahres|(?:{_LAST_EN}|this)\s+year|year|{_YEAR}){_E}",
            _ambiguous,
        ),
        # months
        (rf"{_B}(?:vorletzte[nr]?\s+monat|(?:the\s+)?month\s+before\s+last){_E}", _months_back(2)),
        (rf"{_B}(?:im\s+|in\s+)?(?:{_LAST_DE}\s+monat|{_LAST_EN}\s+month|vormonat){_E}", _months_back(1)),
        (
            rf"{_B}(?:in\s+|im\s+)?(?:diese[nms]?\s+monat|(?:this|current)\s+month|laufenden\s+monat){_E}",
            _months_back(0),
        ),
        # quarters, half-years, years
        (rf"{_B}(?:vorletzte[nms]?\s+quartal|(?:the\s+)?quarter\s+before\s+last){_E}", _relative_year_part(4, 2)),
        (rf"{_B}{_IN_THE}(?:{_LAST_DE}|{_LAST_EN})\s+{_QUARTER_WORD}{_E}", _relative_year_part(4, 1)),
        (rf"{_B}{_IN_THE}(?:{_THIS_DE}|{_THIS_EN})\s+{_QUARTER_WORD}{_E}", _relative_year_part(4, 0)),
        (rf"{_B}{_IN_THE_DAS}{_QUARTER}{_OF_YEAR}{_E}", _year_part(4, ("qn", "qw", "qq"))),
        (rf"{_B}{_IN_THE}(?:{_LAST_DE}|{_LAST_EN})\s+{_HALF_WORD}{_E}", _relative_year_part(2, 1)),
        (rf"{_B}{_IN_THE}(?:{_THIS_DE}|{_THIS_EN})\s+{_HALF_WORD}{_E}", _relative_year_part(2, 0)),
        (rf"{_B}{_IN_THE_DAS}{_HALF}{_OF_YEAR}{_E}", _year_part(2, ("hn", "hw", "hh"))),
        (rf"{_B}(?:in\s+the\s+|during\s+the\s+|over\s+the\s+)(?:last|past)\s+year{_E}", _last_n_years(1)),
        (rf"{_B}(?:the\s+)?past\s+year{_E}", _last_n_years(1)),
        (rf"{_B}(?:vorletzte[ns]?\s+jahr|(?:the\s+)?year\s+before\s+last|vorvorjahr){_E}", _relative_year(2)),
        (rf"{_B}(?:im\s+|in\s+)?(?:{_LAST_DE}\s+jahr|(?:last|previous)\s+(?:year|yr)|vorjahr){_E}", _relative_year(1)),
        (
            rf"{_B}(?:im\s+|in\s+)?(?:{_THIS_DE}\s+jahr|(?:this|current)\s+(?:year|yr)|heuer|laufenden\s+jahr){_E}",
            _relative_year(0),
        ),
        # numeric dates; "12.11." is a date, "12.11" only after a word that introduces a date
        (rf"{_B}{_YEAR}-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?![\d.])", _ymd),
        (rf"{_B}{_YEAR}(?P<sep>[/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})(?![\d]|\.\d)", _ymd),
        (
            r"(?<![\w.,/])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?:(?P<y>\d{4}|\d{2})(?![\d.,]\d?))?(?!\d)",
            _numeric_date,
        ),
        (rf"(?<![\w]){_DATE_PREP}\s+(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})(?![\d.,])", _numeric_date),
        (
            r"(?<![\w./-])(?P<a>\d{1,2})(?P<sep>[/-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\w/-]|[.,]\d)",
            _slash_date,
        ),
        (r"(?<![\w./-])(?P<a>\d{1,2})/(?P<b>\d{1,2}),\s*(?P<y>\d{4}|\d{2})(?![\w/-]|[.,]\d)", _slash_date),
        # month and year: "11/2026", "2026-11", "05.2016", "2016 - 05"
        (rf"(?<![\w./-]){_YEAR}\s?[-/.]\s?(?P<m>0[1-9]|1[0-2])(?![\w./-]|\s?[-/.]\s?\d)", _month_year_numeric),
        (rf"(?<![\w./-]){_YEAR}(?:[-/.])(?P<m>[1-9])(?![\w./-])", _month_year_numeric),
        (rf"(?<![\w./-])(?P<m>0[1-9]|1[0-2])\s?[-/.]\s?{_YEAR}(?![\w./-])", _month_year_numeric),
        (rf"(?<![\w./-])(?P<m>[1-9])[-/.]{_YEAR}(?![\w./-])", _month_year_numeric),
        # day and month without a year: "22/04", "4/22" only when one order is impossible; "4/5" is asked
        # (only after a word that introduces a date: "3/8 Schläuche", "Schlauch 12/14" are sizes)
        (
            rf"(?<![\w]){_SLASH_PREP}\s+(?P<a>\d{{1,2}})\s?/\s?(?P<b>\d{{1,2}})(?![\w/]|[.,]\d|\s?(?:zoll|inch|\"|mm|bar))",
            _slash_date,
        ),
        (r"^\s?(?P<a>\d{1,2})\s?/\s?(?P<b>\d{1,2})\s?[?!.]?\s?$", _slash_date),  # the whole message is "4/5"
        # month names with a day
        (
            rf"{_B}(?:the\s+|der\s+|den\s+|am\s+|dem\s+)?(?:{_DAY}|{_ORDW})\s*(?:of\s+)?{_MONTH}"
            rf"(?:\s*,?\s*{_YEAR_ANY})?(?![\w]|'?\d)",
            _named_date,
        ),
        (
            rf"{_B}{_MONTH}[\s,/-]*(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th|\.)?"
            rf"(?:\s*,?\s*{_YEAR_ANY})?(?![\w]|\.\d|\s*-\s*\d)",
            _named_date,
        ),
        (rf"{_B}{_MONTH}(?:\s+the)?\s+(?:{_ORDW}|{_CARDW})(?:\s*,?\s*{_YEAR})?{_E}", _named_date),
        # a bare day of a month: "am 15.", "am 15ten", "on the 1st", "am ersten", "for the second"
        (
            rf"{_B}{_DOM_PREP}\s+(?P<d>\d{{1,2}}){_SUFFIX}(?![\w.]|\.\d)"
            rf"(?!\s*(?:{_ORDER_WORDS}))",
            _dom,
        ),
        (
            rf"{_B}(?:am|vom|seit\s+dem|ab\s+dem|bis\s+zum|on\s+the|for\s+the|since\s+the|from\s+the|until\s+the)\s+"
            rf"{_ORDW}(?!\s*(?:{_ORDER_WORDS})){_E}",
            _dom,
        ),
        (
            r"(?<![\w])(?:am|vom|on|since|seit\s+dem|ab\s+dem)\s+(?P<d>\d{1,2})(?=\s*(?:$|[,;!?)]|\.(?!\d)|\s(?:bestellt|"
            r"geliefert|ordered|delivered|nochmal|again|bitte|please|wieder)))",
            _dom,
        ),
        (r"(?<![\w])(?:on|at)\s+(?P<a>\d{1,2})[-.](?P<b>\d{1,2})(?![\w.-]|\.\d)", _slash_date),
        # month names alone
        (rf"{_B}(?:in\s+)?{_MONTH}\s+(?:of\s+)?{_YEAR_WORD}{_E}", _month_only("recent")),
        (rf"{_B}(?:{_LAST_DE}|{_LAST_EN})\s+{_MONTH}(?!\w)", _month_only("last")),
        (rf"{_B}(?:{_THIS_DE}|this)\s+{_MONTH}(?!\w)", _month_only("this")),
        (
            rf"{_B}(?:im|in|vom|von|from|during|seit|since|ab|aus\s+dem|bis|until)\s+{_MONTH}(?:\s*,?\s*{_YEAR_ANY})?(?![\w]|'?\d)",
            _month_only("recent"),
        ),
        (rf"{_B}{_MONTH}(?:\s*,?\s*{_YEAR_ANY})?(?![\w]|'?\d)", _month_only("recent")),
        (rf"{_B}(?:in\s+|the\s+year\s+)?{_YEAR_WORD}{_E}", _year_in_words),
        # years
        (
            rf"{_B}(?P<ctx>im\s+jahre?\s+|in\s+the\s+year\s+|in\s+|im\s+|year\s+|jahr\s+|from\s+|since\s+|seit\s+|ab\s+|"
            rf"bis\s+|until\s+|between\s+|zwischen\s+)?(?<![\d.,/-]){_YEAR}(?![\w./-]|[.,]\d)",
            _year_only,
        ),
    ]
]

# ------------------------------------------------------------------------------------------------ combining

_RANGE_JOIN = re.compile(
    r"^\s*(?:bis(?:\s+(?:zum|einschließlich|einschliesslich))?|to|until|till|through|thru|and|und|-|–|—|auf\s+den)"
    r"\s*(?:the\s+|dem\s+|den\s+)?$"
)
_RANGE_START = re.compile(r"^(?:bis|until|to)\s")
_SINCE_BEFORE = re.compile(r"(?:^|\s)(?:seit|ab|since)\s*(?:dem\s+|the\s+)?$")
_UNTIL_BEFORE = re.compile(r"(?:^|\s)(?:bis|until|till|before|up\s+to)\s*(?:zum\s+|dem\s+|the\s+)?$")
_WEEKDAY_GAP = re.compile(r"^[\s,]*(?:(?:den|der|the|am|on)\s*)?[\s,]*$")
_CONNECTOR = r"(?:,|and|und|-|–|of|im|des|der|den|the|am|in)"
_UNIT_WORDS = r"tage?n?|wochen?|monate?n?|jahre?n?|days?|weeks?|months?|years?"
_LEFT_RESIDUE = re.compile(
    rf"(?:(?<![\w.])\d{{1,2}}{_SUFFIX}?|\d+\s?(?:{_UNIT_WORDS})|(?<![\w])(?:{_alt(ORDINAL_WORDS)}|{_alt(MONTHS)}))"
    rf"\s?(?:{_CONNECTOR}\s?)?$"
)
_RIGHT_RESIDUE = re.compile(
    rf"^\s?(?:{_CONNECTOR}\s?|/\s?)?(?:(?P<num>\d{{1,2}})(?![\d:])(?!\s?(?:uhr|h|am|pm|a\.m\.|p\.m\.)(?![\w]))"
    rf"|(?:{_alt(MONTHS)}|{_alt(ORDINAL_WORDS)}|{_alt(CARDINAL_WORDS)})(?![\w]))"
)
_STRONG_RESIDUE = re.compile(
    r"(?<![\w])(?:\d{1,2}(?:st|nd|rd|th|sten|ster|ten|ter)|ago|quartal|quarter|qtr|halbjahr|jahreshälfte|kw)(?![\w])"
)
_TIME_UNIT_AFTER = re.compile(rf"^\s?(?:{_UNIT_WORDS})(?![\w])")
_NUMBER_ENDS = re.compile(r"^\s?(?:$|[,.;:!?)/–-]|(?:bis|to|and|und|of)(?![\w]))")


# No buyer names more dates than this in one message; past it the message is asked about, not read on.
MAX_MENTIONS = 12


def _find(buf: list[str], ctx: _Ctx) -> list[_Item]:
    found: list[_Item] = []
    for pattern, handler in _DATE_PATTERNS:
        text = "".join(buf)
        for m in pattern.finditer(text):
            if MASK in m.group(0):
                continue
            item = handler(m, ctx)
            if item is None:
                continue
            found.append(item)
            buf[m.start():m.end()] = [MASK] * (m.end() - m.start())
            if len(found) > MAX_MENTIONS:
                return found
    found.sort(key=lambda f: f.start)
    return found


def _gap(lowered: str, a: _Item, b: _Item) -> str:
    return lowered[a.end:b.start]


def _with_weekday(named: _Item, dated: _Item, start: int, end: int) -> _Item:
    """The explicit date of "Montag, 12.11.", remembering the weekday when the date says another one."""
    day = dated.span[0]
    stated = named.weekday if day is not None and dated.span[0] == dated.span[1] and named.weekday != day.weekday() \
        else None
    return _Item(start, end, dated.span, dated.kind, None, dated.dom, dated.explicit_year, stated)


def _merge_weekdays(items: list[_Item], lowered: str) -> list[_Item]:
    """A weekday next to an explicit date ("Montag, 12.11.", "12.11. (Montag)") is one date; the date wins."""
    out: list[_Item] = []
    i = 0
    while i < len(items):
        item = items[i]
        nxt = items[i + 1] if i + 1 < len(items) else None
        if item.kind == "weekday" and nxt is not None and nxt.kind in ("day", "dom") \
                and _WEEKDAY_GAP.match(_gap(lowered, item, nxt)):
            out.append(_with_weekday(item, nxt, item.start, nxt.end))
            i += 2
            continue
        prev = out[-1] if out else None
        if item.kind == "weekday" and prev is not None and prev.kind in ("day", "dom") and prev.stated is None \
                and _WEEKDAY_GAP.match(_gap(lowered, prev, item).strip("()")) \
                and not _RANGE_START.match(lowered[item.start:item.end]):
            out[-1] = _with_weekday(item, prev, prev.start, item.end)
        elif item.weekday is not None and item.kind == "day":  # "Tuesday the 19th" read in one pattern
            out.append(_with_weekday(item, item, item.start, item.end))
        else:
            out.append(item)
        i += 1
    return out


def _resolve_doms(items: list[_Item]) -> list[_Item] | None:
    """"am 15." with "im Oktober"/"last month" in the same message is the 15th of that period; "last week between
    Friday and Sunday" means that week's Friday and Sunday."""
    periods = [i for i in items if i.kind not in ("dom", "weekday") and i.span[0] != i.span[1]]
    inner = [i for i in items if i.kind == "dom" or (i.kind == "weekday" and i.weekday is not None)]
    if not inner or len(periods) != 1:
        return items
    period = periods[0]
    start, end = period.span
    if start is None or end is None:
        return None
    if any(i.kind == "weekday" for i in inner) and (start.weekday() != 0 or (end - start).days > 6):
        return items  # weekdays with a month or a year: nothing to place them in
    out = [i for i in items if i not in inner and i is not period]
    for item in inner:
        days = [start + timedelta(days=k) for k in range((end - start).days + 1)]
        hits = [d for d in days if (d.day == item.dom if item.kind == "dom" else d.weekday() == item.weekday)]
        if len(hits) != 1:
            return None
        out.append(_Item(item.start, item.end, (hits[0], hits[0]), "day", None, None, False, item.stated))
    return sorted(out, key=lambda i: i.start)


def _join(first: _Item, second: _Item, lowered: str, today: date) -> _Item | None:
    """"vom 2.11. bis 6.11.", "between 2015 and Feb 2018", "Oct. 2 to October 22": one range, else None."""
    between = _gap(lowered, first, second)
    second_text = lowered[second.start:second.end]
    if not (_RANGE_JOIN.match(between) or (not between.strip() and _RANGE_START.match(second_text))):
        return None
    lo, hi = first.span[0], second.span[1]
    if lo is None or hi is None or "dom" in (first.kind, second.kind) or first.kind == _FUTURE:
        return _Item(first.start, second.end, (None, None), _UNCLEAR)
    if lo > hi and not first.explicit_year and first.kind == "day":
        lo = _safe_date(lo.year - 1, lo.month, lo.day) or lo
    if lo > hi or lo > today:
        return _Item(first.start, second.end, (None, None), _UNCLEAR)
    stated = first.stated if first.stated is not None else second.stated
    return _Item(first.start, second.end, (lo, min(hi, today)), "period", None, None, True, stated)


def _join_ranges(items: list[_Item], lowered: str, today: date) -> list[_Item]:
    out: list[_Item] = []
    for item in items:
        joined = _join(out[-1], item, lowered, today) if out else None
        if joined is not None:
            out[-1] = joined
        else:
            out.append(item)
    return out


def _innermost(items: list[_Item]) -> _Item | None:
    """Nested mentions ("im November am 12.11.") mean the innermost; unrelated ones are not guessed at."""
    inner = min(items, key=lambda i: (i.span[1] - i.span[0]).days if i.span[0] and i.span[1] else 10**6)
    s, e = inner.span
    if s is None or e is None:
        return None
    for item in items:
        a, b = item.span
        if a is None or b is None or not (a <= s and e <= b):
            return None
    return inner


def _has_residue(masked: str, items: list[_Item]) -> bool:
    """Date-like words left over next to (or, for the strong kinds, anywhere around) what was read."""
    if _STRONG_RESIDUE.search(masked):
        return True
    for item in items:
        left = masked[max(0, item.start - 24):item.start]
        if _LEFT_RESIDUE.search(left):
            return True
        right = masked[item.end:item.end + 24]
        hit = _RIGHT_RESIDUE.match(right)
        if hit is None:
            continue
        after = right[hit.end():]
        if not hit.group("num") or _TIME_UNIT_AFTER.match(after) or _NUMBER_ENDS.match(after):
            return True  # "12.11. 15" or "1 month 21 days": a number that belongs to the date
    return False


def read_dates(buf: list[str], original: str, lowered: str, today: date) -> DateReading:
    """Find, mask and combine the date expressions of one message (`buf` is the lower-cased, masked text)."""
    items = _find(buf, _Ctx(today, original))
    if not items:
        return DateReading()
    if len(items) > MAX_MENTIONS or any(i.kind == _UNCLEAR for i in items) or _has_residue("".join(buf), items):
        return DateReading(unclear=True)
    merged = _resolve_doms(_merge_weekdays(items, lowered))
    if merged is None:
        return DateReading(unclear=True)
    merged = _join_ranges(merged, lowered, today)
    if any(i.kind in (_UNCLEAR, _FUTURE) for i in merged):
        return DateReading(unclear=True)
    item = merged[0] if len(merged) == 1 else _innermost(merged)
    if item is None:
        return DateReading(unclear=True)
    start, end = item.span
    if start is not None and start > today:  # "2016/11/12" on 7 Nov 2016: no order can be from then
        return DateReading(unclear=True)
    before = " " + lowered[max(0, item.start - 25):item.start]
    matched = lowered[item.start:item.end]
    if item.kind != "period" or item.start == merged[0].start:
        if _SINCE_BEFORE.search(before) or re.match(r"(?:seit|ab|since)\s", matched):
            return DateReading(start, today, item.stated)
        if _UNTIL_BEFORE.search(before) or re.match(r"(?:bis|until)\s", matched):
            return DateReading(None, end, item.stated)
    return DateReading(start, end, item.stated)
