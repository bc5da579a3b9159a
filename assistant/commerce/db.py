"""Engine, sessions and migrations of the commerce database.

Nothing is created at import: ``get_database()`` builds one engine per URL on first use and caches it, and
tests pass their own ``Database``. SQLite gets WAL, a busy timeout and foreign keys so that concurrent
confirms and the outbox dispatcher behave like on PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from assistant.errors import BackendUnavailable
from assistant.settings import get_settings

PACKAGE_DIR = Path(__file__).resolve().parent


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite the parent folder is created and pragmas are set per connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 10}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)  # a restarted server costs a check per checkout, not a failed turn
    return create_engine(url, **kwargs)


@dataclass
class StatementLog:
    """Statements sent on an engine and the time spent in the driver's execute (round trip plus server work)."""

    statements: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def statement_log(engine: Engine) -> Iterator[StatementLog]:
    """Record every statement executed on ``engine`` while the block runs (benchmarks, N+1 tests)."""
    log = StatementLog()
    started: list[float] = []

    def before(*_args: Any) -> None:
        started.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        log.seconds += time.perf_counter() - started.pop()
        log.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


class Database:
    """One engine plus a session factory; the unit every repository and service is built on."""

    def __init__(self, url: str | None = None, engine: Engine | None = None):
        self.url = url or get_settings().resolved_database_url
        self.engine = engine or make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._joined: ContextVar[Session | None] = ContextVar(f"commerce_session_{id(self)}", default=None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error (inside ``transaction()``: that one)."""
        from sqlalchemy.exc import OperationalError

        joined = self._joined.get()
        if joined is not None:
            yield joined
            return
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise BackendUnavailable("commerce database unavailable") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the sessions opened inside the block (in this thread or task) as one transaction.

        For a service call that makes several repository calls: one connection check, one BEGIN and one COMMIT
        instead of one each per call, which on PostgreSQL is most of a small call's time.
        """
        if self._joined.get() is not None:
            yield
            return
        with self.session() as session:
            token = self._joined.set(session)
            try:
                yield
            finally:
                self._joined.reset(token)

    def upgrade(self) -> None:
        upgrade(self.url, engine=self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


@lru_cache(maxsize=4)
def _cached_database(url: str) -> Database:
    return Database(url)


def get_database(url: str | None = None) -> Database:
    """The shared database of this process (default: settings.resolved_database_url)."""
    return _cached_database(url or get_settings().resolved_database_url)


def alembic_config(url: str, engine: Engine | None = None) -> Any:
    from alembic.config import Config

    config = Config(str(PACKAGE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    # Passed as attributes, not ini options: URLs may contain '%' which ini interpolation would mangle.
    config.attributes["url"] = url
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(url: str | None = None, revision: str = "head", engine: Engine | None = None) -> None:
    """Apply the migrations (what `assistant db upgrade` runs)."""
    from alembic import command

    command.upgrade(alembic_config(url or get_settings().resolved_database_url, engine), revision)
