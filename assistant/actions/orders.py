"""Order status ("wo ist Auftrag 4711?", "my open orders", "the latest") and picking one of several orders.

Also holds what the self-service modules (reorder, quick order, documents, approvals, prices) share: reading
entities, money and date formats, and finding "the order the buyer means" with the resolver. An order of
another account is answered exactly like one that does not exist, so no reply echoes a number the user typed.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant import clock
from assistant.actions.base import AssistantAction, Events, Reply, Turn
from assistant.actions.knowledge_turn import KnowledgeDetour
from assistant.commerce.domain import OrderView
from assistant.commerce.orders import OrderService, OrderStatus, get_order_service, order_status
from assistant.commerce.resolver import OrderReference, parse_order_reference
from assistant.errors import NotFound
from assistant.identity import BuyerIdentity

MAX_CHOICES = 5
CHOICE_SLOT = "orders_choice"
_ORDINALS = {
    "erste": 0, "ersten": 0, "first": 0, "obere": 0, "oberste": 0, "top": 0,
    "zweite": 1, "zweiten": 1, "second": 1, "zwei": 1, "two": 1,
    "dritte": 2, "dritten": 2, "third": 2, "drei": 2, "three": 2,
    "vierte": 3, "fourth": 3, "fünfte": 4, "fifth": 4,
}
_LAST_WORDS = ("letzte", "letzten", "untere", "unterste", "last", "bottom")


# ----------------------------------------------------------------------------------------- shared helpers


def money(value: Decimal | None, lang: str) -> str:
    """German "1.234,50 EUR", English "EUR 1,234.50"."""
    if value is None:
        return "-"
    text = f"{value:,.2f}"
    if lang == "en":
        return f"EUR {text}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".") + " EUR"


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fmt_date(day: date | None, lang: str) -> str:
    if day is None:
        return "-"
    if lang == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return day.strftime("%d.%m.%Y")


def payload(intent: str, **values: Any) -> str:
    """A button payload; values are JSON-encoded, never spliced into the string."""
    return f"/{intent}{json.dumps(values, ensure_ascii=False, separators=(',', ':'))}"


def in_language(identity: BuyerIdentity, language: str) -> BuyerIdentity:
    """Services name articles in ``identity.locale``; the turn's language wins in the chat."""
    return dataclasses.replace(identity, locale=language) if identity.locale != language else identity


def entity(tracker: Tracker, name: str) -> str | None:
    """The first value of an entity in the latest message (regex extractor or button payload), as text."""
    for item in (tracker.latest_message or {}).get("entities") or []:
        if item.get("entity") == name and item.get("value") not in (None, ""):
            value = item["value"]
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                return None
            return str(value)[:200]
    return None


def entities(tracker: Tracker, name: str) -> list[str]:
    out = []
    for item in (tracker.latest_message or {}).get("entities") or []:
        if item.get("entity") == name and isinstance(item.get("value"), str | int):
            out.append(str(item["value"])[:200])
    return list(dict.fromkeys(out))


def user_text(tracker: Tracker) -> str:
    """What the user typed; a button payload ("/intent{...}") is not text to parse."""
    text = str((tracker.latest_message or {}).get("text") or "")[:2000]
    return "" if text.startswith("/") else text


def resolve_reference(tracker: Tracker, turn: Turn) -> OrderReference:
    """The order reference of this turn: a button's order number wins over the resolver's reading."""
    number = entity(tracker, "order_number")
    text = user_text(tracker)
    ref = parse_order_reference(text, clock.now(), turn.language) if text else OrderReference()
    if number and not ref.order_number and not (
        ref.date_from or ref.date_to or ref.date_unclear or ref.latest or ref.open_only or ref.po_reference
    ):  # NLU's number regex also tags the year of "Nov 2026": a date the resolver read is not an order number
        ref = dataclasses.replace(ref, order_number=number)
    if not text and number:
        ref = OrderReference(order_number=number)
    return ref


def needs_date(ref: OrderReference) -> bool:
    """A date was mentioned but not read for certain, and nothing else names the order: ask, never guess."""
    return ref.date_unclear and not (ref.order_number or ref.po_reference)


