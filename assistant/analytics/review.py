"""The conversation review: knowledge answers as people saw them, filed cases, and their export for the evaluation.

Everything shown was redacted when it was written (``recorder.py``); notes typed by the content team are redacted
too, since a pasted e-mail address is as personal there. Cases copy what the evaluation needs from the turn, so
an exported case survives the turn's retention purge of the raw events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml
from sqlalchemy import delete, or_, select

from assistant import clock
from assistant.analytics.events import LANGUAGES, TOUCHPOINTS, AnalyticsConversation, AnalyticsTurn, ReviewCase
from assistant.analytics.redaction import MAX_COMMENT_CHARS, redact
from assistant.analytics.retention import deleted
from assistant.commerce.db import Database
from assistant.errors import InvalidInput, NotFound

CATEGORIES = ("wrong_answer", "missing_content")
PAGE_SIZE = 25
MAX_SEARCH_CHARS = 200


@dataclass(frozen=True)
class ReviewQuery:
    day_from: date | None = None
    day_to: date | None = None
    language: str | None = None
    touchpoint: str | None = None
    no_answer: bool = False
    thumbs_down: bool = False
    handoff: bool = False
    text: str = ""
    page: int = 1

    def __post_init__(self) -> None:
        if self.language not in (None, *LANGUAGES) or self.touchpoint not in (None, *TOUCHPOINTS):
            raise InvalidInput("unknown language or touchpoint")
        if self.day_from and self.day_to and self.day_to < self.day_from:
            raise InvalidInput("the end of the period is before its start")
        if self.page < 1 or self.page > 10_000:
            raise InvalidInput("page out of range")


@dataclass(frozen=True)
class ReviewItem:
    id: int
    created_at: datetime
    language: str
    touchpoint: str
    sku: str | None
    question: str | None
    messages: list[dict[str, Any]]
    sources: list[str]
    answered: bool | None
    verdict: str | None
    reason: str | None
    rating: str | None
    handoff: bool
    case: str | None  # category of a case filed for this answer


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def review(database: Database, q: ReviewQuery, page_size: int = PAGE_SIZE) -> tuple[list[ReviewItem], bool]:
    """One page of knowledge answers, newest first, and whether there is a next page."""
    t, c = AnalyticsTurn, AnalyticsConversation
    stmt = (select(t, c.handoff).join(c, c.conversation == t.conversation, isouter=True)
            .where(t.kind == "knowledge").order_by(t.day.desc(), t.created_at.desc(), t.id.desc()))
    if q.day_from:
        stmt = stmt.where(t.day >= q.day_from)
    if q.day_to:
        stmt = stmt.where(t.day <= q.day_to)
    if q.language:
        stmt = stmt.where(t.language == q.language)
    if q.touchpoint:
        stmt = stmt.where(t.touchpoint == q.touchpoint)
    if q.no_answer:
        stmt = stmt.where(t.answered.is_(False))
    if q.thumbs_down:
        stmt = stmt.where(t.rating == "down")
    if q.handoff:
        stmt = stmt.where(c.handoff.is_(True))
    text = " ".join(q.text.split())[:MAX_SEARCH_CHARS]
    if text:
        pattern = _like(text)
        stmt = stmt.where(or_(t.question.ilike(pattern, escape="\\"), t.reply.ilike(pattern, escape="\\"),
                              t.sku.ilike(pattern, escape="\\")))
    stmt = stmt.offset((q.page - 1) * page_size).limit(page_size + 1)
    with database.session() as s:
        rows = s.execute(stmt).all()
        ids = [row[0].id for row in rows[:page_size]]
        cases = dict(s.execute(select(ReviewCase.turn_id, ReviewCase.category)
                               .where(ReviewCase.turn_id.in_(ids))).all()) if ids else {}
    items = [_item(turn, bool(handoff), cases.get(turn.id)) for turn, handoff in rows[:page_size]]
    return items, len(rows) > page_size


def _item(turn: AnalyticsTurn, handoff: bool, case: str | None) -> ReviewItem:
    try:
        messages = json.loads(turn.reply or "[]")
    except ValueError:
        messages = []
    try:
        sources = [str(s) for s in json.loads(turn.sources or "[]")]
    except ValueError:
        sources = []
    return ReviewItem(turn.id, turn.created_at, turn.language, turn.touchpoint, turn.sku, turn.question,
                      messages if isinstance(messages, list) else [], sources, turn.answered, turn.verdict,
                      turn.reason, turn.rating, handoff, case)


# ------------------------------------------------------------------ cases
def file_case(database: Database, turn_id: int, category: str, note: str = "", now: datetime | None = None) -> int:
    """File (or re-file: one case per answer, the latest category and note win) a case; returns its id."""
    if category not in CATEGORIES:
        raise InvalidInput("unknown category")
    clean_note = redact(" ".join(note.split()))[:MAX_COMMENT_CHARS] or None
    with database.session() as s:
        turn = s.get(AnalyticsTurn, turn_id)
        if turn is None or turn.kind != "knowledge":
            raise NotFound("no such answer")
        case = s.scalars(select(ReviewCase).where(ReviewCase.turn_id == turn_id)).first()
        if case is None:
            case = ReviewCase(turn_id=turn_id, conversation=turn.conversation)
            s.add(case)
        case.created_at = now or clock.now()
        case.category, case.note = category, clean_note
        case.question, case.language, case.touchpoint = turn.question or "", turn.language, turn.touchpoint
        case.sku, case.sources, case.verdict = turn.sku, turn.sources, turn.verdict
        s.flush()
        return case.id


def cases(database: Database, limit: int = 1000) -> list[ReviewCase]:
    with database.session() as s:
        return list(s.scalars(select(ReviewCase).order_by(ReviewCase.created_at.desc(), ReviewCase.id.desc())
                              .limit(limit)))


def delete_case(database: Database, case_id: int) -> bool:
    with database.session() as s:
        return deleted(s, delete(ReviewCase).where(ReviewCase.id == case_id)) > 0


def export_yaml(rows: list[ReviewCase], today: date | None = None) -> str:
    """Cases as questions of the answer evaluation (tests/eval/answers.yml and its README), to be completed.

    A wrong answer becomes a "fact" question naming the documents the answer cited (the content team adds the facts
    the answer must state); missing content a "silent" one (until the content exists the honest answer is "not
    specified"; the team adds the ``absent`` patterns). The editor's note and the cited documents go into a
    ``# judgement:`` line above the question, as the README asks for decisions. Splits alternate within each
    language and kind, "tune" first; ids are ``review-<case>`` until the team gives them the next free
    ``a-<lang>-<nnn>``.
    """
    seen: dict[tuple[str, str], int] = {}
    blocks = []
    for case in sorted(rows, key=lambda r: r.id):
        silent = case.category == "missing_content"
        kind = "silent" if silent else "fact"
        try:
            docs = [str(d) for d in json.loads(case.sources or "[]")]
        except ValueError:
            docs = []
        group = (case.language, kind)
        seen[group] = seen.get(group, 0) + 1
        entry: dict[str, Any] = {"id": f"review-{case.id}", "q": case.question, "lang": case.language, "kind": kind,
                                 "split": "tune" if seen[group] % 2 else "frozen"}
        if case.sku:
            entry["page_sku"] = case.sku
        entry.update({"docs": [] if silent else docs, "facts": [], "forbidden": []})
        if silent:
            entry.update({"not_specified": True, "absent": []})
        label = "missing content" if silent else "wrong answer"
        note = " ".join((case.note or "").split())
        cited = f"; the answer cited {', '.join(docs)}" if docs else ""
        judgement = f"# judgement: review case {case.id} ({label}){': ' + note if note else ''}{cited}"
        blocks.append(judgement + "\n" + yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=110))
    header = (f"# Cases filed in the conversation review (/admin/review), exported {today or clock.today()}.\n"
              "# To add one to tests/eval/answers.yml: give it the next free id a-<lang>-<nnn>, fill in `facts`\n"
              "# (fact) or `absent` (silent) as tests/eval/README.md describes, and check the split balance.\n")
    return header + "questions:\n" + "".join(blocks)
