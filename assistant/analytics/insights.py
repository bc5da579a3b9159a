"""The KPIs of the insights page, read from the daily aggregates (``an_daily``), never from the events.

A period is at most a year of days × 3 touchpoints × 2 languages × a few dozen metrics: one indexed range read,
whatever the number of events behind it. The definitions, in one place:

- answer rate: knowledge questions answered / knowledge questions; "not specified" rate: answers that said
  plainly that the documents do not specify it / knowledge questions;
- thumbs ratio: thumbs up / all thumbs; containment: conversations without a request for a person / all;
- funnel: conversations → with a product question → product finder → request for quote → request sent, each
  step counted once per conversation, on the day and touchpoint the conversation started;
- logged-in flows: confirmed orders, order status and documents served; the time from a conversation's first
  message to its first confirmed order, from buckets (median interpolated within its bucket);
- customer effort: the one-question score (1 very hard … 5 very easy) per completed flow, answers and skips.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from assistant.analytics.events import CES_FLOWS, LANGUAGES, TOUCHPOINTS, AnalyticsDaily, AnalyticsMonthly
from assistant.analytics.recorder import ORDER_TIME_BUCKETS
from assistant.commerce.db import Database

PRESETS = ("last_week", "last_7", "last_30", "last_90")
MAX_PERIOD_DAYS = 366
FUNNEL = ("conversations", "funnel_question", "funnel_finder", "funnel_rfq", "funnel_rfq_sent")


class InvalidPeriod(ValueError):
    """A period a person typed that cannot be shown; the message key says why."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    preset: str = "custom"

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def period(preset: str | None, start: date | None, end: date | None, today: date) -> Period:
    """A preset relative to today, or a custom range; "last week" is Monday to Sunday of the previous week."""
    if start is not None or end is not None:
        if start is None or end is None:
            raise InvalidPeriod("period_incomplete")
        if end < start:
            raise InvalidPeriod("period_reversed")
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise InvalidPeriod("period_too_long")
        return Period(start, end)
    preset = preset if preset in PRESETS else "last_week"
    if preset == "last_week":
        monday = today - timedelta(days=today.weekday() + 7)
        return Period(monday, monday + timedelta(days=6), preset)
    days = {"last_7": 7, "last_30": 30, "last_90": 90}[preset]
    return Period(today - timedelta(days=days - 1), today, preset)


@dataclass
class Totals:
    """Sums per (touchpoint, language, metric) over a period."""

    values: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def get(self, metric: str, touchpoint: str | None = None, language: str | None = None) -> int:
        return sum(v for (tp, lang, m), v in self.values.items()
                   if m == metric and touchpoint in (None, tp) and language in (None, lang))


