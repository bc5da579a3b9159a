"""Requests for quotation and callback requests: validation, storage with a reference, notifications.

Knows nothing about Rasa: the RFQ and handoff actions collect the fields, this module checks them, resolves
article numbers against the catalogue (closest matches by rapidfuzz for unknown ones), stores the request and
writes the notifications into the outbox in the same transaction, so that a request confirmed just before a
crash is still sent after the restart (see ``assistant.commerce.outbox``).

The confirmation mail goes to whatever address the requester typed, from the company's domain, so it must not be a
relay: an address that is not a portal user's of the requesting account (unverified) gets a confirmation with the
reference and the catalogue articles only, never text the requester wrote (name, company, application, free-text
lines); and at most ``CONFIRMATIONS_PER_ADDRESS_PER_DAY`` confirmations go to one address and
``CONFIRMATIONS_PER_CLIENT_PER_DAY`` are asked for by one client (the gateway's signed, hashed client tag) a day.
Beyond that the request is still stored and sent to sales; only the confirmation is left out, and the chat says so.
"""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from assistant import clock
from assistant.commerce.db import Database, get_database
from assistant.commerce.domain import OutboxItem
from assistant.commerce.models import CallbackTicket, Rfq, RfqLine
from assistant.commerce.outbox import add_to_outbox, webhook_items
from assistant.commerce.repository import next_number
from assistant.commerce.textparse import MAX_QTY, SKU_IN_TEXT
from assistant.errors import InvalidInput
from assistant.sanitize import EMAIL_ADDRESS, one_line
from assistant.settings import Settings, get_settings

MAX_LINES = 500
MAX_FREE_TEXT = 2000
CONFIRMATIONS_PER_ADDRESS_PER_DAY = 3
CONFIRMATIONS_PER_CLIENT_PER_DAY = 5
EMAIL_RE = EMAIL_ADDRESS
PHONE_RE = re.compile(r"(?<![\w])(?:\+|00)?[0-9][0-9 ()/\-]{5,22}[0-9](?![\w])")
COUNTRIES: dict[str, tuple[str, ...]] = {
    "DE": ("deutschland", "germany", "de", "deu", "brd"),
    "AT": ("österreich", "oesterreich", "austria", "at", "aut"),
    "CH": ("schweiz", "switzerland", "ch", "che", "suisse"),
    "NL": ("niederlande", "netherlands", "holland", "nl"),
    "BE": ("belgien", "belgium", "be"),
    "LU": ("luxemburg", "luxembourg", "lu"),
    "FR": ("frankreich", "france", "fr"),
    "IT": ("italien", "italy", "it"),
    "PL": ("polen", "poland", "pl"),
    "CZ": ("tschechien", "czechia", "czech republic", "cz"),
    "DK": ("dänemark", "daenemark", "denmark", "dk"),
    "GB": ("großbritannien", "grossbritannien", "vereinigtes königreich", "united kingdom", "uk", "gb", "england"),
    "US": ("usa", "vereinigte staaten", "united states", "us"),
    "ES": ("spanien", "spain", "es"),
    "SE": ("schweden", "sweden", "se"),
}
COUNTRY_NAMES = {
    "DE": ("Deutschland", "Germany"), "AT": ("Österreich", "Austria"), "CH": ("Schweiz", "Switzerland"),
    "NL": ("Niederlande", "Netherlands"), "BE": ("Belgien", "Belgium"), "LU": ("Luxemburg", "Luxembourg"),
    "FR": ("Frankreich", "France"), "IT": ("Italien", "Italy"), "PL": ("Polen", "Poland"),
    "CZ": ("Tschechien", "Czechia"), "DK": ("Dänemark", "Denmark"), "GB": ("Vereinigtes Königreich", "United Kingdom"),
    "US": ("USA", "USA"), "ES": ("Spanien", "Spain"), "SE": ("Schweden", "Sweden"),
}
_TLD_COUNTRY = {"de": "DE", "at": "AT", "ch": "CH", "nl": "NL", "be": "BE", "lu": "LU", "fr": "FR", "it": "IT",
                "pl": "PL", "cz": "CZ", "dk": "DK", "uk": "GB", "es": "ES", "se": "SE"}


