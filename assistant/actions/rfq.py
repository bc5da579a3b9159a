"""Request for quotation: a Rasa form with one free-text answer slot and the whole request in one state slot.

Why one state slot: a digression (a knowledge question, a look at the finder, a handoff) never loses what was
entered, any field can be changed from the summary, and the form resumes where it was. The validation action
applies each answer to the current step and picks the next step; the ask action phrases the question for that
step; the submit action stores the request through ``RfqService`` once the buyer has confirmed the summary.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.actions.base import AssistantAction, Events, Reply, Turn
from assistant.actions.finder import Catalogue, get_catalogue
from assistant.commerce.bom import UploadStore, get_upload_store
from assistant.commerce.demo_people import account
from assistant.commerce.rfq import (
    RfqDraft,
    RfqInvalid,
    RfqLineItem,
    RfqService,
    check_quantity,
    country_from_email,
    country_name,
    find_phone,
    format_date,
    lines_from_text,
    parse_country,
    parse_desired_date,
    parse_email,
    resolve_line,
)
from assistant.commerce.textparse import DraftPosition, parse_draft_edit, parse_qty
from assistant.retrieval.urls import kb_url
from assistant.settings import get_settings

log = logging.getLogger(__name__)

TRIGGERS = ("start_rfq", "add_to_rfq", "upload_bom")
# Intents the answer slot does not take (domain/rfq.yml): the form must reject them so that the rules run.
NOT_ANSWERS = ("ask_knowledge", "cancel", "request_human", "start_finder", "compare_products")
_FORM_MACHINERY = ("action_listen", "action_extract_slots")


def digressed(tracker: Tracker, form: str) -> bool:
    """True when another action ran since the buyer's last message (the form is resuming after a digression).

    The form calls its validation both right after the message (then an intent the slot does not take must be
    rejected, so the digression rule can run) and after the digression (then the form just resumes).
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        name = event.get("name")
        if event.get("event") == "action" and name not in (form, f"validate_{form}", *_FORM_MACHINERY):
            return True
    return False
_CONFIRM = re.compile(r"^\s*(ja|jawohl|ok(ay)?|passt|senden|absenden|abschicken|zustimmen|einverstanden|stimmt|"
                      r"ja,? (bitte )?senden|yes|yep|send( it)?|submit|confirm|agree|i agree|correct|go ahead)\W*$",
                      re.I)
_DENY = re.compile(r"^\s*(nein|no|nope|nicht senden|don'?t send|stimme nicht zu)\W*$", re.I)
_SKIP = re.compile(r"^\s*(weiter|nein|no|keine|keins|nichts|egal|-|skip|next|none|nothing|no thanks|"
                   r"nein danke|überspringen|ueberspringen|später|later|n/?a)\W*$", re.I)
_KEEP = re.compile(r"(freitext|free text|so lassen|so übernehmen|keep|keine davon|none of them|as is)", re.I)
_QTY_TOKEN = re.compile(r"[-−+]?\d[\d.,']*|\b(?:eins|zwei|drei|vier|fünf|fuenf|sechs|sieben|acht|neun|zehn|elf|"
                        r"zwölf|zwoelf|zwanzig|fünfzig|hundert|one|two|three|four|five|six|seven|eight|nine|ten|"
                        r"eleven|twelve|twenty|fifty|hundred)\b", re.I)
FIELD_WORDS: tuple[tuple[str, str], ...] = (
    ("email", r"e-?mail|mail-?adresse|\bmail\b"),
    ("phone", r"telefon|phone|handy|mobil|rufnummer"),
    ("company", r"firma|firmenname|unternehmen|company"),
    ("contact", r"ansprechpartner|\bname\b|kontaktperson|contact"),
    ("country", r"\bland\b|country"),
    ("date", r"termin|datum|liefer(?:ung|datum|termin)|wunschtermin|\bdate\b|deliver"),
    ("application", r"anwendung|maschine|application|machine|einsatz"),
)


# ------------------------------------------------------------------------------------------ state
def load_state(tracker: Tracker) -> dict[str, Any]:
    value = tracker.get_slot("rfq")
    return dict(value) if isinstance(value, dict) else {}


def draft_of(state: dict[str, Any]) -> RfqDraft:
    return RfqDraft.from_dict(state.get("draft"))


