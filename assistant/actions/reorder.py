"""Reorder a past order, edit the draft in free text or with buttons, and confirm it.

The draft lives in the database (DraftService), the dialogue only remembers its id, and the confirm button
carries the id itself: pressing it twice, or after a restart, places at most one order.
"""

from __future__ import annotations

import contextlib
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant.actions.base import AssistantAction, Events, Reply, Turn
from assistant.actions.knowledge_turn import KnowledgeDetour
from assistant.actions.orders import (
    CHOICE_SLOT,
    MAX_CHOICES,
    ask_for_date,
    entity,
    find_for,
    fmt_date,
    in_language,
    money,
    nearest_reply,
    needs_date,
    offer_choice,
    payload,
    resolve_reference,
    user_text,
    weekday_note,
)
from assistant.commerce.domain import PlacedOrder
from assistant.commerce.orders import OrderService, get_order_service
from assistant.commerce.reorder import DraftNotOrderable, DraftQuote, DraftService, get_draft_service
from assistant.commerce.resolver import OrderReference
from assistant.commerce.textparse import DraftPosition, parse_draft_edit
from assistant.commerce.validation import QuantityError
from assistant.errors import NotFound
from assistant.identity import BuyerIdentity

DRAFT_SLOT = "orders_draft_id"
OPEN_SLOT = "orders_draft_open"
ORDERING_ROLES = frozenset({"buyer", "approver"})


def quote_messages(quote: DraftQuote, lang: str, intro: str, t: Any) -> list[dict[str, Any]]:
    """The draft as chat messages: every line with today's price and what changed, then the confirm buttons.

    ``t(key, **params)`` renders a text in ``lang``; plain function so that the upload route can reuse it.
    """
    rows = [intro]
    for q in quote.lines:
        row = f"{q.position}. {q.quantity} × {q.name} ({q.sku}) à {money(q.unit_price_eur, lang)} = " + money(
            q.line_total_eur, lang
        )
        flags = []
        if q.price_changed:
            flags.append(t("orders_quote_price_changed", old=money(q.previous_unit_price_eur, lang)))
        if q.discontinued:
            flags.append(
                t("orders_quote_discontinued", successor=q.successor_sku, name=q.successor_name)
                if q.successor_sku
                else t("orders_quote_discontinued_none")
            )
        elif not q.in_stock:
            flags.append(t("orders_quote_out_of_stock", days=q.lead_time_days))
        if q.below_minimum:
            flags.append(t("orders_quote_below_minimum", minimum=q.min_order_qty))
        if flags:
            row += " – ⚠ " + "; ".join(flags)
        rows.append(row)
    changes = []
    if quote.price_changes:
        changes.append(t("orders_quote_summary_prices", n=len(quote.price_changes)))
    if quote.out_of_stock:
        changes.append(t("orders_quote_summary_stock", n=len(quote.out_of_stock)))
    if quote.discontinued:
        changes.append(t("orders_quote_summary_discontinued", n=len(quote.discontinued)))
    if changes and quote.source_order_number:
        rows.append(t("orders_quote_summary", changes=", ".join(changes)))
    rows.append(
        t("orders_quote_total", total=money(quote.total_eur, lang), date=fmt_date(quote.expected_delivery, lang))
    )
    buttons: list[dict[str, str]] = []
    replaceable = [q for q in quote.discontinued if q.successor_sku]
    if replaceable and len(replaceable) == len(quote.discontinued):
        buttons.append({"title": t("orders_button_confirm_successor"),
                        "payload": payload("confirm_order", draft_id=quote.draft_id, draft_op="use_successor")})
        buttons.append({"title": t("orders_button_successor"),
                        "payload": payload("change_draft", draft_id=quote.draft_id, draft_op="use_successor")})
    elif quote.lines and not quote.discontinued:
        buttons.append({"title": t("orders_button_confirm"),
                        "payload": payload("confirm_order", draft_id=quote.draft_id)})
    if quote.out_of_stock and len(quote.out_of_stock) < len(quote.lines):
        buttons.append({"title": t("orders_button_drop_unavailable"),
                        "payload": payload("change_draft", draft_id=quote.draft_id, draft_op="drop_unavailable")})
    buttons.append({"title": t("orders_button_cancel"), "payload": "/cancel"})
    return [
        {"type": "text", "text": "\n".join(rows)},
        {"type": "buttons", "text": t("orders_quote_ask"), "buttons": buttons},
    ]


def show_quote(reply: Reply, quote: DraftQuote, lang: str, intro: str) -> Events:
    for message in quote_messages(quote, lang, intro, reply.t):
        reply.raw(message)
    return [SlotSet(DRAFT_SLOT, quote.draft_id), SlotSet(OPEN_SLOT, True)]


