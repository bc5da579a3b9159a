"""Admin pages for the content team: login, CSRF, document changes that are validated before they go live,
test search, index health and the unanswered-questions report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.analytics import Analytics
from assistant.commerce.db import Database, make_engine
from assistant.gateway import admin, kb
from assistant.gateway.app import create_app
from assistant.settings import get_settings
from tests.gateway.test_kb_routes import FIXTURES, knowledge_service, knowledge_settings
from tests.retrieval.conftest import make_pdf

NEW_DOC = (
    "---\nid: faq-zahlung\ntype: faq\nlanguage: de\ntitle: Zahlungsbedingungen\n---\n"
    "# Zahlung\n\nRechnungen sind innerhalb von 30 Tagen netto zahlbar; bei Zahlung innerhalb von 10 Tagen "
    "gewähren wir 2 % Skonto auf den Warenwert.\n"
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch) -> dict[str, Any]:
    settings = knowledge_settings(tmp_path)
    service = knowledge_service(settings)
    monkeypatch.setattr(kb, "get_knowledge", lambda: service)
    monkeypatch.setattr(admin, "get_knowledge", lambda: service)
    url = f"sqlite:///{tmp_path / 'a.db'}"
    database = Database(url, make_engine(url))
    database.upgrade()
    analytics = Analytics(database)
    monkeypatch.setattr(admin, "get_analytics", lambda: analytics)
    admin._login_limiter.cache_clear()
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    return {"client": client, "service": service, "settings": settings, "analytics": analytics}


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "form without CSRF token"
    return m.group(1)


def login(client: TestClient, password: str = "admin", lang: str = "de") -> Any:  # noqa: S107 - dev default
    page = client.get(f"/admin/login?lang={lang}")
    return client.post(f"/admin/login?lang={lang}", data={"username": "admin", "password": password,
                                                          "csrf": _csrf(page.text)})


def logged_in(env: dict[str, Any]) -> tuple[TestClient, str]:
    r = login(env["client"])
    assert r.status_code == 303
    page = env["client"].get("/admin")
    assert page.status_code == 200
    return env["client"], _csrf(page.text)


def upload(client: TestClient, csrf: str, name: str, data: bytes, **extra: Any) -> Any:
    files: dict[str, Any] = {"file": (name, data, "application/octet-stream")}
    if "meta" in extra:
        files["meta"] = ("x.meta.yml", extra.pop("meta"), "application/x-yaml")
    return client.post("/admin/upload", data={"csrf": csrf, **extra}, files=files)


# ------------------------------------------------------------------ login and session
@pytest.mark.parametrize("path", ["/admin", "/admin/unanswered", "/admin/unanswered.csv", "/admin/whatever"])
def test_admin_pages_require_login(env, path: str) -> None:
    r = env["client"].get(path)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")


@pytest.mark.parametrize("path", ["/admin/upload", "/admin/delete"])
def test_changes_without_a_session_are_refused_and_nothing_changes(env, path: str) -> None:
    version = env["service"].status()["version"]
    r = env["client"].post(path, data={"csrf": "x", "doc_id": "faq-lieferung"},
                           files={"file": ("a.md", NEW_DOC.encode(), "text/markdown")})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    assert env["service"].refresh() == version
    assert (env["settings"].knowledge_dir / "faq" / "lieferung.md").is_file()


def test_login_sets_a_strict_httponly_session_cookie(env) -> None:
    r = login(env["client"])
    assert r.status_code == 303 and r.headers["location"].startswith("/admin")
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("kb_admin="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # public_url is http in this test
    assert env["client"].get("/admin").status_code == 200


def test_session_cookie_is_secure_when_the_site_is_https(env) -> None:
    env["client"].app.dependency_overrides[get_settings] = lambda: env["settings"].model_copy(
        update={"public_url": "https://shop.example"})
    client = TestClient(env["client"].app, base_url="https://testserver", follow_redirects=False)
    r = login(client)
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("kb_admin="))
    assert "Secure" in cookie


def test_wrong_password_is_refused_in_both_languages(env) -> None:
    r = login(env["client"], password="wrong")
    assert r.status_code == 401 and "Passwort ist falsch" in r.text
    r = login(env["client"], password="wrong", lang="en")
    assert r.status_code == 401 and "password is wrong" in r.text
    assert env["client"].get("/admin").status_code == 303


def test_login_without_the_form_token_is_refused(env) -> None:
    r = env["client"].post("/admin/login", data={"username": "admin", "password": "admin", "csrf": "forged"})
    assert r.status_code == 403 and "abgelaufen" in r.text
    assert env["client"].get("/admin").status_code == 303


def test_login_attempts_are_rate_limited(env) -> None:
    codes = [login(env["client"], password=f"guess{i}").status_code for i in range(8)]
    assert 429 in codes
    assert login(env["client"]).status_code == 429  # even the right password waits


def test_tampered_or_foreign_session_cookie_is_not_a_login(env) -> None:
    login(env["client"])
    good = env["client"].cookies.get("kb_admin")
    env["client"].cookies.clear()
    env["client"].cookies.set("kb_admin", good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    assert env["client"].get("/admin").status_code == 303
    env["client"].cookies.clear()
    env["client"].cookies.set("kb_admin", good)
    assert env["client"].get("/admin").status_code == 200
    env["client"].app.dependency_overrides[get_settings] = lambda: env["settings"].model_copy(
        update={"admin_password": SecretStr("a-new-password-123")})
    assert env["client"].get("/admin").status_code == 303  # a password change ends sessions


# ------------------------------------------------------------------ overview, search, health
def test_overview_lists_documents_with_type_language_products_and_change_and_the_index(env) -> None:
    client, _ = logged_in(env)
    html = client.get("/admin").text
    assert "faq-lieferung" in html and "Häufige Fragen zu Lieferung und Versand" in html
    row = html.split("<code>ds-qc300</code>", 1)[1].split("</tr>", 1)[0]
    assert "datasheet" in row and "QC-300-08" in row and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", row)
    assert env["service"].status()["version"] in html and "Index ist live" in html
    assert "Knowledge base – admin" in client.get("/admin?lang=en").text


def test_test_search_shows_hits_with_scores(env) -> None:
    client, _ = logged_in(env)
    html = client.get("/admin", params={"q": "Lieferung bis 14 Uhr"}).text
    table = html.split('class="hits"', 1)[1].split("</table>", 1)[0]
    assert "Häufige Fragen zu Lieferung und Versand" in table
    assert re.search(r"<td>\d\.\d{4}", table) and "cos " in table


# ------------------------------------------------------------------ changes
def test_upload_without_csrf_is_refused_and_nothing_changes(env) -> None:
    client, _ = logged_in(env)
    version = env["service"].status()["version"]
    for token in ("", "0" * 64):
        r = upload(client, token, "zahlung.md", NEW_DOC.encode())
        assert r.status_code == 403 and "abgelaufen" in r.text
    assert not (env["settings"].knowledge_dir / "faq" / "zahlung.md").exists()
    assert env["service"].refresh() == version


def test_csrf_token_of_another_session_is_refused(env) -> None:
    client, csrf = logged_in(env)
    client.cookies.clear()
    logged_in(env)  # a fresh session: the old token no longer fits
    r = upload(client, csrf, "zahlung.md", NEW_DOC.encode())
    assert r.status_code == 403


def test_uploaded_markdown_is_live_at_once(env) -> None:
    client, csrf = logged_in(env)
    version = env["service"].status()["version"]
    r = upload(client, csrf, "zahlung.md", NEW_DOC.encode())
    assert r.status_code == 200, r.text
    assert "Übernommen" in r.text and "faq-zahlung" in r.text
    assert (env["settings"].knowledge_dir / "faq" / "zahlung.md").read_text(encoding="utf-8") == NEW_DOC
    assert env["service"].refresh() != version
    answer = env["service"].answer("Wie viel Skonto gibt es bei Zahlung innerhalb von 10 Tagen?", "de")
    assert "Zahlungsbedingungen" in "\n".join(m.get("text") or "" for m in answer.messages)


def test_replace_keeps_the_file_and_changes_the_content(env) -> None:
    client, csrf = logged_in(env)
    changed = (env["settings"].knowledge_dir / "faq" / "lieferung.md").read_text(encoding="utf-8").replace(
        "14 Uhr", "15 Uhr")
    r = upload(client, csrf, "neue-fassung.md", changed.encode(), replace="faq-lieferung")
    assert r.status_code == 200, r.text
    assert "15 Uhr" in (env["settings"].knowledge_dir / "faq" / "lieferung.md").read_text(encoding="utf-8")
    assert not list(env["settings"].knowledge_dir.rglob("neue-fassung.md"))
    hits = env["service"].search("bis 15 Uhr bestellt", k=3)
    assert any("15 Uhr" in h.text for h in hits)


def test_delete_removes_the_document_from_the_live_index(env) -> None:
    client, csrf = logged_in(env)
    r = client.post("/admin/delete", data={"csrf": csrf, "doc_id": "faq-lieferung"})
    assert r.status_code == 200 and "Gelöscht" in r.text
    assert not (env["settings"].knowledge_dir / "faq" / "lieferung.md").exists()
    assert all(h.doc_id != "faq-lieferung" for h in env["service"].search("Lieferung 14 Uhr", k=10))
    r = client.post("/admin/delete", data={"csrf": csrf, "doc_id": "faq-lieferung"})
    assert r.status_code == 400 and "no such document" in r.text


def test_delete_without_csrf_is_refused(env) -> None:
    client, _ = logged_in(env)
    r = client.post("/admin/delete", data={"csrf": "nope", "doc_id": "faq-lieferung"})
    assert r.status_code == 403
    assert (env["settings"].knowledge_dir / "faq" / "lieferung.md").exists()


GOOD_ROW = ("3S-1208,Steckverschraubung gerade 12 mm G1/8,Push-in fitting straight 12 mm G1/8,pneumatic_fitting,3S,"
            "Messing vernickelt / nickel-plated brass,NBR,12 mm tube; G1/8,12 mm,-20,80,16,REACH;RoHS,air;vacuum,"
            "machine_building;packaging;automotive,active,,3.40,piece,10,0,1200,ds-3s")


def _bad_inputs(tmp: Path) -> list[tuple[str, bytes, str]]:
    encrypted = make_pdf(tmp / "enc.pdf", ["Geheim\nDatenblatt"], encrypt="pw").read_bytes()
    image_only = make_pdf(tmp / "img.pdf", [""]).read_bytes()
    lines = (FIXTURES / "products.csv").read_text(encoding="utf-8").splitlines()
    return [
        ("broken.md", b"---\nid: faq-x\ntype: faq\nlanguage: de\ntitle: [kaputt\n---\nText\n", "broken.md:"),
        ("nofront.md", b"Nur Text ohne Kopf", "front matter missing"),
        ("badtype.md", b"---\nid: faq-y\ntype: brochure\nlanguage: de\ntitle: X\n---\nText hier.\n", "'type'"),
        ("unknown-sku.md", b"---\nid: faq-z\ntype: faq\nlanguage: de\ntitle: Z\nproducts: [XX-9999]\n---\nText.\n",
         "references unknown article(s): XX-9999"),
        ("empty.md", b"", "file is empty"),
        ("dup.md", b"---\nid: faq-lieferung\ntype: faq\nlanguage: de\ntitle: Doppelt\n---\nText.\n",
         "duplicate document id 'faq-lieferung'"),
        ("enc.pdf", encrypted, "encrypted"),
        ("img.pdf", image_only, "no extractable text"),
        ("products.csv", "\n".join([*lines, lines[1]]).encode(), "duplicate article number 3S-1208"),
        ("products.csv", "\n".join([*lines, "QC-1,kaputt"]).encode(), f"products.csv:{len(lines) + 1}"),
        ("products.csv", "\n".join([*lines, GOOD_ROW.replace("3S-1208", "3S-1209").replace(",16,", ",viel,")])
         .encode(), "pressure"),
        ("products.csv", b"sku;name\nA;B\n", "header must be exactly"),
        ("notes.txt", b"hello", "file name must be"),
        ("catalogue.csv", lines[0].encode(), "products*.csv"),
    ]


def test_every_kind_of_bad_input_is_refused_with_file_and_line_and_the_live_index_is_untouched(env, tmp_path) -> None:
    client, csrf = logged_in(env)
    kdir = env["settings"].knowledge_dir
    before = {p.relative_to(kdir).as_posix(): p.read_bytes() for p in kdir.rglob("*") if p.is_file()}
    version = env["service"].status()["version"]
    for name, data, expected in _bad_inputs(tmp_path):
        meta = b"id: ds-new\ntype: datasheet\nlanguage: de\ntitle: Neu\n" if name.endswith(".pdf") else None
        r = upload(client, csrf, name, data, **({"meta": meta} if meta else {}))
        assert r.status_code == 400, (name, r.text[:300])
        assert "Nicht übernommen" in r.text and expected in r.text.replace("&#39;", "'"), (name, expected)
    after = {p.relative_to(kdir).as_posix(): p.read_bytes() for p in kdir.rglob("*") if p.is_file()}
    assert after == before
    assert env["service"].refresh() == version


def test_oversized_upload_is_refused(env) -> None:
    client, csrf = logged_in(env)
    env["client"].app.dependency_overrides[get_settings] = lambda: env["settings"].model_copy(
        update={"max_upload_bytes": 2048})
    r = upload(client, csrf, "big.md", NEW_DOC.encode() + b"x" * 5000)
    assert r.status_code == 400 and "too large" in r.text


def test_pdf_with_its_metadata_is_accepted_and_served(env, tmp_path) -> None:
    client, csrf = logged_in(env)
    pdf = make_pdf(tmp_path / "dk.pdf", ["Klauenkupplung DK 50\nDrehmoment 50 Nm, Temperatur bis 80 °C"]).read_bytes()
    r = upload(client, csrf, "ds-dk.pdf", pdf, meta=b"id: ds-dk\ntype: datasheet\nlanguage: de\ntitle: Datenblatt DK\n")
    assert r.status_code == 200, r.text
    assert (env["settings"].knowledge_dir / "datasheets" / "ds-dk.meta.yml").is_file()
    assert client.get("/kb/file/ds-dk").content.startswith(b"%PDF")


def test_a_failing_build_restores_the_previous_file(env, monkeypatch) -> None:
    client, csrf = logged_in(env)
    original = (env["settings"].knowledge_dir / "faq" / "lieferung.md").read_bytes()

    def broken_build(*a: Any, **k: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(env["service"], "build", broken_build)
    r = upload(client, csrf, "lieferung.md", original.replace(b"14 Uhr", b"16 Uhr"))
    assert r.status_code == 400 and "nothing was changed" in r.text and "disk full" not in r.text
    assert (env["settings"].knowledge_dir / "faq" / "lieferung.md").read_bytes() == original


# ------------------------------------------------------------------ unanswered report
def test_unanswered_report_groups_counts_and_exports_csv(env) -> None:
    analytics: Analytics = env["analytics"]
    analytics.record_unanswered("Welcher Schlauch für Ammoniak?", "low_score", "de")
    analytics.record_unanswered("Schlauch für Ammoniak geeignet? Ruf an: 0171 2345678", "fallback", "de")
    analytics.record_unanswered("Do you ship to Japan? mail me: a@b.example", "no_documents", "en")
    client, _ = logged_in(env)
    html = client.get("/admin/unanswered").text
    assert "Unbeantwortete Fragen" in html
    row = html.split("Ammoniak", 1)[1].split("</tr>", 1)[0]
    assert "<td>2</td>" in row and "fallback (1)" in row and "low_score (1)" in row
    assert "0171" not in html and "a@b.example" not in html and "[Telefon]" in html
    assert "Unanswered questions" in client.get("/admin/unanswered?lang=en").text
    csv_response = client.get("/admin/unanswered.csv")
    assert csv_response.status_code == 200 and csv_response.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_response.headers["content-disposition"]
    assert ";2;" in csv_response.text and "Japan" in csv_response.text


def test_logout_ends_the_session(env) -> None:
    client, csrf = logged_in(env)
    r = client.post("/admin/logout", data={"csrf": csrf})
    assert r.status_code == 303
    assert client.get("/admin").status_code == 303


_WATCHER = r"""
import json, sys, time
from pathlib import Path
from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.service import KnowledgeService
from assistant.settings import Settings