def store(state: dict[str, Any], draft: RfqDraft) -> dict[str, Any]:
    return {**state, "draft": draft.to_dict()}


def next_step(draft: RfqDraft) -> str:
    """The first thing still missing, in the order a buyer expects to be asked."""
    if not draft.lines:
        return "items"
    if any(line.status == "unknown" for line in draft.lines):
        return "resolve"
    if any(line.sku and line.quantity is None for line in draft.lines):
        return "qty"
    if draft.application is None:
        return "details"
    if not draft.company:
        return "company"
    if not draft.contact:
        return "contact"
    if not draft.email:
        return "email"
    if not draft.country:
        return "country"
    return "summary"


def prefill(draft: RfqDraft, turn: Turn) -> None:
    """A logged-in buyer is never asked for what the account already says."""
    identity = turn.identity
    draft.language = turn.language
    if identity.is_anonymous:
        return
    draft.customer_id = identity.customer_id
    acct = account(identity.customer_id or "")
    if acct is None and identity.customer_id:
        try:
            from assistant.commerce.repository import get_repository

            name = get_repository().customer_name(identity.customer_id)
        except Exception:  # the account name is a convenience; the buyer can type it
            log.warning("could not read the account name", exc_info=True)
            name = None
    else:
        name = acct.name if acct else None
    draft.company = draft.company or name
    draft.contact = draft.contact or identity.name
    draft.email = draft.email or identity.email
    draft.country = draft.country or (acct.country if acct else None) or country_from_email(identity.email)


def _entity(tracker: Tracker, name: str) -> str | None:
    for e in (tracker.latest_message or {}).get("entities") or []:
        if e.get("entity") == name and isinstance(e.get("value"), str | int | float):
            return str(e["value"])[:200]
    return None


def _text(tracker: Tracker) -> str:
    text = str((tracker.latest_message or {}).get("text") or "")
    return "" if text.startswith("/") else text[:5000]


def _intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def _first_qty(text: str) -> tuple[int | None, str | None]:
    """The first quantity in a sentence ("200 Stück bitte"); (None, reason) when it is not acceptable."""
    m = _QTY_TOKEN.search(text)
    if not m:
        return None, "not_a_number"
    return parse_qty(m.group(0))


