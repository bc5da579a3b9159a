"""Which sentence or table row answers the question: the evidence an answer quotes and reads its values from.

A retrieved chunk is a whole section; the answer needs the one unit (sentence or table row, see passages.py) that
states what was asked, about the article that was asked about. Each candidate unit is scored on
- what it says: the property asked for (glossary concepts), the question's words (weighted by rarity, both
  languages), the question's sizes and media, and the embedding similarity computed at index build;
- what it is about: the asked article or series, not a sibling's table row;
- what it is not: catalogue, stock, status, price and successor lines are never the answer to an application
  question (only to a question about exactly those).
Per-unit analysis (folding, tokens, concepts, article numbers) depends only on the index version, so it is done
once per unit and version, like the unit embeddings are.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.retrieval.glossary import Glossary
from assistant.retrieval.models import Hit
from assistant.retrieval.passages import passage_units
from assistant.retrieval.question import Question
from assistant.retrieval.search import Searcher
from assistant.retrieval.tokenize import fold

_SKU_IN_TEXT = re.compile(r"\b[A-Z0-9]{2,5}-\d{3,4}(?:-[0-9A-Z]{1,3})?\b")
# Ordering, stock, status, price and successor information (table headers, row labels, boilerplate lines).
_CATALOGUE_SECTION = re.compile(r"bestellangaben|ordering information|abgekuendigte artikel|discontinued articles")
_CATALOGUE_UNIT = re.compile(
    r"(?:^|; )(?:status|verpackungseinheit|packaging unit|mindestbestellmenge|minimum order quantity|"
    r"nachfolger|successor|listenpreis|list price|lieferzeit|lead time|lagerbestand|stock)\s?:|"
    r"preise, lagerbestand und lieferzeit|prices, stock and lead time|ist abgekuendigt\. nachfolger|"
    r"is discontinued\. successor|\bab lager\b|\bfrom stock\b"
)
# A value: a number standing on its own ("2 bar", "4–5 Nm", "6 × ID", "14 Tage"), not digits inside a code (3SL)
_VALUE = re.compile(r"(?<![\w-])\d+(?:[.,]\d+)?(?![\w-])|\d\s?(?:×|x\b|%|°|nm\b|mm\b|bar\b|m/s)")
_TIME_SPAN = re.compile(
    r"(?<![\d.,])\d+(?:[.,]\d+)?\s?(?:(?:-|–|bis|to)\s?\d+\s?)?(?:arbeitstag\w*|werktag\w*|tag\w*|days?|"
    r"working days?|business days?|"
    r"wochen?|weeks?|monat\w*|months?|jahr\w*|years?|stunden?|hours?|minuten?|minutes?|uhr\b|pm\b|am\b)|"
    r"\b(?:eines|einem|one|same|selben|naechsten|next)\s(?:arbeitstag\w*|werktag\w*|tag\w*|working day|day)"
)
# how often: "Druckprüfung jährlich", "inspect annually", "alle 6 Monate"
_FREQUENCY = re.compile(
    r"\b(?:jaehrlich\w*|halbjaehrlich\w*|monatlich\w*|woechentlich\w*|taeglich\w*|annually|yearly|monthly|weekly|"
    r"daily|alle \d+ (?:jahre|monate|wochen|tage)|every (?:\d+ )?(?:years?|months?|weeks?|days?|shift))\b"
)
_MONEY = re.compile(r"\d\s?(?:€|eur\b)|(?:€|eur)\s?\d")
_COMMERCIAL = frozenset({"lead_time", "price", "successor", "minimum_order", "small_order_surcharge", "min_quantity",
                         "shipping"})
_NUMBER_UNIT = re.compile(
    r"(?<![\w.,])[-−–+]?\d+(?:[.,]\d+)?(?:\s?(?:…|\.\.\.|-|–|bis|to)\s?[-−–+]?\d+(?:[.,]\d+)?)?\s?"
    r"(?:°\s?c|bar|psi|mpa|nm|mm|m/s|m|%|v|w|a|kg|g|h|min|s|tage|arbeitstage|days|working days|shore a|"
    r"×\s?\w+|x\s?\w+|eur|€)?(?![\w])"
)

# A number with its unit of measure
_MEASURE = re.compile(
    r"(?<![\w.,])\d+(?:[.,]\d+)?\s?(?:°\s?c|bar|psi|mpa|nm|mm|m/s|db|dba|db\(a\)|%|kg|kw|hz|shore|µm|um|"
    r"l/min|nl/min|rpm|min-1|1/min)(?![a-z])"
)



def measures_in(text: str) -> list[str]:
    """The measures of a text as written ("20–25 dB(A)", "1,5 bar"), ranges whole."""
    out = []
    for m in _MEASURE_AS_WRITTEN.finditer(text):
        out.append(m.group(0).strip())
    return out


_MEASURE_AS_WRITTEN = re.compile(
    r"(?<![\w.,])[-−]?\d+(?:[.,]\d+)?(?:\s?(?:…|-|–|bis|to)\s?[-−]?\d+(?:[.,]\d+)?)?\s?"
    r"(?:°\s?C|bar|psi|MPa|Nm|mm|m/s|dB\(A\)|dB|%|kg|kW|Hz|Shore\s?[AD]?|µm|l/min|Nl/min|rpm)(?![A-Za-z])"
)


@dataclass(frozen=True)
class UnitFacts:
    folded: str
    tokens: frozenset[str]
    concepts: frozenset[str]
    skus: frozenset[str]
    catalogue: bool
    has_number: bool


@dataclass(frozen=True)
class Unit:
    """One quotable sentence or table row, with where it comes from."""

    text: str
    hit: Hit
    facts: UnitFacts

    @property
    def doc_id(self) -> str:
        return self.hit.doc_id

    @property
    def language(self) -> str:
        return self.hit.language


@dataclass(frozen=True)
class Scored:
    unit: Unit
    score: float
    names_asked: bool  # states a property the question asks for
    about_subject: bool  # about the asked article or series (or in its datasheet and about no other article)
    coverage: float  # share of the question's (rarity-weighted) content words it contains
    cosine: float = 0.0  # embedding similarity of the unit and the question


class Evidence:
    """Unit analysis and scoring for one loaded index version."""

    def __init__(self, searcher: Searcher, glossary: Glossary, datasheets: dict[str, str] | None = None) -> None:
        self.searcher = searcher
        self.glossary = glossary
        self._datasheets = datasheets or {}  # article number -> its datasheet id
        self._facts: dict[str, UnitFacts] = {}
        weights = searcher.bm25.weights
        n = max(1, weights.shape[1])
        df = np.diff(weights.indptr) if weights.shape[0] else np.zeros(0)
        self._idf = {term: math.log(1.0 + n / (1.0 + float(df[i]))) for term, i in searcher.bm25.vocab.items()}
        self._default_idf = math.log(1.0 + n)
        self._units_of: dict[str, list[str]] = {}
        self._chunk_tokens: dict[str, frozenset[str]] = {}
        self._chunk_concepts: dict[str, frozenset[str]] = {}

    # ---------------------------------------------------------------------------------------- analysis
    def facts(self, text: str, section: str = "") -> UnitFacts:
        key = f"{section}\x00{text}"
        found = self._facts.get(key)
        if found is None:
            folded = fold(text)
            concepts = {m.concept for m in self.glossary.mentions(folded)}
            if _MONEY.search(folded):
                concepts.add("price")  # "8,90 € netto": a price, whatever the words around it
            if _TIME_SPAN.search(folded):
                concepts.add("duration")  # "2 Arbeitstage", "within 14 days": a time
            if _FREQUENCY.search(folded):
                concepts.add("frequency")
            found = UnitFacts(
                folded=folded,
                tokens=frozenset(self.searcher.bm25.tokenizer.tokenize(text)),
                concepts=frozenset(concepts),
                skus=frozenset(_SKU_IN_TEXT.findall(text.upper())),
                catalogue=bool(_CATALOGUE_SECTION.search(fold(section)) or _CATALOGUE_UNIT.search(folded)),
                has_number=bool(_VALUE.search(folded)),
            )
            if len(self._facts) < 200_000:
                self._facts[key] = found
        return found

    def units(self, hit: Hit) -> list[Unit]:
        texts = self._units_of.get(hit.text)  # by text: ids of an index built before ids were unique may repeat
        if texts is None:
            texts = passage_units(hit.text)
            if len(self._units_of) < 200_000:
                self._units_of[hit.text] = texts
        section = str(hit.metadata.get("section") or "")
        return [Unit(t, hit, self.facts(t, section)) for t in texts]

    def searcher_datasheet(self, sku: str) -> str | None:
        return self._datasheets.get(sku)

    def chunk_tokens(self, hit: Hit) -> frozenset[str]:
        """The words of a whole chunk with its section heading (where a passage comes from)."""
        found = self._chunk_tokens.get(hit.text)
        if found is None:
            found = frozenset(self.searcher.bm25.tokenizer.tokenize(f"{hit.metadata.get('section', '')} {hit.text}"))
            if len(self._chunk_tokens) < 200_000:
                self._chunk_tokens[hit.text] = found
        return found

    def chunk_concepts(self, hit: Hit) -> frozenset[str]:
        """The glossary concepts of a whole chunk with its title and section heading."""
        key = f"{hit.title}\x00{hit.metadata.get('section', '')}\x00{hit.text}"
        found = self._chunk_concepts.get(key)
        if found is None:
            text = fold(f"{hit.title} {hit.metadata.get('section', '')} {hit.text}")
            found = frozenset(m.concept for m in self.glossary.mentions(text))
            if len(self._chunk_concepts) < 200_000:
                self._chunk_concepts[key] = found
        return found

    def context_concepts(self, unit: Unit) -> frozenset[str]:
        """A unit's concepts with those of its section heading ("Was regelt ein Rahmenvertrag?" › "Festpreise …
        mit Materialteuerungsklausel" is about a framework contract's prices)."""
        section = _last_heading(unit)
        if not section:
            return unit.facts.concepts
        return unit.facts.concepts | self.facts(section).concepts

    def names_series(self, unit: Unit, question: Question) -> bool:
        pattern = _series_pattern(question.series)
        return bool(pattern and pattern.search(unit.facts.folded))

    def idf(self, token: str) -> float:
        return self._idf.get(token, self._default_idf)

    def content_tokens(self, question: Question) -> dict[str, float]:
        """The question's search words with their rarity, minus the words that only name its subject."""
        tokens = self.searcher.bm25.tokenizer.tokenize(question.search_text)
        subject = {fold(s) for s in question.skus} | {s for s in question.series}
        return {t: self.idf(t) for t in tokens if t not in subject and not t.replace("-", "").isdigit()}

    # ---------------------------------------------------------------------------------------- scoring
    def score(self, question: Question, units: list[Unit], qvec: np.ndarray | None) -> list[Scored]:
        weights = self.content_tokens(question)
        total = sum(weights.values()) or 1.0
        asked = set(question.asked)
        commercial_question = bool(asked & _COMMERCIAL)
        subject = set(question.subject_skus)
        series = _series_pattern(question.series)
        sheets = {self.searcher_datasheet(s) for s in question.subject_skus} - {None}
        # numbers of the question, except the short ones that are only part of its article numbers ("08")
        numbers = set(re.findall(r"(?<![\w.,])\d+(?:[.,]\d+)?(?![\w.,])", question.folded)) - {
            n for s in question.subject_skus for n in re.findall(r"\d+", s) if len(n) < 4}
        sizes = {fold(s) for s in question.constraints.sizes}
        vectors = None
        if qvec is not None and units:
            encoder = self.searcher.encoder
            vectors = encoder.encode([u.text for u in units]) @ qvec.reshape(-1)
        out: list[Scored] = []
        for i, unit in enumerate(units):
            f = unit.facts
            heading = self.facts(_last_heading(unit)).tokens if unit.hit.metadata.get("section") else frozenset()
            # the section heading counts too, at less weight: an FAQ's question is its heading
            coverage = sum(w if t in f.tokens else 0.7 * w for t, w in weights.items()
                           if t in f.tokens or t in heading) / total
            names_asked = bool(asked & f.concepts)
            about = _about(unit, subject, series)
            score = 1.2 * coverage + (float(vectors[i]) if vectors is not None else 0.0)
            if names_asked:
                score += 1.0
            if subject:
                score += 0.6 if about else -0.8
            if sizes and any(s in f.folded.replace(" ", "") for s in sizes):
                score += 0.4
            shared = numbers & set(re.findall(r"(?<![\w.,])\d+(?:[.,]\d+)?(?![\w.,])", f.folded))
            if shared:  # "Baugröße 28", "a 3.2 certificate": the unit about the asked size or type
                score += 0.5 if any("." in n or "," in n or len(n) >= 3 for n in shared) else 0.3
            if unit.language == question.language:
                score += 0.15  # the reader's own language, when it says as much
            if sheets and unit.doc_id in sheets:
                score += 0.3  # the article's own datasheet before a use case that mentions it
            if question.asked and f.has_number and question.kind == "value":
                score += 0.15
                if _MEASURE.search(f.folded):
                    score += 0.2  # "um typisch 20–25 dB(A)" states a measure; "DV-520-04 … lowers noise" does not
            if f.catalogue and not commercial_question:
                score -= 2.0
            if len(unit.text) < 25:
                score -= 0.3  # a heading-like fragment says little on its own
            cosine = float(vectors[i]) if vectors is not None else 0.0
            out.append(Scored(unit, round(score, 4), names_asked, about, round(coverage, 4), round(cosine, 4)))
        out.sort(key=lambda s: -s.score)
        return out