class RfqInvalid(InvalidInput):
    """A field a person entered is not acceptable; ``field`` and ``reason`` choose the message."""

    def __init__(self, field_name: str, reason: str):
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


# ----------------------------------------------------------------------------------------- field parsers
def parse_email(text: str) -> str:
    """The e-mail address in what the person typed; RfqInvalid('email', 'invalid') when there is none."""
    m = EMAIL_RE.search(text or "")
    if not m or ".." in m.group(0):
        raise RfqInvalid("email", "invalid")
    return m.group(0).lower()


def find_phone(text: str) -> str | None:
    """A phone number in the text (at least 7 digits), or None."""
    for m in PHONE_RE.finditer(text or ""):
        if "@" in text[max(0, m.start() - 1): m.end() + 1]:
            continue
        digits = re.sub(r"\D", "", m.group(0))
        if 7 <= len(digits) <= 16:
            return re.sub(r"\s+", " ", m.group(0)).strip()
    return None


def parse_country(text: str) -> str:
    """ISO country code from a name or code in German or English ("Österreich", "Austria", "AT")."""
    folded = (text or "").strip().lower().strip(".! ")
    for code, names in COUNTRIES.items():
        if folded in names or folded == code.lower():
            return code
    for code, names in COUNTRIES.items():
        if any(len(n) > 3 and re.search(rf"\b{re.escape(n)}\b", folded) for n in names):
            return code
    raise RfqInvalid("country", "unknown")


def country_from_email(email: str | None) -> str | None:
    """The country a company address implies (``.de`` -> DE); None for .com and the like."""
    if not email or "." not in email:
        return None
    return _TLD_COUNTRY.get(email.rsplit(".", 1)[1].lower())


def country_name(code: str | None, language: str) -> str:
    if not code:
        return "-"
    names = COUNTRY_NAMES.get(code)
    return names[1 if language == "en" else 0] if names else code


