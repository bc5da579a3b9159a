"""How buyers refer to their orders: "letzten Montag", "order #4711", "die Bestellung mit den O-Ringen".

A small, careful, regex-based parser (no general date library: they read "12.11." as a time, "die" as Tuesday and
"1.4404" as a date; docs/order-references.md has the measurements). It turns one chat message into an
`OrderReference` whose fields are validated to narrow charsets, so nothing a user typed reaches a query unchecked.
The date grammar lives in `assistant.commerce.dates`; this module keeps the order-specific rules.

- Dates: see `assistant.commerce.dates`. A date phrase that is only partly understood gives no range and
  `date_unclear=True`, so the action asks; an explicit date wins over a contradicting weekday and
  `stated_weekday` keeps the weekday the buyer named, so the reply can say so.
- "meine letzte Bestellung", "my last/latest order", "zuletzt": latest=True.
- "vorletzte Bestellung", "drittletzte", "second to last order", "the order before last", "penultimate order":
  latest=True with skip=1 (2 for "drittletzte"/"third to last"): that many newer orders are passed over.
- "meine offenen Aufträge", "offene Bestellungen", "my open orders", "what is still open": open_only=True.
- "Auftrag 4711", "order #4711", "Bestellung Nr. 4711", "#4711", or one bare 3-10 digit number that is
  not a quantity, size, pressure, temperature, year, material number (1.4404) or part of an article
  number: order_number. A keyword-led number longer than 10 digits rejects the reference's number.
- "Bestellnummer BE-4471/2026", "PO-2026-0815", "PO: 4471", "unsere Referenz X": po_reference (in German
  B2B use the "Bestellnummer" is the buyer's number; the supplier's is the "Auftragsnummer").
- an article number (e.g. 3S-1208, QC-300-08, OR-0250-E; any case) → sku, upper-cased.
- "die Bestellung mit den O-Ringen" → product_hint "o-ringe"; "the order with the hoses" → "hoses";
  "the O-ring order", "die O-Ring-Bestellung" → "o-ring".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from assistant.commerce.dates import MASK as _MASK
from assistant.commerce.dates import UNIT_AFTER as _UNIT_AFTER
from assistant.commerce.dates import read_dates
from assistant.errors import InvalidInput

MAX_INPUT_CHARS = 2000
DEFAULT_TZ = "Europe/Berlin"

# Article numbers. The catalogue has one-letter suffixes (OR-0250-E), so the suffix is 1..3 chars; the
# prefix must contain a letter so that "0711-1234" or "12-2026" are never taken for articles.
SKU_RE = re.compile(r"^(?=[A-Z0-9]{0,4}[A-Z])[A-Z0-9]{2,5}-[0-9]{3,4}(?:-[0-9A-Z]{1,3})?$")
_SKU_IN_TEXT = re.compile(
    r"(?<![\w./-])((?=[a-z0-9]{0,4}[a-z])[a-z0-9]{2,5}-[0-9]{3,4}(?:-[0-9a-z]{1,3})?)(?![\w-]|[./][0-9a-z])"
)
PO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,39}$")
ORDER_NUMBER_RE = re.compile(r"^[0-9]{3,10}$")


def _words(block: str) -> list[str]:
    return block.split()


class NaiveDatetime(InvalidInput):
    """`now` must be timezone-aware: a naive time cannot be put into Europe/Berlin reliably."""


@dataclass(frozen=True)
class OrderReference:
    """What a buyer said about which order(s) they mean; every field validated, empty when unsure."""

    order_number: str | None = None
    po_reference: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    latest: bool = False
    skip: int = 0  # with latest: how many newer orders to pass over ("vorletzte" = 1)
    open_only: bool = False
    product_hint: str | None = None
    sku: str | None = None
    stated_weekday: int | None = None  # the weekday the buyer named when the explicit date says another (0=Monday)
    date_unclear: bool = False  # a date was mentioned but not read for certain: ask, do not search
    description: str = ""

    def is_empty(self) -> bool:
        """True when nothing usable was found (the description does not count)."""
        return not (
            self.order_number or self.po_reference or self.date_from or self.date_to or self.latest
            or self.open_only or self.product_hint or self.sku
        )


# ------------------------------------------------------------------------------------ other fields

_PO_KEYWORD = re.compile(
    r"(?<![\w-])(?:"
    r"p\.?\s?o\.?(?:[\s-]*(?:nr|no|nummer|number|num|ref|reference))?"
    r"|purchase[\s-]+order(?:[\s-]*(?:no|nr|number))?"
    r"|(?:kunden)?bestell(?:ungs)?[\s-]*(?:nummer|nr)"
    r"|bestellzeichen|ihr(?:e)?\s+zeichen|your\s+ref(?:erence)?|our\s+ref(?:erence)?|customer\s+reference"
    r"|referenz(?:nummer)?"
    r")(?![\w])\.?(?:\s+(?:ist|is|lautet|lautete|was|war)(?![\w]))?(?:\s*[:#=]\s*|\s+)(?P<ref>[^\s\x00]+)"
)
_PO_TOKEN = re.compile(r"(?<![\w-])(?P<ref>po[-_/]?\d[^\s\x00]*)")

_ORDER_KEYWORD = re.compile(
    r"(?<![\w-])(?:auftrags?(?:nummer|nr\.?|-nr\.?)?|bestellung|order|ordernummer|vorgang(?:snummer)?)"
    r"(?:[\s-]*(?:nr|no|nummer|number|num|id)\.?)?\s*(?:[:#]\s*|\s+)#?(?P<num>\d+)(?![\d])"
)
_HASH_NUMBER = re.compile(r"(?<![\w#&])#\s?(?P<num>\d+)(?!\d)")
_NR_NUMBER = re.compile(r"(?<![\w-])(?:nr|no|nummer|number)\.?\s*(?P<num>\d+)(?!\d)")
_BARE_NUMBER = re.compile(r"(?<![\w.,/#+\-–:])(?P<num>\d{3,})(?![\w])")
_NO_ORDER_BEFORE = re.compile(
    r"(?:\b(?:lieferung|lieferschein|lieferscheinnummer|lieferscheinnr|delivery|sendung|shipment|rechnung|"
    r"rechnungsnummer|rechnungsnr|invoice|kunde|kunden|kundennummer|kundennr|customer|account|konto|tel|"
    r"telefon|phone|fax|mobil|plz|zip|zeile|line|pos|position|seite|page|menge|qty|quantity|anzahl|stück|"
    r"preis|price|kst|kostenstelle|cost\s+centre|cost\s+center|jahr|year|dn|pn|nw|größe|size|"
    r"zertifikat|certificate|angebot|quote|ticket|tracking|"
    # a standard's number ("EN 10204", "DIN 11851", "ISO 8434-1") is not an order
    r"en|din|iso|iec|vde|vdi|vdma|astm|ansi|sae|nfpa|cfr|jis|bs)\.?(?:[\s-]*(?:nr|no|nummer|number)\.?)?"
    r"|(?<![\w])[gmrx]|[×*/€$])\s*[:#]?\s*$"
)

_LATEST = re.compile(
    r"(?<![\w])(?:"
    r"(?:letzte[nrs]?|neueste[nrs]?|jüngste[nrs]?|aktuellste[nrs]?)\s+(?:bestellung|auftrag|einkauf|lieferung|order)"
    r"|zuletzt|(?:das\s+)?letzte\s+mal|letztes\s+mal"
    r"|(?:last|latest|most\s+recent|previous|recent)\s+(?:order|purchase|delivery|one)s?"
    r"|the\s+latest|most\s+recent|last\s+time|ordered\s+last"
    r")(?![\w])"
)
_ORDER_WORD = r"(?:bestellung|auftrag|einkauf|lieferung|order|purchase|delivery|one)"
_SKIP = (
    (2, re.compile(rf"(?<![\w])(?:drittletzte[nrs]?\s+{_ORDER_WORD}|third[\s-]+(?:to|from)[\s-]+last\s+{_ORDER_WORD}"
                   rf"|{_ORDER_WORD}\s+before\s+the\s+one\s+before\s+last)(?![\w])")),
    (1, re.compile(rf"(?<![\w])(?:vorletzte[nrs]?\s+(?:mal|{_ORDER_WORD})|vorletztes\s+mal"
                   rf"|second[\s-]+(?:to|from)[\s-]+last\s+{_ORDER_WORD}|penultimate\s+{_ORDER_WORD}"
                   rf"|(?:the\s+)?{_ORDER_WORD}\s+before\s+(?:the\s+)?(?:my\s+)?(?:last|latest)(?:\s+{_ORDER_WORD})?"
                   rf"(?!\s*(?:week|month|year|time|\w+day))"
                   rf"|{_ORDER_WORD}\s+vor\s+(?:der|dem|meiner|meinem)\s+letzten(?:\s+{_ORDER_WORD})?"
                   rf"(?!\s*(?:woche|monat|jahr|mal|\w+tag))"
                   rf")(?![\w])")),
)
_OPEN = re.compile(
    r"(?<![\w])(?:"
    r"offen(?:e|en|er|es)?|ausstehend(?:e|en|er|es)?|nicht\s+abgeschlossen(?:e|en)?"
    r"|noch\s+nicht\s+(?:geliefert|angekommen|da|versandt|versendet|verschickt|eingetroffen|erhalten)"
    r"|open\s+(?:\w+\s+)?(?:orders?|purchases?|deliveries|items|ones|pos)"
    r"|(?:still|are|is|'s|remains?|remaining)\s+open|outstanding|pending|undelivered|unfulfilled"
    r"|not\s+(?:yet\s+)?(?:been\s+)?(?:delivered|shipped|arrived|received)"
    r")(?![\w])"
)

_HINT_AFTER = re.compile(
    r"(?<![\w])(?:mit|with|containing|enthielt|enthält|enthaelt)\s+"
    r"(?:(?:den|dem|der|die|das|the|some|those|these|our|my|meinen|meine|meiner|unseren|unsere|unserer)\s+)?"
    r"(?P<hint>[a-zäöüß][\w-]*(?:\s+[a-zäöüß0-9][\w-]*){0,2})"
)
# Product words for the shapes "the hose order" / "die O-Ring-Bestellung", which need a known noun.
_PRODUCT_STEMS = tuple(_words(
    """
    hose o-ring oring seal gasket valve coupling fitting belt connector clamp flange nipple adapter
    schlauch dichtung ventil kupplung verschraubung riemen zahnriemen kugelhahn flansch stecker nippel
    schelle epdm fkm nbr hnbr ptfe edelstahl stainless hydraulik hydraulic pneumatik pneumatic
    magnetventil solenoid
    """
))
_HINT_BEFORE_EN = re.compile(
    r"(?<![\w])(?:the|my|our|that|this)\s+(?P<hint>[a-z][a-z0-9-]{1,30})\s+(?:order|purchase)(?![\w])"
)
_HINT_COMPOUND_DE = re.compile(r"(?<![\w-])(?P<hint>[a-zäöüß][\w-]{1,30}?)-(?:bestellung|auftrag)(?![\w])")
_HINT_STOP = frozenset(_words(
    """
    vom von from am an on in im at letzte letzten letzter last bestellt ordered drin drauf darin und and
    oder or bitte please nochmal again wieder noch die der das the which that welche was were war is ist
    sind are bei für for aus of zu to geliefert delivered gekauft bought i ich wir we you sie es it so
    mal als as vor ago seit since
    """
))
_HINT_REJECT_PREFIX = tuple(_words(
    """
    bestell auftrag order liefer deliver rechnung invoice nummer number nr datum date termin status
    problem frage question fehler error mir uns ihnen dir you me us it ihm ihr referenz reference po
    kunde customer last latest recent previous open offen letzt neuest item artikel position zahlung
    payment rabatt discount preis price frist versand shipping freigabe approval eile hurry sicherheit
    dank thank gruß grüß regards best kind freundlich
    """
))
# German dative plural (mit den O-Ringen) back to the nominative plural a catalogue name matches.
# Words in -en are ambiguous (Ringen -> Ringe, but Dichtungen stays), so those come from a list.
_DATIVE_PLURAL = {
    "o-ringen": "o-ringe", "ringen": "ringe", "schläuchen": "schläuche", "schlaeuchen": "schlaeuche",
    "ventilen": "ventile", "flanschen": "flansche", "kugelhähnen": "kugelhähne",
    "kugelhaehnen": "kugelhaehne",
    "riemen": "riemen", "zahnriemen": "zahnriemen", "magnetventilen": "magnetventile",
}


def _normalise_hint(raw: str) -> str | None:
    words: list[str] = []
    for word in raw.split():
        if word in _HINT_STOP or any(c.isdigit() for c in word):
            break
        words.append(word)
    if not words or words[0].startswith(_HINT_REJECT_PREFIX):
        return None
    last = words[-1]
    if last in _DATIVE_PLURAL:
        last = _DATIVE_PLURAL[last]
    elif re.search(r"[^e](?:er|el)n$", last):  # Steckern -> Stecker, Nippeln -> Nippel
        last = last[:-1]
    words[-1] = last
    hint = " ".join(words).strip("-")
    if not re.fullmatch(r"[a-z0-9äöüß][a-z0-9äöüß -]{1,39}", hint):
        return None
    return hint


def _valid_po(raw: str) -> str | None:
    """The whole typed token must be clean: "4471';--" is rejected, not trimmed to "4471"."""
    ref = raw
    if len(ref) >= 2 and ref[0] in "\"'„“‚‘«»(" and ref[-1] in "\"'“”‘’»«)":
        ref = ref[1:-1]
    ref = re.sub(r"[.,;:!?)]+$", "", ref).rstrip("-/_")
    if len(ref) < 3:
        return None
    if not PO_RE.fullmatch(ref) or not re.search(r"\d", ref):
        return None
    if ".." in ref or "--" in ref or "//" in ref:
        return None
    return ref


def _mask(buf: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        buf[i] = _MASK


_SPACES = re.compile(r"\s+")


def _prepare(text: str) -> tuple[str, str]:
    """Truncate, normalise compatibility forms (full-width digits), lower-case without changing length."""
    text = unicodedata.normalize("NFKC", (text or "")[:MAX_INPUT_CHARS])[:MAX_INPUT_CHARS]
    text = _SPACES.sub(" ", text.replace("\u2019", "'"))
    lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return text, lowered


# ------------------------------------------------------------------------------------------ public


def parse_order_reference(
    text: str, now: datetime, language: str | None = None, *, tz: str = DEFAULT_TZ
) -> OrderReference:
    """Read which order(s) a buyer means; unknown parts stay empty so the caller can ask."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetime("now must be timezone-aware")
    today = now.astimezone(ZoneInfo(tz)).date()
    original, lowered = _prepare(text)
    buf = list(lowered)

    po_reference = _extract_po(buf, original)
    sku = _extract_sku(buf)
    dates = read_dates(buf, original, lowered, today)
    order_number = _extract_order_number(buf)
    masked = "".join(buf)
    skip = next((n for n, pattern in _SKIP if pattern.search(masked)), 0)
    latest = bool(skip or _LATEST.search(masked))
    open_only = bool(_OPEN.search(masked))
    product_hint = _extract_hint(masked)

    if language not in ("de", "en"):
        from assistant.language import detect_language

        language = detect_language(original, fallback="de")
    ref = OrderReference(
        order_number=order_number, po_reference=po_reference, date_from=dates.start, date_to=dates.end,
        latest=latest, skip=skip, open_only=open_only, product_hint=product_hint, sku=sku,
        stated_weekday=dates.stated_weekday, date_unclear=dates.unclear,
    )
    return replace(ref, description=describe(ref, language))


