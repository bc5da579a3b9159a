"""From a question to an answer for one loaded index version: search, evidence, checks, composition.

One `Answerer` per index version holds what depends only on the version (the catalogue view, the per-unit
analysis); `answer()` does the per-question work: parse once, search once per part (plus once in the subject's
own documents), choose the evidence, check suitability or match products, and compose the reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from assistant.retrieval.answer import (
    PartAnswer,
    Quote,
    catalogue_answer,
    catalogue_facts,
    compose,
    dense_threshold,
    general_answer,
    merge,
    no_answer,
    not_specified_answer,
    selection_answer,
    value_answer,
    verdict_answer,
    with_verdict,
)
from assistant.retrieval.constraints import Constraints, ProductMatch, match_products
from assistant.retrieval.evidence import _COMMERCIAL, Evidence, Scored, Unit
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.index import LoadedIndex
from assistant.retrieval.models import Chunk, Hit, KnowledgeAnswer, Product
from assistant.retrieval.question import (
    MEDIA_CONCEPTS,
    PRODUCT_KINDS,
    Catalogue,
    Question,
    kind_of,
    parse_question,
)
from assistant.retrieval.suitability import _CLAUSE, _NEGATIVE, Verdict, check, statement_kind
from assistant.retrieval.tokenize import fold

QUOTABLE = ("datasheet", "use_case", "faq", "guide", "certificate")
MIN_COVERAGE = 0.34  # a general question: this share of its rarity-weighted words in the chosen passage
MIN_VALUE_SCORE = 0.9  # a value question: the chosen passage names the property and scores at least this
# "Welchen Biegeradius …", "wie hoch …", "what is the …", "how much …": a value is asked, so a sentence that
# names the property without a number does not answer it.
_HOW_MUCH = re.compile(
    r"^(?:\W*)(?:welche[nmrs]?|wie (?:hoch|gross|viel|viele|lange|weit|schnell|oft|fein|stark|klein)|wieviel\w*|"
    r"was ist (?:der|die|das)|what(?:'s| is| are)|how (?:much|many|long|high|fast|often|far|big|small)|which|max|min)"
)
_YES_NO = re.compile(r"^(?:\W*)(?:is|are|can|could|does|do|ist|sind|kann|gibt es|is there|are there|hat|haben)\b")
_POLAR_START = re.compile(
    r"^(?:\W*)(?:will|would|has|have|may|darf|duerfen|gibt es|bekomme|bekommt|bekommen|get|gets|haelt|geht|passt|"
    r"muss|muessen|must|need|needs|brauche|brauchen|gilt|gelten|faellt|fallen|wird|werden|zahle|zahlen|liefern|"
    r"liefert|bieten|bietet|versenden|akzeptieren|nehmen|unterstuetzen|unterstuetzt)\b"
)
_EXCLUDES = re.compile(
    r"\b(?:nicht|not|cannot|can't|kein\w*|no|ausgeschlossen|excluded|exceptions?|ausnahmen?)\b|ausgeschlossen"
)
_EXCEPTION_WORDS = re.compile(r"\b(?:ausnahme\w*|exception\w*|ausgeschlossen|excluded|exclusions?)\b")
_CONDITIONAL_WORDS = re.compile(
    r"\b(?:nur wenn|nur bei|nur falls|only if|only when|sofern|provided that|unless|ausser wenn|anpassung nur)\b"
)
_HOW_TO = re.compile(
    r"^(?:\W*)(?:wie (?!hoch|gross|viel|lange|weit|schnell|oft|fein|stark|klein)|how (?:do|to|should|can))"
)
QUANTITIES = frozenset({
    "temperature", "pressure", "min_pressure", "burst_pressure", "vacuum", "torque", "rated_torque", "bend_radius",
    "insertion_depth", "tolerance", "surface_speed", "speed_limit", "hardness", "voltage", "load_rating",
    "opening_pressure", "filtration", "noise", "roughness", "power", "switching_cycles", "switching_frequency",
    "squeeze", "lead_time", "minimum_order", "small_order_surcharge", "min_quantity", "dimensions", "inner_diameter",
    "outer_diameter", "weight", "rate_limit", "service_factor", "protection_class",
})
# Number-like words: "24", "92er", "6206", "2rs", "t10", "8m" (not "mm" values' units).
_MARK = re.compile(r"(?<![a-z0-9])(?=[a-z]{0,3}\d)[a-z0-9]{1,8}(?![a-z0-9])")
# A sentence that refers to the one before it.
_REFERS_BACK = re.compile(
    r"^(?:danach|darunter|darueber|dafuer|dabei|dazu|daher|deshalb|sonst|andernfalls|ausserdem|zusaetzlich|"
    r"nachtraeglich|ausnahme|after that|afterwards|below that|above that|otherwise|in addition|also|this|these|"
    r"that|it|they|dies|diese|dieser|das|sie|er|es)\b"
)


_WITHOUT = re.compile(r"\b(?:ohne|without|no need for|nicht erforderlich|not required|not needed|nicht noetig)\b")


def _without(folded: str, concept: str, glossary: Glossary) -> bool:
    """The sentence says the asked thing is not needed: "ohne Login", "without an account"."""
    return any(m.concept == concept and _WITHOUT.search(folded[max(0, m.start - 24):m.start])
               for m in glossary.mentions(folded))


def _every_mention_negated(folded: str, concept: str, glossary: Glossary) -> bool:
    """Each clause that names the concept negates it ("isolating barrier not included"); a sentence that names it
    once plainly and once negated ("Bei Reklamationen … wenn die Rücksendung nicht …") decides nothing."""
    bounds = [0, *[m.end() for m in _CLAUSE.finditer(folded)], len(folded)]
    spans = [m.start for m in glossary.mentions(folded) if m.concept == concept]
    return bool(spans) and all(
        _NEGATIVE.search(folded[max(b for b in bounds if b <= start):min(b for b in bounds if b > start)])
        for start in spans)


# A number with a unit or a clock time, as two sentences about one limit both write it ("3:00 pm", "15 uhr", "10 bar")
_LIMIT_NUMBER = re.compile(r"\b\d+(?:[.,:]\d+)?\s?(?:pm|am|uhr|bar|°c|%|eur|€|tage|days|arbeitstage|working days)")


def _said_once(answers: list[PartAnswer]) -> list[PartAnswer]:
    """Two parts of a message answered by the same sentences ("Which CAD formats …, and do I need an account?"):
    the quote once, with the later part's yes or no if it has one."""
    kept: list[PartAnswer] = []
    for a in answers:
        quoted = {q.text for q in a.quotes}
        same = next((i for i, k in enumerate(kept) if (quoted and quoted <= {q.text for q in k.quotes})
                     or (a.lead and a.lead == k.lead)), None)
        if same is None:
            kept.append(a)
        elif a.verdict and not kept[same].verdict and quoted == {q.text for q in kept[same].quotes}:
            kept[same] = a
    return kept


