"""Structured requirements read from a buyer's question, and products checked against them.

Public API (the product finder reuses it):
- ``parse_constraints(text) -> Constraints`` understands German and English: temperature
  ("bis 120 °C", "up to 120°C", "120 Grad", "-40 °C bis 150 °C"), pressure ("350 bar",
  "PN16", "5000 psi"), certifications ("FDA", "ATEX", "EHEDG", "Reinraum"/"cleanroom"),
  materials ("Edelstahl"/"stainless"/"1.4404", "Messing", seals "FKM"/"Viton"/"EPDM"),
  connection sizes ("G1/4", "8 mm", "DN25", "M5", "NPT 1/2"), media ("Dampf"/"steam",
  "Hydrauliköl"), industries ("Lebensmittel"/"food", "Pharma", "mobile Hydraulik") and
  product families ("Schlauch"/"hose").
- ``match_products(constraints, products) -> list[ProductMatch]``: every product with the
  facts it meets and the facts it misses, best first (all met, then fewest misses, active
  before discontinued).

Facts carry the required and the actual value so the answer can say exactly what fits
and what falls short, using only numbers from the catalogue or from the question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields

from assistant.retrieval.models import Product
from assistant.retrieval.tokenize import fold

# --------------------------------------------------------------------- vocabularies
CERT_ALIASES: dict[str, tuple[str, ...]] = {
    # requirement key -> catalogue codes that satisfy it
    "FDA": ("FDA-21CFR177",),
    "EU-1935/2004": ("EU-1935/2004",),
    "FOOD_CONTACT": ("FDA-21CFR177", "EU-1935/2004"),
    "EHEDG": ("EHEDG",),
    "3-A": ("3-A",),
    "USP-ClassVI": ("USP-ClassVI",),
    "ATEX": ("ATEX",),
    "CLEANROOM": tuple(f"ISO14644-{n}" for n in range(1, 10)),
    "REACH": ("REACH",),
    "RoHS": ("RoHS",),
    "DVGW": ("DVGW",),
    "ISO8434": ("ISO8434",),
    "SAE-J517": ("SAE-J517",),
}
_CERT_PATTERNS: list[tuple[str, str]] = [
    (r"\bfda\b|21\s?cfr", "FDA"),
    (r"\b1935\s?/\s?2004\b|\beu[- ]?konform", "EU-1935/2004"),
    (
        r"lebensmittelecht|lebensmitteltauglich|food[- ]?(?:grade|safe)|food contact|lebensmittelkontakt",
        "FOOD_CONTACT",
    ),
    (r"\behedg\b", "EHEDG"),
    (r"\b3-?a\b(?!\s*(?:bar|mm))", "3-A"),
    (r"usp\s?(?:class)?\s?vi\b|usp-classvi", "USP-ClassVI"),
    (r"\batex\b|explosionsgeschuetzt|explosion[- ]proof|ex[- ]bereich|ex[- ]zone|hazardous area", "ATEX"),
    (r"reinraum|clean\s?room|iso\s?14644", "CLEANROOM"),
    (r"\breach\b", "REACH"),
    (r"\brohs\b", "RoHS"),
    (r"\bdvgw\b|trinkwasser|drinking water|potable water", "DVGW"),
    (r"iso\s?8434", "ISO8434"),
    (r"sae\s?j\s?517", "SAE-J517"),
]
# material requirement key -> (regex on the question, regex on the product's material text)
_MATERIALS: dict[str, tuple[str, str]] = {
    "1.4404": (r"1\.4404|\b316\s?l\b", r"1\.4404|316\s?l"),
    "1.4301": (r"1\.4301|\b304\b", r"1\.4301|\b304\b"),
    "stainless": (
        r"edelstahl|rostfrei|nirosta|stainless|\bniro\b|\bv[24]a\b|inox",
        r"edelstahl|stainless|1\.4[0-9]{3}|\b31[06]|\b304|inox",
    ),
    "brass": (r"messing|\bbrass\b", r"messing|brass"),
    "steel": (r"\bstahl\b|\bsteel\b|verzinkt|zinc[- ]plated", r"stahl|steel"),
    "aluminium": (r"alumin", r"alumin"),
    "plastic": (
        r"kunststoff|plastic|\bpa\s?(?:6|12)?\b|polyamid|\bpom\b|\bpvdf\b|\bpp\b",
        r"kunststoff|plastic|\bpa\s?\d*\b|polyamid|\bpom\b|pvdf|\bpp\b",
    ),
}
# Materials a buyer rules out ("no copper, zinc or brass", "messingfrei"): key -> (question regex, product regex).
# Brass and bronze are copper alloys, brass and galvanised steel carry zinc.
_EXCLUDABLE: dict[str, tuple[str, str]] = {
    "brass": (r"messing\w*|\bbrass\b", r"messing|brass"),
    "copper": (r"kupfer\w*|\bcopper\b|\bbuntmetall\w*|non-ferrous", r"kupfer|copper|messing|brass|bronze"),
    "zinc": (r"\bzink\w*|\bzinc\b", r"\bzink|zinc|messing|brass|verzinkt|galvani"),
    "steel": (r"\bstahl\b|\bsteel\b", r"(?<!edel)stahl|(?<!stainless )steel"),
    "aluminium": (r"alumin\w*", r"alumin"),
    "plastic": (r"kunststoff\w*|plastic", r"kunststoff|plastic|\bpa\b|polyamid|\bpom\b|pvdf|\bpp\b"),
}
# A material named after "no", "without", "kein", "ohne", "frei von", or as "-frei"/"-free"
_EXCLUDING = re.compile(
    r"\b(?:no|not|without|never|kein\w*|ohne|nicht|frei von|free of|free from|avoid|exclude\w*|statt|anstatt|"
    r"anstelle von|instead of|rather than|replace)"
    r"(?:\s+(?:any|made of|aus|in|from|of))?"  # "not made of", "nicht aus"
    r"(?:\s+\w+\s*(?:,|\bor\b|\boder\b|\band\b|\bund\b|\bnor\b|\bnoch\b|/)){0,4}\s*$"
)
_FREE_AFTER = re.compile(r"^[\s-]*(?:frei|free)\b")
_SEALS: dict[str, tuple[str, str]] = {
    "FKM": (r"\bfkm\b|viton|\bfpm\b", r"\bfkm\b|viton|\bfpm\b"),
    "FFKM": (r"\bffkm\b|kalrez", r"\bffkm\b"),
    "EPDM": (r"\bepdm\b", r"\bepdm\b"),
    "NBR": (r"\bnbr\b|nitril|buna", r"\bnbr\b|nitril"),
    "PTFE": (r"\bptfe\b|teflon", r"\bptfe\b"),
    "VMQ": (r"silikon|silicone|\bvmq\b", r"silikon|silicone|\bvmq\b"),
    "HNBR": (r"\bhnbr\b", r"\bhnbr\b"),
}
_MEDIA: list[tuple[str, str]] = [
    (r"dampf|steam|\bsip\b", "steam"),
    (r"hydraulikoel|hydraulic oil|hydraulikfluessigkeit|hydraulic fluid", "hydraulic_oil"),
    (r"druckluft|compressed air|pneumati", "air"),
    (r"vakuum|vacuum|unterdruck", "vacuum"),
    (r"wasser\b(?![-\s]?glykol)|\bwater\b(?![-\s]?glycol)|trinkwasser|drinking water", "water"),
    (r"\bcip\b|reinigungsmittel|lauge|detergent|caustic", "cip_detergent"),
    (r"chemikalie|chemicals|saeure|\bacid|loesemittel|solvent", "chemicals"),
    (r"stickstoff|nitrogen|inertgas|inert gas|argon|\bco2\b", "inert_gas"),
    (r"schmierstoff|schmieroel|getriebeoel|gear oil|lubricant|\bfett\b|grease", "lubricant"),
    (r"\bstaub|\bdust\b|schuettgut|powder|pulver", "dust"),
    (r"getraenk|beverage|saft|juice|\bbier|\bbeer|milch|\bmilk", "beverage"),
]
_INDUSTRIES: list[tuple[str, str]] = [
    (
        r"lebensmittel|nahrungsmittel|\bfood\b|getraenke|beverage|molkerei|dairy|brauerei|brewery|bakery|baeckerei",
        "food_beverage",
    ),
    (r"pharma|arzneimittel|biotech", "pharma"),
    (r"verpackung|packaging", "packaging"),
    (
        r"mobile?n?\s?hydraulik|mobile hydraulics?|bagger|excavator|baumaschine|construction machin|"
        r"landmaschine|agricultural machin|traktor|tractor",
        "mobile_hydraulics",
    ),
    (r"chemie\b|chemische industrie|chemical (?:industry|plant)|chemieanlage", "chemical"),
    (r"maschinenbau|machine building|mechanical engineering|sondermaschinen", "machine_building"),
    (r"automobil|automotive|fahrzeugbau|kfz", "automotive"),
    (r"wasseraufbereitung|water treatment|klaeranlage|wastewater|abwasser", "water_treatment"),
    (r"logistik|logistics|intralogistik|foerdertechnik|conveyor", "logistics"),
]
_FAMILIES: list[tuple[str, str]] = [
    (
        r"steckverschraubung|steckanschluss|push[- ]?in|pneumatik[- ]?(?:verschraubung|fitting)|"
        r"pneumatic fitting",
        "pneumatic_fitting",
    ),
    (
        r"hygien\w*\s?(?:verbindung|fitting|verschraubung|armatur)|clamp|tri-?clamp|milchrohr|dairy fitting",
        "hygienic_fitting",
    ),
    (r"(?<!jaw )(?<!elastische )(?<!klauen)kupplung|(?<!jaw )coupling|coupler", "hydraulic_coupling"),
    (
        r"schneidring|cutting[- ]ring|tube fitting|compression fitting|bite[- ]type|rohrverschraubung|"
        r"einschraubverschraubung|male stud|24\s?°?\s?kon",
        "hydraulic_fitting",
    ),
    (r"schlauch|schlaeuche|\bhose", "hose"),
    (r"dichtung|dichtring|o-?ring|\bseal(?:s|ing)?\b|gasket|simmerring", "seal"),
    (r"ventil|\bvalve", "valve"),
    (
        r"antrieb|\bdrive\b|zahnriemen|timing belt|getriebe(?!oel|ol)|gearbox|kette\b|\bchain\b|"
        r"(?<!wellendicht)lager\b|bearing|klauenkupplung|jaw coupling",
        "drive",
    ),
]

# A number starts where no digit or decimal separator precedes it: without the lookbehind every position inside a
# long digit run would start a match of its own, and parsing 2,000 digits took a second (quadratic).
_NUM = r"[-−–]?\s?(?<![\d.,])\d+(?:[.,]\d+)?"
_DEG = r"\s?(?:°\s?C|° ?celsius|grad(?:\s?celsius)?|degrees?(?:\s?c(?:elsius)?)?|deg\s?c|°)"
_RANGE_T = re.compile(
    rf"(?:von|from|zwischen|between)?\s?({_NUM}){_DEG}?\s?(?:bis|to|und|and|-|…|\.\.)\s?({_NUM}){_DEG}",
    re.IGNORECASE,
)
_SINGLE_T = re.compile(rf"({_NUM}){_DEG}(?![a-z])", re.IGNORECASE)
_PRESSURE = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s?(bar|psi|mpa)\b", re.IGNORECASE)
_ANGLE = re.compile(r"winkel|elbow|bogen|\bbend\b|angle|abgewinkelt|\bl-form|rohrbogen")
_PN = re.compile(r"\bPN\s?(\d{1,3})\b", re.IGNORECASE)
_SIZES = re.compile(
    r"""
    (?P<thread>\b(?:G|R|Rc|NPT|BSPP|BSPT)\s?\d+(?:\s\d)?(?:/\d+)?)(?:\s?")?
  | (?P<dn>\bDN\s?\d{1,4}\b)
  | (?P<metric>\bM\d{1,2}(?:x\d(?:[.,]\d+)?)?\b)
  | (?P<mm>\b\d{1,3}(?:[.,]\d)?\s?mm\b)
  | (?P<inch>\b\d+/\d+\s?(?:"|”|zoll|inch)(?=\W|$))
    """,
    re.VERBOSE | re.IGNORECASE,
)
_SKU = re.compile(r"\b[A-Z0-9]{2,5}-\d{3,4}(?:-[0-9A-Z]{1,3})?\b")
# O-ring and seal sizes: inner diameter x cord ("25 x 2,5", "25x2.5 mm", "ID 25.0 x 2.5")
_CROSS_SECTION = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{1,2})?)\s?[x×*]\s?(\d{1,2}(?:[.,]\d{1,2})?)(?![\d.,])")
# Tube outside diameter as buyers say it: "8er Schlauch", "für 8er-Rohr"
_TUBE_ER = re.compile(r"\b(\d{1,2})er[- ]?(?:schlauch|schlaeuche|rohr|leitung)")


def cross_section(a: str, b: str) -> str:
    return f"{_to_float(a):g}x{_to_float(b):g}"


def _to_float(text: str) -> float:
    return float(text.replace("−", "-").replace("–", "-").replace(" ", "").replace(",", "."))


def normalise_size(text: str) -> str:
    """'G 1/4"' -> 'g1/4', '8 mm' -> '8mm', 'DN 25' -> 'dn25', '1/2 Zoll' -> '1/2"'."""
    value = fold(text).replace("”", '"').replace("zoll", '"').replace("inch", '"')
    value = re.sub(r"\s+", "", value).replace(",", ".")
    if re.match(r"^(g|r|rc|npt|bspp|bspt)\d", value):
        value = value.rstrip('"')
    return value


@dataclass(frozen=True)
class Constraints:
    """All fields optional; an empty Constraints means the question asks for nothing measurable."""

    temp_max_c: float | None = None  # the application reaches this temperature (upper end)
    temp_min_c: float | None = None  # ... and this low temperature (lower end)
    pressure_bar: float | None = None
    certifications: frozenset[str] = frozenset()  # keys of CERT_ALIASES
    materials: frozenset[str] = frozenset()  # body material keys of _MATERIALS
    seal_materials: frozenset[str] = frozenset()  # keys of _SEALS
    excluded_materials: frozenset[str] = frozenset()  # keys of _EXCLUDABLE the buyer rules out
    sizes: frozenset[str] = frozenset()  # normalised size tokens
    media: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()
    skus: frozenset[str] = frozenset()
    cleanroom_class: int | None = None

    def is_empty(self) -> bool:
        return all(not getattr(self, f.name) for f in fields(self))

    @property
    def count(self) -> int:
        """How many checkable requirements (SKUs and families select, they are not requirements)."""
        return (
            sum(1 for v in (self.temp_max_c, self.temp_min_c, self.pressure_bar) if v is not None)
            + len(self.certifications)
            + len(self.materials)
            + len(self.seal_materials)
            + len(self.excluded_materials)
            + len(self.sizes)
            + len(self.media)
            + len(self.industries)
        )


def _excluded_materials(folded: str) -> set[str]:
    """The materials the text rules out: "no copper, zinc or brass", "ohne Messing", "messingfrei"."""
    out = set()
    for key, (pattern, _) in _EXCLUDABLE.items():
        for m in re.finditer(pattern, folded):
            if _EXCLUDING.search(folded[max(0, m.start() - 60):m.start()]) or _FREE_AFTER.match(folded[m.end():]) \
                    or re.search(r"(?:frei|free)$", m.group(0)):
                out.add(key)
    return out


def exclusion_pattern(key: str) -> str:
    """The product-material regex of an excluded material (what the article must not be made of)."""
    return _EXCLUDABLE[key][1]


def _find_all(patterns: Iterable[tuple[str, str]], text: str) -> frozenset[str]:
    return frozenset(key for pattern, key in patterns if re.search(pattern, text))


def parse_constraints(text: str) -> Constraints:
    """Read measurable requirements from a German or English question."""
    raw = text or ""
    folded = fold(raw)
    temp_max = temp_min = None
    consumed: list[tuple[int, int]] = []
    for m in _RANGE_T.finditer(raw):
        a, b = sorted((_to_float(m.group(1)), _to_float(m.group(2))))
        temp_min = a if temp_min is None else min(temp_min, a)
        temp_max = b if temp_max is None else max(temp_max, b)
        consumed.append(m.span())
    for m in _SINGLE_T.finditer(raw):
        if any(s <= m.start() < e for s, e in consumed):
            continue
        if _ANGLE.search(fold(raw[max(0, m.start() - 30) : m.end() + 30])) and _to_float(m.group(1)) in (45, 90, 180):
            continue  # "Winkelverschraubung 90 Grad" is an angle
        value = _to_float(m.group(1))
        before = fold(raw[max(0, m.start() - 12) : m.start()])
        if value < 0 or (re.search(r"\b(?:ab|down to|min(?:imum|destens)?|as low as|from)\s*$", before) and value <= 0):
            temp_min = value if temp_min is None else min(temp_min, value)
        else:
            temp_max = value if temp_max is None else max(temp_max, value)

    pressure = None
    vacuum = False
    for m in _PRESSURE.finditer(raw):
        if re.search(r"[-−–]\s?$", raw[max(0, m.start() - 2) : m.start()]):
            vacuum = True  # "-0,8 bar" is a vacuum, not a working pressure
            continue
        value = float(m.group(1).replace(",", "."))
        unit = m.group(2).lower()
        value = value * 0.0689476 if unit == "psi" else value * 10.0 if unit == "mpa" else value
        pressure = round(value, 1) if pressure is None else max(pressure, round(value, 1))
    for m in _PN.finditer(raw):
        pressure = float(m.group(1)) if pressure is None else max(pressure, float(m.group(1)))

    certs = set(_find_all(_CERT_PATTERNS, folded))
    if "FDA" in certs or "EU-1935/2004" in certs:
        certs.discard("FOOD_CONTACT")
    clean_class = None
    if "CLEANROOM" in certs:
        m = re.search(r"(?:iso\s?14644[- ]?|iso[- ]?(?:klasse|class)\s?|(?:klasse|class)\s?)([1-9])\b", folded)
        clean_class = int(m.group(1)) if m else None

    excluded = _excluded_materials(folded)
    materials = {k for k, (q, _) in _MATERIALS.items() if re.search(q, folded)} - excluded
    if materials & {"1.4404", "1.4301"}:
        materials.discard("stainless")
    seals = {k for k, (q, _) in _SEALS.items() if re.search(q, folded)}
    if re.search(r"(?:fkm|ffkm|viton|epdm|nbr|hnbr|ptfe|teflon|silikon|silicone|vmq)[- ]?(?:dichtung|seal)", folded):
        families_hint_seal_of_fitting = True
    else:
        families_hint_seal_of_fitting = False
    if "stainless" in materials and re.search(r"stainless steel|edelstahl", folded):
        materials.discard("steel")
    if "FFKM" in seals:
        seals.discard("FKM")
    if "HNBR" in seals:
        seals.discard("NBR")
    if "plastic" in materials and re.search(r"\bpa\b|\bpu\b", folded) and re.search(r"schlauch|tube|hose", folded):
        materials.discard("plastic")  # "PA-Schlauch" names the tube, not the fitting's body

    sizes = set()
    for m in _SIZES.finditer(raw):
        token = normalise_size(m.group(0))
        if m.lastgroup == "mm" and _is_temperature_or_dimension_noise(raw, m):
            continue
        sizes.add(token)
    for m in _CROSS_SECTION.finditer(raw):
        sizes.discard(normalise_size(f"{m.group(1)} mm"))  # "25 x 2,5 mm" is one size, not a 25 mm tube
        sizes.discard(normalise_size(f"{m.group(2)} mm"))
        sizes.add(cross_section(m.group(1), m.group(2)))
    for m in _TUBE_ER.finditer(folded):
        sizes.add(f"{int(m.group(1))}mm")

    media = set(_find_all(_MEDIA, folded)) | ({"vacuum"} if vacuum else set())
    industries = set(_find_all(_INDUSTRIES, folded))
    if "beverage" in media:
        industries.add("food_beverage")
    families = set(_find_all(_FAMILIES, folded))
    if families_hint_seal_of_fitting and (families - {"seal"} or materials or sizes):
        families.discard("seal")  # "mit FKM-Dichtung" describes the fitting's seal, not an O-ring
    if "hydraulic_coupling" in families and "hygienic_fitting" in families and "clamp" in folded:
        families.discard("hydraulic_coupling")
    return Constraints(
        temp_max_c=temp_max,
        temp_min_c=temp_min,
        pressure_bar=pressure,
        certifications=frozenset(certs),
        materials=frozenset(materials),
        seal_materials=frozenset(seals),
        excluded_materials=frozenset(excluded),
        sizes=frozenset(sizes),
        media=frozenset(media),
        industries=frozenset(industries),
        families=frozenset(families),
        skus=frozenset(_SKU.findall(raw.upper())),
        cleanroom_class=clean_class,
    )


def _is_temperature_or_dimension_noise(raw: str, m: re.Match[str]) -> bool:
    """'25 x 2.5 mm' is an O-ring cross-section, not a tube size."""
    return bool(re.search(r"x\s?$", raw[max(0, m.start() - 3) : m.start()]))


# --------------------------------------------------------------------- matching
@dataclass(frozen=True)
class Fact:
    """One requirement checked against one product.

    ``required`` comes from the question, ``actual`` from the catalogue. ``key`` is one of
    temperature_max, temperature_min, pressure, certification, material, seal, size,
    medium, industry, family.
    """

    key: str
    required: str
    actual: str
    ok: bool


@dataclass(frozen=True)
class ProductMatch:
    product: Product
    matched: tuple[Fact, ...]
    missed: tuple[Fact, ...]
    score: float

    @property
    def fits(self) -> bool:
        return not self.missed


def _fmt(value: float) -> str:
    return f"{value:g}"


def _size_tokens(product: Product) -> set[str]:
    tokens = {normalise_size(product.size)}
    for m in _CROSS_SECTION.finditer(f"{product.size} {product.connection}"):
        tokens.add(cross_section(m.group(1), m.group(2)))
    for m in _SIZES.finditer(product.connection):
        tokens.add(normalise_size(m.group(0)))
    for part in re.split(r"[;,]", product.connection):
        if part.strip():
            tokens.add(normalise_size(part.replace("tube", "").replace("Schlauch", "")))
    return tokens


def check_product(c: Constraints, p: Product) -> ProductMatch:
    facts: list[Fact] = []
    if c.temp_max_c is not None:
        facts.append(
            Fact(
                "temperature_max",
                f"{_fmt(c.temp_max_c)} °C",
                f"{_fmt(p.temp_max_c)} °C",
                p.temp_max_c >= c.temp_max_c,
            )
        )
    if c.temp_min_c is not None:
        facts.append(
            Fact(
                "temperature_min",
                f"{_fmt(c.temp_min_c)} °C",
                f"{_fmt(p.temp_min_c)} °C",
                p.temp_min_c <= c.temp_min_c,
            )
        )
    if c.pressure_bar is not None:
        facts.append(
            Fact(
                "pressure",
                f"{_fmt(c.pressure_bar)} bar",
                f"{_fmt(p.pressure_max_bar)} bar",
                p.pressure_max_bar >= c.pressure_bar,
            )
        )
    for cert in sorted(c.certifications):
        accepted = CERT_ALIASES.get(cert, (cert,))
        have = [code for code in p.certifications if code in accepted]
        if cert == "CLEANROOM" and c.cleanroom_class is not None:
            have = [code for code in have if int(code.rsplit("-", 1)[1]) <= c.cleanroom_class]
        label = f"ISO 14644 ≤ {c.cleanroom_class}" if cert == "CLEANROOM" and c.cleanroom_class else cert
        facts.append(Fact("certification", label, ", ".join(have) or "-", bool(have)))
    mat_text = fold(p.material)
    for mat in sorted(c.materials):
        facts.append(Fact("material", mat, p.material, bool(re.search(_MATERIALS[mat][1], mat_text))))
    for mat in sorted(c.excluded_materials):
        facts.append(Fact("material", f"no_{mat}", p.material, not re.search(_EXCLUDABLE[mat][1], mat_text)))
    seal_text = fold(f"{p.seal_material} {p.material if p.family in ('seal', 'hose') else ''}")
    for seal in sorted(c.seal_materials):
        facts.append(Fact("seal", seal, p.seal_material or p.material, bool(re.search(_SEALS[seal][1], seal_text))))
    if c.sizes:
        have = _size_tokens(p)
        for size in sorted(c.sizes):
            facts.append(Fact("size", size, p.connection, size in have))
    for medium in sorted(c.media):
        ok = medium in p.media or (medium == "beverage" and "food" in p.media)
        facts.append(Fact("medium", medium, ", ".join(p.media) or "-", ok))
    for industry in sorted(c.industries):
        facts.append(Fact("industry", industry, ", ".join(p.industries) or "-", industry in p.industries))
    if c.families:
        facts.append(Fact("family", " / ".join(sorted(c.families)), p.family, p.family in c.families))
    matched = tuple(f for f in facts if f.ok)
    missed = tuple(f for f in facts if not f.ok)
    score = (len(matched) + 1.0) / (len(facts) + 1.0)
    if not p.active:
        score -= 0.5
    if c.skus and p.sku in c.skus:
        score += 1.0
    return ProductMatch(p, matched, missed, round(score, 4))


def match_products(constraints: Constraints, products: Iterable[Product]) -> list[ProductMatch]:
    """Every product with matched and missed facts; fitting, active products first.

    Sort order: no misses first, then fewest misses (a family miss counts double because
    a hose is no answer to a question about couplings), then score, then stock.
    """
    results = [check_product(constraints, p) for p in products]

    def key(m: ProductMatch) -> tuple:
        weight = sum(2 if f.key == "family" else 1 for f in m.missed)
        return (weight, not m.product.active, -m.score, -m.product.stock_qty, m.product.sku)

    return sorted(results, key=key)
