"""Writes analytics events off the request path, and keeps the daily aggregates current as it writes.

The gateway calls ``submit(event)``: a put on a bounded in-process queue, never a database call, so a chat turn
never waits for analytics and a failing store never breaks one. One background thread per process drains the
queue in batches; each batch is one transaction that inserts the turns, updates the conversations and adds its
counts to ``an_daily``. That makes the aggregation incremental: the insights page sums daily counters instead of
scanning events. When the queue is full or the store fails three times in a row, events are dropped and counted
(``dropped``), never retried forever: analytics is worth less than a chat turn.

Several app processes may write at once: each batch first claims the write lock (SQLite: a no-op write;
PostgreSQL: the batch's conversation rows ``FOR UPDATE``), so counters are never decided on stale state.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from assistant.analytics.events import (
    MAX_REPLY_CHARS,
    AnalyticsConversation,
    AnalyticsDaily,
    AnalyticsMonthly,
    AnalyticsTurn,
    CesEvent,
    Delta,
    Event,
    FeedbackEvent,
    TurnEvent,
)
from assistant.analytics.redaction import MAX_QUESTION_CHARS, redact
from assistant.commerce.db import Database, get_database
from assistant.settings import get_settings

log = logging.getLogger(__name__)

# Upper bounds (seconds) of the buckets of "first message to confirmed order"; the median is read from these.
ORDER_TIME_BUCKETS = (60, 120, 180, 300, 600, 900, 1800, 3600)


def order_time_metric(seconds: float) -> str:
    for bound in ORDER_TIME_BUCKETS:
        if seconds <= bound:
            return f"order_time_le:{bound}"
    return "order_time_le:inf"


def utc(when: datetime) -> datetime:
    """SQLite hands back the stored UTC instants without their zone; every comparison goes through here."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def local_day(when: datetime, timezone: str | None = None) -> date:
    return utc(when).astimezone(ZoneInfo(timezone or get_settings().timezone)).date()


def redact_messages(messages: Sequence[Any]) -> str:
    """The reply as the user saw it, with e-mail addresses and phone numbers redacted, as bounded JSON."""
    clean: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        item: dict[str, Any] = {"type": str(message.get("type", "text"))}
        if isinstance(message.get("text"), str):
            item["text"] = redact(message["text"])[:3000]
        if isinstance(message.get("buttons"), list):
            item["buttons"] = [redact(str(b.get("title", "")))[:80] for b in message["buttons"] if isinstance(b, dict)]
        if isinstance(message.get("items"), list):
            item["items"] = [_item(i) for i in message["items"][:20] if isinstance(i, dict)]
        clean.append(item)
    text = json.dumps(clean, ensure_ascii=False)
    while len(text) > MAX_REPLY_CHARS and clean:
        clean.pop()
        text = json.dumps(clean, ensure_ascii=False)
    return text


def _item(item: dict[str, Any]) -> dict[str, str]:
    keep = ("sku", "name", "title", "kind", "url", "excerpt", "page")
    return {k: redact(str(item[k]))[:400] for k in keep if item.get(k) not in (None, "")}


