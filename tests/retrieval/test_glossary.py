"""The content team's glossary: concepts found in text (longest word wins, compounds, spacing variants), bad
entries reported, labels and translations for answers."""

from __future__ import annotations

from pathlib import Path

from assistant.retrieval.glossary import Glossary, load_glossary, parse_glossary
from assistant.retrieval.tokenize import fold
from assistant.settings import PROJECT_ROOT

REAL = load_glossary(PROJECT_ROOT / "knowledge")[0]


def concepts(text: str, glossary: Glossary = REAL) -> list[str]:
    return [m.concept for m in glossary.mentions(fold(text))]


def test_the_real_glossary_loads_without_issues() -> None:
    glossary, issues, raw = load_glossary(PROJECT_ROOT / "knowledge")
    assert issues == [] and len(glossary.concepts) > 80 and raw
    assert glossary.is_property("torque") and not glossary.is_property("steam")


def test_longest_word_wins_and_compounds_match() -> None:
    assert concepts("Mindestbetriebsdruck beachten") == ["min_pressure"]  # not also the pressure
    assert concepts("Mindestbiegeradius beachten") == ["bend_radius"]
    assert concepts("Nicht für Dampf, Heißwasser oder Hydrauliköl.") == ["steam", "hot_water", "hydraulic_oil"]
    assert concepts("not for superheated steam") == ["superheated_steam"]


def test_spaces_hyphens_and_umlauts_are_typed_either_way() -> None:
    for text in ("o-ring", "O ring", "oring", "O-Ringe"):
        assert concepts(text) == ["o_ring"], text
    assert concepts("zone20") == concepts("Zone 20") == ["atex_zone"]
    assert concepts("Heisswasser") == concepts("Heißwasser") == ["hot_water"]


def test_short_words_only_match_whole_words() -> None:
    assert concepts("ab Lager lieferbar") == ["lead_time"]  # "lager" is no bearing here
    assert "cip" not in concepts("principle")  # CIP only as a word


def test_labels_keep_their_case_and_translate_value_phrases() -> None:
    assert REAL.label("uv", "de") == "UV-Beständigkeit" and REAL.label("torque", "en") == "tightening torque"
    assert REAL.translate("6 × Innendurchmesser", "en") == "6 × inner diameter"
    assert "Unterdruck" in REAL.expansion(["vacuum"]) or "unterdruck" in REAL.expansion(["vacuum"])


def test_bad_entries_are_reported_and_skipped(tmp_path: Path) -> None:
    glossary, issues = parse_glossary({"terms": [
        {"id": "ok", "de": ["Wort"], "en": ["word"]},
        {"id": "ok", "de": ["doppelt"], "en": ["twice"]},
        {"id": "Bad Id", "de": ["x"], "en": ["y"]},
        {"id": "empty", "de": [], "en": ["y"]},
        "not a mapping",
    ]})
    assert [c.id for c in glossary.concepts] == ["ok"]
    assert len(issues) == 4 and all(i.path == "glossary.yml" for i in issues)
    (tmp_path / "glossary.yml").write_text("terms: [unclosed", encoding="utf-8")
    _, issues, _ = load_glossary(tmp_path)
    assert issues and "YAML" in issues[0].message


def test_mentions_are_linear_on_long_hostile_text() -> None:
    import time

    for text in ("o" * 2000, "zone " * 400, "druck" * 400, "- " * 1000):
        started = time.perf_counter()
        REAL.mentions(fold(text))
        assert time.perf_counter() - started < 0.5, text[:20]


def test_a_phrase_is_translated_only_when_every_word_is_understood() -> None:
    glossary = REAL
    assert glossary.translate("Rahmenvertrag: kein Mindermengenzuschlag", "en") == \
        "framework contract: no small-order surcharge"
    assert glossary.translate("Rahmenvertrag: Preise verhandelbar", "en") is None  # "verhandelbar" stays German
    assert glossary.translate("framework contract: no small order surcharge", "de") is None  # "kein" or "keine"?