def start_reorder(
    reply: Reply,
    orders: OrderService,
    identity: BuyerIdentity,
    ref: OrderReference,
    lang: str,
    drafts: DraftService | None = None,
) -> Events:
    """Identify the order; one match -> a priced draft; several -> ask; none -> the nearest ones."""
    if not (ORDERING_ROLES & identity.roles):
        from assistant.actions.base import role_names

        reply.key("role_missing", roles=role_names(identity.roles, lang))
        return []
    if needs_date(ref):
        return ask_for_date(reply, orders, identity, lang, "reorder")
    weekday_note(reply, ref, lang)
    if ref.is_empty():
        latest = orders.find_orders(identity, OrderReference(), 3)
        if not latest:
            reply.key("orders_none_at_all")
            return []
        return offer_choice(reply, latest, lang, "reorder", reply.t("orders_reorder_which"))
    found = find_for(orders, identity, ref)
    if not found:
        return nearest_reply(reply, orders, identity, ref, lang, "reorder")
    if len(found) > 1:
        what = reply.t("orders_several", what=ref.description)
        return offer_choice(reply, found[:MAX_CHOICES], lang, "reorder", what)
    order = found[0]
    quote = (drafts or get_draft_service()).from_order(identity, order.order_number)
    intro = reply.t("orders_quote_intro_reorder", number=order.order_number, date=fmt_date(order.order_date, lang))
    return [SlotSet(CHOICE_SLOT, None), *show_quote(reply, quote, lang, intro)]


class DraftAction(AssistantAction):
    requires_login = True
    required_roles = ORDERING_ROLES
    not_found_key = "orders_draft_not_found"
    invalid_input_key = "orders_invalid"

    def __init__(self, drafts: DraftService | None = None, orders: OrderService | None = None) -> None:
        self._drafts, self._orders = drafts, orders

    @property
    def drafts(self) -> DraftService:
        return self._drafts or get_draft_service()

    @property
    def orders(self) -> OrderService:
        return self._orders or get_order_service()

    @staticmethod
    def draft_id(tracker: Tracker) -> str | None:
        return entity(tracker, "draft_id") or tracker.get_slot(DRAFT_SLOT)


class ActionReorder(KnowledgeDetour, DraftAction):
    not_found_key = "orders_not_found"

    def name(self) -> str:
        return "action_reorder"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        identity = in_language(turn.identity, turn.language)
        ref = resolve_reference(tracker, turn)
        return start_reorder(reply, self.orders, identity, ref, turn.language, self.drafts)


class ActionChangeDraft(KnowledgeDetour, DraftAction):
    """Free-text edits ("Position 2 auf 20 Stück", "ohne die Dichtungen") and the successor/drop buttons."""

    def name(self) -> str:
        return "action_change_draft"

    async def answered_elsewhere(self, tracker: Tracker, turn: Turn, reply: Reply) -> bool:
        # With no draft open, "do you do cXML punchout or only OCI?" filed here is a question; with one open, a
        # question ("can you make it 20?") is an edit of it
        if self.draft_id(tracker):
            return False
        return await super().answered_elsewhere(tracker, turn, reply)

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        draft_id = self.draft_id(tracker)
        if not draft_id:
            from assistant.actions.quickorder import ActionQuickOrder
            from assistant.commerce.textparse import parse_quick_order

            if parse_quick_order(user_text(tracker)).lines:  # "add 10x 3S-1208" with no draft: a quick order
                return await ActionQuickOrder(self._drafts, self._orders).handle(
                    dispatcher, tracker, domain, turn, reply)
            reply.key("orders_no_draft")
            return []
        identity = in_language(turn.identity, turn.language)
        drafts = self.drafts
        op = entity(tracker, "draft_op")
        try:
            if op == "use_successor":
                quote = drafts.replace_with_successor(identity, draft_id)
            elif entity(tracker, "sku") and entity(tracker, "quantity") and not user_text(tracker):
                # a suggestion button for a mistyped article number
                quote = drafts.add_sku(identity, draft_id, str(entity(tracker, "sku")), entity(tracker, "quantity"))
            elif op == "drop_unavailable":
                quote = drafts.quote(identity, draft_id)
                for q in sorted(quote.out_of_stock, key=lambda x: -x.position):
                    quote = drafts.remove_position(identity, draft_id, q.position)
            else:
                quote = self._apply_text(reply, identity, draft_id, user_text(tracker))
                if quote is None:
                    return []
        except QuantityError as exc:
            if exc.reason == "below_minimum":
                reply.key("orders_qty_below_minimum", minimum=exc.minimum)
            else:
                reply.key("orders_qty_invalid")
            return []
        except DraftNotOrderable:
            reply.key("orders_draft_not_found")
            return [SlotSet(DRAFT_SLOT, None), SlotSet(OPEN_SLOT, False)]
        return show_quote(reply, quote, turn.language, reply.t("orders_quote_intro_changed"))

    def _apply_text(self, reply: Reply, identity: BuyerIdentity, draft_id: str, text: str) -> DraftQuote | None:
        drafts = self.drafts
        quote = drafts.quote(identity, draft_id)
        products = drafts.repo.get_products([q.sku for q in quote.lines])
        positions = [
            DraftPosition(q.position, q.sku, products[q.sku].name_de, products[q.sku].name_en, q.family, q.quantity)
            for q in quote.lines
        ]
        edits = parse_draft_edit(text, positions)
        unmatched = [e for e in edits if e.kind == "unmatched"]
        if unmatched or not edits:
            reason = unmatched[0].reason if unmatched else "unclear"
            key = {"ambiguous": "orders_edit_ambiguous", "no_match": "orders_edit_no_match",
                   "no_such_position": "orders_edit_no_match", "not_in_draft": "orders_edit_no_match",
                   "too_large": "orders_qty_invalid"}.get(reason or "", "orders_edit_unclear")
            reply.key(key)
            return None
        # Quantities and additions first, removals last and from the bottom, so positions stay valid.
        for e in edits:
            if e.kind == "set_qty" and e.pos_no is not None:
                quote = drafts.set_quantity(identity, draft_id, e.pos_no, e.qty)
            elif e.kind == "add" and e.sku:
                quote = drafts.add_sku(identity, draft_id, e.sku, e.qty)
            elif e.kind == "use_successor":
                quote = drafts.replace_with_successor(identity, draft_id, e.pos_no)
        for e in sorted((e for e in edits if e.kind == "remove"), key=lambda e: -(e.pos_no or 0)):
            if e.pos_no is not None:
                quote = drafts.remove_position(identity, draft_id, e.pos_no)
        return quote