def _last_heading(unit: Unit) -> str:
    section = str(unit.hit.metadata.get("section") or "").rsplit("›", 1)[-1].strip()
    return "" if section == unit.hit.title else section


def _series_pattern(series: tuple[str, ...]) -> re.Pattern[str] | None:
    """The series as written in a text: whole words, with or without a space or hyphen between letters and
    digits ("QC-300", "qc 300", "QC300"), so "RV" is not found inside "servo"."""
    if not series:
        return None
    parts = []
    for name in series:
        pieces = re.findall(r"[a-z]+|\d+", name)
        parts.append(r"[\s-]?".join(re.escape(p) for p in pieces))
    return re.compile(rf"(?<![a-z0-9])(?:{'|'.join(parts)})(?![a-z0-9])")


def _about(unit: Unit, subject: set[str], series: re.Pattern[str] | None) -> bool:
    """About the asked articles: names one of them or their series, or sits in a document about them and names
    no other article."""
    if not subject:
        return True
    f = unit.facts
    if f.skus & subject:
        return True
    # "Die Schalldämpfer SD-100 …" names the asked articles' series, not another article
    others = {s for s in f.skus - subject if not any(x.startswith(f"{s}-") for x in subject)}
    if series is not None and series.search(f.folded) and not others:
        return True
    documented = set(unit.hit.metadata.get("products") or [])
    if not (documented & subject) or others:
        return False
    return not _row_of_another_size(unit.text, subject)


