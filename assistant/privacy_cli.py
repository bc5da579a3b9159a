"""Personal data: erase one person's conversations (GDPR Art. 17) and purge everything past the retention period.

What is personal here, and where it lives:

* Conversations: Rasa's tracker store (table ``events``: every user message, bot reply, slot and the signed
  metadata with the identity). The sender ids of a logged-in user are found from the tracker itself: each user
  event carries ``metadata.identity.sub``; no extra mapping has to be kept in sync. An anonymous conversation
  is found by its conversation id.
* Answer feedback and unanswered questions (``kb_feedback``, ``kb_unanswered`` in the commerce database): keyed
  by a one-way hash of the sender id, so they are deleted through the same sender ids.
* Delivered notifications (``outbox`` rows with status ``sent``): they hold mail bodies with contact data; the
  retention purge deletes them, an erase leaves them to the purge (they belong to the RFQ record).
* Uploaded bills of materials (``var/uploads/<hash of the sender id>/``): the parsed lines a conversation parked
  for its RFQ. An erase deletes the folder of each of the person's conversations; the purge deletes uploads older
  than the retention (by file time, the real clock, like every file time).
* The content team's cockpit (``an_turns``, ``an_conversations``, ``an_cases``): redacted questions and replies
  keyed by the same one-way hash; purged and erased with the rest (``assistant/analytics/retention.py``). The
  daily aggregates (``an_daily``) are counts without any person in them and stay.

What is *not* deleted, on purpose: orders, RFQs, callback tickets and documents are business records with their
own legal retention (commercial and tax law); Redis only holds short-lived conversation locks, no content.

CLI: ``assistant privacy purge [--days N] [--dry-run]`` and ``assistant privacy erase --user ID | --email E |
--conversation ID``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import Engine, create_engine, delete, text

from assistant import clock
from assistant.errors import BackendUnavailable
from assistant.settings import Settings, get_settings


class PrivacyError(Exception):
    """A store needed for an erase or purge is unavailable; nothing partial is reported as done."""


@dataclass
class ErasureReport:
    senders: list[str] = field(default_factory=list)
    tracker_events: int = 0
    feedback: int = 0
    unanswered: int = 0
    outbox_sent: int = 0
    uploads: int = 0
    analytics_turns: int = 0
    analytics_conversations: int = 0
    review_cases: int = 0

    def add(self, counts: dict[str, int]) -> None:
        for name, count in counts.items():
            setattr(self, name, getattr(self, name) + (count or 0))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["conversations"] = len(self.senders)
        data.pop("senders")
        return data


def tracker_url(settings: Settings) -> str:
    """The SQLAlchemy URL of Rasa's tracker store, as the Rasa process is configured."""
    if settings.rasa_tracker_url:
        return settings.rasa_tracker_url
    host = os.environ.get("ASSISTANT_RASA_DB_HOST")
    if host:  # endpoints.production.yml reads the same variables
        user = quote_plus(os.environ.get("ASSISTANT_RASA_DB_USER", "postgres"))
        password = os.environ.get("ASSISTANT_RASA_DB_PASSWORD", "")
        auth = f"{user}:{quote_plus(password)}" if password else user
        port = os.environ.get("ASSISTANT_RASA_DB_PORT", "5432")
        name = os.environ.get("ASSISTANT_RASA_DB_NAME", "rasa")
        return f"postgresql+psycopg://{auth}@{host}:{port}/{name}"
    return f"sqlite:///{settings.var_dir / 'rasa' / 'tracker.db'}"


