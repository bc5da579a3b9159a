"""The one clock. Everything that asks "what day is it" reads `now()` or `today()` from here.

``ASSISTANT_TODAY=2026-12-04`` pins the calendar day for demos and tests (the production profile refuses it):
the clock then runs from that day with the real time of day, so expiries, office hours and "vorgestern" keep
working, and crossing midnight still advances the day. The offset to the real day is taken once per process,
so one process never sees its "today" jump backwards.

What is not read from here: JWT expiry (the shop's tokens follow the real clock), file modification times,
and the timestamps that name result files of benchmarks and evaluations.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from assistant.settings import Settings, get_settings


@lru_cache(maxsize=8)
def _offset(pinned: date, timezone: str) -> timedelta:
    """Whole days between the pinned and the real local day, fixed at the first call of a process."""
    return pinned - datetime.now(ZoneInfo(timezone)).date()


def offset(settings: Settings | None = None) -> timedelta:
    s = settings or get_settings()
    return _offset(s.today, s.timezone) if s.today else timedelta(0)


def now(settings: Settings | None = None) -> datetime:
    """The current instant, timezone-aware in UTC (shifted by whole days when the day is pinned)."""
    return datetime.now(UTC) + offset(settings)


def local_now(settings: Settings | None = None) -> datetime:
    """The current instant in the configured time zone (office hours, "today" in the dialogue)."""
    s = settings or get_settings()
    return now(s).astimezone(ZoneInfo(s.timezone))


def today(settings: Settings | None = None) -> date:
    """The calendar day in the configured time zone (Europe/Berlin by default)."""
    return local_now(settings).date()


def timestamp(settings: Settings | None = None) -> float:
    """Seconds since the epoch on this clock, for expiries we sign and check ourselves (links, metadata)."""
    return time.time() + offset(settings).total_seconds()
