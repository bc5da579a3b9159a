"""Retention and erasure of the cockpit's rows (called by ``assistant privacy purge | erase``).

Turns, conversations and cases hold what visitors typed (redacted, yet personal in context): they go after the
retention period, or at once for an erased conversation. The daily aggregates are counts without any person in
them and stay, so last year's KPIs remain comparable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from assistant.analytics.events import AnalyticsConversation, AnalyticsTurn, ReviewCase
from assistant.commerce.db import Database


def deleted(session: Session, statement: Any) -> int:
    """Rows a DELETE removed (the typed Result of SQLAlchemy does not name rowcount)."""
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)


def purge(database: Database, cutoff: datetime) -> dict[str, int]:
    turns, conversations, cases = AnalyticsTurn, AnalyticsConversation, ReviewCase
    with database.session() as s:
        return {
            "analytics_turns": deleted(s, delete(turns).where(turns.created_at < cutoff)),
            "analytics_conversations": deleted(s, delete(conversations).where(conversations.last_at < cutoff)),
            "review_cases": deleted(s, delete(cases).where(cases.created_at < cutoff)),
        }


def erase(database: Database, hashes: list[str]) -> dict[str, int]:
    """Everything of these conversations (one-way hashes of their sender ids)."""
    if not hashes:
        return {"analytics_turns": 0, "analytics_conversations": 0, "review_cases": 0}
    turns, conversations, cases = AnalyticsTurn, AnalyticsConversation, ReviewCase
    with database.session() as s:
        return {
            "analytics_turns": deleted(s, delete(turns).where(turns.conversation.in_(hashes))),
            "analytics_conversations": deleted(s, delete(conversations).where(conversations.conversation.in_(hashes))),
            "review_cases": deleted(s, delete(cases).where(cases.conversation.in_(hashes))),
        }
