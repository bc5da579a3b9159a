"""/admin/catalog: a logged-in editor uploads BMEcat; CSRF and login are the admin page's; DE and EN reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.gateway import admin, catalog_import
from assistant.gateway.app import create_app
from assistant.settings import get_settings
from tests.catalog import samples
from tests.catalog.conftest import snapshot
from tests.gateway.test_admin import _csrf, login


@pytest.fixture
def client(settings, knowledge, repo, monkeypatch) -> TestClient:
    monkeypatch.setattr(catalog_import, "get_knowledge", lambda: knowledge)
    monkeypatch.setattr(catalog_import, "get_repository", lambda: repo)
    admin._login_limiter.cache_clear()
    app = create_app()
    plain = settings.model_copy(update={"public_url": "http://testserver"})  # https would make cookies Secure
    app.dependency_overrides[get_settings] = lambda: plain
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def post(client: TestClient, data: bytes, lang: str, **form: Any) -> Any:
    assert login(client, lang=lang).status_code == 303
    csrf = _csrf(client.get(f"/admin/catalog?lang={lang}").text)
    return client.post(f"/admin/catalog/import?lang={lang}", data={"csrf": csrf, **form},
                       files={"file": ("vent.xml", data, "application/xml")})


@pytest.mark.parametrize(("lang", "words"), [("de", "Übernommen"), ("en", "Applied")])
def test_upload_imports_and_reports(client, knowledge, lang: str, words: str):
    r = post(client, samples.catalog_2005([samples.product_2005("12.345.67")]), lang)
    assert r.status_code == 200 and words in r.text and "12.345.67" not in r.text.split("<pre>")[0]
    assert knowledge.product("12.345.67") is not None


@pytest.mark.parametrize(("lang", "words"), [("de", "Abgelehnt"), ("en", "Refused")])
def test_hostile_upload_is_refused_and_changes_nothing(client, knowledge_dir: Path, lang: str, words: str):
    before = snapshot(knowledge_dir)
    r = post(client, samples.EXTERNAL_ENTITY, lang)
    assert r.status_code == 400 and words in r.text and "Traceback" not in r.text
    assert snapshot(knowledge_dir) == before


def test_dry_run_and_csrf_and_login(client, knowledge_dir: Path):
    before = snapshot(knowledge_dir)
    r = post(client, samples.catalog_2005([samples.product_2005("1")]), "en", dry_run="1")
    assert r.status_code == 200 and "Dry run" in r.text and snapshot(knowledge_dir) == before
    forged = client.post("/admin/catalog/import", data={"csrf": "x"}, files={"file": ("a.xml", b"<a/>", "text/xml")})
    assert forged.status_code == 403
    client.cookies.clear()
    assert client.get("/admin/catalog").status_code == 303
