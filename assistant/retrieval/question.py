"""A buyer's question, parsed once: language, words, requirements, the articles it is about, what it asks for.

Every later step (search, passage choice, suitability check, product match, the answer's wording) reads this one
value instead of folding, tokenising and parsing the text again. Parsing is linear in the text: each step is a
fixed number of passes with patterns free of nested quantifiers over the same characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from assistant.articles import find_known, lookup_table
from assistant.retrieval.constraints import Constraints, parse_constraints
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.models import Product
from assistant.retrieval.tokenize import fold

MAX_CHARS = 2000
MAX_PARTS = 3

# "Can I use X for Y?" in German and English (folded text).
_SUITABILITY = re.compile(
    r"\b(?:geeignet|eignet|eignen|tauglich|taugt|zugelassen|einsetzbar|verwendbar|vertraegt|vertragen|aushalten|"
    r"haelt\w*|kann ich|koennen wir|kann man|darf|duerfen|geht das|funktioniert|passt|"
    r"suitable|suited|can i use|can we use|could i use|could we use|can i run|can we run|can it|can they|"
    r"will it|will they|would it|does it|do they|is it ok|is it safe|ok for|okay for|approved for|rated for|"
    r"compatible|work with|works with|handle|withstand|cope with|usable|allowed|survive\w*|ueberlebt|ueberstehen|"
    r"resistant|resist|bestaendig|freigegeben|ok|okay|good for|fine for|fit for|klappt|moeglich|einsetzen|"
    r"verwenden|nehmen|nutzen|betreiben|run|use|laesst sich|lassen sich|does (?:that|it|this) work|geht das|"
    r"passt das|klappt das|any issue\w*|problem\w*)\b"
)
_SELECTION = re.compile(
    r"\b(?:welche[nmrs]?|which|what|suche|suchen|brauche|brauchen|benoetige|benoetigen|need|needs|looking for|"
    r"empfehl\w*|recommend\w*|alternative\w*|gibt es|do you have|haben sie|is there|are there|vorschlag\w*|"
    r"suggest\w*|option\w*)\b"
)
_SPLIT = re.compile(r"(?<=[?!])\s+|\s*;\s*|\n+")
_QUESTION_WORD = re.compile(
    r"\b(?:wie|was|welche\w*|wo|wann|warum|gibt|kann|koennen|ist|sind|hat|haben|darf|muss|"
    r"how|what|which|where|when|why|is|are|can|could|does|do|has|have|may|must|should)\b"
)
_ZONE = re.compile(r"\bzone\s?(2[0-2]|[0-2])\b")
_SERIES_NAME = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Catalogue:
    """What question parsing needs to know about the articles: their numbers and series names."""

    products: Mapping[str, Product]
    series: Mapping[str, tuple[str, ...]]  # folded, squashed name ("sv540", "3sx", "qc300") -> article numbers
    names: Mapping[str, str] = field(default_factory=dict)  # squashed name -> as the catalogue writes it
    known: Mapping[str, str] = field(default_factory=dict)  # article numbers by lookup key (assistant/articles.py)

    @classmethod
    def of(cls, products: Mapping[str, Product]) -> Catalogue:
        by_prefix: dict[str, set[str]] = {}
        by_code: dict[str, set[str]] = {}
        written: dict[str, str] = {}
        for sku, p in products.items():
            prefix = sku.rsplit("-", 1)[0] if sku.count("-") >= 2 else sku.split("-", 1)[0]
            for name, target in ((prefix, by_prefix), (p.series, by_code)):
                key = _squash(name)
                if len(key) >= 2 and not key.isdigit():
                    target.setdefault(key, set()).add(sku)
                    written.setdefault(key, name)
        # "3S" is the article-number prefix of the straight fittings; the catalogue's series code 3S also
        # covers elbows and tees (3SL, 3ST). A name that is a prefix means the articles that carry it.
        series = {**by_code, **by_prefix}
        return cls(products, {k: tuple(sorted(v)) for k, v in series.items()}, written, lookup_table(products))

    def articles_in(self, raw: str) -> list[str]:
        """Article numbers of the catalogue named in the text, found by lookup: a supplier's "12.345.67" too."""
        return find_known(raw, self.known)

    def series_in(self, folded: str) -> list[str]:
        """Series named in the text ("SV-540", "qc 300", "Serie 3SX"), longest name first, whole words only."""
        found: list[str] = []
        tokens = [m for m in _SERIES_NAME.finditer(folded)]
        for i in range(len(tokens)):
            joined = ""
            for j in range(i, min(i + 3, len(tokens))):
                if j > i and tokens[j].start() - tokens[j - 1].end() > 1:
                    break
                joined += tokens[j].group(0)
                if joined in self.series and joined not in found:
                    found.append(joined)
        # "3S" inside "3SX" is not a mention of 3S: keep only the longest names of overlapping mentions
        return [s for s in found if not any(s != o and o.startswith(s) for o in found)]


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