_MONTHS = {
    "januar": 1, "jan": 1, "january": 1, "februar": 2, "feb": 2, "february": 2, "märz": 3, "maerz": 3, "mär": 3,
    "march": 3, "mar": 3, "april": 4, "apr": 4, "mai": 5, "may": 5, "juni": 6, "jun": 6, "june": 6, "juli": 7,
    "jul": 7, "july": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "dezember": 12, "dez": 12, "december": 12, "dec": 12,
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_UNIT_DAYS = {"tag": 1, "tage": 1, "tagen": 1, "day": 1, "days": 1, "woche": 7, "wochen": 7, "week": 7,
              "weeks": 7, "monat": 30, "monate": 30, "monaten": 30, "month": 30, "months": 30}


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year_of(raw: str | None, today: date, month: int, day: int) -> int:
    if raw:
        year = int(raw)
        return year + 2000 if year < 100 else year
    candidate = _safe(today.year, month, day)
    return today.year + 1 if candidate is not None and candidate < today else today.year


def parse_desired_date(text: str, today: date) -> date | None:
    """A desired delivery date ("15.03.2027", "bis Ende März", "in 4 Wochen", "KW 12", "March 15").

    Returns None when the text names no date; RfqInvalid('date', 'past' | 'invalid' | 'too_far') for a date
    in the past, an impossible date or one more than three years ahead.
    """
    t = unicodedata.normalize("NFKC", text or "").lower()
    found: date | None = None
    invalid = False
    if m := re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", t):
        found = _safe(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        invalid = found is None
    elif m := re.search(r"\b(\d{1,2})\.(\d{1,2})\.(\d{2,4})?(?!\d)", t):
        day, month = int(m.group(1)), int(m.group(2))
        found = _safe(_year_of(m.group(3), today, month, day), month, day)
        invalid = found is None
    elif m := re.search(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", t):
        found = _safe(int(m.group(3)), int(m.group(1)), int(m.group(2)))  # US order in English text
        invalid = found is None
    elif m := re.search(rf"\b(\d{{1,2}})\.?\s+({_MONTH_RE})\.?(?:\s+(\d{{4}}))?\b", t):
        month, day = _MONTHS[m.group(2)], int(m.group(1))
        found = _safe(_year_of(m.group(3), today, month, day), month, day)
        invalid = found is None
    elif m := re.search(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?(?:\s+(\d{{4}}))?\b", t):
        month, day = _MONTHS[m.group(1)], int(m.group(2))
        found = _safe(_year_of(m.group(3), today, month, day), month, day)
        invalid = found is None
    elif m := re.search(r"\bin\s+(\d{1,3})\s+(tagen|tage|tag|days?|wochen|woche|weeks?|monaten|monate|monat|months?)\b",
                        t):
        found = today + timedelta(days=int(m.group(1)) * _UNIT_DAYS[m.group(2)])
    elif m := re.search(r"\b(?:kw|cw|week|woche)\s*(\d{1,2})(?:[/\s]+(\d{4}))?\b", t):
        week = int(m.group(1))
        year = int(m.group(2)) if m.group(2) else today.year
        try:
            found = date.fromisocalendar(year, week, 5)
        except ValueError:
            invalid = True
        if found is not None and found < today and not m.group(2):
            found = _safe_week(year + 1, week)
    elif m := re.search(rf"\b(?:ende|end of)\s+({_MONTH_RE})\b(?:\s+(\d{{4}}))?", t):
        month = _MONTHS[m.group(1)]
        year = int(m.group(2)) if m.group(2) else (today.year if month >= today.month else today.year + 1)
        found = date(year, month, calendar.monthrange(year, month)[1])
    if invalid:
        raise RfqInvalid("date", "invalid")
    if found is None:
        return None
    if found < today:
        raise RfqInvalid("date", "past")
    if found > today + timedelta(days=3 * 366):
        raise RfqInvalid("date", "too_far")
    return found


def _safe_week(year: int, week: int) -> date | None:
    try:
        return date.fromisocalendar(year, week, 5)
    except ValueError:
        return None


def check_quantity(value: int | None) -> int:
    """A quantity for a line: whole, positive, not absurd (RfqInvalid('quantity', reason))."""
    if value is None:
        raise RfqInvalid("quantity", "missing")
    if value <= 0:
        raise RfqInvalid("quantity", "not_positive")
    if value > MAX_QTY:
        raise RfqInvalid("quantity", "too_large")
    return value


# ----------------------------------------------------------------------------------------- line items
class CatalogueItem(Protocol):
    """What the RFQ needs of a catalogue article (retrieval's Product and commerce's ProductInfo both fit)."""

    @property
    def sku(self) -> str: ...
    @property
    def name_de(self) -> str: ...
    @property
    def name_en(self) -> str: ...


@dataclass
class RfqLineItem:
    """One position of a request: a catalogue article, an unknown number with suggestions, or free text."""

    description: str
    quantity: int | None = None
    sku: str | None = None
    unit: str | None = None
    status: str = "ok"  # ok | unknown (suggestions to pick from) | free_text (marked for sales)
    suggestions: list[str] = field(default_factory=list)
    typed: str | None = None  # the article number as the buyer wrote it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RfqLineItem:
        allowed = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in allowed})


def closest_skus(typed: str, catalogue: Sequence[CatalogueItem], limit: int = 3, cutoff: float = 75.0) -> list[str]:
    """Catalogue numbers that look like a mistyped one (digits swapped, a missing dash, a wrong series)."""
    choices = {p.sku: p.sku for p in catalogue}
    wanted = typed.strip().upper()
    found = process.extract(wanted, choices, scorer=fuzz.ratio, limit=limit, score_cutoff=cutoff)
    return [key for _, _, key in found]


def resolve_line(
    typed_sku: str | None, quantity: int | None, description: str, catalogue: Sequence[CatalogueItem], language: str
) -> RfqLineItem:
    """A typed line against the catalogue: exact hit, unknown number with suggestions, or free text."""
    by_sku = {p.sku: p for p in catalogue}
    if typed_sku:
        sku = typed_sku.strip().upper()
        if sku in by_sku:
            p = by_sku[sku]
            return RfqLineItem(p.name_en if language == "en" else p.name_de, quantity, sku, typed=typed_sku)
        suggestions = closest_skus(sku, catalogue)
        text = (description or sku).strip()
        if suggestions:
            return RfqLineItem(text, quantity, None, status="unknown", suggestions=suggestions, typed=typed_sku)
        return RfqLineItem(text if sku in text.upper() else f"{sku} {text}".strip(), quantity, None,
                           status="free_text", typed=typed_sku)
    return RfqLineItem(description.strip()[:500], quantity, None, status="free_text")


def lines_from_text(
    text: str, catalogue: Sequence[CatalogueItem], language: str
) -> tuple[list[RfqLineItem], list[Any]]:
    """A pasted list ("3S-1208 x 50, QC-300-08 x 10") as line items, plus the parser's line issues."""
    from assistant.commerce.textparse import parse_quick_order

    parsed = parse_quick_order(text)
    items = [resolve_line(sku, qty, sku, catalogue, language) for sku, qty in parsed.lines]
    return items, parsed.issues


def sku_in_text(text: str) -> str | None:
    m = SKU_IN_TEXT.search(text or "")
    return m.group(0).upper() if m else None


# ----------------------------------------------------------------------------------------- the request
@dataclass
class RfqDraft:
    """Everything an RFQ collects; the dialogue keeps it in one slot so a digression loses nothing."""

    lines: list[RfqLineItem] = field(default_factory=list)
    application: str | None = None
    desired_date: date | None = None
    company: str | None = None
    contact: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None
    consent: bool = False
    customer_id: str | None = None
    language: str = "de"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["desired_date"] = self.desired_date.isoformat() if self.desired_date else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RfqDraft:
        data = dict(data or {})
        lines = [RfqLineItem.from_dict(x) for x in data.pop("lines", []) or [] if isinstance(x, dict)]
        raw_date = data.pop("desired_date", None)
        allowed = {f for f in cls.__dataclass_fields__}
        draft = cls(**{k: v for k, v in data.items() if k in allowed})
        draft.lines = lines
        draft.desired_date = date.fromisoformat(raw_date) if raw_date else None
        return draft


@dataclass(frozen=True)
class Submitted:
    reference: str
    message_ids: tuple[str, ...]
    confirmation_sent: bool = True


def validate_draft(draft: RfqDraft, today: date) -> None:
    """Everything a complete request needs; raises RfqInvalid for the first problem."""
    if not draft.lines:
        raise RfqInvalid("lines", "empty")
    if len(draft.lines) > MAX_LINES:
        raise RfqInvalid("lines", "too_many")
    for line in draft.lines:
        if line.status == "unknown":
            raise RfqInvalid("lines", "unresolved")
        if line.quantity is not None:
            check_quantity(line.quantity)
        elif line.status == "ok":
            raise RfqInvalid("quantity", "missing")
    if not draft.company or not draft.company.strip():
        raise RfqInvalid("company", "missing")
    if not draft.contact or not draft.contact.strip():
        raise RfqInvalid("contact", "missing")
    parse_email(draft.email or "")
    if not draft.country:
        raise RfqInvalid("country", "missing")
    if draft.desired_date is not None and draft.desired_date < today:
        raise RfqInvalid("date", "past")
    if not draft.consent:
        raise RfqInvalid("consent", "missing")


_MAIL_TEXTS = {
    "de": {
        "subject": "Ihre Angebotsanfrage {ref}",
        "hello": "Guten Tag {contact},",
        "hello_plain": "Guten Tag,",
        "own_words": "Positionen in Ihren Worten: {n} (der Vertrieb liest sie in Ihrer Anfrage)",
        "intro": "vielen Dank für Ihre Angebotsanfrage. Unser Vertrieb meldet sich mit einem Angebot bei Ihnen.",
        "ref": "Referenz",
        "lines": "Positionen",
        "free": "[FREITEXT – kein Katalogartikel]",
        "application": "Anwendung / Maschine",
        "date": "Wunschtermin",
        "company": "Firma",
        "contact": "Ansprechpartner",
        "email": "E-Mail",
        "phone": "Telefon",
        "country": "Land",
        "pcs": "Stück",
        "bye": "Mit freundlichen Grüßen\nIhr Vertriebsteam von Example Industrietechnik",
    },
    "en": {
        "subject": "Your request for quotation {ref}",
        "hello": "Dear {contact},",
        "hello_plain": "Hello,",
        "own_words": "Items in your own words: {n} (our sales team reads them in your request)",
        "intro": "thank you for your request for quotation. Our sales team will get back to you with a quote.",
        "ref": "Reference",
        "lines": "Items",
        "free": "[FREE TEXT – not a catalogue article]",
        "application": "Application / machine",
        "date": "Requested delivery date",
        "company": "Company",
        "contact": "Contact",
        "email": "E-mail",
        "phone": "Phone",
        "country": "Country",
        "pcs": "pcs",
        "bye": "Kind regards\nThe sales team of Example Industrietechnik",
    },
}


def format_date(value: date | None, language: str) -> str:
    if value is None:
        return "-"
    return value.isoformat() if language == "en" else value.strftime("%d.%m.%Y")


def format_lines(lines: Iterable[RfqLineItem], language: str) -> list[str]:
    t = _MAIL_TEXTS["en" if language == "en" else "de"]
    out = []
    for n, line in enumerate(lines, start=1):
        qty = f"{line.quantity} {t['pcs']}" if line.quantity else "-"
        if line.sku:
            out.append(f"{n}. {line.sku} – {line.description} – {qty}")
        else:
            out.append(f"{n}. {t['free']} {line.description} – {qty}")
    return out


def request_summary(draft: RfqDraft, language: str) -> str:
    """The request as plain text (mail bodies; the chat summary has its own texts)."""
    t = _MAIL_TEXTS["en" if language == "en" else "de"]
    rows = [
        f"{t['lines']}:",
        *format_lines(draft.lines, language),
        "",
        f"{t['application']}: {draft.application or '-'}",
        f"{t['date']}: {format_date(draft.desired_date, language)}",
        f"{t['company']}: {draft.company or '-'}",
        f"{t['contact']}: {draft.contact or '-'}",
        f"{t['email']}: {draft.email or '-'}",
        f"{t['phone']}: {draft.phone or '-'}",
        f"{t['country']}: {country_name(draft.country, language)}",
    ]
    return "\n".join(rows)


def catalogue_summary(draft: RfqDraft, language: str) -> str:
    """The request as an unverified address may see it: catalogue articles and quantities, nothing typed."""
    t = _MAIL_TEXTS["en" if language == "en" else "de"]
    catalogue = [line for line in draft.lines if line.sku]
    rows = [f"{t['lines']}:"] + [
        f"{n}. {line.sku} – {line.quantity or '-'} {t['pcs'] if line.quantity else ''}".rstrip()
        for n, line in enumerate(catalogue, start=1)]
    own = len(draft.lines) - len(catalogue)
    return "\n".join(rows + ([t["own_words"].format(n=own)] if own else []))


def _now() -> datetime:
    return clock.now()


class RfqService:
    """Stores confirmed requests and queues the mails to sales and requester plus the CRM webhook."""

    def __init__(self, db: Database | None = None, settings: Settings | None = None,
                 clock: Callable[[], datetime] = _now):
        self._db = db
        self.settings = settings or get_settings()
        self._clock = clock

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = get_database()
        return self._db

    def today(self) -> date:
        return self._clock().astimezone(ZoneInfo(self.settings.timezone)).date()

    def submit(self, draft: RfqDraft, client: str | None = None) -> Submitted:
        """Validate, store with a reference RFQ-<year>-<6 digits>, and queue the notifications atomically.

        ``client`` is the gateway's hashed tag of the requesting client, for the per-client confirmation cap.
        """
        validate_draft(draft, self.today())
        now = self._clock()
        with self.db.session() as s:
            verified = self._verified(s, draft)
            confirm = self._may_confirm(s, (draft.email or "").lower(), client, now)
            number = next_number(s, f"rfq-{now.year}", 1)
            reference = f"RFQ-{now.year}-{number:06d}"
            free = [ln.description for ln in draft.lines if not ln.sku]
            rfq = Rfq(
                reference=reference,
                customer_id=draft.customer_id,
                company=draft.company.strip()[:200],  # type: ignore[union-attr]
                contact=draft.contact.strip()[:120],  # type: ignore[union-attr]
                email=(draft.email or "")[:254],
                phone=(draft.phone or None),
                country=draft.country,
                free_text="\n".join(x for x in [draft.application or "", *(f"[free text] {f}" for f in free)] if x)
                or None,
                desired_date=draft.desired_date,
                consent=draft.consent,
                language=draft.language,
                status="new",
                created_at=now,
            )
            for n, line in enumerate(draft.lines, start=1):
                rfq.lines.append(RfqLine(position=n, sku=line.sku, description=line.description[:500],
                                         quantity=line.quantity, unit=line.unit))
            s.add(rfq)
            ids = add_to_outbox(s, self._notifications(reference, draft, verified, confirm, client))
        return Submitted(reference, tuple(ids), confirm)

    @staticmethod
    def _verified(s: Any, draft: RfqDraft) -> bool:
        """The address is a portal user's of the requesting account: the shop verified it, it is no stranger's."""
        if not draft.customer_id or not draft.email:
            return False
        from sqlalchemy import func, select

        from assistant.commerce.models import User

        return s.scalar(select(User.id).where(func.lower(User.email) == draft.email.lower(),
                                              User.customer_id == draft.customer_id)) is not None

    def _may_confirm(self, s: Any, email: str, client: str | None, now: datetime) -> bool:
        """Within the day's confirmations per address and per client (counted in the outbox, shared by replicas)."""
        from sqlalchemy import func, select

        from assistant.commerce.models import OutboxMessage

        since = now - timedelta(days=1)
        sent = select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.topic == "rfq.confirmation", OutboxMessage.created_at >= since)
        to_address = s.scalar(sent.where(func.lower(OutboxMessage.recipient) == email))
        # the client tag is in the confirmation's payload, written by json.dumps exactly like this
        tag = json.dumps({"client": client}, ensure_ascii=False)[1:-1]
        by_client = s.scalar(sent.where(OutboxMessage.payload.contains(tag))) if client else 0
        return to_address < CONFIRMATIONS_PER_ADDRESS_PER_DAY and by_client < CONFIRMATIONS_PER_CLIENT_PER_DAY

    def _notifications(self, reference: str, draft: RfqDraft, verified: bool = True, confirm: bool = True,
                       client: str | None = None) -> list[OutboxItem]:
        lang = "en" if draft.language == "en" else "de"
        t = _MAIL_TEXTS[lang]
        confirmation = "\n".join([
            t["hello"].format(contact=draft.contact) if verified else t["hello_plain"],
            "",
            t["intro"],
            "",
            f"{t['ref']}: {reference}",
            "",
            request_summary(draft, lang) if verified else catalogue_summary(draft, lang),
            "",
            t["bye"],
        ])
        unmatched = sum(1 for ln in draft.lines if not ln.sku)
        sales_body = "\n".join([
            f"Neue Angebotsanfrage {reference} (Sprache des Kunden: {lang})",
            f"Kundenkonto: {draft.customer_id or 'Interessent ohne Konto'}",
            f"Positionen ohne Katalogartikel: {unmatched}" if unmatched else "Alle Positionen sind Katalogartikel.",
            "",
            request_summary(draft, "de"),
        ])
        payload = {
            "reference": reference,
            "customer_id": draft.customer_id,
            **{k: v for k, v in draft.to_dict().items() if k not in ("consent",)},
            "consent": draft.consent,
        }
        return [
            OutboxItem("email", "rfq.sales", ";".join(self.settings.sales_recipients),
                       subject=f"Angebotsanfrage {reference} – {one_line(draft.company, 120)}", body=sales_body,
                       payload=payload),
            *([OutboxItem("email", "rfq.confirmation", draft.email or "",
                          subject=t["subject"].format(ref=reference), body=confirmation,
                          payload={"reference": reference, "client": client, "verified": verified})]
              if confirm else []),
            *webhook_items(self.settings, "rfq.created", json.loads(json.dumps(payload, default=str))),
        ]


# ----------------------------------------------------------------------------------------- callbacks
@dataclass
class CallbackRequest:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    topic: str | None = None
    preferred_time: str | None = None
    company: str | None = None
    customer_id: str | None = None
    language: str = "de"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> CallbackRequest:
        allowed = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in (data or {}).items() if k in allowed})


