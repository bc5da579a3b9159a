"""rasa_addons' SQL tracker-store save (no recount, one insert per turn) keeps Rasa's semantics.

The check runs inside the Rasa environment (tests/rasa_side/tracker_store_check.py) against SQLite and against
PostgreSQL, the production tracker store. The cluster test (test_scale_out.py) covers the same code end to end.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from assistant.runner import RASA_PYTHON
from assistant.settings import PROJECT_ROOT
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.integration
CHECK = PROJECT_ROOT / "tests" / "rasa_side" / "tracker_store_check.py"


def _run(*args: str) -> None:
    if not RASA_PYTHON.exists():
        skip_or_fail("the Rasa environment is not installed (make setup)")
    done = subprocess.run([str(RASA_PYTHON), str(CHECK), *args], capture_output=True, text=True, timeout=300,
                          cwd=PROJECT_ROOT)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stdout[-2000:] + done.stderr[-4000:]


def test_on_sqlite(tmp_path: Path) -> None:
    _run("sqlite", str(tmp_path / "tracker.db"))


def test_on_postgresql() -> None:
    from assistant.loadtest import PG_DSN, recreate_pg_database

    name = f"tracker_check_{uuid.uuid4().hex[:8]}"
    try:
        recreate_pg_database(name)
    except Exception as exc:
        skip_or_fail(f"PostgreSQL not reachable: {exc}")
    from urllib.parse import urlparse

    url = urlparse(PG_DSN)
    try:
        _run("postgresql", name, url.hostname or "127.0.0.1", str(url.port or 5432), url.username or "postgres")
    finally:
        import psycopg

        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
