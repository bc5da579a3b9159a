"""Checks on the widget file itself that need no browser: size budget and no HTML parsing sinks."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

WIDGET = Path(__file__).resolve().parents[2] / "widget"
BUDGET = 30 * 1024


def widget_files() -> list[Path]:
    return sorted(p for p in WIDGET.iterdir() if p.suffix in {".js", ".css"})


def test_widget_is_under_30_kb_gzipped() -> None:
    files = widget_files()
    assert any(p.name == "assistant-widget.js" for p in files)
    total = sum(len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in files)
    assert total <= BUDGET, f"{total} bytes gzipped > {BUDGET}"


def test_widget_never_parses_markup() -> None:
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\s*\(|new Function|"
                       r"createContextualFragment|DOMParser")
    for path in widget_files():
        hits = [(n, line.strip()) for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
                if sinks.search(line)]
        assert hits == [], f"{path.name}: {hits}"


def test_both_languages_have_the_same_interface_texts() -> None:
    source = (WIDGET / "assistant-widget.js").read_text("utf-8")
    de = source[source.index("    de: {"):source.index("    en: {")]
    en = source[source.index("    en: {"):source.index("  var CSS")]
    keys = re.compile(r"^\s+(\w+):", re.M)
    assert keys.findall(de)[1:] == keys.findall(en)[1:]
    assert len(keys.findall(de)) > 40
