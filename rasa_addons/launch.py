"""Start Rasa with these fixes applied, then hand over to Rasa's own command line.

1. ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which re-checks the *schema itself*
   on every action call; profiled at about half of Rasa's time per turn. The schema is constant, so it is
   checked once and a compiled validator validates each result: the same validation, without the repeated work.
2. Rasa wraps the tracker store in ``FailSafeTrackerStore``, which silently falls back to an in-memory store when
   the configured store fails at start-up, losing every turn afterwards. We refuse to start instead, and a store
   error during a turn fails that turn (the gateway answers 503) instead of being swallowed into memory.

3. The default tracker store is a SQLite file, and SQLite's default (rollback journal, synchronous=FULL) waits
   for two fsyncs per turn: profiled at a quarter of Rasa's time. Write-ahead logging with synchronous=NORMAL
   keeps every committed turn across a crash of Rasa or the machine's processes (an OS crash or power loss may
   lose the last turns); PostgreSQL, the production tracker store, is not affected.

4. Rasa's ``RedisLockStore`` issues and returns tickets with a read followed by a write, so two replicas taking
   turns of the same conversation at the same moment can both get the lock, and one user message is lost from
   the tracker. Issuing and cleaning up tickets run as Redis transactions (WATCH/MULTI) instead.
5. When a turn fails, Rasa's REST channel logs the user's message and metadata (personal data). Those records
   are reduced to the error's type.
6. ``SQLTrackerStore.save`` first counts the conversation's stored events (a query with a sub-query) to find the
   new ones, then inserts them one ORM object and one round trip at a time: about a fifth of a turn's time on
   PostgreSQL. The store now remembers how many events a tracker had when it was read or last saved (the lock
   store guarantees one turn per conversation at a time, across replicas) and inserts the new ones in one
   statement. A tracker the store did not read itself still gets Rasa's count.

7. The HTTP API token never appears on a command line or in a URL. ``ps`` shows every process's arguments to
   every user, and a query string ends up in access logs. The token comes from ``ASSISTANT_RASA_TOKEN`` or the
   file named by ``ASSISTANT_RASA_TOKEN_FILE`` and is handed to Rasa inside this process (``--auth-token`` on the
   real command line is refused); the API accepts it only as ``Authorization: Bearer <token>`` and refuses a
   ``?token=`` query string.

Usage: python rasa_addons/launch.py <rasa arguments>   (same arguments as the ``rasa`` command, no --auth-token)
"""

from __future__ import annotations

import logging
import sys
from typing import Any

log = logging.getLogger("rasa_addons")


