"""Approvals in the chat: list, approve, reject with a reason (asked for when missing); the buyer is notified."""

from __future__ import annotations

from sqlalchemy import select

from assistant.actions.approvals import ActionApproveOrder, ActionListApprovals, ActionRejectOrder
from assistant.commerce.models import OutboxMessage
from tests.actions.helpers import run, texts, tracker
from tests.actions.orders_support import ANNA, JONAS, KLAUS, THOMAS, services


def pending_order(amount_qty: int = 3000) -> str:
    """Anna places an order over her limit: it waits for approval."""
    s = services()
    quote = s.drafts.from_lines(ANNA, [("3S-1208", amount_qty)])
    placed = s.drafts.confirm(ANNA, quote.draft_id)
    assert placed.status == "pending_approval"
    return placed.order_number


def mails_to(email: str, topic: str) -> list[OutboxMessage]:
    with services().repo.db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email,
                                                          OutboxMessage.topic == topic)))


async def test_list_and_approve_with_the_button_de() -> None:
    number = pending_order()
    dispatcher, _ = await run(ActionListApprovals(services().approvals),
                              tracker("was wartet auf meine Freigabe?", "list_approvals", THOMAS))
    message = dispatcher.messages[0]["custom"]
    assert f"Auftrag {number} von Anna Müller" in message["text"] and "Ihr Freigabelimit" in message["text"]
    assert {"title": f"{number} freigeben", "payload": f'/approve_order{{"order_number":"{number}"}}'} in \
        message["buttons"]
    before = len(mails_to(ANNA.email, "approval_approved"))
    dispatcher, _ = await run(ActionApproveOrder(services().approvals), tracker(
        "/approve_order", "approve_order", THOMAS, entities=[{"entity": "order_number", "value": number}]))
    assert texts(dispatcher)[0] == f"Auftrag {number} ist freigegeben. Anna Müller wird benachrichtigt."
    assert len(mails_to(ANNA.email, "approval_approved")) == before + 1


async def test_reject_asks_for_the_reason_then_decides_en() -> None:
    number = pending_order()
    action = ActionRejectOrder(services().approvals)
    dispatcher, events = await run(action, tracker("/reject_order", "reject_order", THOMAS, language="en",
                                                   entities=[{"entity": "order_number", "value": number}]))
    assert texts(dispatcher)[0].startswith(f"Why are you rejecting order {number}?")
    assert {"event": "active_loop", "name": "orders_reject_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events]
    slots = {"orders_reject_number": number, "orders_reject_reason": "budget is frozen until January"}
    dispatcher, events = await run(action, tracker("budget is frozen until January", "inform", THOMAS,
                                                   language="en", slots=slots))
    assert texts(dispatcher)[0] == f"Order {number} is rejected. Anna Müller is being notified with your reason."
    mail = mails_to(ANNA.email, "approval_rejected")[-1]
    assert "budget is frozen until January" in mail.body


async def test_reason_in_the_same_message_and_the_roles() -> None:
    number = pending_order()
    action = ActionRejectOrder(services().approvals)
    dispatcher, _ = await run(action, tracker(f"Auftrag {number} ablehnen, weil das Budget aufgebraucht ist",
                                              "reject_order", THOMAS,
                                              entities=[{"entity": "order_number", "value": number}]))
    assert texts(dispatcher)[0].startswith(f"Auftrag {number} ist abgelehnt.")
    for who in (ANNA, JONAS):
        dispatcher, _ = await run(ActionListApprovals(services().approvals),
                                  tracker("offene Freigaben", "list_approvals", who))
        assert "Rolle" in texts(dispatcher)[0]


async def test_other_accounts_approver_cannot_see_or_decide() -> None:
    number = pending_order()
    dispatcher, _ = await run(ActionListApprovals(services().approvals),
                              tracker("pending approvals", "list_approvals", KLAUS, language="en"))
    assert number not in str(dispatcher.messages)
    a, _ = await run(ActionApproveOrder(services().approvals), tracker(
        f"approve {number}", "approve_order", KLAUS, language="en",
        entities=[{"entity": "order_number", "value": number}]))
    b, _ = await run(ActionApproveOrder(services().approvals), tracker(
        "approve 99999999", "approve_order", KLAUS, language="en",
        entities=[{"entity": "order_number", "value": "99999999"}]))
    assert a.messages == b.messages
    assert texts(a)[0] == "No such order is waiting for your approval."