@dataclass(frozen=True)
class Condition:
    """One requirement of a suitability question, in a form the checks and the answer both read."""

    kind: str  # temperature_max | temperature_min | pressure | medium | zone | certification | motion | size | ...
    value: str  # concept id, code or number as text
    number: float | None = None


@dataclass(frozen=True)
class Question:
    text: str
    language: str
    folded: str
    constraints: Constraints
    concepts: frozenset[str]
    asked: tuple[str, ...]  # property concepts asked for, in order of appearance
    skus: tuple[str, ...]  # catalogue articles the question is about (named, or the product page's)
    series: tuple[str, ...]  # squashed series names named
    series_names: tuple[str, ...]  # the same, as the catalogue writes them ("SV-540", "3SL")
    subject_skus: tuple[str, ...]  # every article the question is about: named ones, else the named series'
    kind: str  # suitability | value | selection | general
    conditions: tuple[Condition, ...]
    search_text: str  # the text complemented with the other language's glossary words, for BM25
    cue: bool = False  # phrased as "can I use …", "is … suitable"
    context: str = ""  # the question before, when this part refers to it ("… and do I need an account?")
    parts: tuple[Question, ...] = field(default=(), compare=False)

    @property
    def has_subject(self) -> bool:
        return bool(self.subject_skus)


_PREAMBLE = re.compile(
    r"^(?:(?:hallo|hello|hi|hey|moin|servus|guten (?:tag|morgen|abend)|good (?:morning|afternoon|evening)|"
    r"liebe[rs]? \w+|dear \w+)\b[\s,!.:]*)?(?:(?:zwei|drei|ein paar|kurze|eine|two|three|a few|quick|a|one)\s"
    r"(?:fragen|frage|questions|question)\s?[:,.!-]\s*)?",
    re.IGNORECASE,
)


def parse_question(
    text: str, language: str, glossary: Glossary, catalogue: Catalogue, page_sku: str | None = None,
    *, split: bool = True,
) -> Question:
    raw = " ".join((text or "")[:MAX_CHARS].split())
    raw = _PREAMBLE.sub("", raw, count=1) or raw  # "Hallo, zwei Fragen: …" is no part of the question
    folded = fold(raw)
    constraints = parse_constraints(raw)
    mentions = glossary.mentions(folded)
    concepts = frozenset(m.concept for m in mentions)
    given = _given(constraints)
    asked: list[str] = []
    for m in mentions:
        if glossary.is_property(m.concept) and m.concept not in asked and m.concept not in given:
            asked.append(m.concept)
    skus = [s for s in constraints.skus if s in catalogue.products]
    skus += [s for s in catalogue.articles_in(raw) if s not in skus]
    series = catalogue.series_in(folded)
    if page_sku and page_sku in catalogue.products and not skus and not series:
        skus = [page_sku]
    subject = list(skus)
    if not subject:
        for name in series:
            subject.extend(s for s in catalogue.series[name] if s not in subject)
    conditions = _conditions(folded, constraints, concepts)
    kind = _kind(folded, asked, conditions, constraints, bool(subject))
    extra = glossary.expansion(sorted(concepts))
    search_text = f"{raw} {' '.join(extra)}" if extra else raw
    question = Question(
        text=raw, language="en" if language == "en" else "de", folded=folded, constraints=constraints,
        concepts=concepts, asked=tuple(asked), skus=tuple(skus), series=tuple(series),
        series_names=tuple(catalogue.names.get(n, n.upper()) for n in series),
        subject_skus=tuple(subject), kind=kind, conditions=tuple(conditions), search_text=search_text,
        cue=bool(_SUITABILITY.search(folded)),
    )
    if split:
        parts = _parts(raw)
        if len(parts) > 1:
            parsed: list[Question] = []
            for part in parts[:MAX_PARTS]:
                sub = parse_question(part, language, glossary, catalogue, page_sku, split=False)
                topic = tuple(a for a in (parsed[-1].asked if parsed else ()) if a not in _MODIFIERS)
                if parsed and topic and not [a for a in sub.asked if a not in _MODIFIERS]:
                    # "… a return, and is there a fee?": the fee of the return; "… ein Rahmenvertrag, und wie
                    # lange läuft sowas?": the framework contract's term
                    sub = replace(sub, asked=(*topic, *sub.asked), kind="value",
                                  search_text=f"{sub.search_text} {parsed[-1].text}", context=parsed[-1].text)
                names_own = sub.constraints.families or sub.concepts & PRODUCT_KINDS
                if not sub.has_subject and question.has_subject and not names_own:  # "… and its torque?"
                    sub = replace(sub, skus=question.skus, series=question.series,
                                  series_names=question.series_names, subject_skus=question.subject_skus,
                                  kind=_kind(sub.folded, list(sub.asked), list(sub.conditions), sub.constraints,
                                             True))
                parsed.append(sub)
            question = replace(question, parts=tuple(parsed))
    return question