class Batch:
    """One transaction's worth of events: conversation state in memory, rows and counter deltas out."""

    def __init__(self, session: Session, timezone: str):
        self.session, self.timezone = session, timezone
        self.delta = Delta()
        self.conversations: dict[str, AnalyticsConversation] = {}
        self.new_turns: list[dict[str, Any]] = []

    # -------------------------------------------------------------- loading with the write lock held
    def load(self, events: Sequence[Event]) -> None:
        starts: dict[str, TurnEvent | CesEvent] = {}
        for e in events:
            if isinstance(e, TurnEvent | CesEvent):
                starts.setdefault(e.conversation, e)
        ids = sorted({e.conversation for e in events})
        dialect = self.session.get_bind().dialect.name
        if dialect == "sqlite":
            # A write statement takes SQLite's write lock now, before the state below is read.
            self.session.execute(update(AnalyticsDaily).where(AnalyticsDaily.value < 0).values(value=0))
        if starts:
            self._insert_missing(list(starts.values()), dialect)
        if ids:
            stmt = select(AnalyticsConversation).where(AnalyticsConversation.conversation.in_(ids))
            if dialect == "postgresql":
                stmt = stmt.with_for_update()
            self.conversations = {c.conversation: c for c in self.session.scalars(stmt)}

    def _insert_missing(self, starts: list[TurnEvent | CesEvent], dialect: str) -> None:
        rows = []
        for e in starts:
            touchpoint = e.touchpoint if isinstance(e, TurnEvent) else "shop"
            logged_in = e.logged_in if isinstance(e, TurnEvent) else False
            rows.append({"conversation": e.conversation, "started_at": utc(e.created_at), "last_at": utc(e.created_at),
                         "day": local_day(e.created_at, self.timezone), "touchpoint": touchpoint,
                         "language": e.language, "logged_in": logged_in, "turns": 0, "messages": 0, "asked": False,
                         "finder": False, "rfq": False, "rfq_sent": False, "reordered": False, "handoff": False})
        insert = _dialect_insert(dialect)
        self.session.execute(insert(AnalyticsConversation).on_conflict_do_nothing(), rows)

    # -------------------------------------------------------------- applying
    def apply(self, event: Event) -> None:
        if isinstance(event, TurnEvent):
            self._turn(event)
        elif isinstance(event, FeedbackEvent):
            self._feedback(event)
        elif isinstance(event, CesEvent):
            self._ces(event)

    def _conv_add(self, conv: AnalyticsConversation, metric: str, value: int = 1) -> None:
        self.delta.add(conv.day, conv.touchpoint, conv.language, metric, value)

    def _turn(self, e: TurnEvent) -> None:
        conv = self.conversations[e.conversation]
        day = local_day(e.created_at, self.timezone)
        first = conv.messages
        conv.messages += len(e.messages)
        conv.turns += 1
        conv.last_at = max(utc(conv.last_at), utc(e.created_at))
        if conv.turns == 1:
            self._conv_add(conv, "conversations")
            if conv.logged_in:
                self._conv_add(conv, "conversations_logged_in")

        def add(metric: str, value: int = 1) -> None:
            self.delta.add(day, e.touchpoint, e.language, metric, value)

        add("turns")
        knowledge, flows = e.knowledge, e.flows
        if knowledge is not None:
            add("knowledge")
            add("answered" if knowledge.answered else "unanswered")
            if knowledge.verdict == "not_specified":
                add("not_specified")
            if not conv.asked:
                conv.asked = True
                self._conv_add(conv, "funnel_question")
        for step in flows:
            add(f"flow_{step.event}:{step.flow}")
            self._flow(conv, step.flow, step.event, e, add)
        # Only knowledge answers are reviewed: other turns keep no text at all (an RFQ step is a name or a company).
        question = redact(" ".join(e.question.split()))[:MAX_QUESTION_CHARS] if e.question and knowledge else None
        self.new_turns.append({
            "created_at": utc(e.created_at), "day": day, "conversation": e.conversation, "first_message": first,
            "message_count": len(e.messages), "logged_in": e.logged_in, "language": e.language,
            "touchpoint": e.touchpoint, "sku": e.sku,
            "kind": "knowledge" if knowledge else ("flow" if flows else "other"),
            "answered": knowledge.answered if knowledge else None,
            "verdict": knowledge.verdict if knowledge else None,
            "reason": knowledge.reason if knowledge else None,
            "sources": json.dumps(list(knowledge.sources)) if knowledge else None,
            "flows": " ".join(f"{s.flow}:{s.event}" for s in flows)[:200] or None,
            "question": question or None, "reply": redact_messages(e.messages) if knowledge else None, "rating": None,
        })

    def _flow(self, conv: AnalyticsConversation, flow: str, event: str, e: TurnEvent, add: Any) -> None:
        """Funnel steps and containment are per conversation: each flips once and is counted once."""
        flags = {("finder", "started"): ("finder", "funnel_finder"),
                 ("finder", "finished"): ("finder", "funnel_finder"),
                 ("rfq", "started"): ("rfq", "funnel_rfq"), ("rfq", "finished"): ("rfq_sent", "funnel_rfq_sent"),
                 ("handoff", "started"): ("handoff", "handoff"), ("handoff", "finished"): ("handoff", "handoff")}
        if (flow, event) == ("rfq", "finished") and not conv.rfq:  # a sent request was a started one
            self._flow(conv, "rfq", "started", e, add)
        flag = flags.get((flow, event))
        if flag and not getattr(conv, flag[0]):
            setattr(conv, flag[0], True)
            self._conv_add(conv, flag[1])
        if (flow, event) == ("reorder", "finished") and not conv.reordered:
            conv.reordered = True
            add(order_time_metric((utc(e.created_at) - utc(conv.started_at)).total_seconds()))

    def _feedback(self, e: FeedbackEvent) -> None:
        turn = next((t for t in reversed(self.new_turns) if t["conversation"] == e.conversation
                     and t["first_message"] <= e.message_index < t["first_message"] + t["message_count"]), None)
        if turn is not None:
            old, turn["rating"] = turn["rating"], e.rating
            dims = (turn["day"], turn["touchpoint"], turn["language"])
        else:
            row = self.session.execute(
                select(AnalyticsTurn.id, AnalyticsTurn.rating, AnalyticsTurn.day, AnalyticsTurn.touchpoint,
                       AnalyticsTurn.language, AnalyticsTurn.first_message, AnalyticsTurn.message_count)
                .where(AnalyticsTurn.conversation == e.conversation, AnalyticsTurn.first_message <= e.message_index)
                .order_by(AnalyticsTurn.first_message.desc()).limit(1)
            ).first()
            if row is None or e.message_index >= row.first_message + row.message_count:
                return  # a message of a turn that was never recorded
            old = row.rating
            self.session.execute(update(AnalyticsTurn).where(AnalyticsTurn.id == row.id).values(rating=e.rating))
            dims = (row.day, row.touchpoint, row.language)
        if old != e.rating:
            if old:
                self.delta.add(*dims, f"thumbs_{old}", -1)
            self.delta.add(*dims, f"thumbs_{e.rating}")

    def _ces(self, e: CesEvent) -> None:
        conv = self.conversations[e.conversation]
        if conv.ces_at is not None:
            return  # at most one answer per conversation: a second one is ignored
        conv.ces_flow, conv.ces_score, conv.ces_at = e.flow, e.score, utc(e.created_at)
        if e.score is None:
            self._conv_add(conv, f"ces_skipped:{e.flow}")
        else:
            self._conv_add(conv, f"ces_answers:{e.flow}")
            self._conv_add(conv, f"ces_sum:{e.flow}", e.score)

    # -------------------------------------------------------------- writing
    def write(self) -> None:
        if self.new_turns:
            self.session.execute(insert(AnalyticsTurn), self.new_turns)
        self.session.flush()  # the conversation objects are tracked by the session: their changes go out here
        months: dict[tuple[date, str, str, str], int] = {}
        for (day, tp, lang, metric), value in self.delta.values.items():
            key = (day.replace(day=1), tp, lang, metric)
            months[key] = months.get(key, 0) + value
        upsert = _dialect_insert(self.session.get_bind().dialect.name)
        tables: list[tuple[Any, str, dict[tuple[date, str, str, str], int]]] = [
            (AnalyticsDaily, "day", self.delta.values), (AnalyticsMonthly, "month", months)]
        for table, period_key, counters in tables:
            values: list[dict[str, Any]] = [{period_key: d, "touchpoint": tp, "language": lang, "metric": m, "value": v}
                                            for (d, tp, lang, m), v in sorted(counters.items()) if v]
            stmt = upsert(table)
            stmt = stmt.on_conflict_do_update(index_elements=[period_key, "touchpoint", "language", "metric"],
                                              set_={"value": table.value + stmt.excluded.value})
            if values:
                self.session.execute(stmt, values)


