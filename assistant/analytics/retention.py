"""Retention and erasure of the cockpit's rows (called by ``assistant privacy purge | erase``).

Turns, conversations and cases hold what visitors typed (redacted, yet personal in context): they go after the
retention period, or at once for an erased conversation. The daily aggregates are counts without any person in
them and stay, so last year's KPIs remain comparable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from assistant.analytics.events import AnalyticsConversation, AnalyticsTurn, ReviewCase
from assistant.commerce.db import Database


def purge(database: Database, cutoff: datetime) -> dict[str, int]:
    with database.session() as s:
        return {
            "analytics_turns": s.execute(delete(AnalyticsTurn).where(AnalyticsTurn.created_at < cutoff)).rowcount,
            "analytics_conversations": s.execute(
                delete(AnalyticsConversation).where(AnalyticsConversation.last_at < cutoff)).rowcount,
            "review_cases": s.execute(delete(ReviewCase).where(ReviewCase.created_at < cutoff)).rowcount,
        }


def erase(database: Database, conversations: list[str]) -> dict[str, int]:
    """Everything of these conversations (one-way hashes of their sender ids)."""
    if not conversations:
        return {"analytics_turns": 0, "analytics_conversations": 0, "review_cases": 0}
    with database.session() as s:
        return {
            "analytics_turns": s.execute(
                delete(AnalyticsTurn).where(AnalyticsTurn.conversation.in_(conversations))).rowcount,
            "analytics_conversations": s.execute(
                delete(AnalyticsConversation).where(AnalyticsConversation.conversation.in_(conversations))).rowcount,
            "review_cases": s.execute(delete(ReviewCase).where(ReviewCase.conversation.in_(conversations))).rowcount,
        }