def _extract_po(buf: list[str], original: str) -> str | None:
    result: str | None = None
    for pattern in (_PO_KEYWORD, _PO_TOKEN):
        for m in pattern.finditer("".join(buf)):
            ref = _valid_po(original[m.start("ref"):m.end("ref")])
            _mask(buf, m.start(), m.end())
            if ref and result is None:
                result = ref
    return result


def _extract_sku(buf: list[str]) -> str | None:
    result: str | None = None
    for m in _SKU_IN_TEXT.finditer("".join(buf)):
        candidate = m.group(1).upper()
        if SKU_RE.fullmatch(candidate):
            _mask(buf, m.start(), m.end())
            result = result or candidate
    return result


def _extract_order_number(buf: list[str]) -> str | None:
    text = "".join(buf)
    keyed: list[str] = []
    rejected = False
    for pattern in (_ORDER_KEYWORD, _HASH_NUMBER, _NR_NUMBER):
        for m in pattern.finditer(text):
            num = m.group("num")
            if pattern is _NR_NUMBER and _NO_ORDER_BEFORE.search(text[max(0, m.start() - 30):m.start()]):
                continue
            if _UNIT_AFTER.match(text[m.end():m.end() + 12]):
                continue
            _mask(buf, m.start(), m.end())
            if len(num) > 10:
                rejected = True
            elif len(num) >= 3:
                keyed.append(num)
        text = "".join(buf)
    if keyed:
        return keyed[0]
    if rejected:
        return None
    bare: list[str] = []
    for m in _BARE_NUMBER.finditer(text):
        num = m.group("num")
        if len(num) > 10:
            return None  # a hostile or pasted long number: no guessing around it
        if _UNIT_AFTER.match(text[m.end():m.end() + 12]):
            continue
        if _NO_ORDER_BEFORE.search(text[max(0, m.start() - 30):m.start()]):
            continue
        if len(num) == 4 and 1900 <= int(num) <= 2099:
            continue  # a year, not an order
        bare.append(num)
    distinct = list(dict.fromkeys(bare))
    return distinct[0] if len(distinct) == 1 else None


