"""Commerce fixtures: a seeded database per backend (SQLite file, PostgreSQL schema) and the demo identities.

PostgreSQL runs at postgresql+psycopg://postgres@127.0.0.1:5432/test (trust auth); each test session uses
its own schema, dropped afterwards. Tests marked for both backends are skipped for PostgreSQL, with the
reason, only if the server is unreachable.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from assistant.commerce.db import Database, make_engine
from assistant.commerce.repository import SqlCommerceRepository
from assistant.commerce.seed import seed_demo
from assistant.identity import BuyerIdentity
from assistant.settings import Settings
from tests.conftest import skip_or_fail

FIXTURES = Path(__file__).parent / "fixtures"
PRODUCTS = FIXTURES / "products.csv"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TODAY = date(2026, 11, 25)  # a Wednesday; last Monday = 2026-11-23


def pg_available() -> str | None:
    """None when PostgreSQL is reachable, else the reason to skip."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver/network error means "not available here"
        return f"PostgreSQL at {PG_ADMIN_URL} unreachable: {type(exc).__name__}"


class PgSchema:
    """A private schema on the test server; its URL pins search_path so migrations and queries stay inside."""

    def __init__(self) -> None:
        self.name = f"t_{uuid.uuid4().hex[:12]}"
        self.admin = create_engine(PG_ADMIN_URL)
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        self.url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


def new_database(backend: str, tmp: Path) -> tuple[Database, PgSchema | None]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'commerce-{uuid.uuid4().hex[:8]}.db'}"
        return Database(url, make_engine(url)), None
    reason = pg_available()
    if reason:
        skip_or_fail(reason)
    schema = PgSchema()
    return Database(schema.url), schema


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed's TODAY is the day of every service here, including those that read the global settings."""
    monkeypatch.setenv("ASSISTANT_TODAY", TODAY.isoformat())


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Settings:
    return Settings(
        var_dir=tmp_path_factory.mktemp(f"var-{backend}"),
        today=TODAY,  # the services' clock agrees with the seed's day
        link_secret="test-link-secret-0123456789",
        link_ttl_s=600,
        public_url="http://testserver",
        crm_webhook_url=None,
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def db(backend: str, tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Iterator[Database]:
    """A migrated, seeded database (200 orders relative to TODAY) per backend, shared by a test module.

    Tests that change data only add to it (new drafts and orders) and never rely on global counts.
    """
    database, schema = new_database(backend, tmp_path_factory.mktemp("db"))
    database.upgrade()
    seed_demo(database, PRODUCTS, orders=200, today=TODAY, settings=settings)
    yield database
    database.dispose()
    if schema:
        schema.drop()


@pytest.fixture(scope="module")
def repo(db: Database) -> SqlCommerceRepository:
    return SqlCommerceRepository(db)


def person(user_id: str) -> BuyerIdentity:
    from assistant.commerce import demo_people

    u = next(x for x in demo_people.USERS if x.id == user_id)
    return BuyerIdentity(u.id, u.customer, frozenset(u.roles), u.locale, u.email, u.name)


ANNA = person("u-1001")  # buyer K-10001, limit 2500, KST-4100
THOMAS = person("u-1002")  # buyer + approver K-10001
JONAS = person("u-1003")  # technician K-10001
LENA = person("u-1004")  # buyer K-10001, limit 1000, KST-4200 (nearly used up)
SABINE = person("u-2001")  # buyer K-10002
KLAUS = person("u-2002")  # approver K-10002
EMMA = person("u-3001")  # buyer K-10003, English
ANONYMOUS = BuyerIdentity()