def ask_for_date(
    reply: Reply, service: OrderService, identity: BuyerIdentity, lang: str, purpose: str
) -> Events:
    """Say that the date is unclear, how to write it, and offer the latest orders so one tap also works."""
    reply.key("orders_date_unclear")
    latest = service.find_orders(identity, OrderReference(), 3)
    if not latest:
        return []
    return offer_choice(reply, latest, lang, purpose, reply.t("orders_recent"))


def weekday_note(reply: Reply, ref: OrderReference, lang: str) -> None:
    """"Montag, 12.11." when the 12th is a Thursday: the date wins, and the buyer is told which day it was."""
    day = ref.date_from
    if ref.stated_weekday is None or day is None:
        return
    reply.key("orders_weekday_mismatch", date=fmt_date(day, lang), actual=reply.t(f"handoff_weekday_{day.weekday()}"),
              stated=reply.t(f"handoff_weekday_{ref.stated_weekday}"))


def choice_buttons(orders: Sequence[OrderView], lang: str) -> list[tuple[str, str]]:
    return [
        (
            f"{o.order_number} – {fmt_date(o.order_date, lang)} – {money(o.total_eur, lang)}",
            payload("choose_order", order_number=o.order_number),
        )
        for o in orders[:MAX_CHOICES]
    ]


def offer_choice(
    reply: Reply, orders: Sequence[OrderView], lang: str, purpose: str, text: str
) -> Events:
    """Ask which order with buttons; remember the purpose and the offered numbers for "die zweite"."""
    shown = list(orders[:MAX_CHOICES])
    reply.buttons(text, choice_buttons(shown, lang))
    return [SlotSet(CHOICE_SLOT, f"{purpose}:" + ",".join(o.order_number for o in shown))]


def nearest_reply(
    reply: Reply, service: OrderService, identity: BuyerIdentity, ref: OrderReference, lang: str, purpose: str
) -> Events:
    """Nothing matched: say so without echoing the reference, and offer the nearest orders."""
    reply.key("orders_not_found")
    near = service.nearest_orders(identity, ref, 3)
    if not near:
        reply.key("orders_none_at_all")
        return []
    return offer_choice(reply, near, lang, purpose, reply.t("orders_nearest"))


def find_for(
    service: OrderService, identity: BuyerIdentity, ref: OrderReference
) -> list[OrderView]:
    """Orders matching a reference; an explicit number that does not exist (or is another account's) is []."""
    if ref.order_number:
        try:
            return [service.get_order(identity, ref.order_number).order]
        except NotFound:
            return []
    return service.find_orders(identity, ref, MAX_CHOICES)


def parse_choice(text: str, offered: Sequence[str]) -> str | None:
    """"die zweite", "the last one" against the numbers offered last time."""
    if not offered:
        return None
    words = re.findall(r"[a-zäöüß]+", text.lower())
    for word in words:
        if word in _ORDINALS and _ORDINALS[word] < len(offered):
            return offered[_ORDINALS[word]]
    if any(w in _LAST_WORDS for w in words):
        return offered[-1]
    return None


# ----------------------------------------------------------------------------------------- status


def line_status_text(status: OrderStatus, reply: Reply, lang: str) -> str:
    o = status.order
    status_word = _label(reply, "orders_status_", o.status)
    if o.po_reference:
        head = reply.t("orders_status_intro", number=o.order_number, date=fmt_date(o.order_date, lang),
                       po=o.po_reference, status=status_word)
    else:
        head = reply.t("orders_status_intro_nopo", number=o.order_number, date=fmt_date(o.order_date, lang),
                       status=status_word)
    rows = [head]
    for line in status.lines:
        progress = _label(reply, "orders_line_status_", line.status)
        if line.status == "partially_shipped":
            progress += f" ({line.shipped_qty}/{line.quantity})"
        rows.append(f"{line.position}. {line.quantity} × {line.name} ({line.sku}) – {progress}")
    for s in status.shipments:
        text = reply.t("orders_status_shipment", number=s.delivery_number, carrier=s.carrier,
                       status=_label(reply, "orders_shipment_", s.status))
        if s.status != "delivered" and s.expected_on:
            text += f", {reply.t('orders_status_expected', date=fmt_date(s.expected_on, lang)).rstrip('.')}"
        if s.tracking_url and s.status != "delivered":
            text += f" – {reply.t('orders_status_tracking')}: {s.tracking_url}"
        rows.append(text)
    if status.expected_delivery and o.status != "delivered":
        rows.append(reply.t("orders_status_expected", date=fmt_date(status.expected_delivery, lang)))
    delay = status.delay_explanation(lang)
    if delay:
        rows.append(delay)
    return "\n".join(rows)