def _extract_hint(masked: str) -> str | None:
    for pattern in (_HINT_AFTER, _HINT_COMPOUND_DE, _HINT_BEFORE_EN):
        for m in pattern.finditer(masked):
            hint = _normalise_hint(m.group("hint"))
            if hint and pattern is not _HINT_AFTER and not hint.startswith(_PRODUCT_STEMS):
                continue
            if hint:
                return hint
    return None


# ------------------------------------------------------------------------------------ descriptions

_WD_SHORT = {"de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
             "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}
_MON_SHORT_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _fmt(day: date, lang: str) -> str:
    if lang == "de":
        return day.strftime("%d.%m.%Y")
    return f"{day.day} {_MON_SHORT_EN[day.month - 1]} {day.year}"


def _describe_dates(start: date | None, end: date | None, lang: str) -> str:
    if start and end and start == end:
        return f"{_WD_SHORT[lang][start.weekday()]}{',' if lang == 'de' else ''} {_fmt(start, lang)}"
    if start and end:
        return f"{_fmt(start, lang)} – {_fmt(end, lang)}"
    if start:
        return f"{'ab' if lang == 'de' else 'from'} {_fmt(start, lang)}"
    if end:
        return f"{'bis' if lang == 'de' else 'until'} {_fmt(end, lang)}"
    return ""


def describe(ref: OrderReference, language: str = "de") -> str:
    """A short human-readable summary for replies ("Auftrag 4711, Mo., 16.11.2026")."""
    lang = "en" if language == "en" else "de"
    de = lang == "de"
    parts: list[str] = []
    if ref.latest and ref.skip:
        parts.append(({1: "vorletzte", 2: "drittletzte"}.get(ref.skip, f"{ref.skip + 1}.-letzte") + " Bestellung")
                     if de else f"{({1: 'second', 2: 'third'}.get(ref.skip, f'{ref.skip + 1}th'))} to last order")
    elif ref.latest:
        parts.append("letzte Bestellung" if de else "latest order")
    if ref.open_only:
        parts.append("offene Bestellungen" if de else "open orders")
    if ref.order_number:
        parts.append(f"{'Auftrag' if de else 'order'} {ref.order_number}")
    if ref.po_reference:
        parts.append(f"{'Bestellnummer' if de else 'PO reference'} {ref.po_reference}")
    dates = _describe_dates(ref.date_from, ref.date_to, lang)
    if dates:
        parts.append(dates)
    if ref.sku:
        parts.append(f"{'Artikel' if de else 'article'} {ref.sku}")
    if ref.product_hint:
        parts.append(f"mit „{ref.product_hint}“" if de else f"with “{ref.product_hint}”")
    return ", ".join(parts)
