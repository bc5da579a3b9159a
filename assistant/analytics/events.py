"""The analytics event model: a chat turn, a flow step, a thumbs rating, a customer-effort score.

The gateway builds events on the request path and hands them to the recorder (``recorder.py``), which writes
them in the background: nothing here touches a database. Events carry the raw question and reply; the writer
redacts them before anything is stored.

What actions tell the gateway travels in private message keys (``_analytics``), stripped before the client
sees a message. The contract:

- a knowledge answer's first message: ``{"kind": "knowledge", "answered": bool, "verdict": "yes" | "no" |
  "only_if" | "not_specified" | null, "sources": [doc ids], "reason": str | null}``;
- a flow step: ``{"kind": "flow", "flow": "reorder" | "rfq" | "document" | "status" | "finder" | "handoff",
  "event": "started" | "finished"}``.

A turn without a knowledge payload is of kind "flow" (when it carries flow steps) or "other". Anything that
does not match the contract is ignored: these keys pass through Rasa and are treated as data, not trust.

Tables (commerce database, migrations 0005 and 0006): ``an_turns`` one row per chat turn, ``an_conversations`` the
state of each conversation the funnel and containment need, ``an_daily`` and ``an_monthly`` the incremental
aggregates the insights page reads, ``an_cases`` the cases the content team filed from the review.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assistant.commerce.models import Base

log = logging.getLogger(__name__)

TOUCHPOINTS = ("shop", "product", "portal")
LANGUAGES = ("de", "en")
FLOWS = ("reorder", "rfq", "document", "status", "finder", "handoff")
FLOW_EVENTS = ("started", "finished")
CES_FLOWS = ("reorder", "rfq", "document")  # the completed flows the widget asks the effort question after
VERDICTS = ("yes", "no", "only_if", "not_specified")
CES_SCALE = (1, 5)
MAX_SOURCES = 20
MAX_REPLY_CHARS = 8000


# ------------------------------------------------------------------ what actions report
@dataclass(frozen=True)
class KnowledgeOutcome:
    answered: bool
    verdict: str | None
    sources: tuple[str, ...]
    reason: str | None


@dataclass(frozen=True)
class FlowStep:
    flow: str
    event: str


def knowledge_outcome(private: Iterable[Mapping[str, Any]]) -> KnowledgeOutcome | None:
    """The first well-formed knowledge payload of a turn, or None."""
    for item in private:
        if item.get("kind") != "knowledge" or not isinstance(item.get("answered"), bool):
            continue
        verdict = item.get("verdict") if item.get("verdict") in VERDICTS else None
        listed = item.get("sources")
        raw_sources: list[Any] = listed if isinstance(listed, list) else []
        sources = tuple(str(s)[:200] for s in raw_sources if isinstance(s, str) and s.strip())[:MAX_SOURCES]
        reason = item.get("reason") if isinstance(item.get("reason"), str) else None
        return KnowledgeOutcome(item["answered"], verdict, sources, reason[:60] if reason else None)
    return None


def flow_steps(private: Iterable[Mapping[str, Any]]) -> tuple[FlowStep, ...]:
    steps = []
    for item in private:
        if item.get("kind") == "flow" and item.get("flow") in FLOWS and item.get("event") in FLOW_EVENTS:
            step = FlowStep(str(item["flow"]), str(item["event"]))
            if step not in steps:
                steps.append(step)
    return tuple(steps)


def touchpoint_of(sku: str | None, logged_in: bool) -> str:
    """Where the widget was: a product page sends its article; the customer portal is where buyers log in.

    The widget sends no page type, so a logged-in visitor elsewhere counts as "portal" (in the demo shop tokens
    exist only on the portal) and everyone else as "shop".
    """
    if sku:
        return "product"
    return "portal" if logged_in else "shop"


# ------------------------------------------------------------------ events
@dataclass(frozen=True)
class TurnEvent:
    """One chat turn as the gateway saw it: who (kind of identity only), where, what was asked and shown."""

    conversation: str  # one-way hash of the Rasa sender id (analytics.conversation_hash)
    created_at: datetime
    language: str
    touchpoint: str
    logged_in: bool
    question: str | None  # as typed (redacted by the writer); None for a button
    messages: tuple[Mapping[str, Any], ...]  # the reply as the user saw it (private keys already stripped)
    private: tuple[Mapping[str, Any], ...] = ()  # the turn's ``_analytics`` payloads
    sku: str | None = None

    @property
    def knowledge(self) -> KnowledgeOutcome | None:
        return knowledge_outcome(self.private)

    @property
    def flows(self) -> tuple[FlowStep, ...]:
        return flow_steps(self.private)


@dataclass(frozen=True)
class FeedbackEvent:
    """A thumbs rating of the message at ``message_index`` (counted over the messages the client was shown)."""

    conversation: str
    created_at: datetime
    message_index: int
    rating: str  # up | down


@dataclass(frozen=True)
class CesEvent:
    """The one-question effort score after a completed flow; ``score`` None means the person skipped it."""

    conversation: str
    created_at: datetime
    flow: str
    score: int | None
    language: str = "de"


Event = TurnEvent | FeedbackEvent | CesEvent


@dataclass
class Delta:
    """Additions to the daily aggregates, keyed by (day, touchpoint, language, metric)."""

    values: dict[tuple[date, str, str, str], int] = field(default_factory=dict)

    def add(self, day: date, touchpoint: str, language: str, metric: str, value: int = 1) -> None:
        if value:
            key = (day, touchpoint, language, metric)
            self.values[key] = self.values.get(key, 0) + value


# ------------------------------------------------------------------ tables
class AnalyticsTurn(Base):
    __tablename__ = "an_turns"
    __table_args__ = (
        Index("ix_an_turns_kind_day", "kind", "day", "created_at"),
        Index("ix_an_turns_conversation", "conversation", "first_message"),
        Index("ix_an_turns_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[date] = mapped_column(Date)  # local calendar day (settings.timezone)
    conversation: Mapped[str] = mapped_column(String(64))
    first_message: Mapped[int] = mapped_column(Integer)  # index of the turn's first message the client saw
    message_count: Mapped[int] = mapped_column(Integer)
    logged_in: Mapped[bool] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(2))
    touchpoint: Mapped[str] = mapped_column(String(10))
    sku: Mapped[str | None] = mapped_column(String(20), nullable=True)
    kind: Mapped[str] = mapped_column(String(10))  # knowledge | flow | other
    answered: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(60), nullable=True)
    sources: Mapped[str | None] = mapped_column(String(4000), nullable=True)  # JSON list of document ids
    flows: Mapped[str | None] = mapped_column(String(200), nullable=True)  # "rfq:started reorder:finished"
    question: Mapped[str | None] = mapped_column(String(500), nullable=True)
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of the messages shown
    rating: Mapped[str | None] = mapped_column(String(4), nullable=True)


class AnalyticsConversation(Base):
    __tablename__ = "an_conversations"
    __table_args__ = (Index("ix_an_conversations_last_at", "last_at"),)

    conversation: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[date] = mapped_column(Date)
    touchpoint: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(2))
    logged_in: Mapped[bool] = mapped_column(Boolean)
    turns: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    asked: Mapped[bool] = mapped_column(Boolean, default=False)
    finder: Mapped[bool] = mapped_column(Boolean, default=False)
    rfq: Mapped[bool] = mapped_column(Boolean, default=False)
    rfq_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    reordered: Mapped[bool] = mapped_column(Boolean, default=False)
    handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    ces_flow: Mapped[str | None] = mapped_column(String(10), nullable=True)
    ces_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ces_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class _Counters:
    """Columns of an aggregate table after its period key: counters per touchpoint, language and metric."""

    touchpoint: Mapped[str] = mapped_column(String(10), primary_key=True, sort_order=1)
    language: Mapped[str] = mapped_column(String(2), primary_key=True, sort_order=2)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True, sort_order=3)
    value: Mapped[int] = mapped_column(BigInteger, default=0, sort_order=4)


class AnalyticsDaily(_Counters, Base):
    """Counters per day: the insights page sums these for the days outside whole months."""

    __tablename__ = "an_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True, sort_order=0)


class AnalyticsMonthly(_Counters, Base):
    """The same counters per month (keyed by its first day): a year is twelve of these, not 365 days of rows."""

    __tablename__ = "an_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True, sort_order=0)


class ReviewCase(Base):
    """A finding of the content team, filed from the review; a copy of what the evaluation needs."""

    __tablename__ = "an_cases"
    __table_args__ = (Index("ix_an_cases_turn", "turn_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    turn_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    conversation: Mapped[str | None] = mapped_column(String(64), nullable=True)
    category: Mapped[str] = mapped_column(String(20))  # wrong_answer | missing_content
    note: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    question: Mapped[str] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(2))
    touchpoint: Mapped[str] = mapped_column(String(10))
    sku: Mapped[str | None] = mapped_column(String(20), nullable=True)
    sources: Mapped[str | None] = mapped_column(String(4000), nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)
