"""`make audit`: advisories outside the allow-list fail, allowed ones pass with their exposure, and a run that
cannot check says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import audit

SNAPSHOT = {
    "aiohttp": [{"id": "pyup.io-1", "cve": "CVE-2024-52304", "specs": ["<3.10.11"], "advisory": "smuggling"}],
    "leftpad": [{"id": "pyup.io-2", "cve": "CVE-2099-0001", "specs": ["<2.0"], "advisory": "something new"}],
}


@pytest.fixture
def pinned(tmp_path: Path, monkeypatch) -> Path:
    pins = tmp_path / "rasa.txt"
    pins.write_text("aiohttp==3.9.5\nleftpad==1.0\nsafe==1.0\n")
    monkeypatch.setattr(audit, "PIN_FILES", [pins])
    monkeypatch.setattr(audit, "snapshot", lambda: (SNAPSHOT, audit.datetime(2021, 7, 1, tzinfo=audit.UTC)))
    return pins


def test_an_advisory_outside_the_allow_list_fails_and_allowed_ones_show_their_exposure(pinned, capsys) -> None:
    assert audit.main([]) == 1
    out = capsys.readouterr().out
    assert "FOUND    rasa.txt: leftpad==1.0 pyup.io-2, CVE-2099-0001" in out
    assert "allowed  rasa.txt: aiohttp==3.9.5 CVE-2024-52304 - none;" in out
    assert "NOT checked" in out and "2021-07-01" in out


def test_with_everything_on_the_allow_list_it_passes_and_still_says_what_it_did_not_check(pinned, capsys) -> None:
    pinned.write_text("aiohttp==3.9.5\nleftpad==2.0\n")
    assert audit.main([]) == 0
    assert "ONLY advisories published before 2021-07-01" in capsys.readouterr().out


def test_without_a_database_it_says_plainly_that_it_could_not_check(pinned, monkeypatch, capsys) -> None:
    monkeypatch.setattr(audit, "snapshot", lambda: None)
    assert audit.main([]) == 2
    assert "COULD NOT CHECK" in capsys.readouterr().out


def test_every_allow_list_entry_gives_its_reason_and_exposure(tmp_path: Path) -> None:
    entries = audit.allowlist()
    assert entries and all(e["reason"].strip() and e["exposure"].strip() for e in entries)
    broken = tmp_path / "allow.yml"
    broken.write_text("- id: CVE-1\n  package: x\n  reason: because\n")
    with pytest.raises(SystemExit, match="exposure"):
        audit.allowlist(broken)