# What is asked of something else ("was kostet …", "wie lange …", "wie oft …"), never a topic on its own
_MODIFIERS = ("price", "duration", "frequency")


def _given(c: Constraints) -> set[str]:
    """Properties the question states a value for ("G1/8 thread", "FKM seal"): requirements, not questions."""
    given = set()
    if c.sizes:
        given |= {"thread", "dimensions"}
    if c.temp_max_c is not None or c.temp_min_c is not None:
        given.add("temperature")
    if c.pressure_bar is not None:
        given.add("pressure")
    if c.materials:
        given.add("material")
    if c.seal_materials:
        given.add("seal")
    if c.media:
        given.add("media")
    if c.certifications:
        given.add("certification")
    return given


_AND_QUESTION = re.compile(
    r"(?:,\s*|\s+)(?:und|and|sowie|ausserdem|außerdem|also|plus)\s+(?=(?:wie|was|welche\w*|wann|wo|ob|bis|ab|"
    r"gibt|kann|muss|darf|ist|sind|hat|haelt|hält|passt|reicht|eignet|how|what|which|when|where|whether|is|are|can|"
    r"do|does|will|who)\b)",
    re.IGNORECASE,
)


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)|\n+|\s*;\s*")


def _parts(raw: str) -> list[str]:
    """Several questions in one message: split where each piece is a question of its own ("…? …?", "… und
    welche …", "…, and how …"). A statement ("Wir haben eine Abfüllanlage, CIP bei 85 °C.") is the context of
    every question after it, so each part carries it."""
    context: list[str] = []
    parts: list[str] = []
    for sentence in (x.strip() for x in _SENTENCE.split(raw)):
        if not sentence:
            continue
        if not (sentence.endswith("?") or _QUESTION_WORD.match(fold(sentence))):
            context.append(sentence)
            continue
        for piece in (p.strip(" ,") for p in _AND_QUESTION.split(sentence)):
            if len(piece.split()) >= 2:
                parts.append(" ".join([*context, piece]))
    return parts if len(parts) > 1 else [raw]


def _conditions(folded: str, c: Constraints, concepts: frozenset[str]) -> list[Condition]:
    out: list[Condition] = []
    if c.temp_max_c is not None:
        out.append(Condition("temperature_max", f"{c.temp_max_c:g} °C", c.temp_max_c))
    if c.temp_min_c is not None:
        out.append(Condition("temperature_min", f"{c.temp_min_c:g} °C", c.temp_min_c))
    if c.pressure_bar is not None:
        out.append(Condition("pressure", f"{c.pressure_bar:g} bar", c.pressure_bar))
    words = concepts & MEDIA_CONCEPTS
    for code in sorted(c.media):
        if code in CODE_CONCEPT and (CODE_CONCEPT[code] in words or (code == "water" and "hot_water" in words)):
            continue  # the glossary's word says it as precisely ("Heißwasser" is more than water)
        out.append(Condition("medium", code))
    for concept in sorted(words):
        out.append(Condition("medium_word", concept))
    for zone in sorted({int(z) for z in _ZONE.findall(folded)}):
        out.append(Condition("zone", str(zone), float(zone)))
    for cert in sorted(c.certifications):
        out.append(Condition("certification", cert))
    for concept in sorted(concepts & MOTION_CONCEPTS):
        out.append(Condition("motion", concept))
    for size in sorted(c.sizes):
        out.append(Condition("size", size))
    for material in sorted(c.excluded_materials):
        out.append(Condition("material", f"no_{material}"))
    for material in sorted(c.materials):
        out.append(Condition("material", material))
    for seal in sorted(c.seal_materials):
        out.append(Condition("seal", seal))
    return out


