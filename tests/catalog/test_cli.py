"""`assistant catalog import`: report in German or English, JSON, exit codes, nothing changed on a dry run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.settings import get_settings
from tests.catalog import samples
from tests.catalog.conftest import snapshot


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, knowledge_dir: Path, tmp_path: Path) -> Path:
    monkeypatch.setenv("ASSISTANT_KNOWLEDGE_DIR", str(knowledge_dir))
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ASSISTANT_TODAY", "2026-11-25")
    get_settings.cache_clear()
    yield knowledge_dir
    get_settings.cache_clear()


def test_dry_run_json(cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "vent.xml"
    path.write_bytes(samples.catalog_2005([samples.product_2005("4711020")]))
    before = snapshot(cli_env)
    assert main(["catalog", "import", str(path), "--dry-run", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["products"][0]["sku"] == "4711020" and data["dry_run"] and not data["applied"]
    assert data["unmapped_features"] == [{"feature": "EF9000099", "count": 1}]
    assert snapshot(cli_env) == before


@pytest.mark.parametrize(("lang", "words"), [("de", "Abgelehnt"), ("en", "Refused")])
def test_hostile_file_exit_1_with_message(cli_env: Path, tmp_path: Path, capsys, lang: str, words: str):
    path = tmp_path / "evil.xml"
    path.write_bytes(samples.BILLION_LAUGHS)
    assert main(["catalog", "import", str(path), "--lang", lang]) == 1
    out = capsys.readouterr().out
    assert words in out and "Traceback" not in out


@pytest.mark.parametrize(("lang", "words"), [("de", "neu"), ("en", "new")])
def test_report_text_in_both_languages(cli_env: Path, tmp_path: Path, capsys, lang: str, words: str):
    path = tmp_path / "vent.xml"
    path.write_bytes(samples.catalog_2005([samples.product_2005("1"), samples.product_2005("ab/1")]))
    assert main(["catalog", "import", str(path), "--dry-run", "--lang", lang]) == 0
    out = capsys.readouterr().out
    assert f"1 {words}" in out and "/BMECAT/T_NEW_CATALOG/PRODUCT[2] ab/1" in out


def test_missing_file_is_exit_2(cli_env: Path, capsys):
    assert main(["catalog", "import", "/nonexistent.xml", "--lang", "en"]) == 2
    assert "file not found" in capsys.readouterr().err
