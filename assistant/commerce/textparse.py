r"""Quantities and edits as buyers type them: pasted order lists and changes to a draft, German and English.

Pure text functions, no database: the reorder and quick-order actions call them and decide what to ask.
Nothing is guessed silently: a line whose quantity is zero, negative, absurd or not a number is reported
with a reason code, and an edit that matches no position (or several, where one was meant) comes back as
``kind="unmatched"`` with the phrase, so the caller can ask instead of changing the wrong position.

Every pattern here is linear in its input (messages are hostile until proven otherwise): whitespace and number
runs are matched possessively (``\s*+``, ``[\d.,']*+``, Python 3.11), so the engine never tries every way of
splitting one run between two quantifiers, and searches that start with a run only start where the run starts.
A digit, 1,900 spaces and an article number once took 11 s here; ``tests/test_parsers_linear.py`` fuzzes every
parser and ``tools/bench_parsers.py`` times each one's worst case at the message limit.

Reason codes: ``zero``, ``negative``, ``too_large`` (over MAX_QTY), ``not_a_number`` (letters, fractions),
``missing_quantity`` (an article without a quantity), ``too_many_lines`` (over MAX_LINES lines pasted);
for edits also ``no_such_position``, ``not_in_draft``, ``ambiguous``, ``no_match``, ``unclear``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

MAX_QTY = 100_000
MAX_LINES = 500
MAX_QUICK_ORDER_CHARS = 20_000
MAX_EDIT_CHARS = 2000

# Same article-number shape as the resolver (catalogue suffixes can be one letter: OR-0250-E).
SKU_IN_TEXT = re.compile(
    r"(?<![\w./-])(?=[A-Za-z0-9]{0,4}[A-Za-z])[A-Za-z0-9]{2,5}-[0-9]{3,4}(?:-[0-9A-Za-z]{1,3})?"
    r"(?![\w-]|[./][0-9A-Za-z])"
)


def _words(block: str) -> list[str]:
    return block.split()


_QTY_UNIT = r"(?:x|×|\*|stk\.?|stück|stueck|st\.|pcs\.?|pieces?|pc\.?|ea\.?|units?|mal|teile)"
_NUMBER = r"[+-]?\d[\d.,']*"
# A number only starts where no number run is going on ("1'1'1'..." would otherwise start a match at every digit).
_NUMBER_START = r"(?<![\w.,])(?<!\d')"
_NUMBER_WORDS = {
    "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8,
    "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12, "zwoelf": 12, "zwanzig": 20, "fünfzig": 50, "hundert": 100,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "fifty": 50, "hundred": 100,
}


class DraftPosition(NamedTuple):
    """One position of a draft, in the tuple order the caller passes."""

    pos_no: int
    sku: str
    name_de: str
    name_en: str
    family: str
    qty: int


@dataclass(frozen=True)
class LineIssue:
    line: int  # 1-based line of the pasted text
    reason: str  # one of the reason codes in the module docstring
    sku: str | None
    fragment: str  # the text of that line (at most 80 chars), to quote back


@dataclass
class QuickOrderParse:
    lines: list[tuple[str, int]] = field(default_factory=list)  # (sku as typed, qty)
    errors: list[str] = field(default_factory=list)  # "line 2: zero: 3S-1208 x 0"; see `issues`
    rest: str = ""  # lines without an article number, for a product search
    issues: list[LineIssue] = field(default_factory=list)


@dataclass(frozen=True)
class DraftEdit:
    kind: str  # set_qty | remove | add | use_successor | unmatched
    pos_no: int | None = None
    sku: str | None = None
    qty: int | None = None
    phrase: str = ""  # what the buyer wrote for this edit (for "unmatched": what to ask about)
    reason: str | None = None  # for "unmatched"


# ------------------------------------------------------------------------------------------ quantities


_UNIT_SUFFIX = re.compile(rf"(?<!\s)\s*+{_QTY_UNIT}$")
_UNIT_PREFIX = re.compile(rf"^{_QTY_UNIT}\s*+")


def parse_qty(token: str) -> tuple[int | None, str | None]:
    """(quantity, None) or (None, reason code). Accepts "50", "1.000", "1,000", "50x", "50 Stk.", "zehn"."""
    raw = unicodedata.normalize("NFKC", token).strip().lower()
    raw = _UNIT_SUFFIX.sub("", raw).strip()
    raw = _UNIT_PREFIX.sub("", raw).strip()
    if raw in _NUMBER_WORDS:
        return _NUMBER_WORDS[raw], None
    sign = -1 if raw.startswith(("-", "−")) else 1
    digits = raw.lstrip("+-−").strip()
    if re.fullmatch(r"\d{1,3}(?:([.,'])\d{3})(?:\1\d{3})*", digits):
        digits = re.sub(r"[.,']", "", digits)
    if not re.fullmatch(r"\d+", digits):
        return None, "not_a_number"
    if len(digits.lstrip("0")) > 9:
        return None, "negative" if sign < 0 else "too_large"
    value = sign * int(digits)
    if value == 0:
        return None, "zero"
    if value < 0:
        return None, "negative"
    if value > MAX_QTY:
        return None, "too_large"
    return value, None


# Nothing after a number can start with a digit, '.', ',' or "'", so taking its run possessively loses no match.
_BEFORE_QTY = re.compile(
    rf"(?:^|[\s(])(?P<q>[+-]?\d[\d.,']*+)(?:\s*+(?P<u>{_QTY_UNIT}))?(?:\s*+(?:von|vom|of|der|des|from|:))?\s*+$",
    re.I,
)
_AFTER_QTY = re.compile(
    rf"^\s*+(?:(?P<m>x|×|\*|:|=|à|a)\s*+)?(?P<q>{_NUMBER})(?:\s*+(?P<u>{_QTY_UNIT})(?![\w])|(?![\w.,]))", re.I
)
_MARKED_QTY = re.compile(rf"{_NUMBER_START}(?P<q>{_NUMBER})\s*+{_QTY_UNIT}(?![\w])", re.I)
_MEASURE_AFTER = re.compile(r"^\s*+(?:mm|cm|m|bar|psi|°|grad|c|k|kg|g|l|dn|nw|v|w|kw|hz|%|zoll|inch)(?![\w])", re.I)
_AFTER_BAD = re.compile(r"^\s*+(?:x|×|\*|:|=)\s*+(?P<q>[^\s,;]+)", re.I)
_BEFORE_BAD = re.compile(r"(?:^|\s)(?P<q>[^\s,;]+)\s*+(?:x|×|\*)\s*+$", re.I)
_NUMBER_WORD = "|".join(_NUMBER_WORDS)
_WORD_QTY_BEFORE = re.compile(
    rf"(?:^|\s)(?P<q>{_NUMBER_WORD})(?:\s*+(?:{_QTY_UNIT}))?(?:\s*+(?:von|of))?\s*+$", re.I
)
_WORD_QTY_AFTER = re.compile(rf"^\s*+(?P<q>{_NUMBER_WORD})(?:\s*+{_QTY_UNIT})?(?![\w])", re.I)


def _qty_before(text: str) -> tuple[str, bool] | None:
    """The quantity right before an article: ("50", marked?)."""
    m = _BEFORE_QTY.search(text) or _WORD_QTY_BEFORE.search(text)
    if m:
        return m.group("q"), bool(m.groupdict().get("u"))
    bad = _BEFORE_BAD.search(text)
    if bad:
        return bad.group("q"), True
    return None


def _qty_after(text: str) -> tuple[str, bool] | None:
    """The quantity after an article; a marked one ("50 Stück") wins over a size ("12 mm 50 Stück")."""
    m = _AFTER_QTY.match(text)
    if m and (m.group("m") or m.group("u")):
        return m.group("q"), True
    marked = _MARKED_QTY.search(text)
    if marked:
        return marked.group("q"), True
    if m and not _MEASURE_AFTER.match(text[m.end():]):
        return m.group("q"), False
    bad = _AFTER_BAD.match(text)
    if bad:
        return bad.group("q"), True
    m = _WORD_QTY_AFTER.match(text)
    if m:
        return m.group("q"), True
    return None


_SEGMENT_SPLIT = re.compile(r";|(?<!\d),|,(?!\d)|(?<!\s)\s++(?:und|and|sowie|plus)\s++")


def _split_segments(line: str) -> list[str]:
    """Split at ";" and at commas that are not decimal commas ("1,5" stays together)."""
    return [s for s in _SEGMENT_SPLIT.split(line) if s.strip()]


_HEADER_QTY = re.compile(r"^(?:menge|anzahl|qty|quantity|stück|stk\.?|amount|bestellmenge|order qty)$", re.I)
_HEADER_SKU = re.compile(
    r"^(?:artikel|artikelnummer|artikel-?nr\.?|art\.?-?nr\.?|sku|item|item no\.?|part|part no\.?|"
    r"material|materialnummer|article|article no\.?)$",
    re.I,
)


def parse_quick_order(text: str) -> QuickOrderParse:
    """Read a pasted order list: "50x 3S-1208, 10x QC-300-08", one article per line, or Excel rows."""
    result = QuickOrderParse()
    text = unicodedata.normalize("NFKC", text or "")[:MAX_QUICK_ORDER_CHARS]
    raw_lines = text.splitlines()
    if len(raw_lines) > MAX_LINES:
        _issue(result, MAX_LINES + 1, "too_many_lines", None, raw_lines[MAX_LINES])
        raw_lines = raw_lines[:MAX_LINES]
    rest: list[str] = []
    qty_col: int | None = None
    for number, line in enumerate(raw_lines, start=1):
        if not line.strip():
            continue
        if "\t" in line:
            cells = [c.strip() for c in line.split("\t")]
            if not any(SKU_IN_TEXT.fullmatch(c) for c in cells):
                header = [i for i, c in enumerate(cells) if _HEADER_QTY.match(c)]
                if header and any(_HEADER_SKU.match(c) for c in cells):
                    qty_col = header[0]
                    continue
            if any(SKU_IN_TEXT.fullmatch(c) for c in cells):
                _parse_cells(result, number, line, cells, qty_col)
                continue
        for segment in _split_segments(line):
            if SKU_IN_TEXT.search(segment):
                _parse_segment(result, number, line, segment)
            elif segment.strip(" \t-–*•.:"):
                rest.append(segment.strip())
    result.rest = "\n".join(rest)
    return result


def _issue(result: QuickOrderParse, line: int, reason: str, sku: str | None, fragment: str) -> None:
    fragment = fragment.strip()[:80]
    result.issues.append(LineIssue(line, reason, sku, fragment))
    result.errors.append(f"line {line}: {reason}: {fragment}")


def _accept(result: QuickOrderParse, line_no: int, line: str, sku: str, token: str | None) -> None:
    if token is None:
        _issue(result, line_no, "missing_quantity", sku, line)
        return
    qty, reason = parse_qty(token)
    if qty is None:
        _issue(result, line_no, reason or "not_a_number", sku, line)
    else:
        result.lines.append((sku, qty))


def _parse_cells(result: QuickOrderParse, number: int, line: str, cells: list[str], qty_col: int | None) -> None:
    sku_index = next(i for i, c in enumerate(cells) if SKU_IN_TEXT.fullmatch(c))
    sku = cells[sku_index]
    if qty_col is not None and qty_col < len(cells) and cells[qty_col]:
        _accept(result, number, line, sku, cells[qty_col])
        return
    numeric = [
        i for i, c in enumerate(cells)
        if i != sku_index and c and re.fullmatch(rf"{_NUMBER}\s*{_QTY_UNIT}?\.?|[A-Za-zäöü]+", c, re.I)
        and (re.match(r"[+-]?\d", c) or c.lower() in _NUMBER_WORDS)
    ]
    after = [i for i in numeric if i > sku_index]
    before = [i for i in numeric if i < sku_index]
    if after:
        _accept(result, number, line, sku, cells[after[0]])
    elif before:
        _accept(result, number, line, sku, cells[before[-1]])
    else:
        _accept(result, number, line, sku, None)


def _parse_segment(result: QuickOrderParse, number: int, line: str, segment: str) -> None:
    matches = list(SKU_IN_TEXT.finditer(segment))
    first_before = _qty_before(segment[: matches[0].start()])
    before_style = first_before is not None
    for i, m in enumerate(matches):
        sku = m.group(0)
        if before_style:
            start = matches[i - 1].end() if i else 0
            found = _qty_before(segment[start:m.start()])
        else:
            end = matches[i + 1].start() if i + 1 < len(matches) else len(segment)
            found = _qty_after(segment[m.end():end])
        fragment = segment if len(matches) > 1 else line
        _accept(result, number, fragment, sku, found[0] if found else None)


# ------------------------------------------------------------------------------------------ draft edits

_FAMILY_WORDS: dict[str, tuple[str, ...]] = {
    # generic words for a whole family; specific words (o-ring, flachdichtung) match product names instead
    "seal": ("dichtung", "dichtungen", "seal", "seals", "dichtelement", "dichtelemente"),
    "hose": ("schlauch", "schläuche", "schläuchen", "schlauche", "hose", "hoses"),
    "valve": ("ventil", "ventile", "ventilen", "valve", "valves", "armatur", "armaturen"),
    "hydraulic_coupling": ("kupplung", "kupplungen", "coupling", "couplings", "schnellkupplung", "schnellkupplungen"),
    "pneumatic_fitting": ("verschraubung", "verschraubungen", "fitting", "fittings"),
    "hygienic_fitting": ("verschraubung", "verschraubungen", "fitting", "fittings"),
    "drive": ("antrieb", "antriebsteile", "riemen", "zahnriemen", "belt", "belts", "drive"),
}
_SINGULAR = frozenset(
    ("dichtung", "seal", "schlauch", "hose", "ventil", "valve", "armatur", "kupplung", "coupling",
     "schnellkupplung", "verschraubung", "fitting", "belt", "o-ring", "oring", "gasket", "flachdichtung")
)
_FILLER = frozenset(_words(
    """
    die der das den dem des ein eine einen the a an bitte please alle all auch also doch mal noch nur just
    ich wir i we you sie es it stück stk pcs pieces x mal position pos line item zeile menge qty quantity auf to
    von of mit with und and für for bei by brauche need wir ja yes ok okay danke thanks thank statt instead bis
    nehmen take use nimm mach make machen davon those these them diese dieser diesen so from im in
    """
))

_POSITION = re.compile(
    r"(?<![\w])(?:positionen|positions|position|pos|zeile|zeilen|line|lines|item|items)\.?\s*+(?:(?:nr\.?|no\.?|#)\s*+)?"
    r"(?P<n>\d{1,3}(?:\s*+(?:,|und|and|&|\+)\s*+\d{1,3})*)(?![\d])",
    re.I,
)
_REMOVE = re.compile(
    r"(?<![\w])(?:entfern\w*|lösch\w*|loesch\w*|streich\w*|raus\w*|weg|weglassen|wegnehmen|ohne|remove\w*|"
    r"delete\w*|drop|without|take\s+out|cancel\w*|storn\w*|nicht\s+mehr|no\s+more|kein|keine|keinen|"
    r"don't\s+need|do\s+not\s+need)(?![\w])",
    re.I,
)
_ADD = re.compile(
    r"(?<![\w])(?:add|füg\w*|fueg\w*|hinzu\w*|dazu|zusätzlich|zusaetzlich|ergänz\w*|ergaenz\w*|plus|extra|"
    r"additionally|also\s+add|noch)(?![\w])",
    re.I,
)
_SUCCESSOR = re.compile(
    r"(?<![\w])(?:nachfolger\w*|nachfolgeartikel|nachfolgemodell|successor\w*|replacement|ersatzartikel|"
    r"ersatztyp|ersatz)(?![\w])",
    re.I,
)
_SCALE = re.compile(
    r"(?<![\w])(?:(?P<double>alles\s+doppelt|alles\s+verdoppeln|verdopple\s+alles|doppelte\s+menge\w*|"
    r"double\s+(?:everything|all|the\s+quantities|it\s+all)|everything\s+twice)|"
    r"(?P<triple>alles\s+dreifach|alles\s+verdreifachen|dreifache\s+menge\w*|triple\s+(?:everything|all))|"
    r"(?:alles|everything|all)\s+(?:mal|x|times)\s*(?P<factor>\d{1,2}))(?![\w])",
    re.I,
)
# "Position 2 und 3 entfernen" stays one clause; "auf 20 und 3S-1208 auf 100" becomes two.
_NOT_A_BARE_NUMBER = r"(?!\d{1,3}(?![\w-]))"
_CLAUSE_SPLIT = re.compile(
    rf"[;\n]|,\s*+{_NOT_A_BARE_NUMBER}|(?<!\s)\s++(?:und|and|sowie|außerdem|ausserdem|then|dann)\s++{_NOT_A_BARE_NUMBER}",
    re.I,
)
_QTY_IN_CLAUSE = re.compile(
    rf"(?<![\w.,/-])(?<!\d')(?P<q>[+-]?\d[\d.,']*+)(?![\w.,]*+-\d)(?:\s*+(?P<u>{_QTY_UNIT})(?![\w]))?", re.I
)
_WORD_QTY_IN_CLAUSE = re.compile(rf"(?<![\w])(?:auf|to|:)\s*+(?P<q>{_NUMBER_WORD}|[a-zäöü]++)(?![\w])", re.I)
_EDIT_VERBS = re.compile(
    r"(?<![\w])(?:ändern|aendern|ändere|change|set|setzen|setze|make|korrigier\w*|erhöh\w*|reduzier\w*|"
    r"increase|reduce|menge|anzahl|stück|stueck|stk|pcs|pieces|bitte|please)(?![\w])",
    re.I,
)


def _fold(text: str) -> str:
    text = text.lower()
    return text.replace("ä", "a").replace("ö", "o").replace("ü", "u").replace("ß", "ss")


def _as_position(item: Any) -> DraftPosition:
    if isinstance(item, DraftPosition):
        return item
    if hasattr(item, "pos_no"):
        return DraftPosition(
            int(item.pos_no), str(item.sku), str(item.name_de), str(item.name_en), str(item.family), int(item.qty)
        )
    pos_no, sku, name_de, name_en, family, qty = item
    return DraftPosition(int(pos_no), str(sku), str(name_de), str(name_en), str(family), int(qty))


def _stems(word: str) -> set[str]:
    word = _fold(word)
    stems = {word}
    for ending in ("en", "n", "e", "s", "es", "er"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            stems.add(word[: -len(ending)])
    return stems


def _match_words(words: list[str], positions: list[DraftPosition]) -> tuple[list[DraftPosition], bool]:
    """Positions meant by content words, and whether a singular word asked for exactly one."""
    singular = any(w in _SINGULAR for w in words)
    family_hits = {
        fam for w in words for fam, synonyms in _FAMILY_WORDS.items() if w in synonyms
    }
    if family_hits:
        return [p for p in positions if p.family in family_hits], singular
    hits: list[DraftPosition] = []
    for p in positions:
        names = _fold(f"{p.name_de} {p.name_en}")
        if all(any(s in names for s in _stems(w)) for w in words):
            hits.append(p)
    return hits, singular


def parse_draft_edit(text: str, positions: Sequence[Any]) -> list[DraftEdit]:
    """Turn "Position 2 auf 20", "ohne die Dichtungen", "add 20x QC-300-08" into edits of a draft."""
    draft = [_as_position(p) for p in positions]
    text = unicodedata.normalize("NFKC", text or "")[:MAX_EDIT_CHARS]
    if not text.strip():
        return []
    scale = _SCALE.search(text)
    if scale:
        factor = 2 if scale.group("double") else 3 if scale.group("triple") else int(scale.group("factor"))
        return [_scaled(p, factor, scale.group(0)) for p in draft] if factor >= 1 else []

    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(text) if c and c.strip()]
    parsed = [_analyse(c) for c in clauses]
    # A clause without a verb borrows one: "Position 2 und 3 entfernen", "add 20x A and 10x B".
    for i, clause in enumerate(parsed):
        if clause["verb"] is None and (clause["targets_pos"] or clause["skus"] or clause["words"]):
            later = next((c["verb"] for c in parsed[i + 1:] if c["verb"]), None)
            earlier = next((c["verb"] for c in reversed(parsed[:i]) if c["verb"]), None)
            if clause["qty"] is None:
                clause["verb"] = later or earlier
            elif earlier == "add":
                clause["verb"] = "add"
    edits: list[DraftEdit] = []
    for clause in parsed:
        edits.extend(_edits_for(clause, draft))
    if not edits:
        return [DraftEdit("unmatched", phrase=text.strip()[:200], reason="unclear")]
    return edits


def _scaled(p: DraftPosition, factor: int, phrase: str) -> DraftEdit:
    qty = p.qty * factor
    if qty > MAX_QTY:
        return DraftEdit("unmatched", pos_no=p.pos_no, sku=p.sku, phrase=phrase, reason="too_large")
    return DraftEdit("set_qty", pos_no=p.pos_no, sku=p.sku, qty=qty, phrase=phrase)


def _analyse(clause: str) -> dict[str, Any]:
    work = clause
    verb: str | None = None
    if _SUCCESSOR.search(work):
        verb = "use_successor"
    elif _REMOVE.search(work):
        verb = "remove"
    elif _ADD.search(work):
        verb = "add"
    targets_pos: list[int] = []
    for m in _POSITION.finditer(work):
        targets_pos.extend(int(n) for n in re.findall(r"\d{1,3}", m.group("n")))
    work = _POSITION.sub(" ", work)
    skus = [m.group(0) for m in SKU_IN_TEXT.finditer(work)]
    # Several articles with their own quantities in one clause: "add 20x A, 10x B".
    pairs = parse_quick_order(_ADD.sub(" ", work)).lines if len(skus) > 1 else []
    work = SKU_IN_TEXT.sub(" ", work)
    qty_token: str | None = None
    m = _QTY_IN_CLAUSE.search(work)
    if m:
        qty_token = m.group("q")
        work = work[: m.start()] + " " + work[m.end():]
    else:
        words_qty = _WORD_QTY_IN_CLAUSE.search(work)
        if words_qty and words_qty.group("q").lower() not in _FILLER:
            qty_token = words_qty.group("q")
            work = work[: words_qty.start("q")] + " " + work[words_qty.end("q"):]
    for pattern in (_SUCCESSOR, _REMOVE, _ADD):
        work = pattern.sub(" ", work)
    work = _EDIT_VERBS.sub(" ", work)
    words = [w for w in re.findall(r"[\wäöüß][\wäöüß-]*", work.lower()) if w not in _FILLER and len(w) >= 3]
    return {"clause": clause, "verb": verb, "targets_pos": targets_pos, "skus": skus, "qty": qty_token,
            "words": words, "pairs": pairs}


def _edits_for(c: dict[str, Any], draft: list[DraftPosition]) -> list[DraftEdit]:
    phrase: str = c["clause"][:200]
    verb: str | None = c["verb"]
    by_pos = {p.pos_no: p for p in draft}
    by_sku = {p.sku.upper(): p for p in draft}
    targets: list[DraftPosition] = []
    problems: list[DraftEdit] = []
    for n in c["targets_pos"]:
        if n in by_pos:
            targets.append(by_pos[n])
        else:
            problems.append(DraftEdit("unmatched", pos_no=n, phrase=phrase, reason="no_such_position"))
    new_skus: list[str] = []
    for sku in c["skus"]:
        if sku.upper() in by_sku:
            targets.append(by_sku[sku.upper()])
        else:
            new_skus.append(sku.upper())
    if not targets and not new_skus and not problems and c["words"]:
        hits, singular = _match_words(c["words"], draft)
        if not hits:
            if verb or c["qty"] is not None:
                return [DraftEdit("unmatched", phrase=phrase, reason="no_match")]
            return []
        if singular and len(hits) > 1:
            return [DraftEdit("unmatched", phrase=phrase, reason="ambiguous")]
        targets = hits

    qty: int | None = None
    qty_reason: str | None = None
    if c["qty"] is not None:
        qty, qty_reason = parse_qty(c["qty"])
        if qty_reason == "zero" and verb in (None, "remove") and targets:
            verb = "remove"

    if verb == "add":
        if new_skus:
            if qty_reason:
                return [*problems, DraftEdit("unmatched", sku=new_skus[0], phrase=phrase, reason=qty_reason)]
            own = {sku.upper(): n for sku, n in c["pairs"]}
            return [*problems, *[DraftEdit("add", sku=s, qty=own.get(s, qty), phrase=phrase) for s in new_skus]]
        if targets and qty is not None:  # "noch 10 Stück 3S-1208 dazu" for an article in the draft
            return [*problems, *[DraftEdit("add", pos_no=p.pos_no, sku=p.sku, qty=qty, phrase=phrase) for p in targets]]
        if qty_reason and targets:
            return [*problems, DraftEdit("unmatched", phrase=phrase, reason=qty_reason)]
        return [*problems, DraftEdit("unmatched", phrase=phrase, reason="no_match")]
    if verb == "use_successor":
        if not targets and not new_skus:
            return [*problems, DraftEdit("use_successor", phrase=phrase)]
        return [*problems, *[DraftEdit("use_successor", pos_no=p.pos_no, sku=p.sku, phrase=phrase) for p in targets],
                *[DraftEdit("unmatched", sku=s, phrase=phrase, reason="not_in_draft") for s in new_skus]]
    if verb == "remove":
        return [*problems, *[DraftEdit("remove", pos_no=p.pos_no, sku=p.sku, phrase=phrase) for p in targets],
                *[DraftEdit("unmatched", sku=s, phrase=phrase, reason="not_in_draft") for s in new_skus]]
    if c["qty"] is None:
        if targets or new_skus:
            return [*problems, DraftEdit("unmatched", phrase=phrase, reason="unclear")]
        return problems
    if new_skus:
        problems += [DraftEdit("unmatched", sku=s, qty=qty, phrase=phrase, reason="not_in_draft") for s in new_skus]
    if not targets:
        return problems
    if qty_reason:
        return [*problems, *[DraftEdit("unmatched", pos_no=p.pos_no, sku=p.sku, phrase=phrase, reason=qty_reason)
                             for p in targets]]
    return [*problems, *[DraftEdit("set_qty", pos_no=p.pos_no, sku=p.sku, qty=qty, phrase=phrase) for p in targets]]