class ActionConfirmOrder(DraftAction):
    def name(self) -> str:
        return "action_confirm_order"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        draft_id = self.draft_id(tracker)
        if not draft_id:
            reply.key("orders_no_draft")
            return []
        identity = in_language(turn.identity, turn.language)
        drafts = self.drafts
        affirmed = ((tracker.latest_message or {}).get("intent") or {}).get("name") == "affirm"
        if entity(tracker, "draft_op") == "use_successor" or affirmed:  # "ja" accepts what the button offered
            # nothing left to replace, or already placed: confirm decides
            with contextlib.suppress(NotFound, DraftNotOrderable):
                drafts.replace_with_successor(identity, draft_id)
        try:
            placed = drafts.confirm(identity, draft_id)
        except DraftNotOrderable as exc:
            return self._blocked(reply, exc, drafts.quote(identity, draft_id), turn.language)
        self._placed(reply, placed, turn.language)
        if not placed.already_placed:
            reply.mark("reorder", "finished")
        return [SlotSet(DRAFT_SLOT, None), SlotSet(OPEN_SLOT, False)]

    @staticmethod
    def _placed(reply: Reply, placed: PlacedOrder, lang: str) -> None:
        from assistant.actions.orders import _label

        if placed.already_placed:
            reply.key("orders_already_placed", number=placed.order_number,
                      status=_label(reply, "orders_status_", placed.status))
        elif placed.status == "pending_approval":
            reason = {"approval_limit": "orders_reason_approval_limit", "budget": "orders_reason_budget"}.get(
                placed.approval_reason or "", "orders_reason_other"
            )
            reply.key("orders_pending_approval", number=placed.order_number, total=money(placed.total_eur, lang),
                      reason=reply.t(reason))
        else:
            reply.key("orders_placed", number=placed.order_number, total=money(placed.total_eur, lang),
                      date=fmt_date(placed.expected_delivery, lang))

    @staticmethod
    def _blocked(reply: Reply, exc: DraftNotOrderable, quote: DraftQuote, lang: str) -> Events:
        positions = ", ".join(str(p) for p in exc.positions)
        if exc.reason == "discontinued":
            reply.buttons(
                reply.t("orders_blocked_discontinued", positions=positions),
                [(reply.t("orders_button_confirm_successor"),
                  payload("confirm_order", draft_id=quote.draft_id, draft_op="use_successor"))],
            )
        elif exc.reason == "below_minimum":
            first = next(q for q in quote.lines if q.position == exc.positions[0])
            reply.key("orders_blocked_below_minimum", positions=positions, first=first.position,
                      minimum=first.min_order_qty)
        elif exc.reason == "empty":
            reply.key("orders_blocked_empty")
        else:
            reply.key("orders_draft_not_found")
        return []