def sender_of_conversation(conversation_id: str) -> str:
    """The Rasa sender id of a conversation id (``<nonce>.<mac>`` -> ``c-<nonce>``), as the gateway derives it."""
    nonce, sep, _mac = conversation_id.strip().partition(".")
    if not sep or len(nonce) != 22 or not nonce.replace("-", "").replace("_", "").isalnum():
        raise ValueError("not a conversation id")
    return f"c-{nonce}"


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PrivacyService:
    def __init__(self, settings: Settings | None = None, tracker_engine: Engine | None = None,
                 database: Any | None = None):
        self._settings = settings or get_settings()
        self._tracker_engine = tracker_engine
        self._database = database

    # ------------------------------------------------------------ wiring
    @property
    def tracker(self) -> Engine:
        if self._tracker_engine is None:
            self._tracker_engine = create_engine(tracker_url(self._settings), pool_pre_ping=True)
        return self._tracker_engine

    @property
    def database(self) -> Any:
        if self._database is None:
            from assistant.commerce.db import get_database

            self._database = get_database()
        return self._database

    def _has_events_table(self) -> bool:
        from sqlalchemy import inspect

        try:
            return inspect(self.tracker).has_table("events")
        except Exception as exc:
            raise PrivacyError("tracker store unavailable") from exc

    # ------------------------------------------------------------ lookups
    def senders_of_user(self, user_id: str) -> list[str]:
        """Sender ids whose user messages carry this verified identity (``metadata.identity.sub``)."""
        if not user_id or not self._has_events_table():
            return []
        found: set[str] = set()
        pattern = f"%{_like_escape(json.dumps(user_id))}%"
        with self.tracker.connect() as conn:
            rows = conn.execute(
                text("SELECT sender_id, data FROM events WHERE type_name = 'user' AND data LIKE :p ESCAPE '\\'"),
                {"p": pattern},
            )
            for sender_id, data in rows:
                if sender_id in found:
                    continue
                try:
                    identity = ((json.loads(data or "{}").get("metadata") or {}).get("identity")) or {}
                except (ValueError, AttributeError):
                    continue
                if isinstance(identity, dict) and identity.get("sub") == user_id:
                    found.add(str(sender_id))
        return sorted(found)

    def user_id_for_email(self, email: str) -> str | None:
        from sqlalchemy import func, select

        from assistant.commerce.models import User

        with self.database.session() as s:
            return s.scalar(select(User.id).where(func.lower(User.email) == email.strip().lower()))

    # ------------------------------------------------------------ erase
    def erase(self, user_id: str | None = None, email: str | None = None,
              conversation_id: str | None = None) -> ErasureReport:
        """Delete the conversations, feedback and analytics rows of one person (or one conversation)."""
        senders: set[str] = set()
        if email and not user_id:
            user_id = self.user_id_for_email(email)
        if user_id:
            senders.update(self.senders_of_user(user_id))
        if conversation_id:
            senders.add(sender_of_conversation(conversation_id))
        return self._delete_senders(sorted(senders))

    def _delete_senders(self, senders: list[str]) -> ErasureReport:
        from assistant.analytics import AnswerFeedback, UnansweredQuestion, conversation_hash, retention

        report = ErasureReport(senders=senders)
        if not senders:
            return report
        if self._has_events_table():
            with self.tracker.begin() as conn:
                for chunk in _chunks(senders, 200):
                    params = {f"s{i}": s for i, s in enumerate(chunk)}
                    placeholders = ", ".join(f":s{i}" for i in range(len(chunk)))
                    result = conn.execute(text(f"DELETE FROM events WHERE sender_id IN ({placeholders})"),  # noqa: S608
                                          params)
                    report.tracker_events += result.rowcount or 0
        report.uploads = self._delete_uploads(senders)
        hashes = [h for h in (conversation_hash(s) for s in senders) if h]
        with self.database.session() as s:
            report.feedback = s.execute(delete(AnswerFeedback).where(AnswerFeedback.conversation.in_(hashes))).rowcount
            report.unanswered = s.execute(
                delete(UnansweredQuestion).where(UnansweredQuestion.conversation.in_(hashes))
            ).rowcount
        report.add(retention.erase(self.database, hashes))
        return report

    def _uploads(self) -> Any:
        from assistant.commerce.bom import UploadStore

        return UploadStore(self._settings.var_dir / "uploads")

    def _delete_uploads(self, senders: list[str]) -> int:
        """The parked bills of materials of these conversations."""
        store, count = self._uploads(), 0
        for sender in senders:
            count += store.delete_conversation(sender)
        return count

    # ------------------------------------------------------------ retention
    def purge(self, days: int | None = None, dry_run: bool = False, now: datetime | None = None) -> ErasureReport:
        """Delete whole conversations idle for longer than the retention, and older feedback/analytics/mails."""
        from assistant.analytics import AnswerFeedback, UnansweredQuestion, retention
        from assistant.commerce.models import OutboxMessage

        days = days or self._settings.retention_days
        cutoff = (now or clock.now()) - timedelta(days=days)
        stale: list[str] = []
        if self._has_events_table():
            with self.tracker.connect() as conn:
                stale = [
                    str(r[0]) for r in conn.execute(
                        text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :t"),
                        {"t": cutoff.timestamp()},
                    )
                ]
        if dry_run:
            return ErasureReport(senders=stale)
        report = self._delete_senders(stale) if stale else ErasureReport()
        # file times follow the real clock (assistant/clock.py), so the cutoff for files does too
        report.uploads += self._uploads().delete_older_than(time.time() - days * 86_400)
        with self.database.session() as s:
            report.feedback += s.execute(delete(AnswerFeedback).where(AnswerFeedback.created_at < cutoff)).rowcount
            report.unanswered += s.execute(
                delete(UnansweredQuestion).where(UnansweredQuestion.created_at < cutoff)
            ).rowcount
            report.outbox_sent = s.execute(
                delete(OutboxMessage).where(OutboxMessage.status == "sent", OutboxMessage.sent_at < cutoff)
            ).rowcount
        report.add(retention.purge(self.database, cutoff))
        return report


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# ------------------------------------------------------------------ CLI
def add_commands(subparsers: Any) -> None:
    group = subparsers.add_parser("privacy", help="personal data: retention purge and erasure requests")
    sub = group.add_subparsers(dest="privacy_command", required=True)
    p = sub.add_parser("purge", help="delete conversations, feedback and analytics older than the retention")
    p.add_argument("--days", type=int, help="retention in days (default: ASSISTANT_RETENTION_DAYS)")
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p.set_defaults(func=cmd_purge)
    p = sub.add_parser("erase", help="delete one person's conversations, feedback and analytics")
    p.add_argument("--user", help="user id (JWT sub)")
    p.add_argument("--email", help="e-mail of a portal user")
    p.add_argument("--conversation", help="a conversation id (anonymous visitors)")
    p.set_defaults(func=cmd_erase)


def cmd_purge(args: argparse.Namespace) -> int:
    if args.days is not None and args.days < 1:
        print("privacy purge: --days must be at least 1", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        report = PrivacyService().purge(days=args.days, dry_run=args.dry_run)
    except (PrivacyError, BackendUnavailable) as exc:
        print(f"privacy purge: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"dry_run": bool(args.dry_run), **report.as_dict(),
                      "seconds": round(time.monotonic() - started, 2)}))
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    if not (args.user or args.email or args.conversation):
        print("privacy erase: give --user, --email or --conversation", file=sys.stderr)
        return 2
    try:
        report = PrivacyService().erase(user_id=args.user, email=args.email, conversation_id=args.conversation)
    except ValueError:
        print("privacy erase: that is not a conversation id", file=sys.stderr)
        return 2
    except (PrivacyError, BackendUnavailable) as exc:
        print(f"privacy erase: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.as_dict()))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