def _dialect_insert(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def write_events(database: Database, events: Sequence[Event], timezone: str | None = None) -> None:
    """Write a batch in one transaction (what the background thread does; tests and benchmarks call it directly)."""
    if not events:
        return
    with database.session() as session:
        batch = Batch(session, timezone or get_settings().timezone)
        batch.load(events)
        for event in events:
            batch.apply(event)
        batch.write()


class Recorder:
    """A bounded queue and one daemon thread that writes what is put on it; started on first use."""

    def __init__(self, database: Database | None = None, max_queue: int = 10_000, batch_size: int = 500,
                 retries: int = 3, retry_delay_s: float = 0.5, idle_exit_s: float = 30.0) -> None:
        self._database = database
        self._queue: queue.Queue[Event] = queue.Queue(maxsize=max_queue)
        self._batch_size, self._retries, self._retry_delay_s = batch_size, retries, retry_delay_s
        self._idle_exit_s = idle_exit_s
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.dropped = 0
        self.written = 0

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = get_database()
        return self._database

    def submit(self, event: Event) -> bool:
        """Queue an event for writing; False (and counted) when the queue is full. Never raises, never blocks."""
        try:
            self._queue.put_nowait(event)
            self._ensure_thread()  # after the put: a thread that is just retiring leaves its successor the event
            return True
        except queue.Full:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("analytics queue full: %d events dropped so far", self.dropped)
            return False
        except Exception:  # a recorder that cannot start must not cost a chat turn
            log.exception("analytics recorder unavailable")
            self.dropped += 1
            return False

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything queued so far is written (or given up on); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def stop(self, timeout_s: float = 5.0) -> None:
        self.flush(timeout_s)
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)
        self._stopping.clear()

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="analytics-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        """Drain the queue; after ``idle_exit_s`` without events the thread retires (the next submit starts one)."""
        idle_since = time.monotonic()
        while not self._stopping.is_set():
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                if time.monotonic() - idle_since > self._idle_exit_s:
                    with self._lock:
                        if self._queue.empty():
                            self._thread = None
                            return
                continue
            events = [first]
            while len(events) < self._batch_size:
                try:
                    events.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write_with_retries(events)
            finally:
                for _ in events:
                    self._queue.task_done()
                idle_since = time.monotonic()

    def _write_with_retries(self, events: list[Event]) -> None:
        for attempt in range(1, self._retries + 1):
            try:
                write_events(self.database, events)
                self.written += len(events)
                return
            except Exception:
                if attempt == self._retries:
                    self.dropped += len(events)
                    log.warning("analytics store failed %d times: %d events dropped", attempt, len(events),
                                exc_info=True)
                    return
                time.sleep(self._retry_delay_s * attempt)


@lru_cache(maxsize=1)
def get_recorder() -> Recorder:
    return Recorder()


def stop_recorder() -> None:
    """Write what is still queued (app shutdown); a recorder that never started costs nothing."""
    if get_recorder.cache_info().currsize:
        get_recorder().stop()
