"""The admin document list with 5,000 documents: search by id, title or article number, type and language
filters, paging, and article lists collapsed, so the page stays a page (it used to be 22,000 pixels tall)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.gateway import admin
from assistant.settings import Settings
from tests.gateway.cockpit_helpers import admin_client, migrated_database, texts_of

TYPES = ("datasheet", "faq", "use_case", "certificate", "guide")


class ManyDocuments:
    """A knowledge service stand-in: the live index names ``n`` Markdown documents written to ``root``."""

    def __init__(self, root: Path, n: int) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        for i in range(n):
            doc_id = f"doc-{i:04d}"
            products = [f"AB-{i:04d}"] if i % 10 else [f"QC-{i:04d}-{k:02d}" for k in range(12)]
            title = "Kupplungen für Dampf" if i == 4242 else f"Dokument {i}"
            (root / f"{doc_id}.md").write_text(
                f"---\nid: {doc_id}\ntype: {TYPES[i % 5]}\nlanguage: {'en' if i % 3 == 0 else 'de'}\n"
                f"title: {title}\nproducts: [{', '.join(products)}]\n---\n# {title}\n", encoding="utf-8")
            self.documents[doc_id] = {"source": f"{doc_id}.md", "type": TYPES[i % 5], "kind": "markdown",
                                      "language": "en" if i % 3 == 0 else "de", "title": title}

    def status(self) -> dict[str, Any]:
        return {"version": "v-test", "built_at": "2026-12-04T08:00:00", "embedder": "hash", "index_kind": "flat",
                "counts": {"documents": len(self.documents)}, "issues": []}

    def _index(self) -> Any:
        return type("Index", (), {"manifest": {"documents": self.documents}})()

    def search(self, query: str, k: int = 10) -> list[Any]:
        return []


@pytest.fixture(scope="module")
def knowledge_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ManyDocuments]:
    root = tmp_path_factory.mktemp("knowledge")
    return root, ManyDocuments(root, 5000)


@pytest.fixture
def client(knowledge_root: tuple[Path, ManyDocuments], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> TestClient:
    root, service = knowledge_root
    monkeypatch.setattr(admin, "get_knowledge", lambda: service)
    settings = Settings(var_dir=tmp_path / "var", knowledge_dir=root)
    return admin_client(migrated_database(tmp_path), settings=settings)[0]


def rows(html: str) -> list[str]:
    body = html.split('<table class="documents">', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<a href="/kb/doc/[^"]+"><code>([^<]+)</code>', body)


@pytest.mark.parametrize(("lang", "count"), [("de", "50 von 5000 Dokumenten · Seite 1 von 100"),
                                             ("en", "50 of 5000 documents · page 1 of 100")])
def test_five_thousand_documents_are_one_page_of_fifty(client: TestClient, lang: str, count: str) -> None:
    r = client.get("/admin", params={"lang": lang})
    assert r.status_code == 200 and count in texts_of(r.text)
    assert rows(r.text) == [f"doc-{i:04d}" for i in range(50)]
    assert len(r.text) < 150_000  # the whole page, not a 22,000-pixel table of every document
    assert r.text.count("<option") < 20  # no select with an option per document (the upload form took one)


def test_search_by_id_title_or_article_number(client: TestClient) -> None:
    assert rows(client.get("/admin", params={"doc_q": "doc-0007"}).text) == ["doc-0007"]
    assert rows(client.get("/admin", params={"doc_q": "kupplungen für DAMPF"}).text) == ["doc-4242"]
    assert rows(client.get("/admin", params={"doc_q": "ab-1234"}).text) == ["doc-1234"]
    assert rows(client.get("/admin", params={"doc_q": "QC-0030-11"}).text) == ["doc-0030"]  # in a collapsed list
    html = client.get("/admin", params={"doc_q": "nothing like this", "lang": "en"}).text
    assert "No documents match these filters." in html


def test_type_and_language_filters_and_paging(client: TestClient) -> None:
    html = client.get("/admin", params={"doc_type": "faq", "doc_lang": "en"}).text
    assert "50 von 333 Dokumenten · Seite 1 von 7" in texts_of(html)
    assert all(int(d[4:]) % 5 == 1 and int(d[4:]) % 3 == 0 for d in rows(html))
    second = client.get("/admin", params={"doc_type": "faq", "doc_lang": "en", "doc_page": "2"}).text
    assert rows(second)[0] == "doc-0756" and "Seite 2 von 7" in texts_of(second)
    assert "doc_type=faq" in second and "doc_page=3" in second and "doc_page=1" not in second  # links keep filters
    last = client.get("/admin", params={"doc_type": "faq", "doc_lang": "en", "doc_page": "999"}).text
    assert "Seite 7 von 7" in texts_of(last) and len(rows(last)) == 33
    assert "Seite 1 von 100" in texts_of(client.get("/admin", params={"doc_page": "-3"}).text)


def test_long_article_lists_are_collapsed_and_short_ones_shown(client: TestClient) -> None:
    html = client.get("/admin").text
    row_0 = html.split("<code>doc-0000</code>", 1)[1].split("</tr>", 1)[0]
    assert "<details><summary>12 Artikel" in row_0 and "QC-0000-11" in row_0
    row_1 = html.split("<code>doc-0001</code>", 1)[1].split("</tr>", 1)[0]
    assert "<details>" not in row_1 and "AB-0001" in row_1


def test_replace_link_fills_in_the_upload_form(client: TestClient) -> None:
    html = client.get("/admin", params={"replace": "doc-0042"}).text
    assert re.search(r'<input id="replace" name="replace" value="doc-0042"', html)
    listed = client.get("/admin", params={"doc_q": "doc-0042"}).text
    assert 'href="/admin?lang=de&amp;replace=doc-0042#upload"' in listed