class RfqFlow:
    """Applies one buyer message to the request; collects the replies to send."""

    def __init__(self, draft: RfqDraft, state: dict[str, Any], reply: Reply, catalogue: Catalogue,
                 uploads: UploadStore, sender: str, today: date):
        self.draft, self.state, self.reply = draft, state, reply
        self.catalogue, self.uploads, self.sender, self.today = catalogue, uploads, sender, today
        self.confirmed = False

    @property
    def products(self) -> Sequence[Any]:
        return self.catalogue.products()

    # -- adding lines ----------------------------------------------------------------------------------
    def add_sku(self, sku: str, quantity: int | None = None) -> None:
        line = resolve_line(sku, quantity, sku, self.products, self.draft.language)
        for existing in self.draft.lines:
            if line.sku and existing.sku == line.sku:
                if quantity:
                    existing.quantity = quantity
                self.reply.key("rfq_line_already", sku=line.sku)
                return
        self.draft.lines.append(line)
        if line.sku:
            self.reply.key("rfq_line_added", sku=line.sku, name=line.description)

    def add_text_lines(self, text: str, allow_free_text: bool) -> bool:
        """Pasted list or a described need; True when something was taken over."""
        items, issues = lines_from_text(text, self.products, self.draft.language)
        for issue in issues:
            self.reply.key(f"rfq_line_issue_{issue.reason}", line=issue.line, fragment=issue.fragment)
        if items:
            for item in items:
                self._merge(item)
            self.reply.key("rfq_lines_taken", n=len(items))
            return True
        if issues or not allow_free_text:
            return False
        missing = [s for s in re.findall(r"\b[A-Z0-9]{2,5}-\d{3,4}(?:-[0-9A-Z]{1,3})?\b", text.upper())]
        if missing and len(text.split()) <= 3:
            for sku in missing:
                self.add_sku(sku)
            return True
        description = text.strip()
        if len(re.sub(r"[^A-Za-zÄÖÜäöüß]", "", description)) < 3:
            return False
        qty: int | None = None
        m = re.search(r"(?<![\w.,])(-?\d[\d.,']*)\s*(?:x|×|stk\.?|stück|stueck|pcs\.?|pieces|teile|units)(?![\w])",
                      description, re.I)
        if m:
            qty, reason = parse_qty(m.group(1))
            if qty is None:
                self.reply.key(f"rfq_qty_{reason}")
                return False
        self.draft.lines.append(RfqLineItem(description[:500], qty, None, status="free_text"))
        self.reply.key("rfq_free_text_taken")
        return True

    def _merge(self, item: RfqLineItem) -> None:
        for existing in self.draft.lines:
            if item.sku and existing.sku == item.sku:
                existing.quantity = item.quantity
                return
        self.draft.lines.append(item)

    def add_upload(self, upload_id: str | None) -> None:
        upload = self.uploads.load(self.sender, upload_id) if upload_id else None
        if upload is None:
            self.reply.key("rfq_upload_missing")
            return
        before = len(self.draft.lines)
        for line in upload["lines"]:
            item = resolve_line(line.get("sku"), line.get("quantity"), line.get("description") or "",
                                self.products, self.draft.language)
            if not line.get("sku"):
                item.status = "free_text"
            self._merge(item)
        added = self.draft.lines[before:]
        free = sum(1 for x in added if x.status == "free_text")
        unknown = sum(1 for x in added if x.status == "unknown")
        self.reply.key("rfq_upload_taken", n=len(upload["lines"]), name=upload.get("filename", ""))
        if free:
            self.reply.key("rfq_upload_free", n=free)
        if unknown:
            self.reply.key("rfq_upload_unknown", n=unknown)
        for issue in upload.get("issues", []):
            self.reply.key(f"rfq_bom_row_{issue['reason']}", row=issue["row"], fragment=issue["fragment"])

    # -- the steps -------------------------------------------------------------------------------------
    def answer(self, step: str, text: str, intent: str | None, tracker: Tracker) -> None:
        handler = getattr(self, f"step_{step}", None)
        if handler is None:
            return
        handler(text, intent, tracker)

    def step_items(self, text: str, intent: str | None, tracker: Tracker) -> None:
        if not text or _SKIP.match(text):
            self.reply.key("rfq_items_needed")
            return
        if not self.add_text_lines(text, allow_free_text=True):
            self.reply.key("rfq_items_not_understood")

    def step_resolve(self, text: str, intent: str | None, tracker: Tracker) -> None:
        line = next(x for x in self.draft.lines if x.status == "unknown")
        chosen = _entity(tracker, "sku") or next(
            (s for s in re.findall(r"\b[A-Z0-9]{2,5}-\d{3,4}(?:-[0-9A-Z]{1,3})?\b", text.upper())), None)
        choice = _entity(tracker, "rfq_choice")
        by_sku = {p.sku: p for p in self.products}
        if chosen and chosen.upper() in by_sku:
            p = by_sku[chosen.upper()]
            line.sku, line.status, line.suggestions = p.sku, "ok", []
            line.description = p.name_en if self.draft.language == "en" else p.name_de
            self.reply.key("rfq_resolved", typed=line.typed or "", sku=p.sku)
        elif choice == "keep" or intent == "deny" or _KEEP.search(text) or _SKIP.match(text):
            line.status, line.suggestions = "free_text", []
            self.reply.key("rfq_kept_free_text", typed=line.typed or line.description)
        else:
            self.reply.key("rfq_resolve_unclear")

    def step_qty(self, text: str, intent: str | None, tracker: Tracker) -> None:
        line = next(x for x in self.draft.lines if x.sku and x.quantity is None)
        qty, reason = _first_qty(text)
        if qty is None:
            self.reply.key(f"rfq_qty_{reason}")
            return
        line.quantity = qty

    def step_details(self, text: str, intent: str | None, tracker: Tracker) -> None:
        try:
            desired = parse_desired_date(text, self.today)
        except RfqInvalid as exc:
            self.reply.key(f"rfq_date_{exc.reason}")
            return
        if desired:
            self.draft.desired_date = desired
        self.draft.application = "" if _SKIP.match(text) or intent == "deny" else _application(text)

    def step_company(self, text: str, intent: str | None, tracker: Tracker) -> None:
        value = text.strip().strip(".")
        if "@" in value or len(re.sub(r"[^\wÄÖÜäöüß]", "", value)) < 2 or _SKIP.match(value):
            self.reply.key("rfq_company_invalid")
            return
        self.draft.company = value[:200]

    def step_contact(self, text: str, intent: str | None, tracker: Tracker) -> None:
        value = re.sub(r"^(ich bin|ich heiße|ich heisse|mein name ist|my name is|i am|i'm|this is)\s+", "",
                       text.strip(), flags=re.I).strip(" .")
        if "@" in value or not re.search(r"[A-Za-zÄÖÜäöüß]{2,}", value) or re.search(r"\d{3,}", value) \
                or _SKIP.match(value):
            self.reply.key("rfq_contact_invalid")
            return
        self.draft.contact = value[:120]

    def step_email(self, text: str, intent: str | None, tracker: Tracker) -> None:
        try:
            email = parse_email(text)
        except RfqInvalid:
            self.reply.key("rfq_email_invalid")
            return
        self.draft.email = email
        phone = find_phone(text.replace(email, " "))
        if phone:
            self.draft.phone = phone
        if not self.draft.country:
            self.draft.country = country_from_email(email)

    def step_country(self, text: str, intent: str | None, tracker: Tracker) -> None:
        try:
            self.draft.country = parse_country(text)
        except RfqInvalid:
            self.reply.key("rfq_country_invalid")

    def step_summary(self, text: str, intent: str | None, tracker: Tracker) -> None:
        if intent == "affirm" or _CONFIRM.match(text):
            self.draft.consent = True
            self.confirmed = True
            return
        if intent == "deny" or _DENY.match(text):
            self.reply.key("rfq_consent_needed")
            return
        if not self.edit(text):
            self.reply.key("rfq_edit_unclear")

    # -- edits from the summary --------------------------------------------------------------------------
    def edit(self, text: str) -> bool:
        """Apply "die Menge für Position 1 ist 200", "change the email", "E-Mail ist neu@firma.de" ..."""
        positions = [DraftPosition(n, ln.sku or f"#{n}", ln.description, ln.description, "", ln.quantity or 0)
                     for n, ln in enumerate(self.draft.lines, start=1)]
        lowered = text.lower()
        if re.search(r"\b(position|pos\.?|zeile|line|item|artikel|menge|quantity|qty|entfern|remove|lösch|delete)",
                     lowered) or re.search(r"\b[A-Z0-9]{2,5}-\d{3,4}", text.upper()):
            if re.search(r"(hinzu|dazu|add|zusätzlich|additionally|außerdem|also)", lowered):
                return self.add_text_lines(text, allow_free_text=False)
            applied = False
            for e in parse_draft_edit(text, positions):
                if e.kind == "set_qty" and e.pos_no:
                    try:
                        self.draft.lines[e.pos_no - 1].quantity = check_quantity(e.qty)
                    except RfqInvalid as exc:
                        self.reply.key(f"rfq_qty_{exc.reason}")
                        return True
                    applied = True
                elif e.kind == "remove" and e.pos_no:
                    removed = self.draft.lines.pop(e.pos_no - 1)
                    self.reply.key("rfq_line_removed", what=removed.sku or removed.description)
                    applied = True
                elif e.kind == "unmatched" and e.reason in ("zero", "negative", "too_large", "not_a_number"):
                    self.reply.key(f"rfq_qty_{e.reason}")
                    return True
            if applied:
                return True
        for name, pattern in FIELD_WORDS:
            if re.search(pattern, lowered):
                return self._edit_field(name, text)
        return False

    def _edit_field(self, name: str, text: str) -> bool:
        value = re.split(r"\b(?:ist|lautet|auf|zu|is|to|:|=)\b", text, maxsplit=1)
        tail = value[1].strip() if len(value) > 1 else ""
        if name == "email":
            try:
                self.draft.email = parse_email(text)
                return True
            except RfqInvalid:
                if re.search(r"@", text):
                    self.reply.key("rfq_email_invalid")
                    return True
        elif name == "phone":
            phone = find_phone(text)
            if phone:
                self.draft.phone = phone
                return True
            if re.search(r"(kein|keine|entfern|remove|no phone|ohne)", text, re.I):
                self.draft.phone = None
                return True
        elif name == "date":
            try:
                desired = parse_desired_date(text, self.today)
            except RfqInvalid as exc:
                self.reply.key(f"rfq_date_{exc.reason}")
                return True
            if desired:
                self.draft.desired_date = desired
                return True
        elif name == "country":
            try:
                self.draft.country = parse_country(tail or text)
                return True
            except RfqInvalid:
                if tail:
                    self.reply.key("rfq_country_invalid")
                    return True
        elif tail and name in ("company", "contact", "application"):
            setattr(self.draft, name, tail.strip(" .")[:200])
            return True
        # no new value in the message: ask for that field again, then come back to the summary
        self.state["edit"] = {"email": "email", "phone": "email", "company": "company", "contact": "contact",
                              "country": "country", "date": "details", "application": "details"}[name]
        if name in ("email", "phone"):
            self.draft.email = None
        elif name in ("date", "application"):
            self.draft.application = None
        else:
            setattr(self.draft, name, None)
        return True


