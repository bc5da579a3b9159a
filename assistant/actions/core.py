"""Dialogue basics that depend on who is asking: the greeting and "what can you do"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset
from rasa_sdk.executor import CollectingDispatcher

from assistant.actions.base import AssistantAction, Events, Reply, Turn, role_names
from assistant.commerce.demo_people import account


class ActionGreet(AssistantAction):
    def name(self) -> str:
        return "action_greet"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        if turn.identity.is_anonymous or not turn.identity.name:
            reply.key("greet")
        else:
            reply.key("greet_user", name=turn.identity.name.split(" ")[0])
        return []


class ActionHelp(AssistantAction):
    """Lists what this visitor can actually do: anonymous visitors, buyers, approvers and technicians differ."""

    def name(self) -> str:
        return "action_help"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        identity = turn.identity
        if identity.is_anonymous:
            reply.key("help_anonymous")
            return []
        items = ["help_item_knowledge", "help_item_finder"]
        if identity.has_role("buyer"):
            items += ["help_item_orders", "help_item_status", "help_item_documents", "help_item_prices"]
        if identity.has_role("approver"):
            items += ["help_item_approvals"]
            if not identity.has_role("buyer"):
                items += ["help_item_status", "help_item_documents"]
        if identity.has_role("technician"):
            items += ["help_item_certificates", "help_item_status"]
        seen: list[str] = []
        for item in items:
            if item not in seen:
                seen.append(item)
        acct = account(identity.customer_id or "")
        intro = reply.t(
            "help_intro_user",
            roles=role_names(identity.roles, turn.language),
            account=acct.name if acct else identity.customer_id,
        )
        reply.text(intro + "\n" + "\n".join(f"- {reply.t(i)}" for i in seen))
        return []


class ActionCancel(AssistantAction):
    """"abbrechen" / "cancel": stop any form and forget the half-finished flow, then say so."""

    def name(self) -> str:
        return "action_cancel"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        reply.key("cancelled")
        return [ActiveLoop(None), AllSlotsReset()]
