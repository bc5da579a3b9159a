"""What the assistant could not answer well, for the content team: unanswered questions and answer feedback.

Rows live in the commerce database (tables ``kb_unanswered`` and ``kb_feedback``, migration 0002). Questions are
personal data as typed by a visitor, so e-mail addresses and phone numbers are redacted *before* storage; nothing
else of the visitor is kept (the conversation is stored as a one-way hash). The admin report groups similar
questions so that "Dampfschlauch 200 °C?" and "Welcher Schlauch für Dampf bei 200 °C" count together.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Literal

import snowballstemmer
from rapidfuzz import fuzz
from sqlalchemy import DateTime, Float, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from assistant import clock
from assistant.analytics.events import FeedbackEvent
from assistant.analytics.recorder import Recorder, get_recorder
from assistant.analytics.redaction import EMAIL_MARK, MAX_COMMENT_CHARS, MAX_QUESTION_CHARS, PHONE_MARK, redact
from assistant.commerce.db import Database, get_database
from assistant.commerce.models import Base
from assistant.sanitize import csv_cell

log = logging.getLogger(__name__)

Kind = Literal["fallback", "low_score", "no_documents", "no_product_match", "not_specified", "thumbs_down"]
KINDS: tuple[str, ...] = ("fallback", "low_score", "no_documents", "no_product_match", "not_specified", "thumbs_down")
GROUP_SIMILARITY = 75  # rapidfuzz token_sort_ratio of the stemmed keys; calibrated in tests/test_analytics.py


class UnansweredQuestion(Base):
    __tablename__ = "kb_unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    question: Mapped[str] = mapped_column(String(MAX_QUESTION_CHARS))
    group_key: Mapped[str] = mapped_column(String(300))
    top_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    conversation: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AnswerFeedback(Base):
    __tablename__ = "kb_feedback"
    __table_args__ = (UniqueConstraint("conversation", "message_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    conversation: Mapped[str] = mapped_column(String(64))
    message_index: Mapped[int] = mapped_column(Integer)
    rating: Mapped[str] = mapped_column(String(4))
    comment: Mapped[str | None] = mapped_column(String(MAX_COMMENT_CHARS), nullable=True)
    question: Mapped[str | None] = mapped_column(String(MAX_QUESTION_CHARS), nullable=True)
    language: Mapped[str] = mapped_column(String(2))


# ------------------------------------------------------------------ grouping
_STOP_WORDS = """
    der die das den dem des ein eine einer einen einem und oder ist sind für fur mit von bei bis zu zum zur im in
    an auf aus wie was welche welcher welches welchen gibt es ich wir sie mir mich uns man kann können konnen
    habe haben hat sein wird werden nicht auch noch nur so da dann wenn als ob bitte mal gern gerne
    the a an and or is are for with of at to in on from by how what which who do does can could i we you me my
    our it this that there be have has please would should any some
"""
_STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")


@lru_cache(maxsize=2)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english" if language == "en" else "german")


def _fold(text: str) -> str:
    text = text.lower().replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def group_key(question: str, language: str = "de") -> str:
    """Order-free key of the question's content words, stemmed, so rephrasings land close together."""
    raw = question.replace(EMAIL_MARK, " ").replace(PHONE_MARK, " ").lower()
    words = [w for w in _WORD.findall(_fold(raw)) if w not in _STOP and _fold(w) not in _STOP]
    stems = {_stemmer(language).stemWord(w) for w in words}
    return " ".join(sorted(stems))[:300]


def conversation_hash(sender: str | None) -> str | None:
    """The conversation only as a one-way hash: enough to de-duplicate, nothing to trace back."""
    return hashlib.sha256(sender.encode()).hexdigest()[:32] if sender else None


@dataclass
class QuestionGroup:
    question: str  # the most recent wording
    count: int
    kinds: dict[str, int]
    languages: list[str]
    first_seen: datetime
    last_seen: datetime
    examples: list[str] = field(default_factory=list)


def group_rows(rows: list[UnansweredQuestion], threshold: int = GROUP_SIMILARITY) -> list[QuestionGroup]:
    """Greedy clustering: each row joins the first group whose key is similar enough, newest first."""
    clusters: list[tuple[str, list[UnansweredQuestion]]] = []
    for row in sorted(rows, key=lambda r: r.created_at, reverse=True):
        key = row.group_key or row.question.lower()
        for ckey, members in clusters:
            if key == ckey or (key and ckey and fuzz.token_sort_ratio(key, ckey) >= threshold):
                members.append(row)
                break
        else:
            clusters.append((key, [row]))
    groups = []
    for _, members in clusters:
        wordings: list[str] = []
        for m in members:
            if m.question not in wordings:
                wordings.append(m.question)
        groups.append(
            QuestionGroup(
                question=members[0].question,
                count=len(members),
                kinds=dict(Counter(m.kind for m in members)),
                languages=sorted({m.language for m in members}),
                first_seen=min(m.created_at for m in members),
                last_seen=max(m.created_at for m in members),
                examples=wordings[:5],
            )
        )
    groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp()))
    return groups


