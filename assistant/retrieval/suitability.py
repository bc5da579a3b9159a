""""Can I use X for Y?": every condition the buyer states, checked against the catalogue and the datasheet.

A condition holds, fails, or is not specified:
- temperature and pressure against the catalogue row (the source of truth for every number), and against a
  datasheet's minimum operating pressure;
- medium, ATEX zone, motion ("not for continuous rotation"), under-pressure coupling against the datasheet's
  statements: a "Nicht für …" / "Not for …" naming it fails the condition, a positive list naming it (the
  catalogue's media, "Suitable for zones 1/2 and 21/22") lets it hold, a "nur …" / "only …" statement naming it
  is a condition of its own (the verdict becomes "only if");
- certification, material, seal and size against the catalogue row.
The verdict is "yes" only when every stated condition was checked and holds; "no" when one fails; "only_if" when
all hold but one is bound to a stated restriction; "unknown" when some condition is not specified anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.retrieval.constraints import Constraints, check_product
from assistant.retrieval.evidence import Unit
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.models import Product
from assistant.retrieval.question import Condition, Question

# A limits statement that excludes something: "Nicht für Dampf", "Not for zone 0/20", "Do not connect under
# pressure", "EPDM ist NICHT beständig gegen Mineralöle", "Keine Absperrfunktion". Read only together with the
# concept it names, so the broad words are safe.
_NEGATIVE = re.compile(
    r"\b(?:nicht|not|never|nie|niemals|kein|keine|keinen|ungeeignet|unsuitable|unzulaessig|do not|don't|"
    r"must not|darf nicht|duerfen nicht|avoid|vermeiden)\b"
)
_ONLY = re.compile(r"\b(?:nur|only|ausschliesslich|exclusively|lediglich)\b")
_POSITIVE_ZONES = re.compile(r"\b(?:zonen?|zones?)\s?((?:[0-9]{1,2}\s?(?:/|,|und|and|\+)\s?)*[0-9]{1,2})")
_ABOVE = re.compile(r"(?:ueber|oberhalb|above|over|more than|mehr als|>)\s?([-−]?\d+(?:[.,]\d+)?)\s?(°\s?c|bar|%)")
_BELOW = re.compile(r"(?:unter|unterhalb|below|less than|weniger als|<)\s?([-−]?\d+(?:[.,]\d+)?)\s?(°\s?c|bar)")
_UP_TO = re.compile(r"(?:bis|up to|max\.?|maximal|hoechstens)\s?([-−]?\d+(?:[.,]\d+)?)\s?(°\s?c|bar)")
_MIN_PRESSURE = re.compile(
    r"(?:mindest\w*druck|minimum (?:operating |working )?pressure|min\. (?:betriebs)?druck)\D{0,20}"
    r"(\d+(?:[.,]\d+)?)\s?bar"
)
# catalogue media codes a glossary medium counts as
_MEDIUM_CODES = {
    "steam": ("steam",), "hot_water": ("water",), "water": ("water",), "compressed_air": ("air",),
    "hydraulic_oil": ("hydraulic_oil",), "vacuum": ("vacuum",), "nitrogen": ("inert_gas",), "dust": ("dust",),
    "food_contact": ("food", "beverage"), "acid": ("chemicals", "cip_detergent"),
    "alkali": ("chemicals", "cip_detergent"), "solvent": ("chemicals",),
}
# A resistance table's rating: "CIP-Lauge (NaOH 2 %): bedingt" binds a "yes", "Sattdampf: ungeeignet" is a no
_RATING_BAD = re.compile(r"\b(?:ungeeignet|unsuitable|not suitable|nicht bestaendig|not resistant|schlecht|poor)\b")
_RATING_LIMITED = re.compile(r"\b(?:bedingt|eingeschraenkt|begrenzt|limited|conditionally|fair|maessig)\b")
_RATING_GOOD = re.compile(r"\b(?:sehr gut|gut|very good|good|excellent|bestaendig|resistant)\b")


@dataclass(frozen=True)
class Check:
    condition: Condition
    status: str  # holds | fails | only_if | unknown
    detail: str  # what the catalogue or document states, as shown ("max. 10 bar", "-20 … 60 °C")
    evidence: Unit | None = None  # the statement that decided it, quoted in the answer


@dataclass(frozen=True)
class Verdict:
    verdict: str  # yes | no | only_if | unknown
    checks: tuple[Check, ...]
    articles: tuple[Product, ...]

    @property
    def failing(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fails"]

    @property
    def restricted(self) -> list[Check]:
        return [c for c in self.checks if c.status == "only_if"]

    @property
    def unknown(self) -> list[Check]:
        return [c for c in self.checks if c.status == "unknown"]


def _num(text: str) -> float:
    return float(text.replace("−", "-").replace(",", "."))


def statement_kind(unit: Unit) -> str | None:
    f = unit.facts.folded
    if _NEGATIVE.search(f):
        return "negative"
    if _ONLY.search(f):
        return "only"
    return None


def _triggered(statement: Unit, question: Question) -> bool:
    """A threshold in the statement ("über 80 °C", "above 100 bar") the buyer's values stay within: not hit."""
    f = statement.facts.folded
    temp = question.constraints.temp_max_c
    pressure = question.constraints.pressure_bar
    for m in _ABOVE.finditer(f):
        limit = _num(m.group(1))
        value = temp if "c" in m.group(2) else pressure if m.group(2) == "bar" else None
        if value is not None and value <= limit:
            return False
    for m in _BELOW.finditer(f):
        limit = _num(m.group(1))
        value = question.constraints.temp_min_c if "c" in m.group(2) else pressure
        if value is not None and value >= limit:
            return False
    return True


