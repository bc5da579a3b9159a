"""Approvals: "what is waiting for my approval?", approve or reject in the chat (a rejection needs a reason).

Only approvers of the same account see and decide; the buyer is notified through the outbox by the service.
A number that is not pending in this account (another account's, decided, never issued) gets one reply.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from assistant import clock
from assistant.actions.base import AssistantAction, Events, Reply, Turn
from assistant.actions.knowledge_turn import KnowledgeDetour
from assistant.actions.orders import entity, in_language, money, payload, user_text
from assistant.commerce.approvals import ApprovalService, get_approval_service
from assistant.commerce.domain import ApprovalView
from assistant.commerce.resolver import parse_order_reference
from assistant.errors import InvalidInput, NotFound
from assistant.identity import BuyerIdentity

MAX_LISTED = 5
NUMBER_SLOT = "orders_reject_number"
REASON_SLOT = "orders_reject_reason"
FORM = "orders_reject_form"
# "… ablehnen, weil das Budget aufgebraucht ist", "reject 4711 because …", "Begründung: …"
_REASON = re.compile(r"(?:\bweil\b|\bda\b|\bbecause\b|\bsince\b|\bgrund\s*:|\bbegründung\s*:|\breason\s*:)\s*(.{3,})",
                     re.I | re.S)


class ApprovalAction(AssistantAction):
    requires_login = True
    required_roles = frozenset({"approver"})
    not_found_key = "orders_approval_not_found"
    invalid_input_key = "orders_invalid"

    def __init__(self, approvals: ApprovalService | None = None) -> None:
        self._approvals = approvals

    @property
    def approvals(self) -> ApprovalService:
        return self._approvals or get_approval_service()

    def pending_number(self, tracker: Tracker, turn: Turn, identity: BuyerIdentity) -> tuple[str | None, bool]:
        """(number, ambiguous): the entity or typed number; else the only pending order; else ask."""
        number = entity(tracker, "order_number")
        text = user_text(tracker)
        if not number and text:
            number = parse_order_reference(text, clock.now(), turn.language).order_number
        if number:
            return number, False
        pending = self.approvals.pending(identity)
        if len(pending) == 1:
            return pending[0].order_number, False
        return None, bool(pending)


def list_pending(reply: Reply, pending: list[ApprovalView], lang: str) -> None:
    if not pending:
        reply.key("orders_approvals_none")
        return
    rows = [reply.t("orders_approvals_list")]
    buttons: list[tuple[str, str]] = []
    for a in pending[:MAX_LISTED]:
        reason = reply.t({"approval_limit": "orders_reason_approval_limit", "budget": "orders_reason_budget"}.get(
            a.reason, "orders_reason_other"))
        rows.append("- " + reply.t("orders_approvals_item", number=a.order_number, name=a.requested_by_name,
                                   amount=money(a.amount_eur, lang), reason=reason))
        buttons += [
            (reply.t("orders_approve_button", number=a.order_number),
             payload("approve_order", order_number=a.order_number)),
            (reply.t("orders_reject_button", number=a.order_number),
             payload("reject_order", order_number=a.order_number)),
        ]
    reply.buttons("\n".join(rows), buttons)


class ActionListApprovals(KnowledgeDetour, ApprovalAction):
    def name(self) -> str:
        return "action_list_approvals"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        list_pending(reply, self.approvals.pending(turn.identity), turn.language)
        return []


class ActionApproveOrder(KnowledgeDetour, ApprovalAction):
    def name(self) -> str:
        return "action_approve_order"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        identity = in_language(turn.identity, turn.language)
        number, ambiguous = self.pending_number(tracker, turn, identity)
        if not number:
            if ambiguous:
                list_pending(reply, self.approvals.pending(identity), turn.language)
            else:
                reply.key("orders_approvals_none")
            return []
        try:
            view = self.approvals.approve(identity, number)
        except InvalidInput:
            reply.key("orders_approval_own")
            return []
        reply.key("orders_approved", number=view.order_number, name=view.requested_by_name)
        return []


class ActionRejectOrder(KnowledgeDetour, ApprovalAction):
    """Reject with a reason: taken from the message ("weil …") or asked for through orders_reject_form."""

    def name(self) -> str:
        return "action_reject_order"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        identity = in_language(turn.identity, turn.language)
        reason = tracker.get_slot(REASON_SLOT)
        number = tracker.get_slot(NUMBER_SLOT) if reason else None
        if not number:
            number, ambiguous = self.pending_number(tracker, turn, identity)
            typed = _REASON.search(user_text(tracker))
            reason = typed.group(1).strip() if typed else None
            if not number:
                if ambiguous:
                    list_pending(reply, self.approvals.pending(identity), turn.language)
                else:
                    reply.key("orders_approvals_none")
                return []
            if not any(p.order_number == number for p in self.approvals.pending(identity)):
                raise NotFound("not pending")
        done: Events = [SlotSet(NUMBER_SLOT, None), SlotSet(REASON_SLOT, None)]
        if not reason or not str(reason).strip():
            reply.key("orders_reject_ask_reason", number=number)
            return [SlotSet(NUMBER_SLOT, number), SlotSet(REASON_SLOT, None), ActiveLoop(FORM),
                    SlotSet("requested_slot", REASON_SLOT)]
        try:
            view = self.approvals.reject(identity, str(number), str(reason))
        except InvalidInput:
            reply.key("orders_approval_own")
            return done
        except NotFound:
            reply.key("orders_approval_not_found")
            return done
        reply.key("orders_rejected", number=view.order_number, name=view.requested_by_name)
        return done