class Answerer:
    def __init__(self, loaded: LoadedIndex, embedder_name: str) -> None:
        self.loaded = loaded
        self.searcher = loaded.searcher
        self.glossary = loaded.glossary
        self.catalogue = Catalogue.of(loaded.products)
        self.evidence = Evidence(loaded.searcher, loaded.glossary,
                                 {sku: p.datasheet_id for sku, p in loaded.products.items()})
        self.threshold = dense_threshold(embedder_name)
        self._kind_cache: dict[str, frozenset[str]] = {}
        self._chunks_of: dict[str, list[Hit]] = {}
        for chunk in loaded.searcher.chunks:
            if chunk.doc_type != "product":
                self._chunks_of.setdefault(chunk.doc_id, []).append(_as_hit(chunk))

    def parse(self, text: str, language: str, page_sku: str | None = None) -> Question:
        return parse_question(text, language, self.glossary, self.catalogue, page_sku)

    def answer(
        self, text: str, language: str, page_sku: str | None,
        url_for_product: Callable[[str], str], url_for_doc: Callable[[str], str | None],
    ) -> KnowledgeAnswer:
        lang = "en" if language == "en" else "de"
        question = self.parse(text, lang, page_sku)
        encoder = self.searcher.encoder
        parts = question.parts or (question,)
        vectors = encoder.encode([f"{p.context} {p.text}".strip() for p in parts])
        answers: list[PartAnswer] = []
        all_hits: list[Hit] = []
        top = 0.0
        for part, vector in zip(parts, vectors, strict=True):
            hits = self._search(part, vector)
            all_hits.extend(h for h in hits if h.chunk_id not in {x.chunk_id for x in all_hits})
            top = max([top, *(float(h.metadata.get("dense_score") or 0.0) for h in hits if h.doc_type != "product")])
            said = frozenset(q.text for a in answers for q in a.quotes)
            answers.append(self._answer_part(part, hits, vector, lang, said))
        return compose(_said_once(answers), lang, url_for_product, url_for_doc, round(top, 4), tuple(all_hits))

    # ------------------------------------------------------------------------------------------- search
    def _search(self, question: Question, vector: np.ndarray) -> list[Hit]:
        hits = self.searcher.search(question.search_text, k=10, vector=vector.reshape(1, -1))
        # the words alone as well: in the fused ranking the first ten by meaning outrank the best by words, and
        # a question full of the glossary's terms ("Standard-Zahlungsziel") is best found by them
        seen_chunks = {h.chunk_id for h in hits}
        hits += [h for h in self.searcher.search(question.search_text, k=5, mode="bm25")
                 if h.chunk_id not in seen_chunks]
        if question.subject_skus:
            own = self.searcher.search(
                question.search_text, k=12, vector=vector.reshape(1, -1),
                filters={"sku": list(question.subject_skus), "doc_type": QUOTABLE},
            )
            seen = {h.chunk_id for h in own}
            hits = own + [h for h in hits if h.chunk_id not in seen]
        return hits

    def _units(self, hits: list[Hit]) -> list[Unit]:
        return [u for h in hits if h.doc_type != "product" for u in self.evidence.units(h)]

    def _statements(self, articles: list[Product]) -> list[Unit]:
        """Every unit of the articles' datasheets: the limits, notes and lists a suitability check reads, except
        those about a sibling on the same sheet ("RV-100 nicht für Dampf" says nothing about the RV-300)."""
        ids = {p.datasheet_id for p in articles}
        units = self._units([h for doc in sorted(ids) for h in self._chunks_of.get(doc, [])])
        own = {_prefix(p.sku) for p in articles}
        siblings = {_prefix(p.sku) for p in self.loaded.products.values() if p.datasheet_id in ids} - own
        if not siblings:
            return units
        others, mine = _prefix_pattern(siblings), _prefix_pattern(own)
        return [u for u in units if not others.search(u.facts.folded) or mine.search(u.facts.folded)]

    # ------------------------------------------------------------------------------------------- parts
    def _articles(self, question: Question) -> list[Product]:
        products = [self.loaded.products[s] for s in question.subject_skus if s in self.loaded.products]
        active = [p for p in products if p.active]
        return active if active and not question.skus else products

    def _answer_part(
        self, question: Question, hits: list[Hit], vector: np.ndarray, lang: str, said: frozenset[str] = frozenset(),
    ) -> PartAnswer:
        """``said``: sentences an earlier part of the message quoted; a follow-up ("…, und wie lange läuft
        sowas?") that carries that part's topic is answered by another sentence."""
        if question.kind in ("value", "general") and not question.has_subject:
            identified = self._identified(question) or self._named(question)
            if identified:  # "Welchen Biegeradius hat der PA12-Schlauch 10 mm?" is about one article
                skus = tuple(p.sku for p in identified)
                question = replace(question, subject_skus=skus, skus=skus if len(skus) <= 3 else ())
                question = replace(question, kind=kind_of(question, True))  # "Sind EPDM-O-Ringe FDA-konform?"
                hits = self._search(question, vector)
        units = self._units(hits)
        if question.context and said:
            units = [u for u in units if u.text not in said]
        scored = self.evidence.score(question, units, vector)
        if question.kind == "suitability":
            articles = self._articles(question)
            verdict = check(question, articles, self._statements(articles), self.glossary)
            sources = self._sources(scored, [c.evidence for c in verdict.checks if c.evidence], articles)
            return verdict_answer(question, verdict, self.glossary, sources, lang, self._alternatives(question,
                                                                                                    verdict))
        if question.kind == "selection":
            identified = (self._identified(question) or self._named(question)) if question.cue else []
            if identified:  # "Kann ich EPDM-O-Ringe mit Hydrauliköl verwenden?" is about one series
                verdict = check(question, identified, self._statements(identified), self.glossary)
                sources = self._sources(scored, [c.evidence for c in verdict.checks if c.evidence], identified)
                return verdict_answer(question, verdict, self.glossary, sources, lang,
                                      self._alternatives(question, verdict))
            return self._selection(question, scored, lang)
        return self._value_or_general(question, scored, hits, lang)

    def _alternatives(self, question: Question, verdict: Verdict) -> tuple[Product, ...]:
        """After a "no": articles of the same kind whose catalogue row and datasheet pass every condition (the
        RV-300 in stainless steel where the brass RV-100 is not for steam)."""
        if verdict.verdict != "no" or not verdict.articles:
            return ()
        first = verdict.articles[0]
        kinds = self._kinds(first)
        asked = {p.sku for p in verdict.articles}
        pool = [p for p in self.loaded.products.values() if p.active and p.sku not in asked
                and p.family == first.family and self._kinds(p) == kinds]
        found: list[Product] = []
        for sheet in dict.fromkeys(p.datasheet_id for p in pool):
            same = [p for p in pool if p.datasheet_id == sheet]
            if check(question, same, self._statements(same), self.glossary).verdict == "yes":
                found.extend(same[:2])
            if len(found) >= 2:
                break
        return tuple(found[:2])

    def _identified(self, question: Question) -> list[Product]:
        """The articles a suitability question names by kind and material ("EPDM-O-Ringe", "Edelstahl-
        Kugelhahn"), when they are few datasheets' worth; the rest of its conditions are then checked."""
        c = question.constraints
        if not c.families or not (c.materials or c.seal_materials or (c.sizes and question.kind != "selection")):
            return []
        # for a value question, a medium in the name ("Dampfschlauch DN25") says which article is meant too
        identity = Constraints(families=c.families, materials=c.materials, seal_materials=c.seal_materials,
                               sizes=c.sizes if question.kind != "selection" else frozenset(),
                               media=c.media if question.kind != "selection" else frozenset())
        found = [m.product for m in match_products(identity, self.loaded.products.values()) if m.fits]
        found = self.of_kind(question, found)
        active = [p for p in found if p.active] or found
        return active if active and len({p.datasheet_id for p in active}) <= 2 else []

    def _named(self, question: Question) -> list[Product]:
        """Articles named by the numbers in their names ("Lager 6206-2RS", "Klauenkupplung Baugröße 24 mit 92er
        Zahnkranz", "T10 PU belt"): among the named kind or family, those whose name holds every number-like
        word of the question; used when there are few of them."""
        marks = {m.rstrip("er") if m.endswith("er") and m[:-2].isdigit() else m
                 for m in _MARK.findall(question.folded)}
        marks -= {f"{v:g}" for v in (question.constraints.temp_max_c, question.constraints.temp_min_c,
                                      question.constraints.pressure_bar) if v is not None}
        kinds = question.concepts & PRODUCT_KINDS
        if not marks or not (kinds or question.constraints.families):
            return []
        pool = [p for p in self.loaded.products.values()
                if (kinds and self._kinds(p) & kinds) or p.family in question.constraints.families]
        found = [p for p in pool if marks <= set(_MARK.findall(fold(f"{p.sku} {p.name_de} {p.name_en}")))]
        active = [p for p in found if p.active] or found
        return active if 0 < len(active) <= 6 and len({p.datasheet_id for p in active}) <= 2 else []

    def of_kind(self, question: Question, products: list[Product]) -> list[Product]:
        """Only the articles of the kind the question names (an O-ring is no clamp gasket, a ball valve no check
        valve); all of them when it names no kind or none has it."""
        kinds = question.concepts & PRODUCT_KINDS
        if not kinds:
            return products
        same = [p for p in products if self._kinds(p) & kinds]
        exact = [p for p in same if self._kinds(p) <= kinds]  # a flow control valve with push-in ports is no
        return exact or same or products  # push-in fitting

    def _kinds(self, product: Product) -> frozenset[str]:
        found = self._kind_cache.get(product.sku)
        if found is None:
            found = self.glossary.concepts_in(f"{product.name_de} {product.name_en}") & PRODUCT_KINDS
            self._kind_cache[product.sku] = found
        return found

    def _sources(self, scored: list[Scored], verdict_units: list[Unit], articles: list[Product] = ()) -> list[Hit]:
        """A verdict's sources: the articles' datasheets and the documents whose statements decided it."""
        sheets = [self._chunks_of[d][0] for d in sorted({p.datasheet_id for p in articles}) if d in self._chunks_of]
        return sheets + [u.hit for u in verdict_units]

    def _value_or_general(self, question: Question, scored: list[Scored], hits: list[Hit], lang: str) -> PartAnswer:
        about_terms = bool(set(question.asked) & (_TERMS - MODIFIERS))
        if about_terms:  # the article is the occasion, not the subject: the reply is not "3S-0604: …"
            question = replace(question, skus=(), series=(), series_names=(), subject_skus=())
        articles = self._articles(question)
        candidates = [s for s in scored if not s.unit.facts.catalogue or _commercial(question)]
        if question.has_subject and not about_terms:
            candidates = [s for s in candidates if s.about_subject]
        if question.skus and not about_terms:  # one article: its datasheet, or a passage that names it or its series
            sheets = {p.datasheet_id for p in articles}
            candidates = [s for s in candidates if s.unit.doc_id in sheets or s.unit.facts.skus & set(question.skus)
                          or self.evidence.names_series(s.unit, question)]
        places = {c for c in question.concepts if self.glossary.is_entity(c)}
        if places:  # "Versand in die Schweiz": a passage about Germany and Austria does not answer it
            candidates = [s for s in candidates if places <= self.evidence.chunk_concepts(s.unit.hit)]
        unknown = self._unknown_names(question)
        if unknown and not question.has_subject:  # "compatible with Parker couplings?": no document names Parker
            if not question.concepts:
                return no_answer(question, None, lang)  # "Who painted the Mona Lisa?": not our subject at all
            return not_specified_answer(replace(question, asked=()), None, [], self.glossary, [], lang,
                                        names=unknown)
        if question.asked:
            answers: list[PartAnswer] = []
            missing: list[str] = []
            # a property with a value is asked for its value, unless the question is a yes/no or a how-to one
            quantity = bool(_HOW_MUCH.match(question.folded)) or not (_YES_NO.match(question.folded)
                                                                         or _HOW_TO.match(question.folded))
            for group in _asked_groups(question.asked)[:3]:
                from_catalogue = catalogue_answer(question, articles, self.glossary, lang, group)
                if from_catalogue is not None:
                    answers.append(from_catalogue)
                    continue

                def naming_units(wanted: frozenset[str]) -> list[Scored]:
                    return [s for s in candidates if wanted <= self.evidence.context_concepts(s.unit)
                            and s.score >= MIN_VALUE_SCORE
                            and (not quantity or not wanted & QUANTITIES or s.unit.facts.has_number)]

                naming, asking = naming_units(group), question
                if not naming and group & _READ_AS.keys():
                    # "Mit welchem Drehmoment zieh ich die an?" on a fitting: its datasheet has tightening torques
                    other = frozenset(_READ_AS.get(c, c) for c in group)
                    naming = naming_units(other)
                    if naming:
                        group, asking = other, replace(question, asked=tuple(sorted(other)))
                if not naming:
                    missing.extend(group - MODIFIERS or group)
                    continue
                best = naming[0]
                passage = self._passage(best, scored)
                if len(passage) > 1:  # an item of a list: the quote shows the list's introduction and siblings
                    answer = value_answer(asking, best, passage, self.glossary, articles, lang, group)
                else:
                    answer = value_answer(asking, best, self._context(best, scored, group), self.glossary,
                                          articles, lang, group)
                polar = self._polarity(question, best, group)
                answers.append(with_verdict(answer, polar, lang) if polar else answer)
            if answers:
                return merge(answers, missing, self.glossary, lang)
            if question.has_subject or self._specific(question) or len(question.asked) > 1 \
                    or any(s.names_asked for s in scored[:1]) or places:
                closest = next((s.unit.hit for s in candidates), None)
                return not_specified_answer(question, closest, catalogue_facts(articles, lang), self.glossary,
                                            articles, lang, places=self._place_words(question) if places else None)
        # a passage that shares the question's words and its meaning, or one very close in meaning (other language)
        good = [s for s in candidates if s.coverage >= 2 * MIN_COVERAGE
                or (s.coverage >= MIN_COVERAGE and s.cosine >= self.threshold) or s.cosine >= self.threshold + 0.12]
        if good:
            return general_answer(question, self._passage(good[0], scored), lang)
        if question.has_subject:
            closest = next((s.unit.hit for s in candidates), None)
            return not_specified_answer(question, closest, catalogue_facts(articles, lang), self.glossary,
                                        articles, lang)
        closest = next((h for h in hits if h.doc_type != "product"), None)
        return no_answer(question, closest, lang)

    def _context(self, best: Scored, scored: list[Scored], group: frozenset[str]) -> list[Scored]:
        """The sentences around the answering one that belong to it: the one before when it starts with "Danach",
        "Darunter", "After that" (it refers back), and the one after when it carries on ("Nachträglich …
        25 €") by naming what was asked again or referring back. In document order, ``best`` among them."""
        units = self.evidence.units(best.unit.hit)
        at = next((i for i, u in enumerate(units) if u.text == best.unit.text), None)
        if at is None:
            return []
        by_text = {s.unit.text: s for s in scored}

        def wrap(u: Unit) -> Scored:
            return by_text.get(u.text) or Scored(u, 0.0, False, True, 0.0)

        chosen = [best]
        if at > 0 and _REFERS_BACK.match(best.unit.facts.folded):
            chosen.insert(0, wrap(units[at - 1]))
        if at + 1 < len(units):
            nxt = units[at + 1]
            # … or states the other side of the same limit ("by 3:00 pm" – "Orders after 3:00 pm … next working day")
            shared_limit = set(_LIMIT_NUMBER.findall(best.unit.facts.folded)) & set(
                _LIMIT_NUMBER.findall(nxt.facts.folded))
            if _REFERS_BACK.match(nxt.facts.folded) or shared_limit or (
                    (group - MODIFIERS) & nxt.facts.concepts and group & MODIFIERS <= nxt.facts.concepts):
                chosen.append(wrap(nxt))
        return chosen if len(chosen) > 1 else []

    def _passage(self, best: Scored, scored: list[Scored]) -> list[Scored]:
        """The best unit with what belongs to it: when it is an item of a list, the sentence introducing the list
        ("…:") and the items before it, in document order, up to three units (an FAQ answer is rarely one line)."""
        units = self.evidence.units(best.unit.hit)
        at = next((i for i, u in enumerate(units) if u.text == best.unit.text), None)
        if at is None:
            return [best]
        intro = next((i for i in range(at, max(-1, at - 4), -1) if units[i].text.rstrip().endswith(":")), None)
        if intro is None:
            return [best]
        start = intro
        end = max(at, intro + 1)
        picked = units[start : end + 1][:3]
        by_text = {s.unit.text: s for s in scored}
        return [by_text.get(u.text) or Scored(u, 0.0, False, True, 0.0) for u in picked]

    def _polarity(self, question: Question, best: Scored, group: frozenset[str]) -> str | None:
        """For a yes/no question ("Ist der Trennverstärker dabei?", "do kanban call-offs get the surcharge?")
        answered by one sentence that names what was asked: no when that sentence negates it, only if it sets a
        condition, yes otherwise. Nothing for other questions, or several parts, or a sentence that is only close."""
        # the yes/no question may follow its topic: "framework contract with fixed prices – is there a …?"
        asked = re.split(r"\s[–—-]\s|:\s", question.folded)[-1]
        asked = re.sub(r"^\W*(?:and|und|also|auch|oder|or|but|aber)\s+", "", asked)
        if not _YES_NO.match(asked) and not _POLAR_START.match(asked):
            return None
        if question.parts or (best.coverage < 0.15 and best.cosine < 0.3):
            return None
        unit = best.unit
        in_question = {m.concept for m in self.glossary.mentions(question.folded)}
        in_unit = {m.concept for m in self.glossary.mentions(unit.facts.folded)} | self.evidence.context_concepts(unit)
        own = sorted((group - MODIFIERS) & in_question)
        if not own:
            return None  # "…, and do I need an account?" carries the first part's topic, not its own
        # every answer word is read from a sentence that itself names what was asked; a sentence that is only
        # close ("Bei berechtigten Reklamationen … erst, wenn die Rücksendung nicht …") gets the quote alone
        concept = next((c for c in own if c in in_unit), own[0])
        names = concept in in_unit
        negative = statement_kind(unit) == "negative"
        if names and _CONDITIONAL_WORDS.search(unit.facts.folded):
            return "only_if"
        if names and negative and _every_mention_negated(unit.facts.folded, concept, self.glossary):
            return "no"
        if names and _without(unit.facts.folded, concept, self.glossary):
            return "no"  # "do I need a login?" – "CAD models are on the product pages without login"
        heading = fold(str(unit.hit.metadata.get("section") or "").rsplit("›", 1)[-1])
        texts = [u.text for u in self.evidence.units(unit.hit)]
        before = self.evidence.units(unit.hit)[: texts.index(unit.text)] if unit.text in texts else []
        intro = next((u for u in reversed(before) if u.text.rstrip().endswith(":")), None)
        # an item of "Was ist von der Retoure ausgeschlossen?" / "Ausgeschlossen sind:" is a no, when the heading
        # or the list names what was asked
        listing = f"{heading} {intro.facts.folded if intro else ''}"
        # (unless the question asks about the exceptions themselves: "Gibt es Ausnahmen beim Zuschlag?")
        listed = names or any(m.concept == concept for m in self.glossary.mentions(listing))
        if listed and _EXCLUDES.search(listing) and not _EXCEPTION_WORDS.search(question.folded):
            return "no"
        # a yes also needs the question's other words in the sentence: "Gibt es Ausnahmen beim
        # Mindermengenzuschlag?" is not answered yes by the sentence that states the surcharge
        other_language = unit.language != question.language
        if not names or negative or (best.coverage < 0.25 and not (other_language and best.cosine >= 0.5)):
            return None
        # a word no document uses ("webhooks", "X12") is not confirmed by a sentence about the same topic
        vocabulary = self.searcher.bm25.vocab
        if any(t not in vocabulary and t not in unit.facts.tokens for t in self.evidence.content_tokens(question)):
            return None
        return "yes"

    def _place_words(self, question: Question) -> list[str]:
        """The places as the question writes them ("Norwegen", "Vienna")."""
        words = []
        for m in self.glossary.mentions(question.folded):
            if self.glossary.is_entity(m.concept):
                word = question.folded[m.start:m.end]
                found = re.search(r"\b[\w-]+\b", question.text[m.start:]) if question.text.lower().startswith(
                    word, m.start) else None
                words.append(found.group(0) if found else word.title())
        return list(dict.fromkeys(words))

    def _unknown_names(self, question: Question) -> list[str]:
        """Names no document uses: a brand or system the question is about ("Parker", "Salesforce"). In English
        a capitalised word inside the sentence; in German, where every noun is capitalised, only words in
        capitals or mixed case ("SAP", "ProfiNet")."""
        words = re.findall(r"(?<=[\s(\"'„“])([A-ZÄÖÜ][\w-]{2,})", question.text)
        out = []
        for word in dict.fromkeys(words):
            shaped = word.isupper() or any(ch.isupper() for ch in word[1:])
            if question.language == "de" and not shaped:
                continue
            seen = self.searcher.bm25.tokenizer.vocabulary  # every word of four letters or more in the corpus
            folded = fold(word)
            # a hyphenated compound is known when its parts are ("SEPA-Lastschrift", "REST-API")
            parts = [p for p in folded.split("-") if len(p) >= 3]
            known = folded in seen or folded.rstrip("s") in seen or (
                "-" in folded and parts and all(p in seen or p.rstrip("s") in seen or len(p) < 4 for p in parts))
            if len(word) >= 4 and not known and not self.glossary.concepts_in(word) and not _MARK.search(folded):
                out.append(word)
        return out

    def _specific(self, question: Question) -> bool:
        """Asks for a property of something named (a product kind), not a general question about a topic."""
        return bool(question.constraints.families)

    def _dense(self, s: Scored) -> float:
        return float(s.unit.hit.metadata.get("dense_score") or 0.0)

    def _selection(self, question: Question, scored: list[Scored], lang: str) -> PartAnswer:
        products = list(self.loaded.products.values())
        c = question.constraints
        if c.families:
            same = [p for p in products if p.family in c.families]
            products = same or products
        products = self.of_kind(question, products)
        matches: list[ProductMatch] = match_products(c, products)[:5] if c.count else []
        unchecked = [self.glossary.label(x, lang) for x in sorted(question.concepts & _UNCHECKABLE)]
        fits = [m for m in matches if m.fits]
        quotes: list[Quote] = []
        sources: list[Hit] = []
        if fits:
            names = {m.product.sku for m in fits[:3]} | {m.product.series for m in fits[:3]}
            about = [s for s in scored if not s.unit.facts.catalogue and s.coverage > 0
                     and (s.unit.facts.skus & names or (not s.unit.facts.skus
                                                        and set(s.unit.hit.metadata.get("products") or []) & names))]
            if about:
                quotes = [Quote.of(about[0].unit)]
                sources = [about[0].unit.hit]
        sources += [s.unit.hit for s in scored[:3] if not s.unit.facts.catalogue]
        if not matches:
            return self._value_or_general(question, scored, [s.unit.hit for s in scored], lang)
        return selection_answer(question, matches, unchecked, quotes, sources, lang)