def _zone_lists(folded: str) -> set[int]:
    zones: set[int] = set()
    for m in _POSITIVE_ZONES.finditer(folded):
        zones.update(int(z) for z in re.findall(r"\d{1,2}", m.group(1)) if int(z) in (0, 1, 2, 20, 21, 22))
    return zones


def check(
    question: Question, articles: Iterable[Product], statements: list[Unit], glossary: Glossary | None = None,
) -> Verdict:
    """Check every condition of the question for the articles (all of one series, or the named ones)."""
    products = [p for p in articles]
    checks: list[Check] = []
    negatives = [u for u in statements if statement_kind(u) == "negative"]
    onlys = [u for u in statements if statement_kind(u) == "only"]
    # What an article is (size, material, seal) picks the articles of a series that are meant ("3S with G1/4");
    # it fails only when no article of the series has it. Everything else is checked for those articles.
    identity = [c for c in question.conditions if c.kind in ("size", "material", "seal")]
    for condition in identity:
        fitting = [p for p in products if check_product(_single_constraint(condition), p).fits]
        if fitting:
            products = fitting
            checks.append(Check(condition, "holds", "; ".join(sorted({_identity_value(condition, p)
                                                                       for p in fitting}))))
        else:
            checks.append(_catalogue_check(condition, question, products, statements, onlys))
    for condition in question.conditions:
        if condition not in identity:
            checks.append(_check_one(condition, question, products, statements, negatives, onlys, glossary))
    if any(c.status == "fails" for c in checks):
        verdict = "no"
    elif any(c.status == "unknown" for c in checks):
        verdict = "unknown"
    elif any(c.status == "only_if" for c in checks):
        verdict = "only_if"
    else:
        verdict = "yes"
    return Verdict(verdict, tuple(checks), tuple(products))


