"""Analytics for the content team: what was asked, what was answered, and what it achieved.

- ``redaction``: the one redaction of personal data every analytics write goes through.
- ``unanswered``: questions the assistant could not answer well and answer feedback (the unanswered report).
- ``events``: the event model (chat turn, flow step, thumbs, effort score) and its tables.
- ``recorder``: writes events off the request path and keeps the daily aggregates current.
- ``review``, ``insights``: what the content team reads (answers and cases; KPIs from the aggregates).
- ``retention``: purge and erasure of the cockpit's rows.

The names below are the package's public interface; import from ``assistant.analytics``.
"""

from assistant.analytics import retention
from assistant.analytics.events import CesEvent, FeedbackEvent, TurnEvent
from assistant.analytics.recorder import get_recorder, stop_recorder, write_events
from assistant.analytics.redaction import EMAIL_MARK, MAX_COMMENT_CHARS, MAX_QUESTION_CHARS, PHONE_MARK, redact
from assistant.analytics.unanswered import (
    GROUP_SIMILARITY,
    KINDS,
    Analytics,
    AnswerFeedback,
    QuestionGroup,
    UnansweredQuestion,
    conversation_hash,
    get_analytics,
    group_key,
    group_rows,
)

__all__ = [
    "EMAIL_MARK",
    "GROUP_SIMILARITY",
    "KINDS",
    "MAX_COMMENT_CHARS",
    "MAX_QUESTION_CHARS",
    "PHONE_MARK",
    "Analytics",
    "AnswerFeedback",
    "CesEvent",
    "FeedbackEvent",
    "QuestionGroup",
    "TurnEvent",
    "UnansweredQuestion",
    "conversation_hash",
    "get_analytics",
    "get_recorder",
    "group_key",
    "group_rows",
    "redact",
    "retention",
    "stop_recorder",
    "write_events",
]
