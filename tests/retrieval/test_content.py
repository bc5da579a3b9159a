"""`kb add` and `kb remove` change the knowledge folder completely or not at all; a document without id gets one."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.retrieval import cli as kb_cli
from assistant.retrieval.models import BuildRefused
from tests.gateway.test_kb_routes import knowledge_service, knowledge_settings

NO_ID = "---\ntype: faq\nlanguage: de\ntitle: Lieferzeiten\n---\n# Lieferzeiten\n\nLagerware liefern wir in 2 Tagen.\n"
BROKEN = "---\nid: faq-kaputt\ntype: rezept\nlanguage: de\n---\n# Kaputt\n\nOhne Titel und mit falschem Typ.\n"


def snapshot(root: Path) -> dict[str, str]:
    """Every file of the folder with its content hash: "exactly as it was" means this is equal."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def service(tmp_path: Path):
    return knowledge_service(knowledge_settings(tmp_path))


def test_a_document_without_id_gets_one_from_its_file_name_and_says_so(service, tmp_path: Path) -> None:
    src = tmp_path / "Lieferzeiten FAQ.md"
    src.write_text(NO_ID, encoding="utf-8")
    report = service.add(src)
    assert report.ok
    notes = [str(i) for i in report.issues if "from the file name" in i.message]
    assert notes == ["warning: faq/Lieferzeiten FAQ.md:2: front matter has no 'id': using 'lieferzeiten-faq', "
                     "from the file name"]
    assert service.doc_url("lieferzeiten-faq") is not None


def test_a_refused_add_leaves_the_folder_exactly_as_it_was(service, tmp_path: Path) -> None:
    root = service.settings.knowledge_dir
    before, version = snapshot(root), service.status()["version"]
    src = tmp_path / "kaputt.md"
    src.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(BuildRefused) as refused:
        service.add(src)
    messages = [str(i) for i in refused.value.report.issues]
    assert any("kaputt.md" in m and "'type'" in m for m in messages) and any("'title'" in m for m in messages)
    assert snapshot(root) == before and service.status()["version"] == version
    assert service.build().ok  # the next build is not poisoned by a left-behind file


def test_a_build_that_fails_after_the_copy_puts_everything_back(service, tmp_path: Path, monkeypatch) -> None:
    root = service.settings.knowledge_dir
    before = snapshot(root)
    src = tmp_path / "neu.md"
    src.write_text(NO_ID.replace("Lieferzeiten", "Neu"), encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(service, "build", crash)
    with pytest.raises(OSError):
        service.add(src)
    assert snapshot(root) == before
    assert not (root / "faq").exists() or not (root / "faq" / "neu.md").exists()


def test_remove_takes_the_document_and_its_sidecar_and_nothing_else(service) -> None:
    root = service.settings.knowledge_dir
    before = snapshot(root)
    doc_id, info = next((d, i) for d, i in service._index().manifest["documents"].items() if i["kind"] == "markdown")
    service.remove(doc_id)
    after = snapshot(root)
    assert set(before) - set(after) == {info["source"]} and service.doc_url(doc_id) is None


def test_the_cli_reports_a_refused_add_and_exits_non_zero(service, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(kb_cli, "_service", lambda: service)
    src = tmp_path / "kaputt.md"
    src.write_text(BROKEN, encoding="utf-8")
    before = snapshot(service.settings.knowledge_dir)

    class Args:
        path = str(src)

    assert kb_cli.cmd_add(Args()) != 0
    err = capsys.readouterr().err
    assert "kaputt.md" in err and "the knowledge folder is as it was" in err
    assert snapshot(service.settings.knowledge_dir) == before