def _label(reply: Reply, prefix: str, value: str) -> str:
    from assistant import i18n

    return reply.t(prefix + value) if i18n.has(prefix + value) else value


class OrderStatusAction(AssistantAction):
    """Shared service wiring: no service is created before the first turn needs it."""

    requires_login = True

    def __init__(self, orders: OrderService | None = None) -> None:
        self._orders = orders

    @property
    def orders(self) -> OrderService:
        return self._orders or get_order_service()

    not_found_key = "orders_not_found"
    invalid_input_key = "orders_invalid"


class ActionOrderStatus(KnowledgeDetour, OrderStatusAction):
    def name(self) -> str:
        return "action_order_status"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        identity = in_language(turn.identity, turn.language)
        ref = resolve_reference(tracker, turn)
        return show_status(reply, self.orders, identity, ref, turn.language)


def show_status(
    reply: Reply, service: OrderService, identity: BuyerIdentity, ref: OrderReference, lang: str
) -> Events:
    if needs_date(ref):
        return ask_for_date(reply, service, identity, lang, "status")
    weekday_note(reply, ref, lang)
    if ref.is_empty() or (ref.open_only and not ref.order_number):
        open_orders = service.open_orders(identity, MAX_CHOICES)
        if not open_orders:
            if ref.open_only:
                reply.key("orders_open_none")
                return []
            reply.text(line_status_text(service.latest_order(identity), reply, lang))
            reply.mark("status", "finished")
            return []
        if len(open_orders) == 1:
            reply.text(line_status_text(order_status(open_orders[0]), reply, lang))
            reply.mark("status", "finished")
            return []
        listing = [reply.t("orders_open_list")]
        for o in open_orders:
            expected = f", {fmt_date(o.expected_delivery, lang)}" if o.expected_delivery else ""
            listing.append(
                f"- {o.order_number} ({fmt_date(o.order_date, lang)}): {_label(reply, 'orders_status_', o.status)}"
                + expected
            )
        return offer_choice(reply, open_orders, lang, "status", "\n".join(listing))
    found = find_for(service, identity, ref)
    if not found:
        return nearest_reply(reply, service, identity, ref, lang, "status")
    if len(found) == 1:
        reply.text(line_status_text(order_status(found[0]), reply, lang))
        reply.mark("status", "finished")
        return []
    return offer_choice(reply, found, lang, "status", reply.t("orders_several", what=ref.description))


class ActionChooseOrder(OrderStatusAction):
    """The answer to "which order?": continues the reorder, status or documents request that asked."""

    def __init__(self, orders: OrderService | None = None, drafts: Any = None, documents: Any = None) -> None:
        super().__init__(orders)
        self._drafts, self._documents = drafts, documents

    def name(self) -> str:
        return "action_choose_order"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        purpose, _, offered_text = str(tracker.get_slot(CHOICE_SLOT) or "status:").partition(":")
        offered = [n for n in offered_text.split(",") if n]
        number = entity(tracker, "order_number") or parse_choice(user_text(tracker), offered)
        if not number:
            ref = resolve_reference(tracker, turn)
            if ref.is_empty():
                reply.key("orders_which")
                return []
        else:
            ref = OrderReference(order_number=number)
        identity = in_language(turn.identity, turn.language)
        events: Events = [SlotSet(CHOICE_SLOT, None)]
        if purpose == "reorder":
            from assistant.actions.reorder import start_reorder

            return events + start_reorder(reply, self.orders, identity, ref, turn.language, self._drafts)
        if purpose.startswith("documents"):
            from assistant.actions.documents import documents_for_order
            from assistant.commerce.documents import KINDS

            kinds = tuple(k for k in purpose.partition("=")[2].split("+") if k in KINDS)
            return events + documents_for_order(reply, self.orders, identity, ref, turn.language, self._documents,
                                                kinds or ("invoice", "delivery_note"))
        return events + show_status(reply, self.orders, identity, ref, turn.language)