def _application(text: str) -> str:
    rest = re.sub(r"(?i)\b(bis|until|by|zum|am|on|lieferung|delivery|liefertermin|wunschtermin|ab|spätestens|"
                  r"latest|benötigt|needed|brauchen wir|we need)\b", " ", text)
    rest = re.sub(r"\d{1,4}[./-]\d{1,2}(?:[./-]\d{2,4})?\.?|\b(?:kw|cw|week|woche|in)\s*\d+\b|\d+", " ", rest,
                  flags=re.I)
    rest = re.sub(r"(?i)\b(tagen?|wochen?|monaten?|days?|weeks?|months?|januar|februar|märz|april|mai|juni|juli|"
                  r"august|september|oktober|november|dezember|january|february|march|may|june|july|october|"
                  r"december|ende|end of)\b", " ", rest)
    if len(re.sub(r"[^A-Za-zÄÖÜäöüß]", "", rest)) < 3:
        return ""
    return text.strip(" ,.;")[:500]


# ------------------------------------------------------------------------------------------ actions
class _RfqBase(AssistantAction):
    not_found_key = "rfq_internal"
    invalid_input_key = "rfq_internal"

    def __init__(self, catalogue: Catalogue | None = None, uploads: UploadStore | None = None,
                 service: RfqService | None = None):
        self._catalogue, self._uploads, self._service = catalogue, uploads, service

    @property
    def catalogue(self) -> Catalogue:
        return self._catalogue or get_catalogue()

    @property
    def uploads(self) -> UploadStore:
        return self._uploads or get_upload_store()

    @property
    def service(self) -> RfqService:
        if self._service is None:
            self._service = RfqService()
        return self._service