# Conditions the catalogue has no column for: a selection must say it did not check them.
_UNCHECKABLE = (MEDIA_CONCEPTS - {"steam", "water", "compressed_air", "hydraulic_oil", "vacuum", "nitrogen", "dust",
                                  "food_contact"}) | {"atex_zone", "rotation", "dynamic", "under_pressure", "uv",
                                                      "service_life", "hardness", "bend_radius", "torque"}


def _prefix(sku: str) -> str:
    return sku.rsplit("-", 1)[0] if sku.count("-") >= 2 else sku.split("-", 1)[0]


def _prefix_pattern(prefixes: set[str]) -> re.Pattern[str]:
    parts = [r"[\s-]?".join(re.escape(x) for x in re.findall(r"[a-z]+|\d+", fold(p))) for p in sorted(prefixes)]
    return re.compile(rf"(?<![a-z0-9])(?:{'|'.join(parts)})(?![a-z0-9])")


def _as_hit(chunk: Chunk) -> Hit:
    meta = dict(chunk.metadata)
    meta["section"] = chunk.section
    return Hit(chunk.chunk_id, chunk.doc_id, chunk.title, chunk.text, 0.0, chunk.doc_type, chunk.language,
               chunk.url, chunk.page, meta)


MODIFIERS = frozenset({"price", "duration", "frequency"})
# One word, two properties ("Drehmoment" is a coupling's rated torque or a fitting's tightening torque): when the
# documents about the subject state only the other, that is what was meant
_READ_AS = {"rated_torque": "torque", "torque": "rated_torque"}
# How the shop works, whatever article the message names ("ordered 20 too many 3S-0604 – how long do I have to
# send them back?"): answered from the FAQ, not looked for in the article's datasheet
_TERMS = frozenset({"returns", "shipping", "payment", "minimum_order", "small_order_surcharge", "express",
                    "framework_contract", "integration", "authentication", "approvals_flow", "privacy", "duration"})


def _asked_groups(asked: tuple[str, ...]) -> list[frozenset[str]]:
    """What one passage must name: each asked property on its own, except a price or a duration, which belong
    to the thing they are asked of ("Was kostet der Versand?" needs a passage about shipping that states a
    price, "How long does a parcel take?" one about shipping that states a time)."""
    modifiers = frozenset(a for a in asked if a in MODIFIERS)
    others = [a for a in asked if a not in MODIFIERS]
    if modifiers:
        return [modifiers | {a} for a in others] or [modifiers]
    return [frozenset({a}) for a in others]


def _commercial(question: Question) -> bool:
    return bool(set(question.asked) & _COMMERCIAL)