# ------------------------------------------------------------------ service
class Analytics:
    """Records and reports; every write redacts first. Failures to record never break a reply (callers log)."""

    def __init__(self, database: Database | None = None, recorder: Recorder | None = None) -> None:
        self._database = database
        # Events of a store given here go to that store; the process's recorder writes to the default one.
        self._recorder = recorder or (Recorder(database) if database is not None else None)

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = get_database()
        return self._database

    def record_unanswered(
        self,
        question: str,
        kind: str,
        language: str = "de",
        top_score: float | None = None,
        sender: str | None = None,
        now: datetime | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        text = redact(" ".join((question or "").split()))[:MAX_QUESTION_CHARS]
        if not text:
            return
        lang = "en" if language == "en" else "de"
        with self.database.session() as s:
            s.add(
                UnansweredQuestion(
                    created_at=now or clock.now(),
                    kind=kind,
                    language=lang,
                    question=text,
                    group_key=group_key(text, lang),
                    top_score=top_score,
                    conversation=conversation_hash(sender),
                )
            )

    def record_feedback(
        self,
        sender: str,
        message_index: int,
        rating: str,
        comment: str | None = None,
        question: str | None = None,
        language: str = "de",
        now: datetime | None = None,
    ) -> None:
        """One rating per answer; a second click changes it. Thumbs down also lands in the unanswered report.

        The rating also goes to the analytics writer, which attaches it to the rated turn for the review and the
        thumbs ratio (off the request path, like every analytics event).
        """
        if rating not in ("up", "down"):
            raise ValueError("rating must be up or down")
        conv = conversation_hash(sender) or ""
        when = now or clock.now()
        clean_comment = redact(comment.strip())[:MAX_COMMENT_CHARS] if comment and comment.strip() else None
        clean_question = redact(" ".join(question.split()))[:MAX_QUESTION_CHARS] if question else None
        lang = "en" if language == "en" else "de"
        with self.database.session() as s:
            row = s.scalars(
                select(AnswerFeedback).where(
                    AnswerFeedback.conversation == conv, AnswerFeedback.message_index == message_index
                )
            ).first()
            was_down = row is not None and row.rating == "down"
            if row is None:
                row = AnswerFeedback(conversation=conv, message_index=message_index, language=lang)
                s.add(row)
            row.created_at, row.rating = when, rating
            row.comment = clean_comment or row.comment
            row.question = clean_question or row.question
            if rating == "down" and not was_down and row.question:
                text = row.question if not clean_comment else f"{row.question} — {clean_comment}"
                s.add(
                    UnansweredQuestion(
                        created_at=when,
                        kind="thumbs_down",
                        language=lang,
                        question=text[:MAX_QUESTION_CHARS],
                        group_key=group_key(row.question, lang),
                        top_score=None,
                        conversation=conv,
                    )
                )
        (self._recorder or get_recorder()).submit(FeedbackEvent(conv, when, message_index, rating))

    def rows(self, limit: int = 5000) -> list[UnansweredQuestion]:
        with self.database.session() as s:
            return list(
                s.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.created_at.desc()).limit(limit))
            )

    def feedback(self, limit: int = 1000) -> list[AnswerFeedback]:
        with self.database.session() as s:
            return list(s.scalars(select(AnswerFeedback).order_by(AnswerFeedback.created_at.desc()).limit(limit)))

    def report(self) -> list[QuestionGroup]:
        return group_rows(self.rows())

    def csv_report(self) -> str:
        """The grouped report as CSV (semicolon-separated, as German spreadsheets expect), UTF-8 with BOM."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(["question", "count", "kinds", "languages", "first_seen", "last_seen", "examples"])
        for g in self.report():
            writer.writerow(
                [
                    _csv_safe(g.question),
                    g.count,
                    ", ".join(f"{k}={v}" for k, v in sorted(g.kinds.items())),
                    ", ".join(g.languages),
                    g.first_seen.isoformat(timespec="seconds"),
                    g.last_seen.isoformat(timespec="seconds"),
                    _csv_safe(" | ".join(g.examples)),
                ]
            )
        return "\ufeff" + buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Spreadsheets execute cells starting with = + - @: neutralise them (CSV injection); one rule for every CSV."""
    return csv_cell(value)


@lru_cache(maxsize=1)
def get_analytics() -> Analytics:
    return Analytics()