class ValidateRfqForm(_RfqBase):
    def name(self) -> str:
        return "validate_rfq_form"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        state = load_state(tracker)
        draft = draft_of(state)
        prefill(draft, turn)
        flow = RfqFlow(draft, state, reply, self.catalogue, self.uploads, tracker.sender_id, self.service.today())
        intent = _intent(tracker)
        text = _text(tracker)
        answered = tracker.get_slot("rfq_answer") is not None
        step = tracker.get_slot("rfq_step") if state else None
        if intent == "add_to_rfq":
            sku = _entity(tracker, "sku") or turn.page.get("sku")
            if sku:
                qty, _ = _first_qty(text.replace(sku, " ")) if text else (None, None)
                flow.add_sku(sku, qty)
            else:
                flow.add_text_lines(text, allow_free_text=False)
        elif intent == "upload_bom":
            flow.add_upload(_entity(tracker, "upload_id"))
        elif intent == "start_rfq" and not step:
            if text:
                flow.add_text_lines(text, allow_free_text=False)
            if not draft.lines and turn.page.get("sku"):
                flow.add_sku(str(turn.page["sku"]))
        elif intent == "start_rfq":
            reply.key("rfq_resume")
        elif answered and step:
            flow.answer(step, text or _entity(tracker, "rfq_choice") or "", intent, tracker)
        elif step and intent in NOT_ANSWERS and not digressed(tracker, "rfq_form"):
            return []  # not an answer: let the form reject, the rules answer it (knowledge, cancel, handoff)
        elif step:
            reply.key("rfq_resume")  # back from a digression: nothing was lost
        if not tracker.get_slot("rfq"):
            reply.mark("rfq", "started")
        state = store(flow.state, draft)
        if flow.confirmed:
            return [SlotSet("rfq", state), SlotSet("rfq_answer", None), SlotSet("requested_slot", None)]
        nxt = next_step(draft)
        if state.get("edit") and nxt == "summary":
            state.pop("edit", None)
        return [SlotSet("rfq", state), SlotSet("rfq_step", nxt), SlotSet("rfq_answer", None),
                SlotSet("requested_slot", "rfq_answer")]


