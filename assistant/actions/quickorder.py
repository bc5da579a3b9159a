"""Quick order: "50x 3S-1208, 10x QC-300-08" or a pasted list becomes a confirmable draft.

``quick_order_messages`` is the one path from parsed lines to the chat reply; the chat action and the
CSV/XLSX upload route both call it, so both get the same prices, flags, suggestions and confirm rules.
Mistyped article numbers get the closest catalogue numbers (rapidfuzz) as buttons; nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant import i18n, routing
from assistant.actions.base import Events, Reply, Turn
from assistant.actions.knowledge_turn import KnowledgeDetour
from assistant.actions.orders import entity, in_language, payload, user_text
from assistant.actions.reorder import DRAFT_SLOT, OPEN_SLOT, ActionChangeDraft, DraftAction, quote_messages
from assistant.commerce import validation
from assistant.commerce.domain import FAMILIES
from assistant.commerce.reorder import DraftQuote, DraftService, UnknownArticles
from assistant.commerce.textparse import LineIssue, parse_quick_order
from assistant.errors import NotFound
from assistant.identity import BuyerIdentity

_ADD_WORDS = re.compile(r"\b(?:hinzu\w*|dazu|ergänz\w*|zusätzlich|noch|add|also|additionally|plus)\b", re.I)
MAX_SUGGESTIONS = 3
MIN_SCORE = 70


@dataclass
class QuickOrderResult:
    """Chat messages for the reply, and the draft they offer to confirm (None when nothing was orderable)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    draft_id: str | None = None
    quote: DraftQuote | None = None


def closest_skus(drafts: DraftService, typed: str, limit: int = MAX_SUGGESTIONS) -> list[tuple[str, str]]:
    """(sku, name) of the catalogue articles closest to a mistyped number."""
    catalogue = {p.sku: p for family in FAMILIES for p in drafts.repo.products_by_family(family)}
    if not catalogue:
        return []
    matches = process.extract(typed.upper(), list(catalogue), scorer=fuzz.ratio, limit=limit,
                              score_cutoff=MIN_SCORE)
    return [(sku, catalogue[sku].name_de) for sku, _score, _ in matches]


def quick_order_messages(
    drafts: DraftService,
    identity: BuyerIdentity,
    language: str,
    lines: Sequence[tuple[str, int]],
    issues: Sequence[LineIssue] = (),
) -> QuickOrderResult:
    """Build the draft from parsed (sku, qty) lines and the reply that shows it (shared with /api/upload)."""
    identity = identity if identity.locale == language else in_language(identity, language)

    def t(key: str, **params: Any) -> str:
        return i18n.t(key, language, **params)

    result = QuickOrderResult()
    known: list[tuple[str, int]] = []
    unknown: list[tuple[str, int]] = []
    for sku, qty in lines:
        try:
            clean = validation.sku(sku)
        except NotFound:
            unknown.append((sku.upper()[:20], qty))
            continue
        known.append((clean, qty))
    if known:
        try:
            quote = drafts.from_lines(identity, known)
        except UnknownArticles as exc:
            missing = set(exc.skus)
            unknown += [(s, q) for s, q in known if s in missing]
            known = [(s, q) for s, q in known if s not in missing]
            quote = drafts.from_lines(identity, known) if known else None
        if quote is not None:
            result.quote, result.draft_id = quote, quote.draft_id
            result.messages += quote_messages(quote, language, t("orders_quote_intro_quick"), t)
    for issue in issues:
        reason = f"orders_issue_{issue.reason}"
        result.messages.append({"type": "text", "text": t(
            "orders_quick_issue", line=issue.line, sku=f" ({_safe_sku(issue.sku)})" if issue.sku else "",
            reason=t(reason) if i18n.has(reason) else t("orders_issue_other"),
        )})
    for typed, qty in unknown:
        safe = _safe_sku(typed)
        suggestions = closest_skus(drafts, safe) if safe else []
        if not suggestions:
            result.messages.append({"type": "text", "text": t("orders_quick_unknown_none", sku=safe or "?")})
            continue
        buttons = []
        for sku, name in suggestions:
            values: dict[str, Any] = {"sku": sku, "quantity": qty}
            intent = "quick_order"
            if result.draft_id:
                values["draft_id"] = result.draft_id
                intent = "change_draft"
            buttons.append({"title": f"{sku} – {name}", "payload": payload(intent, **values)})
        result.messages.append({"type": "buttons", "text": t("orders_quick_unknown", sku=safe, qty=qty),
                                "buttons": buttons})
    return result


def _safe_sku(value: str | None) -> str:
    """An article number as typed, reduced to the characters an article number can have."""
    return "".join(c for c in (value or "").upper() if c.isalnum() or c == "-")[:20]


class ActionQuickOrder(KnowledgeDetour, DraftAction):
    not_found_key = "orders_invalid"

    request_words = routing.ORDER_WORDS  # with these words an article number is a request to this action

    def name(self) -> str:
        return "action_quick_order"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        picked, qty = entity(tracker, "sku"), entity(tracker, "quantity")
        text = user_text(tracker)
        if tracker.get_slot(DRAFT_SLOT) and _ADD_WORDS.search(text):
            # "füge 10x 3S-1208 hinzu" while a draft is open: an edit of that draft, not a new order
            return await ActionChangeDraft(self._drafts, self._orders).handle(dispatcher, tracker, domain, turn, reply)
        if picked and qty and not text:
            lines: list[tuple[str, int]] = [(picked, validation.quantity(qty))]
            issues: list[LineIssue] = []
        else:
            parsed = parse_quick_order(text)
            lines, issues = parsed.lines, parsed.issues
        if not lines and not issues:
            reply.key("orders_quick_ask")
            return []
        result = quick_order_messages(self.drafts, turn.identity, turn.language, lines, issues)
        for message in result.messages:
            reply.raw(message)
        return [SlotSet(DRAFT_SLOT, result.draft_id), SlotSet(OPEN_SLOT, True)] if result.draft_id else []