def _range(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"


def _check_one(
    condition: Condition, question: Question, products: list[Product], statements: list[Unit],
    negatives: list[Unit], onlys: list[Unit], glossary: Glossary | None = None,
) -> Check:
    kind = condition.kind
    if kind in ("temperature_max", "temperature_min", "pressure", "certification", "material", "seal", "size"):
        return _catalogue_check(condition, question, products, statements, onlys)
    concept = condition.value
    if kind == "medium":  # a catalogue media code found by the constraint parser
        concept = next((c for c, codes in _MEDIUM_CODES.items() if condition.value in codes), condition.value)
    words = {concept}
    # Every statement naming the condition, the most specific first: "Dampfreinigung nur kurzzeitig" answers
    # "Dampfreinigung?" before "nicht für Dampf im Dauerbetrieb" does.
    found: list[tuple[int, int, Check]] = []
    for unit in negatives:
        if words & unit.facts.concepts and _triggered(unit, question) and _negated(unit, concept, glossary):
            # "…, sonst ist die CIP-Reinigung nicht gewährleistet": a condition to keep, not an exclusion
            conditional = _CONDITIONAL.search(unit.facts.folded) and not _NOT_THIS.search(unit.facts.folded)
            status = "only_if" if conditional else "fails"
            found.append((len(question.concepts & unit.facts.concepts), int(status == "fails"),
                          Check(condition, status, "", unit)))
        elif kind == "zone" and condition.number is not None \
                and int(condition.number) in _zone_lists(unit.facts.folded):
            found.append((1, 1, Check(condition, "fails", "", unit)))
    for unit in onlys:
        if words & unit.facts.concepts and _triggered(unit, question):
            found.append((len(question.concepts & unit.facts.concepts), 0, Check(condition, "only_if", "", unit)))
    if found:
        return max(found, key=lambda f: (f[0], f[1]))[2]
    rated = _rating(condition, words, question, statements)
    if rated is not None:
        return rated
    for unit in statements:  # "Can be connected against residual pressure", "Vakuumleitungen bis -0,95 bar"
        if words & unit.facts.concepts and _PERMITS.search(unit.facts.folded) and not (
                unit in negatives and _negated(unit, concept, glossary)):
            return Check(condition, "holds", "", unit)
    if kind == "zone":
        allowed: set[int] = set()
        source = None
        for unit in statements:
            zones = _zone_lists(unit.facts.folded)
            if zones and unit not in negatives:
                allowed |= zones
                source = source or unit
        if allowed:
            ok = int(condition.number or -1) in allowed
            return Check(condition, "holds" if ok else "fails", ", ".join(str(z) for z in sorted(allowed)), source)
        return Check(condition, "unknown", "")
    codes = _MEDIUM_CODES.get(concept, ())
    if codes and products:
        have = [p for p in products if set(codes) & set(p.media)]
        listed = ", ".join(sorted({m for p in products for m in p.media}))
        if len(have) == len(products):
            return Check(condition, "holds", listed)
        if not have and all(p.media for p in products):
            # the catalogue lists the media an article is suited for: one not listed is not approved
            return Check(condition, "fails", listed)
    positive = [u for u in statements if words & u.facts.concepts and u not in negatives and u not in onlys]
    if positive and kind == "medium_word" and any(_lists_media(u) for u in positive):
        return Check(condition, "holds", "", next(u for u in positive if _lists_media(u)))
    return Check(condition, "unknown", "")


_PERMITS = re.compile(
    r"\b(?:kann|koennen|can|may|darf|duerfen|zulaessig|erlaubt|allowed|permitted|possible|moeglich|geeignet|"
    r"suitable|suited|bestaendig|resistant|bis|up to|approved|zugelassen)\b|\b(?:leitungen|lines)\b"
)
_NOT_THIS = re.compile(r"not this series|not these|nicht (?:bei )?diese[rn]? serie|gilt nicht fuer diese")
_CONDITIONAL = re.compile(r"\b(?:sonst|andernfalls|otherwise|unless|ausser wenn|falls|sofern|provided)\b")
_CLAUSE = re.compile(r",\s|;\s|\s(?:aber|but|jedoch|however|sondern|whereas|while)\s|\s[–-]\s")


def _negated(unit: Unit, concept: str, glossary: Glossary | None) -> bool:
    """The clause that names the concept is the negative one: "Can be connected against residual pressure, but
    never under system pressure" excludes system pressure, not residual pressure."""
    if glossary is None:
        return True
    folded = unit.facts.folded
    spans = [(m.start, m.end) for m in glossary.mentions(folded) if m.concept == concept]
    if not spans:
        return True
    bounds = [0, *[m.end() for m in _CLAUSE.finditer(folded)], len(folded)]
    for start, _ in spans:
        lo = max(b for b in bounds if b <= start)
        hi = min(b for b in bounds if b > start)
        clause = folded[lo:hi]
        if _NEGATIVE.search(clause):
            return True
        # a negation that governs the whole sentence before the clause ("Nicht für Dampf, Heißwasser oder …")
        if lo > 0 and _NEGATIVE.search(folded[:lo]) and not _NEGATIVE.search(folded[lo:]) \
                and not re.search(r"\b(?:aber|but|jedoch|however|sondern)\b", folded[lo - 8 : lo + 8]):
            return True
    return False


def _rating(condition: Condition, words: set[str], question: Question, statements: list[Unit]) -> Check | None:
    """The resistance table row that names the medium, the most specific first ("CIP-Lauge (NaOH 2 %)" before
    "Wasser"): good holds, limited is a condition to keep, unsuitable fails."""
    # the media the question names, not only the one this condition stands for ("CIP-Lauge" is a CIP detergent
    # and an alkali; the row to read is the alkali's, not the CIP acid's)
    media = words | (question.concepts & (set(_MEDIUM_CODES) | {"cip"}))
    rows = [u for u in statements if media & u.facts.concepts and (";" in u.text or ":" in u.text)
            and len(u.text) < 200
            and (_RATING_BAD.search(u.facts.folded) or _RATING_LIMITED.search(u.facts.folded)
                 or _RATING_GOOD.search(u.facts.folded))]
    if not rows:
        return None
    row = max(rows, key=lambda u: len(question.concepts & u.facts.concepts))
    folded = row.facts.folded
    if _RATING_BAD.search(folded):
        return Check(condition, "fails", "", row)
    if _RATING_LIMITED.search(folded):
        return Check(condition, "only_if", "", row)
    return Check(condition, "holds", "", row)


def _lists_media(unit: Unit) -> bool:
    """A media list or resistance table row: "Medien: Dampf, Wasser", "Sattdampf: sehr gut"."""
    f = unit.facts.folded
    return bool(re.search(r"\b(?:medien|media|medium|bestaendigkeit|resistance)\b", f)) and not re.search(
        r"ungeeignet|unsuitable|not suitable|nicht bestaendig|\bschlecht\b|\bpoor\b", f
    )


def _catalogue_check(
    condition: Condition, question: Question, products: list[Product], statements: list[Unit], onlys: list[Unit],
) -> Check:
    if not products:
        return Check(condition, "unknown", "")
    single = _single_constraint(condition)
    results = [check_product(single, p) for p in products]
    facts = [f for r in results for f in (*r.matched, *r.missed)]
    ok = all(r.fits for r in results)
    if condition.kind in ("temperature_max", "temperature_min"):
        detail = f"{_range([p.temp_min_c for p in products])} … {_range([p.temp_max_c for p in products])} °C"
    elif condition.kind == "pressure":
        detail = f"max. {_range([p.pressure_max_bar for p in products])} bar"
        minimum = _minimum_pressure(statements)
        if minimum is not None and condition.number is not None and condition.number < minimum[0]:
            return Check(condition, "fails", f"min. {minimum[0]:g} bar", minimum[1])
    else:
        detail = "; ".join(sorted({f.actual for f in facts})) or "-"
    if not ok:
        return Check(condition, "fails", detail)
    above = _threshold_passed(condition, statements)
    if above is not None:  # "Bei PU-Schlauch über 10 bar gilt der niedrigere Schlauchdruck" at 12 bar
        return Check(condition, "only_if", detail, above)
    for unit in onlys:  # "Für Sattdampf nur bis 10 bar": a limit that binds this condition
        if condition.kind == "pressure" and re.search(r"\d\s?bar", unit.facts.folded):
            bound = [_num(m.group(1)) for m in _UP_TO.finditer(unit.facts.folded) if m.group(2) == "bar"]
            exceeded = bool(bound) and condition.number is not None and condition.number > min(bound)
            if exceeded and question.concepts & unit.facts.concepts:
                return Check(condition, "fails", detail, unit)
            if bound and question.concepts & unit.facts.concepts - {"pressure"}:
                return Check(condition, "only_if", detail, unit)
    return Check(condition, "holds", detail)


def _threshold_passed(condition: Condition, statements: list[Unit]) -> Unit | None:
    """A datasheet sentence about what applies above a pressure or temperature the buyer's value exceeds."""
    if condition.number is None or condition.kind not in ("pressure", "temperature_max"):
        return None
    unit_word = "bar" if condition.kind == "pressure" else "c"
    for unit in statements:
        for m in _ABOVE.finditer(unit.facts.folded):
            if m.group(2) != "%" and (m.group(2) == "bar") == (unit_word == "bar") \
                    and condition.number > _num(m.group(1)):
                return unit
    return None


def _identity_value(condition: Condition, product: Product) -> str:
    if condition.kind == "size":
        return product.connection
    if condition.kind == "seal":
        return product.seal_material or product.material
    return product.material


def _minimum_pressure(statements: list[Unit]) -> tuple[float, Unit] | None:
    for unit in statements:
        m = _MIN_PRESSURE.search(unit.facts.folded)
        if m:
            return _num(m.group(1)), unit
    return None


def _single_constraint(condition: Condition) -> Constraints:
    n = condition.number
    match condition.kind:
        case "temperature_max":
            return Constraints(temp_max_c=n)
        case "temperature_min":
            return Constraints(temp_min_c=n)
        case "pressure":
            return Constraints(pressure_bar=n)
        case "certification":
            return Constraints(certifications=frozenset({condition.value}))
        case "material" if condition.value.startswith("no_"):
            return Constraints(excluded_materials=frozenset({condition.value.removeprefix("no_")}))
        case "material":
            return Constraints(materials=frozenset({condition.value}))
        case "seal":
            return Constraints(seal_materials=frozenset({condition.value}))
        case "size":
            return Constraints(sizes=frozenset({condition.value}))
    return Constraints()
