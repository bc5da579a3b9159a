"""Answer-level evaluation (issue 12): what the user reads, not what the retriever found.

Sends every question of tests/eval/answers.yml as an anonymous visitor through ``POST /api/chat`` of the real
stack (Rasa and the app on free loopback ports, a private var dir with its own seeded database and index), one
fresh conversation per question, and grades the reply:

- answer text: the ``text`` messages plus the facts of ``products`` items (never the ``sources`` excerpts);
- facts stated: a fact counts when any of its alternatives (case-insensitive regexes) matches the answer text;
- verdict: the first sentence of the first text message, classified as yes / no / only_if / not_specified / none;
- honest "not specified" for questions the documents do not answer;
- overclaims: a forbidden fact, "yes" where "no"/"only if" was expected or the documents are silent, or "meets all
  requirements" where the expected verdict is not yes;
- detours: a login prompt, handoff form, datasheet picker, price-list prompt, RFQ form question, finder question or
  the fallback instead of an answer (recognised by the texts in assistant/i18n/*.yml);
- hit@5: one of the question's documents among the first five sources shown.

Usage (``make eval`` runs it with no arguments):

    .venv/bin/python tools/answer_eval.py                  # both halves, table + var/eval/answers-*.json
    .venv/bin/python tools/answer_eval.py --split tune --show
    .venv/bin/python tools/answer_eval.py --only a-de-012 --only a-en-040 --show
    .venv/bin/python tools/answer_eval.py --base-url http://127.0.0.1:8000   # against a stack that already runs
    .venv/bin/python tools/answer_eval.py --regrade var/eval/answers-latest.json   # stored replies, edited set
    .venv/bin/python tools/answer_eval.py --project /tmp/old-checkout --label baseline   # another checkout's code

Exit code 0 whatever the scores (targets are reported as met/missed); 1 when the run itself failed (the stack
did not start, or more than a tenth of the turns returned no reply).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SET_FILE = ROOT / "tests" / "eval" / "answers.yml"
KNOWLEDGE = ROOT / "knowledge"
I18N = ROOT / "assistant" / "i18n"
OUT_DIR = ROOT / "var" / "eval"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LANGS = ("de", "en")
KINDS = ("fact", "selection", "suitability", "cross_language", "silent", "multi")
VERDICTS = ("yes", "no", "only_if")

TARGETS = {  # issue 12; met/missed is judged on the frozen half
    "facts_de": 85.0, "facts_en": 85.0, "cross_language": 80.0, "not_specified": 90.0,
    "overclaims": 0, "detours": 0,
}


# ---------------------------------------------------------------------------------------------------- the set

def load_set(path: Path = SET_FILE) -> list[dict[str, Any]]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}  # noqa: S506 - a safe loader
    questions = data.get("questions") or []
    for q in questions:
        q.setdefault("docs", [])
        q["facts"] = q.get("facts") or []
        q["forbidden"] = q.get("forbidden") or []
    return questions


def compile_alternatives(fact: Iterable[str]) -> list[re.Pattern[str]]:
    return [re.compile(alt, re.IGNORECASE) for alt in fact]


# ---------------------------------------------------------------------------------------------------- text

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """One form for documents and replies: NFC, plain spaces, no Markdown emphasis, single spaces."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ").replace("\u00ad", "")
    text = text.replace("**", "").replace("__", "")
    return _SPACES.sub(" ", text).strip()


def matches(fact: Iterable[str], text: str) -> str | None:
    """The first alternative of a fact that matches the text, or None."""
    for alt in fact:
        if re.search(alt, text, re.IGNORECASE):
            return alt
    return None


# ---------------------------------------------------------------------------------------------------- knowledge

@dataclass(frozen=True)
class Doc:
    id: str
    language: str
    translation_of: str | None
    title: str
    text: str  # normalised body (Markdown) or extracted text (PDF-only datasheets)


def _front_matter(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}, text
    _, head, body = text.split("---", 2)
    return yaml.load(head, Loader=_Loader) or {}, body  # noqa: S506 - a safe loader


def _pdf_text(path: Path) -> str:
    import pypdf

    reader = pypdf.PdfReader(str(path))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


