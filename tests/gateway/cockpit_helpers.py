"""Shared by the cockpit's gateway tests: a migrated analytics store, a recorder on it, and a logged-in admin."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from assistant.analytics.recorder import Recorder
from assistant.commerce.db import Database, make_engine
from assistant.gateway import admin, cockpit
from assistant.gateway.app import create_app
from assistant.settings import Settings, get_settings
from tests.gateway.test_admin import login

_TEMPLATE: dict[str, bytes] = {}


def migrated_database(tmp_path: Path) -> Database:
    """A fresh, migrated SQLite store (migrations run once per session, then the file is copied)."""
    target = tmp_path / "analytics.db"
    if "db" not in _TEMPLATE:
        url = f"sqlite:///{target}"
        db = Database(url, make_engine(url))
        db.upgrade()
        db.dispose()
        _TEMPLATE["db"] = target.read_bytes()
    else:
        target.write_bytes(_TEMPLATE["db"])
    url = f"sqlite:///{target}"
    return Database(url, make_engine(url))


def recorder(database: Database) -> Recorder:
    return Recorder(database, idle_exit_s=1.0)


def admin_client(database: Database, lang: str = "de", settings: Settings | None = None) -> tuple[TestClient, str]:
    """A client logged in to the admin pages, whose cockpit reads ``database``, and the session's CSRF token."""
    admin._login_limiter.cache_clear()  # every test logs in from the same address
    app = create_app()
    app.dependency_overrides[cockpit.analytics_database] = lambda: database
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    assert login(client, lang=lang).status_code == 303
    page = client.get(f"/admin/review?lang={lang}")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, "admin page without CSRF token"
    return client, match.group(1)


def texts_of(html: str) -> str:
    """The visible text of a page, roughly: tags out, whitespace folded (for language checks)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def first(items: list[Any]) -> Any:
    assert items, "expected at least one item"
    return items[0]
