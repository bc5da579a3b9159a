import json

import pytest

from assistant.retrieval import cli


@pytest.fixture
def use_service(monkeypatch, service):
    monkeypatch.setattr(cli, "_service", lambda: service)
    return service


def test_build_status_search(use_service, capsys):
    assert cli.main(["kb", "build", "--force"]) == 0
    assert "built version" in capsys.readouterr().out
    assert cli.main(["kb", "status"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["products"] == 10
    assert cli.main(["kb", "search", "QC-300-08", "--json", "-k", "2"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 2 and "QC-300-08" in hits[0]["text"]


def test_validation_errors_exit_1(use_service, knowledge_dir, capsys):
    (knowledge_dir / "faq" / "broken.md").write_text("no front matter", encoding="utf-8")
    assert cli.main(["kb", "build"]) == 1
    assert "faq/broken.md:1" in capsys.readouterr().out
    (knowledge_dir / "products.csv").write_text("wrong\n", encoding="utf-8")
    assert cli.main(["kb", "build"]) == 1
    assert "build refused" in capsys.readouterr().err


def test_usage_errors_exit_2(use_service):
    assert cli.main(["kb"]) == 2
    assert cli.main(["kb", "search", "x", "-k", "0"]) == 2
    assert cli.main(["kb", "frobnicate"]) == 2


def test_remove_unknown_document_exits_1(use_service):
    assert cli.main(["kb", "remove", "no-such-doc"]) == 1