def _compiled_action_result_validation() -> None:
    from jsonschema import ValidationError, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: Any, result: dict) -> bool:
        try:
            validator.validate(result)
        except ValidationError as e:
            e.message += (
                ". Failed to validate Action server response from API, make sure your response from the Action "
                f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def _no_silent_memory_fallback() -> None:
    from rasa.core import tracker_store as ts

    original_create = ts._create_from_endpoint_config

    def strict_create(endpoint_config: Any = None, domain: Any = None, event_broker: Any = None) -> Any:
        store = original_create(endpoint_config, domain, event_broker)
        configured = str(getattr(endpoint_config, "type", "") or "").lower()
        if isinstance(store, ts.InMemoryTrackerStore) and configured not in ("", "in_memory", "inmemory"):
            raise RuntimeError(f"tracker store {configured!r} could not be created; refusing in-memory fallback")
        return store

    async def retrieve(self: Any, sender_id: str) -> Any:
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(self: Any, sender_id: str) -> Any:
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    async def save(self: Any, tracker: Any) -> None:
        await self._tracker_store.save(tracker)

    async def keys(self: Any) -> Any:
        return await self._tracker_store.keys()

    original_sql_init = ts.SQLTrackerStore.__init__

    def sql_init_or_refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        # Rasa logs "Could not create tables" and carries on when the database is unreachable at start; then it
        # looks ready while every turn fails. Refuse to start instead (a supervisor restarts it when the
        # database is back).
        original_sql_init(self, *args, **kwargs)
        from sqlalchemy import text

        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    original_engine_kwargs = ts.create_engine_kwargs

    def engine_kwargs_with_pre_ping(url: Any) -> dict[str, Any]:
        # After a database restart the pool holds dead connections; without a ping the next turn on each of them
        # fails. A ping per checkout costs a round trip and keeps every turn after the restart working.
        return {**original_engine_kwargs(url), "pool_pre_ping": True}

    ts.create_engine_kwargs = engine_kwargs_with_pre_ping
    ts._create_from_endpoint_config = strict_create
    ts.SQLTrackerStore.__init__ = sql_init_or_refuse  # type: ignore[method-assign]
    ts.FailSafeTrackerStore.retrieve = retrieve  # type: ignore[method-assign]
    ts.FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker  # type: ignore[method-assign]
    ts.FailSafeTrackerStore.save = save  # type: ignore[method-assign]
    ts.FailSafeTrackerStore.keys = keys  # type: ignore[method-assign]


def _sqlite_write_ahead_log() -> None:
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


def _atomic_redis_lock_tickets() -> None:
    import json

    import redis
    from rasa.core.lock import TicketLock
    from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

    def _transact(store: Any, conversation_id: str, change: Any) -> Any:
        key = store.key_prefix + conversation_id
        with store.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    result, lock = change(TicketLock.from_dict(json.loads(raw)) if raw else None)
                    pipe.multi()
                    if lock is None or not lock.tickets:
                        pipe.delete(key)
                    else:
                        pipe.set(key, lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:  # another replica changed the lock in between: read again
                    continue

    def issue_ticket(self: Any, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: Any) -> Any:
            lock = lock or TicketLock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return int(_transact(self, conversation_id, change))
        except redis.RedisError as e:
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def cleanup(self: Any, conversation_id: str, ticket_number: int) -> None:
        def change(lock: Any) -> Any:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return None, lock

        _transact(self, conversation_id, change)

    RedisLockStore.issue_ticket = issue_ticket  # type: ignore[method-assign]
    RedisLockStore.cleanup = cleanup  # type: ignore[method-assign]


def _sql_tracker_store_without_recount() -> None:
    import itertools
    import json

    from rasa.core import tracker_store as ts
    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    stored_attr = "_assistant_stored_events"
    original_retrieve = ts.SQLTrackerStore._retrieve

    async def _retrieve(self: Any, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        tracker = await original_retrieve(self, sender_id, fetch_events_from_all_sessions)
        if tracker is not None and not fetch_events_from_all_sessions:
            # exactly the events `_additional_events` would count: those of the latest session
            setattr(tracker, stored_attr, len(tracker.events))
        return tracker

    async def save(self: Any, tracker: Any) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            known = getattr(tracker, stored_attr, None)
            if isinstance(known, int) and tracker._max_event_history is None:  # a capped history drops events
                events = list(itertools.islice(tracker.events, known, None))
            else:
                events = list(self._additional_events(session, tracker))
            rows = []
            for event in events:
                data = event.as_dict()
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                })
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        setattr(tracker, stored_attr, len(tracker.events))

    ts.SQLTrackerStore._retrieve = _retrieve  # type: ignore[method-assign]
    ts.SQLTrackerStore.save = save  # type: ignore[method-assign]


class _NoMessageContent(logging.Filter):
    """Keep failure records of the REST channel, without the user's text, metadata or traceback locals."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"turn failed: {record.exc_info[0].__name__}"
        else:
            record.msg = "turn failed"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True


class TokenOnCommandLine(SystemExit):
    pass


def api_token(argv: list[str], environ: dict[str, str]) -> str | None:
    """The Rasa API token from the environment or a file; refuses one on the command line."""
    if any(a == "--auth-token" or a.startswith("--auth-token=") for a in argv):
        raise TokenOnCommandLine("refusing --auth-token on the command line (ps shows it to every user): "
                                 "set ASSISTANT_RASA_TOKEN or ASSISTANT_RASA_TOKEN_FILE instead")
    path = environ.get("ASSISTANT_RASA_TOKEN_FILE")
    if path:
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
        if not token:
            raise TokenOnCommandLine(f"ASSISTANT_RASA_TOKEN_FILE {path} is empty")
        return token
    return environ.get("ASSISTANT_RASA_TOKEN") or None


def _bearer_token_only() -> None:
    """Rasa's API token checks read ``?token=``; ours read ``Authorization: Bearer`` and refuse the query string."""
    import hmac
    from functools import wraps
    from http import HTTPStatus

    import rasa.server as server

    original = server.requires_auth

    def requires_auth(app: Any, token: str | None = None) -> Any:
        if token is None:
            return original(app, token)

        def decorator(f: Any) -> Any:
            @wraps(f)
            async def decorated(request: Any, *args: Any, **kwargs: Any) -> Any:
                scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
                if "token" not in request.args and scheme.lower() == "bearer" and hmac.compare_digest(
                        given.strip().encode(), token.encode()):
                    result = f(request, *args, **kwargs)
                    return await result if hasattr(result, "__await__") else result
                raise server.ErrorResponse(HTTPStatus.UNAUTHORIZED, "NotAuthenticated",
                                           "Send the token as 'Authorization: Bearer <token>', never in the URL.")
            return decorated
        return decorator

    server.requires_auth = requires_auth


def main(argv: list[str]) -> None:
    import os

    token = api_token(argv, dict(os.environ))
    if token is not None and argv[:1] == ["run"]:
        argv = [*argv, "--auth-token", token]  # inside this process only: /proc/<pid>/cmdline keeps the original
    elif argv[:1] == ["run"] and "--enable-api" in argv:
        raise TokenOnCommandLine("refusing to serve Rasa's HTTP API without a token: set ASSISTANT_RASA_TOKEN")
    _bearer_token_only()
    _compiled_action_result_validation()
    _no_silent_memory_fallback()
    _sqlite_write_ahead_log()
    _atomic_redis_lock_tickets()
    _sql_tracker_store_without_recount()
    logging.getLogger("rasa.core.channels.rest").addFilter(_NoMessageContent())
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *argv]
    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