def load_totals(database: Database, p: Period) -> Totals:
    """Whole months of the period from the monthly counters, the days before and after them from the daily ones."""
    first_month = p.start if p.start.day == 1 else _next_month(p.start)
    after_months = _next_month(p.end) if _next_month(p.end) - timedelta(days=1) == p.end else p.end.replace(day=1)
    values: dict[tuple[str, str, str], int] = {}
    with database.session() as s:
        parts: list[tuple[Any, Any, date, date]] = []
        if first_month < after_months:
            parts.append((AnalyticsMonthly, AnalyticsMonthly.month, first_month, after_months - timedelta(days=1)))
            days = [(p.start, first_month - timedelta(days=1)), (after_months, p.end)]
        else:
            days = [(p.start, p.end)]
        parts += [(AnalyticsDaily, AnalyticsDaily.day, lo, hi) for lo, hi in days if lo <= hi]
        for table, column, lo, hi in parts:
            rows = s.execute(
                select(table.touchpoint, table.language, table.metric, func.sum(table.value))
                .where(column >= lo, column <= hi).group_by(table.touchpoint, table.language, table.metric)
            ).all()
            for tp, lang, metric, value in rows:
                values[(tp, lang, metric)] = values.get((tp, lang, metric), 0) + int(value or 0)
    return Totals(values)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def load_daily(database: Database, p: Period, metrics: tuple[str, ...], touchpoint: str | None = None,
               language: str | None = None) -> dict[date, dict[str, int]]:
    stmt = (select(AnalyticsDaily.day, AnalyticsDaily.metric, func.sum(AnalyticsDaily.value))
            .where(AnalyticsDaily.day >= p.start, AnalyticsDaily.day <= p.end, AnalyticsDaily.metric.in_(metrics))
            .group_by(AnalyticsDaily.day, AnalyticsDaily.metric))
    if touchpoint:
        stmt = stmt.where(AnalyticsDaily.touchpoint == touchpoint)
    if language:
        stmt = stmt.where(AnalyticsDaily.language == language)
    out: dict[date, dict[str, int]] = {d: dict.fromkeys(metrics, 0) for d in p.days}
    with database.session() as s:
        for day, metric, value in s.execute(stmt):
            out.setdefault(day, dict.fromkeys(metrics, 0))[metric] = int(value or 0)
    return out


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Kpis:
    """The KPIs of one slice (a touchpoint, a language, both or neither)."""

    totals: Totals
    touchpoint: str | None = None
    language: str | None = None

    def n(self, metric: str) -> int:
        return self.totals.get(metric, self.touchpoint, self.language)

    @property
    def answer_rate(self) -> float | None:
        return share(self.n("answered"), self.n("knowledge"))

    @property
    def not_specified_rate(self) -> float | None:
        return share(self.n("not_specified"), self.n("knowledge"))

    @property
    def thumbs_up_share(self) -> float | None:
        return share(self.n("thumbs_up"), self.n("thumbs_up") + self.n("thumbs_down"))

    @property
    def containment(self) -> float | None:
        conversations = self.n("conversations")
        return share(conversations - self.n("handoff"), conversations)

    @property
    def funnel(self) -> list[tuple[str, int]]:
        return [(step, self.n(step)) for step in FUNNEL]

    @property
    def order_times(self) -> list[tuple[int | None, int]]:
        """(upper bound in seconds or None for "longer", confirmed orders) per bucket."""
        bounds: list[int | None] = [*ORDER_TIME_BUCKETS, None]
        return [(b, self.n(f"order_time_le:{b if b is not None else 'inf'}")) for b in bounds]

    @property
    def median_order_seconds(self) -> float | None:
        """Interpolated within the bucket holding the middle order; None without orders or beyond the last bound."""
        buckets = self.order_times
        total = sum(c for _, c in buckets)
        if not total:
            return None
        half, seen, lower = total / 2, 0, 0
        for bound, count in buckets:
            if count and seen + count >= half:
                if bound is None:
                    return None
                return lower + (bound - lower) * (half - seen) / count
            seen += count
            lower = bound or lower
        return None

    @property
    def orders_within_5_minutes(self) -> float | None:
        buckets = self.order_times
        return share(sum(c for b, c in buckets if b is not None and b <= 300), sum(c for _, c in buckets))

    def ces(self, flow: str) -> tuple[int, int, float | None]:
        """(answers, skips, average score) of the effort question after ``flow``."""
        answers = self.n(f"ces_answers:{flow}")
        return answers, self.n(f"ces_skipped:{flow}"), (self.n(f"ces_sum:{flow}") / answers if answers else None)

    @property
    def ces_overall(self) -> float | None:
        answers = sum(self.n(f"ces_answers:{f}") for f in CES_FLOWS)
        return sum(self.n(f"ces_sum:{f}") for f in CES_FLOWS) / answers if answers else None


def slices(touchpoint: str | None, language: str | None) -> tuple[list[str], list[str]]:
    """The touchpoints and languages a page shows, narrowed by its filters."""
    return ([touchpoint] if touchpoint else list(TOUCHPOINTS)), ([language] if language else list(LANGUAGES))


def daily_rates(daily: dict[date, dict[str, int]], weekly: bool = False) -> list[tuple[date, int, float | None]]:
    """(day, conversations, answer rate) per day, or per week (keyed by its Monday) for long periods."""
    buckets: dict[date, defaultdict[str, int]] = {}
    for day in sorted(daily):
        key = day - timedelta(days=day.weekday()) if weekly else day
        bucket = buckets.setdefault(key, defaultdict(int))
        for metric, value in daily[day].items():
            bucket[metric] += value
    return [(key, v["conversations"], share(v["answered"], v["knowledge"])) for key, v in buckets.items()]
