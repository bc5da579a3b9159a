"""Analytics for the content team: what was asked, what was answered, and what it achieved.

- ``unanswered``: questions the assistant could not answer well and answer feedback (the unanswered report);
  also the one redaction of personal data every analytics write goes through.

The names below are the package's public interface; import from ``assistant.analytics``.
"""

from assistant.analytics.unanswered import (
    EMAIL_MARK,
    GROUP_SIMILARITY,
    KINDS,
    MAX_COMMENT_CHARS,
    MAX_QUESTION_CHARS,
    PHONE_MARK,
    Analytics,
    AnswerFeedback,
    QuestionGroup,
    UnansweredQuestion,
    conversation_hash,
    get_analytics,
    group_key,
    group_rows,
    redact,
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
    "QuestionGroup",
    "UnansweredQuestion",
    "conversation_hash",
    "get_analytics",
    "group_key",
    "group_rows",
    "redact",
]