# Glossary concepts that name a medium or an environment, and ways of moving or using a part.
MEDIA_CONCEPTS = frozenset({
    "steam", "superheated_steam", "hot_water", "water", "compressed_air", "hydraulic_oil", "fats", "fuel", "solvent",
    "acid", "ammonia", "glycol", "phosphate_ester", "brake_fluid", "nitrogen", "food_contact", "dust", "outdoor",
    "uv", "vacuum", "seawater", "washdown",
})
# Glossary concepts that name a kind of article (read from the articles' names).
PRODUCT_KINDS = frozenset({
    "push_in_fitting", "tube_fitting", "coupling", "hose", "tube", "o_ring", "gasket", "shaft_seal", "ball_valve",
    "check_valve", "solenoid_valve", "directional_valve", "flow_control", "silencer", "clamp", "dairy_fitting",
    "flange", "elbow", "tee", "bearing", "jaw_coupling", "timing_belt", "actuator",
})
# A catalogue media code and the glossary concept that says the same.
CODE_CONCEPT = {"steam": "steam", "water": "water", "air": "compressed_air", "hydraulic_oil": "hydraulic_oil",
                "vacuum": "vacuum", "dust": "dust", "inert_gas": "nitrogen"}
MOTION_CONCEPTS = frozenset({"rotation", "dynamic", "under_pressure", "residual_pressure", "shut_off", "control",
                             "dry_running", "abrasion", "isolating_barrier", "hose_clamp"})


def kind_of(question: Question, has_subject: bool) -> str:
    """The kind again once an article has been identified (from its kind and material, or its name)."""
    return _kind(question.folded, list(question.asked), list(question.conditions), question.constraints,
                 has_subject)


_OPEN = re.compile(r"^(?:\W*)(?:welche\w*|was|wie|wieviel\w*|wer|wo|wann|which|what|what's|how|who|where|when)\b")
IDENTITY = frozenset({"size", "material", "seal"})  # what an article is, not how it is used


_NAMES_ARTICLE = re.compile(r"\b[a-z0-9]{2,5}-\d{3,4}-[0-9a-z]{1,3}\b")
_POLAR = re.compile(
    r"^(?:\W*)(?:is|are|can|could|will|would|does|do|did|has|have|may|ist|sind|kann|koennen|darf|duerfen|"
    r"haelt|halten|geht|passt|passen|taugt|taugen|vertraegt|vertragen|eignet|eignen|laesst|lassen|hat|haben)\b"
)


def _kind(folded: str, asked: list[str], conditions: list[Condition], c: Constraints, has_subject: bool) -> str:
    # a material ruled out ("no brass") is a requirement of the use, not what the article is
    usage = [x for x in conditions if x.kind not in IDENTITY or x.value.startswith("no_")]
    open_question = bool(_OPEN.match(folded))
    if asked and open_question:
        return "value"  # "Which zones is the SV-540 approved for?", "Welche Temperatur hält der HS-201 aus?"
    if (_SUITABILITY.search(folded) or _POLAR.match(folded)) and usage:
        return "suitability" if has_subject else "selection"
    if has_subject and usage and not asked and (not _SELECTION.search(folded) or _NAMES_ARTICLE.search(folded)):
        return "suitability"  # "3S-1208 bei 120 °C?", "we need to know if the SV-540-04 can switch N2 at 8 bar"
    if asked and (has_subject or not c.families or not _SELECTION.search(folded)):
        return "value"
    if c.families or c.count:
        if _SELECTION.search(folded) or not (folded.rstrip().endswith("?") or open_question):
            return "selection"  # "Welche Steckverschraubung für 8er Schlauch?", "steam hose DN32"
        return "value" if asked else "general"
    return "value" if asked else "general"
