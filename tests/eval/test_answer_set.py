"""Validate the answer-level evaluation sets (answers.yml, answers_dev.yml) and the grader's text rules.

A wrong label turns a good answer into a miss (or the reverse), so the set is checked like code: sizes and
balance, ids that exist, regexes that compile, every expected fact literally present in the documents (or
catalogue rows) the question names, honest cross-language labels, and "silent" questions whose property no
document states. Runs in the normal suite in well under a second (no stack, no model).

answers_dev.yml (the independent development set, all `tune`) is checked with the same rules; it differs in its ids
(d-<lang>-<nnn>), its sizes, and in allowing a suitability question whose honest answer is "not specified".
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

import pytest

from tools.answer_eval import (
    KINDS,
    LANGS,
    SET_FILE,
    VERDICTS,
    answer_text,
    catalogue_text,
    claims_all_met,
    classify_verdict,
    detours_in,
    first_sentence,
    grade,
    load_catalogue,
    load_documents,
    load_set,
    matches,
    source_texts,
)

ID = re.compile(r"^a-(de|en)-\d{3}$")
MIN_TOTAL = 220
MIN_KIND = {"fact": 60, "selection": 30, "suitability": 30, "cross_language": 40, "silent": 30, "multi": 10}
MIN_KIND_PER_LANG = {"fact": 25, "selection": 12, "suitability": 12, "cross_language": 20, "silent": 15, "multi": 5}

DEV_FILE = SET_FILE.with_name("answers_dev.yml")
DEV_ID = re.compile(r"^d-(de|en)-\d{3}$")
DEV_MIN_TOTAL = 160
DEV_MIN_KIND = {"fact": 45, "selection": 20, "suitability": 40, "cross_language": 25, "silent": 20, "multi": 10}
DEV_MIN_VERDICTS = {"yes": 8, "no": 8, "only_if": 5, "not_specified": 3}


@lru_cache(maxsize=1)
def questions() -> list[dict[str, Any]]:
    return load_set()


@lru_cache(maxsize=1)
def dev_questions() -> list[dict[str, Any]]:
    return load_set(DEV_FILE)


def _norm_q(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def translations(doc_id: str) -> set[str]:
    """The languages a document exists in, counting translations in both directions."""
    docs = load_documents()
    doc = docs[doc_id]
    langs = {doc.language}
    for other in docs.values():
        if other.translation_of == doc_id or (doc.translation_of and other.id == doc.translation_of):
            langs.add(other.language)
    return langs


def _check_ids(qs: list[dict[str, Any]], pattern: re.Pattern[str]) -> None:
    ids = [q["id"] for q in qs]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for q in qs:
        m = pattern.match(q["id"])
        assert m, q["id"]
        assert m.group(1) == q["lang"], f"{q['id']}: id prefix and lang differ"
    texts = Counter(_norm_q(q["q"]) for q in qs)
    assert not [t for t, n in texts.items() if n > 1], "duplicate questions"


def test_ids_unique_and_well_formed() -> None:
    _check_ids(questions(), ID)


def _check_fields(qs: list[dict[str, Any]], unspecified_suitability: bool = False) -> None:
    """unspecified_suitability: a suitability question may instead be not_specified (verdict null, absent given)."""
    catalogue = load_catalogue()
    allowed = {"id", "q", "lang", "kind", "split", "page_sku", "docs", "facts", "forbidden", "verdict",
               "not_specified", "absent"}
    for q in qs:
        assert set(q) <= allowed, f"{q['id']}: unknown fields {set(q) - allowed}"
        assert q["lang"] in LANGS and q["kind"] in KINDS and q["split"] in ("tune", "frozen"), q["id"]
        assert 3 <= len(q["q"]) <= 2000, q["id"]
        if q.get("page_sku"):
            assert q["page_sku"] in catalogue, f"{q['id']}: page_sku {q['page_sku']} not in the catalogue"
        if q.get("verdict") is not None:
            assert q["verdict"] in VERDICTS, q["id"]
        unspecified = unspecified_suitability and q["kind"] == "suitability" and q.get("not_specified") is True
        if unspecified:
            # "Can I use X for Y?" where the documents do not state Y: graded like a silent question, but the
            # article's documents are named (hit@5) and may give the facts around it.
            assert q.get("verdict") is None, f"{q['id']}: not_specified and a verdict exclude each other"
            assert q.get("absent"), f"{q['id']}: say which property no document states (absent)"
            assert q["docs"], f"{q['id']}: name the article's documents"
        elif q["kind"] == "suitability":
            assert q.get("verdict") in VERDICTS, f"{q['id']}: a suitability question needs a verdict"
        if unspecified:
            pass
        elif q["kind"] == "silent":
            assert q.get("not_specified") is True, f"{q['id']}: silent questions are not_specified: true"
            assert q["docs"] == [] and q["facts"] == [], f"{q['id']}: silent questions name no documents or facts"
            assert q.get("absent"), f"{q['id']}: say which property no document states (absent)"
            assert not q.get("verdict"), q["id"]
        else:
            assert not q.get("not_specified"), q["id"]
            assert q["docs"], f"{q['id']}: name the documents that answer it"
            assert q["facts"] or q.get("verdict"), f"{q['id']}: needs facts or a verdict"
        for key in ("facts", "forbidden"):
            for fact in q[key]:
                assert isinstance(fact, list) and fact and all(isinstance(a, str) and a for a in fact), (
                    f"{q['id']}: each {key} entry is a list of regex alternatives")


def test_fields() -> None:
    _check_fields(questions())


def test_sizes_and_language_balance() -> None:
    qs = questions()
    assert len(qs) >= MIN_TOTAL
    langs = Counter(q["lang"] for q in qs)
    for lang in LANGS:
        assert 0.45 <= langs[lang] / len(qs) <= 0.55, f"language balance: {dict(langs)}"


def test_kind_minimums() -> None:
    kinds = Counter(q["kind"] for q in questions())
    per_lang = Counter((q["lang"], q["kind"]) for q in questions())
    for kind, minimum in MIN_KIND.items():
        assert kinds[kind] >= minimum, f"{kind}: {kinds[kind]} < {minimum}"
        for lang in LANGS:
            assert per_lang[(lang, kind)] >= MIN_KIND_PER_LANG[kind], f"{lang}/{kind}: {per_lang[(lang, kind)]}"
    verdicts = Counter(q["verdict"] for q in questions() if q["kind"] == "suitability")
    for verdict in VERDICTS:
        assert verdicts[verdict] >= 2, f"suitability questions need every verdict: {dict(verdicts)}"


def test_split_is_balanced_per_language_and_kind() -> None:
    groups: dict[tuple[str, str], Counter[str]] = {}
    for q in questions():
        groups.setdefault((q["lang"], q["kind"]), Counter())[q["split"]] += 1
    for key, counts in groups.items():
        assert abs(counts["tune"] - counts["frozen"]) <= 1, f"{key}: {dict(counts)}"


def _check_documents_exist(qs: list[dict[str, Any]]) -> None:
    docs, catalogue = load_documents(), load_catalogue()
    for q in qs:
        for doc_id in q["docs"]:
            if doc_id.startswith("product:"):
                assert doc_id.split(":", 1)[1] in catalogue, f"{q['id']}: unknown article {doc_id}"
            else:
                assert doc_id in docs, f"{q['id']}: unknown document {doc_id}"


def test_documents_exist() -> None:
    _check_documents_exist(questions())


def _check_regexes_compile(qs: list[dict[str, Any]]) -> None:
    for q in qs:
        for key in ("facts", "forbidden"):
            for fact in q[key]:
                for alt in fact:
                    try:
                        re.compile(alt, re.IGNORECASE)
                    except re.error as exc:
                        pytest.fail(f"{q['id']} {key}: {alt!r}: {exc}")
        for absent in q.get("absent") or []:
            re.compile(absent["pattern"], re.IGNORECASE)


def test_regexes_compile() -> None:
    _check_regexes_compile(questions())


def _check_facts_in_sources(qs: list[dict[str, Any]]) -> None:
    problems = []
    for q in qs:
        texts = source_texts(q)
        for fact in q["facts"]:
            for alt in fact:
                if not any(re.search(alt, t, re.IGNORECASE) for t in texts.values()):
                    problems.append(f"{q['id']}: {alt!r} not in {sorted(texts)}")
    assert not problems, "\n".join(problems)


def test_every_fact_is_stated_in_a_named_source() -> None:
    """Each alternative of each fact is found in a named document or the catalogue row of a named article."""
    _check_facts_in_sources(questions())


def _check_forbidden_vs_expected(qs: list[dict[str, Any]]) -> None:
    problems = []
    for q in qs:
        texts = source_texts(q)
        for fact in q["facts"]:
            for alt in fact:
                for t in texts.values():
                    m = re.search(alt, t, re.IGNORECASE)
                    if m and any(matches(f, m.group(0)) for f in q["forbidden"]):
                        problems.append(f"{q['id']}: forbidden matches the expected {m.group(0)!r}")
    assert not problems, "\n".join(problems)


def test_forbidden_facts_do_not_match_the_expected_ones() -> None:
    """A correct answer quoting the expected fact must not trip a forbidden pattern."""
    _check_forbidden_vs_expected(questions())


def _check_cross_language(qs: list[dict[str, Any]]) -> None:
    docs = load_documents()
    for q in qs:
        if q["kind"] != "cross_language":
            continue
        for doc_id in q["docs"]:
            assert not doc_id.startswith("product:"), f"{q['id']}: the catalogue is language-neutral"
            assert docs[doc_id].language != q["lang"], f"{q['id']}: {doc_id} is in {q['lang']}"
            assert q["lang"] not in translations(doc_id), f"{q['id']}: {doc_id} has a {q['lang']} translation"
        if q.get("page_sku"):
            row = catalogue_text(load_catalogue()[q["page_sku"]])
            for fact in q["facts"]:
                assert not matches(fact, row), f"{q['id']}: the page's catalogue row already answers {fact[0]!r}"


def test_cross_language_questions_have_no_answer_in_their_own_language() -> None:
    _check_cross_language(questions())


def _check_same_language(qs: list[dict[str, Any]]) -> None:
    for q in qs:
        if q["kind"] in ("cross_language", "silent"):
            continue
        ok = any(d.startswith("product:") or q["lang"] in translations(d) for d in q["docs"]) or q.get("page_sku")
        assert ok, f"{q['id']}: every answering document is in the other language (cross_language?)"


def test_same_language_questions_have_an_answer_in_their_language_or_the_catalogue() -> None:
    _check_same_language(questions())


def _search(pattern: str, text: str, folded: str) -> re.Match[str] | None:
    """Case-insensitive search; on the lower-cased text when the pattern allows it (twice as fast)."""
    if "(?-i" in pattern or re.search(r"\\[A-Z]", pattern):
        return re.search(pattern, text, re.IGNORECASE)
    return re.search(pattern.lower(), folded)


def _check_silent(qs: list[dict[str, Any]]) -> None:
    corpus = {doc_id: d.text for doc_id, d in load_documents().items()}
    corpus["products.csv"] = " | ".join(catalogue_text(r) for r in load_catalogue().values())
    folded = {doc_id: text.lower() for doc_id, text in corpus.items()}
    problems = []
    for q in qs:
        for absent in q.get("absent") or []:
            allowed = set(absent.get("except") or [])
            assert allowed <= set(corpus), f"{q['id']}: unknown except ids {allowed - set(corpus)}"
            # One search over all other text first; look at single documents only when something matched.
            others = [d for d in corpus if d not in allowed]
            if not _search(absent["pattern"], " | ".join(corpus[d] for d in others),
                           " | ".join(folded[d] for d in others)):
                continue
            for doc_id, text in corpus.items():
                m = None if doc_id in allowed else _search(absent["pattern"], text, folded[doc_id])
                if m:
                    problems.append(f"{q['id']}: {absent['pattern']!r} found in {doc_id}: {m.group(0)!r}")
    assert not problems, "\n".join(problems)


def test_silent_questions_are_not_answered_anywhere() -> None:
    """The property of a silent question appears in no document (except the named siblings that state it for
    other articles) and in no catalogue row."""
    _check_silent(questions())


# ---------------------------------------------------------------------------------------------------- dev set

def test_dev_ids_unique_and_well_formed() -> None:
    _check_ids(dev_questions(), DEV_ID)


def test_dev_questions_are_not_in_the_main_set() -> None:
    """The dev set is independent: no question of answers.yml reappears (compared case- and punctuation-free)."""
    main = {_norm_q(q["q"]) for q in questions()}
    assert not [q["id"] for q in dev_questions() if _norm_q(q["q"]) in main]


def test_dev_fields() -> None:
    _check_fields(dev_questions(), unspecified_suitability=True)


def test_dev_is_all_tune() -> None:
    assert [q["id"] for q in dev_questions() if q["split"] != "tune"] == []


def test_dev_sizes_kinds_and_verdicts() -> None:
    qs = dev_questions()
    assert len(qs) >= DEV_MIN_TOTAL
    langs = Counter(q["lang"] for q in qs)
    for lang in LANGS:
        assert 0.45 <= langs[lang] / len(qs) <= 0.55, f"language balance: {dict(langs)}"
    kinds = Counter(q["kind"] for q in qs)
    per_lang = Counter((q["lang"], q["kind"]) for q in qs)
    for kind, minimum in DEV_MIN_KIND.items():
        assert kinds[kind] >= minimum, f"{kind}: {kinds[kind]} < {minimum}"
        for lang in LANGS:
            assert per_lang[(lang, kind)] >= minimum // 2, f"{lang}/{kind}: {per_lang[(lang, kind)]}"
    verdicts = Counter("not_specified" if q.get("not_specified") else q["verdict"]
                       for q in qs if q["kind"] == "suitability")
    for verdict, minimum in DEV_MIN_VERDICTS.items():
        assert verdicts[verdict] >= minimum, f"suitability verdicts: {dict(verdicts)}"
    cross = Counter(q["lang"] for q in qs if q["kind"] == "cross_language")
    assert min(cross[lang] for lang in LANGS) >= 10, f"cross-language per direction: {dict(cross)}"


def test_dev_documents_exist() -> None:
    _check_documents_exist(dev_questions())


def test_dev_regexes_compile() -> None:
    _check_regexes_compile(dev_questions())


def test_dev_every_fact_is_stated_in_a_named_source() -> None:
    _check_facts_in_sources(dev_questions())


def test_dev_forbidden_facts_do_not_match_the_expected_ones() -> None:
    _check_forbidden_vs_expected(dev_questions())


def test_dev_cross_language_questions_have_no_answer_in_their_own_language() -> None:
    _check_cross_language(dev_questions())


def test_dev_same_language_questions_have_an_answer_in_their_language_or_the_catalogue() -> None:
    _check_same_language(dev_questions())


def test_dev_silent_questions_are_not_answered_anywhere() -> None:
    _check_silent(dev_questions())


# ---------------------------------------------------------------------------------------------------- grader rules

@pytest.mark.parametrize("sentence, expected", [
    ("Nein, die QC-300-08 ist nur bis 250 bar freigegeben.", "no"),
    ("No – HS-4010-13 is rated only to 275 bar.", "no"),
    ("Ja, die 3S-Verschraubungen sind für Vakuum bis -0,95 bar freigegeben.", "yes"),
    ("Yes, HS-4010-10 is rated to 330 bar.", "yes"),
    ("Nur kurzzeitig: Dampfreinigung max. 130 °C, 30 min, drucklos.", "only_if"),
    ("Only up to 150 °C with the EPDM gasket; above that use PTFE gaskets.", "only_if"),
    ("Ja, aber nur mit geerdeten Naben.", "only_if"),
    ("Dazu machen unsere Datenblätter keine Angabe.", "not_specified"),
    ("The datasheet does not specify a Kv value for SV-540-08.", "not_specified"),
    ("Die 3SV sind nicht für Vakuum geeignet.", "no"),
    ("Laut „Datenblatt“:", "none"),
])
def test_verdict_classifier(sentence: str, expected: str) -> None:
    assert classify_verdict(sentence) == expected


def test_all_requirements_met_is_not_its_negation() -> None:
    assert claims_all_met("Diese 2 Artikel erfüllen alle Ihre Angaben:")
    assert claims_all_met("Yes – series SV-540 meets every condition you gave.")
    assert claims_all_met("Ja – Serie DK passt zu allen Ihren Angaben:")
    assert not claims_all_met("Kein Artikel in unserem Katalog erfüllt alle Anforderungen (Druck max. 2 bar).")
    assert not claims_all_met("No article meets every requirement. These come closest:")


def test_first_sentence_keeps_abbreviations() -> None:
    assert first_sentence("Ja, kurzzeitig bis max. 130 °C. Danach bitte abkühlen.") == "Ja, kurzzeitig bis max. 130 °C."
    assert first_sentence("Nein.\nDie Serie ist nur bis 10 bar freigegeben.") == "Nein."


def test_answer_text_ignores_source_excerpts() -> None:
    messages = [
        {"type": "text", "text": "Laut Datenblatt: **18–22 Nm** für G1/2."},
        {"type": "products",
         "items": [{"sku": "3S-1208", "name": "Steckverschraubung", "facts": {"Druck max.": "15 bar"}}]},
        {"type": "sources",
         "items": [{"title": "x", "url": "http://h/kb/doc/ds-3s-push-in", "excerpt": "8,90 € netto"}]},
    ]
    text = answer_text(messages)
    assert "18–22 Nm" in text and "15 bar" in text and "8,90" not in text


def test_detours_are_recognised_from_the_i18n_texts() -> None:
    login = [{"type": "text", "text": "Dafür melden Sie sich bitte im Kundenportal an: http://x/portal – danach geht "
                                     "es hier im Chat direkt weiter."}]
    picker = [{"type": "text", "text": "Which article do you need the datasheet for? Please give the article number, "
                                      "e.g. 3S-1208."}]
    answer = [{"type": "text", "text": "Der Mindestbestellwert beträgt 50 € netto."}]
    assert detours_in(login) == ["login"]
    assert detours_in(picker) == ["document_picker"]
    assert detours_in(answer) == []


def test_grading_of_a_silent_question() -> None:
    q = {"facts": [], "forbidden": [[r"720\s*h"]], "docs": [], "not_specified": True}
    honest = grade(q, [{"type": "text", "text": "Das Datenblatt der QC-350 macht dazu keine Angabe."}])
    borrowed = grade(q, [{"type": "text", "text": "Die Kupplung hält 720 h Salzsprühtest."}])
    assert honest["correct"] and honest["honest_not_specified"] and not honest["overclaim"]
    assert not borrowed["correct"] and borrowed["overclaim"]