class ActionAskRfqAnswer(_RfqBase):
    def name(self) -> str:
        return "action_ask_rfq_answer"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        draft = draft_of(load_state(tracker))
        step = tracker.get_slot("rfq_step") or next_step(draft)
        if step == "resolve":
            line = next(x for x in draft.lines if x.status == "unknown")
            buttons = [(s, "/inform" + json.dumps({"sku": s}, separators=(",", ":"))) for s in line.suggestions]
            buttons.append((reply.t("rfq_keep_button"), '/inform{"rfq_choice":"keep"}'))
            reply.buttons(reply.t("rfq_ask_resolve", typed=line.typed or line.description,
                                  options=", ".join(line.suggestions)), buttons)
        elif step == "qty":
            line = next(x for x in draft.lines if x.sku and x.quantity is None)
            reply.key("rfq_ask_qty", sku=line.sku, name=line.description)
        elif step == "summary":
            self.summary(draft, reply, turn.language)
        elif step == "details":
            reply.buttons(reply.t("rfq_ask_details"), [(reply.t("rfq_skip_button"), '/inform{"rfq_choice":"skip"}')])
        else:
            reply.key(f"rfq_ask_{step}")
        return []

    @staticmethod
    def summary(draft: RfqDraft, reply: Reply, language: str) -> None:
        lines = []
        for n, ln in enumerate(draft.lines, start=1):
            qty = reply.t("rfq_pcs", n=ln.quantity) if ln.quantity else "-"
            what = f"{ln.sku} – {ln.description}" if ln.sku else f"{reply.t('rfq_free_text_mark')} {ln.description}"
            lines.append(f"{n}. {what} – {qty}")
        privacy = kb_url(get_settings().public_url, f"legal-privacy-{'en' if language == 'en' else 'de'}", "markdown")
        text = reply.t(
            "rfq_summary",
            lines="\n".join(lines),
            application=draft.application or "-",
            date=format_date(draft.desired_date, language),
            company=draft.company or "-",
            contact=draft.contact or "-",
            email=draft.email or "-",
            phone=draft.phone or "-",
            country=country_name(draft.country, language),
            privacy_url=privacy,
        )
        reply.buttons(text, [(reply.t("rfq_send_button"), "/affirm"), (reply.t("rfq_cancel_button"), "/cancel")])


class ActionRfqSubmit(_RfqBase):
    """Stores the confirmed request; the outbox sends the mails even if the app dies right after."""

    def name(self) -> str:
        return "action_rfq_submit"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        state = load_state(tracker)
        if not state:
            return []
        draft = draft_of(state)
        if not draft.consent:
            reply.key("rfq_consent_needed")
            return []
        try:
            # the gateway's client tag, trusted because the metadata's signature was checked for this turn
            client = ((tracker.latest_message or {}).get("metadata") or {}).get("client")
            done = self.service.submit(draft, client=client if isinstance(client, str) else None)
        except RfqInvalid as exc:
            reply.key("rfq_submit_invalid", field=reply.t(f"rfq_field_{exc.field}"))
            draft.consent = False
            return [SlotSet("rfq", store(state, draft))]
        reply.key("rfq_sent" if done.confirmation_sent else "rfq_sent_no_confirmation", reference=done.reference,
                  email=draft.email or "")
        reply.mark("rfq", "finished")
        return [SlotSet("rfq", None), SlotSet("rfq_step", None), SlotSet("rfq_reference", done.reference),
                SlotSet("finder_results", None)]