settings = Settings(**json.loads(sys.argv[1]))
service = KnowledgeService(settings=settings, embedder=HashEmbedder(), auto_build=False)
assert all(h.doc_id != "faq-zahlung" for h in service.search("Skonto Zahlung 10 Tagen", k=10))
print("ready", flush=True)
sys.stdin.readline()  # the parent uploads, then writes a line
started = time.monotonic()
while time.monotonic() - started < 10:
    if any(h.doc_id == "faq-zahlung" for h in service.search("Skonto Zahlung 10 Tagen", k=10)):
        print(f"live {time.monotonic() - started:.3f}", flush=True)
        break
    time.sleep(0.05)
else:
    print("never", flush=True)
"""


@pytest.mark.slow
def test_an_upload_is_live_in_another_app_process_without_a_restart(env) -> None:
    import json
    import subprocess
    import sys

    from assistant.settings import PROJECT_ROOT

    s = env["settings"]
    args = json.dumps({"var_dir": str(s.var_dir), "knowledge_dir": str(s.knowledge_dir),
                       "index_dir": str(s.resolved_index_dir), "embedding_backend": "hash", "index_poll_s": 1.0})
    watcher = subprocess.Popen([sys.executable, "-c", _WATCHER, args], cwd=PROJECT_ROOT, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert watcher.stdout is not None and watcher.stdin is not None
        assert watcher.stdout.readline().strip() == "ready"
        client, csrf = logged_in(env)
        assert upload(client, csrf, "zahlung.md", NEW_DOC.encode()).status_code == 200
        watcher.stdin.write("go\n")
        watcher.stdin.flush()
        result = watcher.stdout.readline().split()
        assert result[0] == "live" and float(result[1]) < 5.0, result
    finally:
        watcher.kill()
        watcher.wait()


def test_a_corrected_product_catalogue_is_accepted_and_live(env) -> None:
    client, csrf = logged_in(env)
    catalogue = (env["settings"].knowledge_dir / "products.csv").read_text(encoding="utf-8")
    changed = catalogue.replace("Steckverschraubung gerade 12 mm G1/8,", "Steckverschraubung gerade 12 mm G1/8 neu,", 1)
    assert changed != catalogue
    r = upload(client, csrf, "products.csv", changed.encode())
    assert r.status_code == 200, r.text[:500]
    assert env["service"].product("3S-1208").name_de == "Steckverschraubung gerade 12 mm G1/8 neu"
    assert (env["settings"].knowledge_dir / "products.csv").read_text(encoding="utf-8") == changed


def test_an_upload_without_id_gets_one_from_its_file_name_and_says_so(env) -> None:
    client, csrf = logged_in(env)
    doc = NEW_DOC.replace("id: faq-zahlung\n", "")
    r = upload(client, csrf, "Zahlung_Bedingungen.md", doc.encode())
    assert r.status_code == 200, r.text[:500]
    assert "zahlung_bedingungen" in r.text and "from the file name" in r.text
    assert env["service"].doc_url("zahlung_bedingungen") is not None
