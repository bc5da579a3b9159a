"""/kb/doc and /kb/file for people following a source link, and POST /api/feedback from the widget's thumbs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.gateway import kb
from assistant.gateway.app import create_app
from assistant.identity import ANONYMOUS, get_binder, mint_token
from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.service import KnowledgeService
from assistant.settings import Settings, get_settings
from tests.retrieval.conftest import make_pdf

FIXTURES = Path(__file__).resolve().parents[1] / "retrieval" / "fixtures" / "knowledge"


def knowledge_settings(root: Path, **overrides: object) -> Settings:
    target = root / "knowledge"
    if not target.exists():
        shutil.copytree(FIXTURES, target)
    values: dict[str, object] = {
        "var_dir": root / "var", "knowledge_dir": target, "index_dir": root / "index", "embedding_backend": "hash",
        "index_poll_s": 0.05, "public_url": "http://testserver",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def knowledge_service(settings: Settings) -> KnowledgeService:
    service = KnowledgeService(settings=settings, embedder=HashEmbedder())
    service.build()
    return service


@pytest.fixture
def env(tmp_path: Path, monkeypatch) -> dict[str, Any]:
    settings = knowledge_settings(tmp_path)
    kdir = settings.knowledge_dir
    (kdir / "faq" / "evil.md").write_text(
        "---\nid: faq-evil\ntype: faq\nlanguage: en\ntitle: Evil <b>title</b>\n---\n"
        "# Cleaning\n\nUse <script>alert('x')</script> water at 80 °C.\n\n"
        "[click](javascript:alert(1)) and [shop](https://shop.example/x)\n\n"
        "| Size | Pressure |\n|---|---|\n| DN25 | 10 bar |\n",
        encoding="utf-8",
    )
    make_pdf(kdir / "datasheets" / "dk.pdf", ["Klauenkupplung DK\nDrehmoment 50 Nm"])
    (kdir / "datasheets" / "dk.meta.yml").write_text(
        "id: ds-dk\ntype: datasheet\nlanguage: de\ntitle: Datenblatt DK\n", encoding="utf-8"
    )
    service = knowledge_service(settings)
    monkeypatch.setattr(kb, "get_knowledge", lambda: service)
    recorded: list[tuple[Any, ...]] = []

    class FakeAnalytics:
        def record_feedback(self, *args: Any) -> None:
            recorded.append(args)

    monkeypatch.setattr(kb, "get_analytics", lambda: FakeAnalytics())
    kb._feedback_limiter.cache_clear()
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    return {"client": TestClient(app, raise_server_exceptions=False), "service": service, "recorded": recorded,
            "settings": settings}


def test_markdown_document_page_renders_with_the_layout_and_the_widget(env) -> None:
    r = env["client"].get("/kb/doc/faq-lieferung")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Lieferung" in r.text and "<h1>" in r.text
    assert 'class="site-header"' in r.text and "assistant-widget.js" in r.text
    assert "Quelle" in r.text and "Zurück zum Shop" in r.text
    assert "---" not in r.text.split("<main", 1)[1].split("</main>")[0]  # front matter is not shown


def test_document_page_in_english_on_request(env) -> None:
    r = env["client"].get("/kb/doc/faq-lieferung?lang=en")
    assert r.status_code == 200 and "Back to the shop" in r.text and '<html lang="en">' in r.text


def test_raw_html_and_script_links_in_a_document_are_escaped(env) -> None:
    r = env["client"].get("/kb/doc/faq-evil")
    assert r.status_code == 200
    main = r.text.split("<main", 1)[1]
    assert "<script>alert" not in main and "&lt;script&gt;" in main
    assert "href=\"javascript:" not in main and "<a href=\"java" not in main
    assert 'href="https://shop.example/x"' in main
    assert "<table>" in main and "<td>10 bar</td>" in main
    assert "Evil &lt;b&gt;title&lt;/b&gt;" in r.text  # the title is escaped too


def test_unknown_document_is_a_friendly_404_page(env) -> None:
    r = env["client"].get("/kb/doc/nope-nothing")
    assert r.status_code == 404 and "gibt es nicht" in r.text
    r = env["client"].get("/kb/doc/nope-nothing", headers={"Accept-Language": "en-GB"})
    assert r.status_code == 404 and "does not exist" in r.text


def test_pdf_is_served_inline_and_its_page_links_to_it(env) -> None:
    r = env["client"].get("/kb/file/ds-dk")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and r.headers["content-disposition"].startswith("inline")
    page = env["client"].get("/kb/doc/ds-dk")
    assert page.status_code == 200 and 'href="/kb/file/ds-dk"' in page.text


@pytest.mark.parametrize("doc_id", ["faq-lieferung", "nope", "..%2F..%2Fetc%2Fpasswd", "product:3S-1208"])
def test_file_route_serves_only_pdfs_the_index_names(env, doc_id: str) -> None:
    r = env["client"].get(f"/kb/file/{doc_id}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_a_manifest_entry_outside_the_knowledge_folder_is_not_served(env, tmp_path: Path) -> None:
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 secret")
    info = {"source": "../secret.pdf", "kind": "pdf"}
    assert kb.document_path(env["settings"], info) is None


# ------------------------------------------------------------------ feedback
def _conversation(identity: Any = ANONYMOUS) -> str:
    return get_binder().issue(identity)


def test_feedback_is_stored_with_the_rated_question(env, monkeypatch) -> None:
    async def fake_question(settings: Any, sender: str, index: int) -> tuple[str, str]:
        assert sender.startswith("c-") and index == 3
        return "Ist FKM dampffest?", "de"

    monkeypatch.setattr(kb, "rated_question", fake_question)
    cid = _conversation()
    r = env["client"].post("/api/feedback", json={"conversation_id": cid, "message_index": 3, "rating": "down",
                                                 "comment": "stimmt nicht"})
    assert r.status_code == 204 and r.content == b""
    sender, index, rating, comment, question, language = env["recorded"][0]
    assert (index, rating, comment, question, language) == (3, "down", "stimmt nicht", "Ist FKM dampffest?", "de")
    assert sender == get_binder().sender_for(cid, ANONYMOUS)


def test_feedback_on_a_conversation_of_another_identity_is_refused(env) -> None:
    token = mint_token(sub="u-1001", customer="K-10001", roles=["buyer"])
    cid = _conversation()  # anonymous conversation, rated by a logged-in user
    r = env["client"].post("/api/feedback", json={"conversation_id": cid, "message_index": 0, "rating": "up"},
                           headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "conversation_forbidden"
    assert env["recorded"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"conversation_id": "abc", "message_index": 0, "rating": "up"}, "invalid_conversation"),
        ({"conversation_id": "x", "message_index": 0, "rating": "meh"}, "invalid_field"),
        ({"conversation_id": "x", "message_index": -1, "rating": "up"}, "invalid_field"),
        ({"conversation_id": "x", "message_index": "1", "rating": "up"}, "wrong_type"),
        ({"conversation_id": "x", "message_index": 0, "rating": "up", "extra": 1}, "unknown_field"),
        ({"conversation_id": "x", "message_index": 0, "rating": "up", "comment": "x" * 1001}, "invalid_field"),
    ],
)
def test_bad_feedback_is_a_clear_400(env, body: dict[str, Any], code: str) -> None:
    r = env["client"].post("/api/feedback", json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == code
    assert env["recorded"] == []


def test_feedback_still_counts_when_rasa_cannot_be_asked(env, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "rasa_url", "http://127.0.0.1:9")
    env["client"].app.dependency_overrides[get_settings] = lambda: env["settings"].model_copy(
        update={"rasa_url": "http://127.0.0.1:9"}
    )
    r = env["client"].post("/api/feedback", json={"conversation_id": _conversation(), "message_index": 0,
                                                 "rating": "up"})
    assert r.status_code == 204
    assert env["recorded"][0][2:5] == ("up", None, None)


def test_message_index_counts_every_bot_message_of_the_conversation() -> None:
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "hallo", "metadata": {"language": "de"}},
        {"event": "bot", "text": None, "data": {}},
        {"event": "user", "text": "which coupling for 350 bar?", "metadata": {"language": "en"}},
        {"event": "bot", "data": {"custom": {"type": "text"}}},
        {"event": "bot", "data": {"custom": {"type": "products"}}},
        {"event": "user", "text": "/start_rfq", "metadata": {"language": "en"}},
        {"event": "bot", "data": {}},
    ]
    assert kb.question_at(events, 0) == ("hallo", "de")
    assert kb.question_at(events, 1) == ("which coupling for 350 bar?", "en")
    assert kb.question_at(events, 2) == ("which coupling for 350 bar?", "en")
    assert kb.question_at(events, 3) == (None, "en")  # a button click is not a question
    assert kb.question_at(events, 9) == (None, None)


def test_feedback_is_rate_limited(env, monkeypatch) -> None:
    async def no_question(settings: Any, sender: str, index: int) -> tuple[None, None]:
        return None, None

    monkeypatch.setattr(kb, "rated_question", no_question)
    cid = _conversation()
    codes = [env["client"].post("/api/feedback", json={"conversation_id": cid, "message_index": i, "rating": "up"})
             for i in range(70)]  # 60 a minute, counted in a sliding window
    assert codes[0].status_code == 204
    limited = [r for r in codes if r.status_code == 429]
    assert limited and limited[0].json()["error"]["code"] == "rate_limited" and limited[0].headers["retry-after"]
