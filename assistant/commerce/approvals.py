"""Approvals: orders above a buyer's limit or a cost centre's remaining budget wait for an approver.

Only approvers of the same account see and decide them; technicians and plain buyers get PermissionDenied.
The requesting buyer is notified through the outbox in the same transaction as the decision.
"""

from __future__ import annotations

from functools import lru_cache

from assistant.commerce import validation
from assistant.commerce.domain import ApprovalView, OutboxItem
from assistant.commerce.outbox import webhook_items
from assistant.commerce.repository import CommerceRepository, get_repository
from assistant.commerce.validation import Identity, require_role
from assistant.errors import InvalidInput, NotFound
from assistant.settings import Settings, get_settings

MAX_NOTE = 500


class ApprovalService:
    def __init__(self, repo: CommerceRepository | None = None, settings: Settings | None = None):
        self.repo = repo or get_repository()
        self.settings = settings or get_settings()

    def pending(self, identity: Identity) -> list[ApprovalView]:
        customer = require_role(identity, "approver")
        return self.repo.pending_approvals(customer)

    def approve(self, identity: Identity, order_number: str, note: str | None = None) -> ApprovalView:
        return self._decide(identity, order_number, True, note)

    def reject(self, identity: Identity, order_number: str, reason: str) -> ApprovalView:
        if not reason or not reason.strip():
            raise InvalidInput("a rejection needs a reason")
        return self._decide(identity, order_number, False, reason)

    def _decide(self, identity: Identity, order_number: str, approve: bool, note: str | None) -> ApprovalView:
        customer = require_role(identity, "approver")
        number = validation.order_number(order_number)
        clean_note = note.strip()[:MAX_NOTE] if note else None
        requester = {}
        for p in self.repo.pending_approvals(customer):
            if p.order_number == number:
                requester = {"id": p.requested_by}
        user = self.repo.get_user(customer, requester["id"]) if requester else None
        if user is not None and user.id == identity.user_id:
            raise InvalidInput("nobody approves their own order")
        decider = identity.name if hasattr(identity, "name") and identity.name else str(identity.user_id)

        def notify(view: ApprovalView) -> list[OutboxItem]:
            if user is None:
                return []
            subject, body = decision_text(user.locale, view, decider)
            payload = {
                "customer": customer,
                "order_number": view.order_number,
                "decision": view.status,
                "note": view.decision_note,
            }
            return [
                OutboxItem("email", f"approval_{view.status}", user.email, subject, body, payload),
                *webhook_items(self.settings, f"approval_{view.status}", payload),
            ]

        try:
            return self.repo.decide_approval(
                customer, number, str(identity.user_id), approve, clean_note, notify
            )
        except NotFound:
            raise NotFound("approval not found") from None


def decision_text(lang: str, view: ApprovalView, decider: str) -> tuple[str, str]:
    approved = view.status == "approved"
    note = view.decision_note or ""
    if lang == "en":
        word = "approved" if approved else "rejected"
        body = f"{decider} has {word} your order {view.order_number}."
        body += f" Reason: {note}" if note else ""
        body += " It is being processed now." if approved else ""
        return f"Order {view.order_number} {word}", body
    word = "freigegeben" if approved else "abgelehnt"
    body = f"{decider} hat Ihre Bestellung {view.order_number} {word}."
    body += f" Begründung: {note}" if note else ""
    body += " Sie wird jetzt bearbeitet." if approved else ""
    return f"Bestellung {view.order_number} {word}", body


@lru_cache(maxsize=1)
def get_approval_service() -> ApprovalService:
    return ApprovalService()