def validate_callback(req: CallbackRequest) -> None:
    if not req.name or not req.name.strip():
        raise RfqInvalid("name", "missing")
    if not req.email and not req.phone:
        raise RfqInvalid("contact", "missing")
    if req.email:
        parse_email(req.email)
    if not req.topic or not req.topic.strip():
        raise RfqInvalid("topic", "missing")


def expected_contact(now: datetime, settings: Settings) -> tuple[str, datetime]:
    """When sales will call: ("today", by) within office hours, else ("next", start of the next working day).

    Office hours are Monday to Friday, ``office_hours_start`` to ``office_hours_end`` in ``settings.timezone``;
    "today" promises two hours at most, never past the end of the day.
    """
    tz = ZoneInfo(settings.timezone)
    local = now.astimezone(tz)
    start, end = settings.office_hours_start, settings.office_hours_end
    day_end = datetime.combine(local.date(), end, tz)
    if local.weekday() < 5 and start <= local.time() and local + timedelta(minutes=30) <= day_end:
        by = min(local + timedelta(hours=2), day_end)
        return "today", by.replace(second=0, microsecond=0)
    day = local.date() + timedelta(days=1) if local.time() >= start or local.weekday() >= 5 else local.date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return "next", datetime.combine(day, start, tz)


def _transcript(lines: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{who}: {text}" for who, text in lines)[-20_000:]


class CallbackService:
    """Stores a callback request as a ticket with the transcript and queues the notification to sales."""

    def __init__(self, db: Database | None = None, settings: Settings | None = None,
                 clock: Callable[[], datetime] = _now):
        self._db = db
        self.settings = settings or get_settings()
        self._clock = clock

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = get_database()
        return self._db

    def submit(self, req: CallbackRequest, transcript: Sequence[tuple[str, str]] = ()) -> Submitted:
        validate_callback(req)
        now = self._clock()
        text = _transcript(transcript)
        with self.db.session() as s:
            number = next_number(s, f"cb-{now.year}", 1)
            reference = f"CB-{now.year}-{number:06d}"
            free = f"Thema: {req.topic}\nWunschzeit: {req.preferred_time or '-'}\n\nGesprächsverlauf:\n{text}"
            s.add(CallbackTicket(
                reference=reference, customer_id=req.customer_id, company=(req.company or "-")[:200],
                contact=(req.name or "").strip()[:120], email=req.email, phone=req.phone, country=None,
                items=None, free_text=free, desired_date=None, consent=True, language=req.language,
                status="new", created_at=now,
            ))
            body = "\n".join([
                f"Rückrufbitte {reference} (Sprache: {req.language})",
                f"Name: {req.name}", f"Firma: {req.company or '-'}", f"Kundenkonto: {req.customer_id or '-'}",
                f"E-Mail: {req.email or '-'}", f"Telefon: {req.phone or '-'}",
                f"Thema: {req.topic}", f"Wunschzeit: {req.preferred_time or '-'}", "",
                "Gesprächsverlauf:", text or "-",
            ])
            payload = {"reference": reference, **req.to_dict()}
            ids = add_to_outbox(s, [
                OutboxItem("email", "callback.sales", ";".join(self.settings.sales_recipients),
                           subject=f"Rückrufbitte {reference} – {one_line(req.name, 120)}", body=body,
                           payload=payload),
                *webhook_items(self.settings, "callback.created", payload),
            ])
        return Submitted(reference, tuple(ids))


def office_hours_text(settings: Settings) -> tuple[str, str]:
    fmt = "%H:%M"
    return time.strftime(settings.office_hours_start, fmt), time.strftime(settings.office_hours_end, fmt)