@lru_cache(maxsize=1)
def load_documents() -> dict[str, Doc]:
    """Every document of knowledge/: Markdown with front matter, and PDF-only datasheets (text from the PDF)."""
    docs: dict[str, Doc] = {}
    for path in sorted(KNOWLEDGE.rglob("*.md")):
        meta, body = _front_matter(path)
        if "id" not in meta:
            continue
        docs[meta["id"]] = Doc(meta["id"], meta.get("language", ""), meta.get("translation_of"),
                               str(meta.get("title", "")), normalise(f"{meta.get('title', '')}\n{body}"))
    for path in sorted(KNOWLEDGE.rglob("*.meta.yml")):
        meta = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}  # noqa: S506
        pdf = path.with_name(path.name.replace(".meta.yml", ".pdf"))
        if "id" not in meta or not pdf.exists():
            continue
        docs[meta["id"]] = Doc(meta["id"], meta.get("language", ""), meta.get("translation_of"),
                               str(meta.get("title", "")), normalise(_pdf_text(pdf)))
    return docs


@lru_cache(maxsize=1)
def load_catalogue() -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    with (KNOWLEDGE / "products.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["sku"]] = row
    return rows


def catalogue_text(row: dict[str, str]) -> str:
    """A catalogue row as readable text with the units that knowledge/README.md defines for its columns."""
    lead = row["lead_time_days"]
    lead_text = f"{lead} working days / Arbeitstage" + (" (ab Lager / from stock)" if lead == "0" else "")
    parts = [
        row["sku"], row["name_de"], row["name_en"], f"family {row['family']}", f"series {row['series']}",
        row["material"], f"seal {row['seal_material']}", row["connection"], f"size {row['size']}",
        f"{row['temp_min_c']} … {row['temp_max_c']} °C", f"{row['pressure_max_bar']} bar",
        row["certifications"].replace(";", ", "), f"media {row['media'].replace(';', ', ')}",
        f"industries {row['industries'].replace(';', ', ')}", row["status"], f"successor {row['successor_sku']}",
        f"{row['list_price_eur']} EUR / {row['price_unit']}", f"min order {row['min_order_qty']} {row['price_unit']}",
        f"lead time {lead_text}", f"stock {row['stock_qty']}",
    ]
    return normalise(" | ".join(parts))


def source_texts(question: dict[str, Any]) -> dict[str, str]:
    """The texts a question's facts must come from: its documents and the catalogue rows of its named articles."""
    docs, rows = load_documents(), load_catalogue()
    texts: dict[str, str] = {}
    skus = [d.split(":", 1)[1] for d in question["docs"] if d.startswith("product:")]
    if question.get("page_sku"):
        skus.append(question["page_sku"])
    for doc_id in question["docs"]:
        if doc_id in docs:
            texts[doc_id] = docs[doc_id].text
    for sku in skus:
        if sku in rows:
            texts[f"product:{sku}"] = catalogue_text(rows[sku])
    return texts


# ---------------------------------------------------------------------------------------------------- grading

NOT_SPECIFIED = re.compile(
    r"keine?\s+angaben?\b|nicht\s+angegeben|nicht\s+spezifiziert|nicht\s+(?:genannt|dokumentiert|festgelegt|beschrieben)"
    r"|machen\s+keine\s+angabe|nicht\s+an(?:gibt|geben)|(?:nennt|nennen|enthält|enthalten)\s+(?:\w+\s+){0,3}kein"
    r"|dazu\s+(?:steht|finde\s+ich)\s+(?:\w+\s+){0,3}nichts|steht\s+(?:dort|darin|im\s+datenblatt)\s+nicht"
    r"|not\s+specified|do(?:es)?\s*n[o']t\s+specify|no\s+information|not\s+stated|not\s+(?:given|listed|documented)"
    r"|(?:do|does)\s*n[o']t\s+(?:state|say|mention|give|list)|no\s+(?:value|figure|data)\s+(?:is\s+|are\s+)?(?:given|stated)",
    re.IGNORECASE,
)
ONLY_IF = re.compile(
    r"\bnur\s+(?:wenn|bis|mit|bei|kurzzeitig|unter|falls|solange)\b|\bbedingt\b|unter\s+(?:der\s+)?(?:bedingung|voraussetzung)"
    r"|vorausgesetzt|\bsofern\b|\bsolange\b|\bkurzzeitig\b"
    r"|\bonly\s+(?:if|up\s+to|with|when|below|under|briefly|for\s+short)\b|\bprovided\b|\bas\s+long\s+as\b|\bon\s+condition\b"
    r"|\bconditionally\b|\bbriefly\b|\bshort-term\b",
    re.IGNORECASE,
)
NO = re.compile(
    r"nicht\s+(?:geeignet|zulässig|freigegeben|erlaubt|empfohlen|beständig|für|ausgelegt|möglich)|ungeeignet"
    r"|\b(?:darf|dürfen|kann|können|sollte|sollten)\s+(?:\w+\s+){0,3}nicht\b|\bkeine?\s+(?:eignung|freigabe)\b"
    r"|\bzu\s+(?:schwach|gering|niedrig|hoch)\b|reicht\s+nicht"
    r"|not\s+(?:suitable|recommended|approved|allowed|permitted|rated|resistant|for|possible|designed)\b|unsuitable"
    r"|\bcannot\b|\bcan't\b|must\s+not|should\s+not|do\s+not\s+use|too\s+(?:weak|low|high)|not\s+enough",
    re.IGNORECASE,
)
YES = re.compile(
    r"geeignet|eignet\s+sich|freigegeben|\bpasst\b|\b(?:kann|können)\s+(?:\w+\s+){0,3}(?:eingesetzt|verwendet|genutzt|nehmen)"
    r"|\bsuitable\b|\bis\s+rated\b|\bapproved\b|\bworks\b|can\s+be\s+used|\byou\s+can\b|\bok(?:ay)?\b",
    re.IGNORECASE,
)
LEADING_NO = re.compile(r"^\W*(?:nein|no|leider\s+nein|unfortunately\s+(?:not|no))\b", re.IGNORECASE)
LEADING_YES = re.compile(r"^\W*(?:ja|yes|jawohl|klar|sure|yep|certainly)\b", re.IGNORECASE)
ALL_MET = re.compile(
    r"erfüll\w*\s+alle|alle\s+(?:ihre\s+)?(?:angaben|anforderungen)\s+(?:werden\s+)?erfüllt"
    r"|pass(?:t|en)\s+zu\s+allen|meets?\s+(?:all|every)|fulfils?\s+(?:all|every)|satisf(?:y|ies)\s+(?:all|every)",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(?:kein\w*|nicht|nichts|no|none|not|nothing)\b", re.IGNORECASE)


def claims_all_met(text: str) -> bool:
    """'These articles meet all your requirements' – but not 'no article meets all requirements'."""
    for m in ALL_MET.finditer(text):
        start = max(text.rfind(c, 0, m.start()) for c in ".!?:\n")
        if not _NEGATION.search(text[start + 1:m.start()]):
            return True
    return False


_ABBREVIATIONS = re.compile(
    r"\b(?:max|min|ca|bzw|inkl|zzgl|ggf|evtl|Nr|Gr|Art|approx|incl|no|vs|e\.g|i\.e|z\.\s?B|u\.\s?a|d\.\s?h)\.",
    re.IGNORECASE,
)


def first_sentence(text: str) -> str:
    text = text.strip().split("\n", 1)[0]
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", "\0"), text)
    head = re.split(r"(?<=[.!?:])\s+(?=[„\"'(A-ZÄÖÜ0-9])", protected, maxsplit=1)[0]
    return head.replace("\0", ".").strip()


def classify_verdict(sentence: str) -> str:
    """yes / no / only_if / not_specified / none for the opening sentence of a reply."""
    s = normalise(sentence)
    if not s:
        return "none"
    if NOT_SPECIFIED.search(s):
        return "not_specified"
    if LEADING_NO.search(s):
        return "no"
    if LEADING_YES.search(s):
        return "only_if" if ONLY_IF.search(s) else "yes"
    if ONLY_IF.search(s):
        return "only_if"
    if NO.search(s):
        return "no"
    if YES.search(s):
        return "yes"
    return "none"


DETOUR_KEYS = {
    "login": [("core", "login_required"), ("core", "identity_unverified"), ("core", "role_missing")],
    "handoff": [("handoff", k) for k in ("handoff_ask_name", "handoff_ask_contact", "handoff_ask_phone",
                                         "handoff_ask_topic", "handoff_ask_topic_suggested", "handoff_ask_time",
                                         "handoff_topic_owned")],
    "document_picker": [("orders", k) for k in ("orders_docs_datasheet_ask", "orders_docs_ask",
                                                "orders_docs_certificate_ask")],
    "price_list": [("orders", k) for k in ("orders_prices_ask", "orders_prices_intro_anonymous",
                                           "orders_prices_intro")],
    "orders": [("orders", k) for k in ("orders_which", "orders_reorder_which", "orders_quick_ask")],
    "rfq": [("rfq", k) for k in ("rfq_ask_items", "rfq_ask_qty", "rfq_ask_details", "rfq_ask_company",
                                 "rfq_ask_contact", "rfq_ask_email", "rfq_ask_country", "rfq_resume")],
    "finder_question": [("finder", k) for k in ("finder_ask_family", "finder_ask_medium", "finder_ask_temperature",
                                                "finder_ask_pressure", "finder_ask_size", "finder_ask_material",
                                                "finder_ask_certification")],
    "fallback": [("core", "fallback"), ("core", "out_of_scope"), ("knowledge", "knowledge_ask_question")],
}


def _template_regex(text: str) -> str:
    parts = re.split(r"\{[a-z_]+\}", normalise(text))
    return ".+?".join(re.escape(p) for p in parts)


def use_texts_of(project: Path) -> None:
    """Recognise detours by the i18n texts of the checkout under test (they may differ from this one's)."""
    global I18N
    if (project / "assistant" / "i18n").is_dir():
        I18N = project / "assistant" / "i18n"
        detour_patterns.cache_clear()


@lru_cache(maxsize=1)
def detour_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """(kind, regex) for every prompt that takes a visitor out of the answer, in both languages."""
    files: dict[str, dict[str, Any]] = {}
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for kind, keys in DETOUR_KEYS.items():
        for file, key in keys:
            if file not in files:
                path = I18N / f"{file}.yml"
                files[file] = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
            entry = files[file].get(key)
            if not isinstance(entry, dict):
                continue
            for lang in LANGS:
                if isinstance(entry.get(lang), str):
                    patterns.append((kind, re.compile(_template_regex(entry[lang]), re.IGNORECASE)))
    return patterns


def detours_in(messages: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for m in messages:
        if m.get("type") not in ("text", "buttons") or not m.get("text"):
            continue
        text = normalise(m["text"])
        for kind, pattern in detour_patterns():
            if pattern.search(text) and kind not in found:
                found.append(kind)
    return found


def answer_text(messages: list[dict[str, Any]]) -> str:
    """What the user reads as the answer: text messages and product facts, not source excerpts."""
    parts: list[str] = []
    for m in messages:
        if m.get("type") == "text" and m.get("text"):
            parts.append(m["text"])
        elif m.get("type") == "products":
            for item in m.get("items") or []:
                facts = item.get("facts") or {}
                parts.append(" ".join([str(item.get("sku", "")), str(item.get("name", ""))]
                                      + [f"{k}: {v};" for k, v in facts.items()]))
    return normalise("\n".join(parts))


@lru_cache(maxsize=1)
def _titles() -> dict[str, str]:
    return {normalise(d.title).lower(): d.id for d in load_documents().values() if d.title}


def source_ids(messages: list[dict[str, Any]], limit: int = 5) -> list[str]:
    """Document ids of the first sources shown (by URL /kb/doc/<id> or /shop/p/<sku>, else by title)."""
    ids: list[str] = []
    for m in messages:
        if m.get("type") != "sources":
            continue
        for item in m.get("items") or []:
            url, title = str(item.get("url") or ""), normalise(str(item.get("title") or "")).lower()
            found = re.search(r"/kb/doc/([a-z0-9-]+)", url)
            product = re.search(r"/shop/p/([A-Za-z0-9-]+)", url)
            if found:
                ids.append(found.group(1))
            elif product:
                ids.append(f"product:{product.group(1)}")
            elif title in _titles():
                ids.append(_titles()[title])
            else:
                ids.append(url or title)
    return ids[:limit]


def first_text(messages: list[dict[str, Any]]) -> str:
    for m in messages:
        if m.get("type") == "text" and m.get("text"):
            return str(m["text"])
    return ""


def grade(question: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    text = answer_text(messages)
    stated = [matches(f, text) is not None for f in question["facts"]]
    forbidden = [f[0] for f in question["forbidden"] if matches(f, text)]
    verdict = classify_verdict(first_sentence(first_text(messages)))
    expected = question.get("verdict")
    silent = bool(question.get("not_specified"))
    honest = bool(NOT_SPECIFIED.search(text)) and not forbidden if silent else None
    all_met = claims_all_met(text)
    reasons: list[str] = []
    if forbidden:
        reasons.append("forbidden fact")
    if verdict == "yes" and (expected in ("no", "only_if") or silent):
        reasons.append("yes where the documents do not support it")
    if all_met and ((expected is not None and expected != "yes") or silent):
        reasons.append("'meets all requirements'")
    detours = detours_in(messages)
    facts_ok = all(stated)
    correct = facts_ok and not forbidden and not detours
    if expected is not None:
        correct = correct and verdict == expected
    if silent:
        correct = correct and bool(honest) and not reasons
    shown = source_ids(messages)
    return {
        "facts_stated": sum(stated), "facts_total": len(stated),
        "fact_share": (sum(stated) / len(stated)) if stated else None,
        "missing_facts": [f[0] for f, ok in zip(question["facts"], stated, strict=True) if not ok],
        "forbidden_stated": forbidden,
        "verdict": verdict, "verdict_expected": expected,
        "verdict_correct": (verdict == expected) if expected is not None else None,
        "honest_not_specified": honest,
        "overclaim": bool(reasons), "overclaim_reasons": reasons,
        "detours": detours,
        "hit5": (any(d in shown for d in question["docs"]) if question["docs"] else None),
        "sources": shown,
        "correct": correct,
    }


# ---------------------------------------------------------------------------------------------------- summary

def _pct(values: list[bool | float]) -> float | None:
    return round(100.0 * sum(values) / len(values), 1) if values else None


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[idx], 1)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    g = [r["grade"] for r in rows]
    answerable = [x for x in g if x["facts_total"]]
    latencies = [r["latency_ms"] for r in rows if r.get("latency_ms") is not None]
    return {
        "n": len(rows),
        "facts_pct": _pct([x["fact_share"] for x in answerable]),
        "all_facts_pct": _pct([x["facts_stated"] == x["facts_total"] and not x["forbidden_stated"]
                               for x in answerable]),
        "correct_pct": _pct([x["correct"] for x in g]),
        "verdict_pct": _pct([x["verdict_correct"] for x in g if x["verdict_correct"] is not None]),
        "not_specified_pct": _pct([x["honest_not_specified"] for x in g if x["honest_not_specified"] is not None]),
        "overclaims": sum(x["overclaim"] for x in g),
        "detours": sum(bool(x["detours"]) for x in g),
        "hit5_pct": _pct([x["hit5"] for x in g if x["hit5"] is not None]),
        "p50_ms": _quantile(latencies, 0.5), "p95_ms": _quantile(latencies, 0.95),
    }


def breakdown(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in ("tune", "frozen", "all"):
        part = [r for r in rows if split == "all" or r["split"] == split]
        if not part:
            continue
        table: dict[str, Any] = {}
        for lang in (*LANGS, "all"):
            for kind in (*KINDS, "all"):
                cell = [r for r in part
                        if (lang == "all" or r["lang"] == lang) and (kind == "all" or r["kind"] == kind)]
                if cell:
                    table[f"{lang}/{kind}"] = summarise(cell)
        kinds: dict[str, int] = defaultdict(int)
        for r in part:
            for kind in r["grade"]["detours"]:
                kinds[kind] += 1
        out[split] = {"table": table, "targets": targets(part), "detour_kinds": dict(sorted(kinds.items()))}
    return out


def targets(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def answerable(lang: str) -> list[bool]:
        return [r["grade"]["facts_stated"] == r["grade"]["facts_total"] and not r["grade"]["forbidden_stated"]
                for r in rows if r["lang"] == lang and r["grade"]["facts_total"] and r["kind"] != "silent"]

    measured = {
        "facts_de": _pct(answerable("de")),
        "facts_en": _pct(answerable("en")),
        "cross_language": _pct([r["grade"]["correct"] for r in rows if r["kind"] == "cross_language"]),
        "not_specified": _pct([r["grade"]["honest_not_specified"] for r in rows if r["kind"] == "silent"]),
        "overclaims": sum(r["grade"]["overclaim"] for r in rows),
        "detours": sum(bool(r["grade"]["detours"]) for r in rows),
    }
    result = {}
    for key, goal in TARGETS.items():
        value = measured[key]
        met = (value is not None and value >= goal) if key not in ("overclaims", "detours") else value <= goal
        result[key] = {"value": value, "target": goal, "met": bool(met)}
    return result


def _fmt(value: Any) -> str:
    return "–" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))


def print_report(report: dict[str, Any]) -> None:
    cols = ("n", "facts_pct", "correct_pct", "verdict_pct", "not_specified_pct", "overclaims", "detours", "hit5_pct",
            "p50_ms", "p95_ms")
    heads = ("n", "facts%", "correct%", "verdict%", "notspec%", "overcl", "detour", "hit@5%", "p50ms", "p95ms")
    for split, part in report["splits"].items():
        if split == "all":
            continue
        print(f"\n== {split} half")
        print(f"{'lang/kind':22}" + "".join(f"{h:>9}" for h in heads))
        for key, row in part["table"].items():
            print(f"{key:22}" + "".join(f"{_fmt(row[c]):>9}" for c in cols))
        print("targets:")
        for key, t in part["targets"].items():
            op = "<=" if key in ("overclaims", "detours") else ">="
            print(f"  {key:16} {_fmt(t['value']):>7}  (target {op} {t['target']})  {'met' if t['met'] else 'MISSED'}")
        if part.get("detour_kinds"):
            print("detours by kind: " + ", ".join(f"{k} {n}" for k, n in part["detour_kinds"].items()))


def print_failure(row: dict[str, Any]) -> None:
    g = row["grade"]
    page = f" page {row['page_sku']}" if row.get("page_sku") else ""
    print(f"\n--- {row['id']} [{row['lang']}/{row['kind']}/{row['split']}]{page}")
    print(f"Q: {row['q']}")
    for m in row.get("messages") or []:
        if m.get("type") in ("text", "buttons") and m.get("text"):
            print(f"  [{m['type']}] {m['text']}")
        elif m.get("type") == "products":
            for item in m.get("items") or []:
                print(f"  [product] {item.get('sku')} {item.get('facts')}")
        elif m.get("type") in ("sources", "documents"):
            names = (str(i.get("url", "")).rsplit("/", 1)[-1] for i in m.get("items") or [])
            print(f"  [{m['type']}] " + ", ".join(names))
    if row.get("error"):
        print(f"  ERROR {row['error']}")
    print(f"  facts {g['facts_stated']}/{g['facts_total']} missing={g['missing_facts']}"
          f" forbidden={g['forbidden_stated']}")
    print(f"  verdict {g['verdict']} (expected {g['verdict_expected']})  not-specified={g['honest_not_specified']}"
          f"  overclaim={g['overclaim_reasons']}  detours={g['detours']}  hit@5={g['hit5']} sources={g['sources']}")


# ---------------------------------------------------------------------------------------------------- running

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_stack(var_dir: Path, project: Path = ROOT) -> Any:
    """The real stack as tests/stack.py starts it, on free loopback ports, with its own var dir, DB and index.

    ``project`` is the checkout whose code runs (default: this one), e.g. an exported older commit for a baseline.
    """
    if var_dir.exists():
        shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True)
    port = _free_port()
    os.environ.update({
        "ASSISTANT_VAR_DIR": str(var_dir),
        "ASSISTANT_PROFILE": os.environ.get("ASSISTANT_PROFILE", "development"),
        "ASSISTANT_PORT": str(port),
        "ASSISTANT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ASSISTANT_PORTAL_URL": f"http://127.0.0.1:{port}/portal",
        "ASSISTANT_RASA_URL": f"http://127.0.0.1:{_free_port()}",
    })
    for args in (("db", "upgrade"), ("demo", "seed", "--if-empty"), ("kb", "build")):
        subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=project, check=True,
                       stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(project))
    from assistant.runner import Stack
    from assistant.settings import Settings

    stack = Stack(settings=Settings(), extra_env={"ASSISTANT_RATE_LIMIT_PER_MINUTE": "100000"})
    stack.start()
    return stack


def ask(client: Any, base_url: str, question: dict[str, Any]) -> tuple[list[dict[str, Any]], float, str | None]:
    body: dict[str, Any] = {"message": question["q"], "locale": question["lang"]}
    if question.get("page_sku"):
        body["context"] = {"sku": question["page_sku"]}
    started = time.perf_counter()
    try:
        response = client.post(f"{base_url}/api/chat", json=body)
    except Exception as exc:
        return [], (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}"
    latency = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        return [], latency, f"HTTP {response.status_code}: {response.text[:200]}"
    return list(response.json().get("messages") or []), latency, None


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version(),
                            "cpus": os.cpu_count()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = re.search(r"Model name:\s*(.+)", lscpu)
        info["cpu"] = model.group(1).strip() if model else None
    except OSError:
        info["cpu"] = None
    try:
        info["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        info["loadavg"] = None
    return info


def _git_commit(project: Path) -> str | None:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=project, capture_output=True, text=True,
                          check=False)
    return head.stdout.strip() or None


def run_questions(questions: list[dict[str, Any]], base_url: str) -> list[dict[str, Any]]:
    import httpx

    rows: list[dict[str, Any]] = []
    with httpx.Client(timeout=60) as client:
        for q in questions:
            messages, latency, error = ask(client, base_url, q)
            rows.append({**{k: q.get(k) for k in ("id", "q", "lang", "kind", "split", "page_sku", "docs")},
                         "latency_ms": round(latency, 1) if not error else None, "error": error,
                         "messages": messages, "grade": grade(q, messages)})
    return rows


def regrade(path: Path, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The replies of an earlier run, graded against the current set (questions no longer in it are dropped)."""
    stored = {r["id"]: r for r in json.loads(path.read_text(encoding="utf-8"))["results"]}
    rows = []
    for q in questions:
        old = stored.get(q["id"])
        if old is not None:
            rows.append({**old, **{k: q.get(k) for k in ("q", "lang", "kind", "split", "page_sku", "docs")},
                         "grade": grade(q, old.get("messages") or [])})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--split", choices=("tune", "frozen", "all"), default="all")
    parser.add_argument("--only", action="append", default=[], help="question id (repeatable, or comma-separated)")
    parser.add_argument("--show", action="store_true", help="print question, reply and grading for every miss")
    parser.add_argument("--base-url", help="use a stack that already runs instead of starting one")
    parser.add_argument("--project", type=Path, default=ROOT,
                        help="checkout whose code runs the stack (default: this one)")
    parser.add_argument("--regrade", type=Path, metavar="JSON",
                        help="grade the replies stored in an earlier run's JSON again (no stack)")
    parser.add_argument("--set", type=Path, default=SET_FILE)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--label", default="", help="a name for this run, kept in the JSON (e.g. 'baseline')")
    args = parser.parse_args(argv)

    questions = load_set(args.set)
    only = {i.strip() for chunk in args.only for i in chunk.split(",") if i.strip()}
    questions = [q for q in questions
                 if (args.split == "all" or q["split"] == args.split) and (not only or q["id"] in only)]
    if not questions:
        print("no questions selected", file=sys.stderr)
        return 1

    started = time.monotonic()
    load_before = machine()["loadavg"]
    use_texts_of(args.project.resolve())
    if args.regrade:
        rows = regrade(args.regrade, questions)
    else:
        stack = None
        try:
            if args.base_url:
                base_url = args.base_url.rstrip("/")
            else:
                print(f"== starting the stack ({args.project}, private var dir {args.out / 'stack'})", flush=True)
                stack = start_stack(args.out / "stack", args.project.resolve())
                base_url = stack.app_url
            rows = run_questions(questions, base_url)
        except Exception as exc:
            print(f"answer eval run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        finally:
            if stack is not None:
                stack.stop()

    errors = sum(1 for r in rows if r.get("error"))
    report = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "label": args.label,
        "commit": _git_commit(args.project),
        "project": str(args.project.resolve()),
        "machine": {**machine(), "loadavg_at_start": load_before},
        "set": str(args.set),
        "regraded_from": str(args.regrade) if args.regrade else None,
        "questions": len(rows), "errors": errors, "seconds": round(time.monotonic() - started, 1),
        "splits": breakdown(rows),
        "results": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out_file = args.out / f"answers-{stamp}.json"
    for path in (out_file, args.out / "answers-latest.json"):
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")

    print(f"\nanswer eval: {len(rows)} questions, {errors} errors, {report['seconds']} s; results in {out_file}")
    print_report(report)
    if args.show:
        for row in rows:
            if not row["grade"]["correct"]:
                print_failure(row)
    if errors > len(rows) / 10:
        print(f"answer eval run failed: {errors} of {len(rows)} turns returned no reply", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