def _row_of_another_size(text: str, subject: set[str]) -> bool:
    """A table row whose first cell is a size the asked articles are not ("Baugröße: 38; Nenndrehmoment …" in the
    DK datasheet, asked about DK-024-92): about a sibling, though it names none."""
    if "; " not in text or ": " not in text:
        return False
    first = text.split("; ", 1)[0].split(": ", 1)[-1].strip()
    if not re.fullmatch(r"\d{1,4}", first):
        return False
    parts = {p.lstrip("0") for s in subject for p in re.findall(r"\d+", s)}
    return first.lstrip("0") not in parts


def value_clause(unit: Unit, question: Question, glossary: Glossary) -> str | None:
    """The part of a unit that states the asked value: one table cell, or one clause of a list.

    "Anzugsmoment Gewinde: M5 1–1,5 Nm, G1/8 4–5 Nm, …" asked for G1/8 gives "G1/8 4–5 Nm"; a table row
    "Artikel-Nr.: SV-540-04; …; Max. pressure: 10 bar" asked for the pressure gives "Max. pressure: 10 bar".
    None when the unit as a whole is the answer.
    """
    asked = set(question.asked)
    sizes = {fold(s).replace(" ", "") for s in question.constraints.sizes}
    text = unit.text
    if "; " in text and ": " in text:  # a table row as "header: value" pairs
        cells = [c for c in text.split("; ") if ": " in c]
        chosen = [c for c in cells if glossary.concepts_in(c.split(": ", 1)[0]) & asked]
        if chosen:
            key = cells[0] if cells and cells[0] not in chosen else None
            return "; ".join([*(([key]) if key else []), *chosen])
        return None
    starts_with_asked = (found := glossary.mentions(unit.facts.folded)) and found[0].start <= 2 \
        and found[0].concept in asked
    head, sep, tail = text.partition(": ")
    clauses = [c.strip() for c in re.split(r",\s(?=\S)|;\s", tail if sep else text) if c.strip()]
    if len(clauses) >= 2 and sizes:
        hits = [c for c in clauses if any(s in fold(c).replace(" ", "") for s in sizes)]
        if len(hits) == 1:
            return f"{head}: {hits[0]}" if sep else hits[0]
    if len(clauses) < 2 and sep and glossary.concepts_in(head) & asked and len(tail) <= 120:
        return tail.rstrip(". ")  # "Mindestbiegeradius: 6 × Innendurchmesser." names the property in its head
    if starts_with_asked and len(text) <= 120:
        return text.rstrip(". ")  # "Mindestbetriebsdruck 2 bar (Vorsteuerung)." starts with what was asked
    return None


def numbers_in(text: str) -> list[str]:
    """Values with their unit ("4–5 nm", "2 bar", "6 × innendurchmesser"); bare numbers say nothing alone."""
    return [m.group(0).strip() for m in _NUMBER_UNIT.finditer(fold(text))
            if re.search(r"\d", m.group(0)) and re.search(r"[^\d\s.,…–-]", m.group(0))]


def describe(hit: Hit) -> dict[str, Any]:
    return {"title": hit.title, "doc_id": hit.doc_id, "language": hit.language, "type": hit.doc_type}
