"""Approvals: only approvers of the same account decide; the buyer is notified through the outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assistant.commerce.approvals import ApprovalService
from assistant.commerce.models import CostCentre, Order, OutboxMessage
from assistant.commerce.reorder import DraftService
from assistant.errors import InvalidInput, NotFound, PermissionDenied

from .conftest import ANNA, JONAS, KLAUS, THOMAS, TODAY


@pytest.fixture(scope="module")
def approvals(repo, settings):
    return ApprovalService(repo, settings)


@pytest.fixture
def pending_order(repo, settings):
    drafts = DraftService(repo, settings=settings)
    quote = drafts.from_lines(ANNA, [("HF-200-40", 30)])
    placed = drafts.confirm(ANNA, quote.draft_id, today=TODAY)
    assert placed.status == "pending_approval"
    return placed


def test_approver_sees_and_approves(approvals, pending_order, db):
    pending = approvals.pending(THOMAS)
    assert pending_order.order_number in {p.order_number for p in pending}
    with db.session() as s:
        spent_before = s.scalars(select(CostCentre).where(CostCentre.code == "KST-4100")).one().spent_eur
    view = approvals.approve(THOMAS, pending_order.order_number, "passt")
    assert view.status == "approved" and view.decided_by == "u-1002"
    assert pending_order.order_number not in {p.order_number for p in approvals.pending(THOMAS)}
    with db.session() as s:
        order = s.scalars(select(Order).where(Order.order_number == pending_order.order_number)).one()
        assert order.status == "open"
        spent_after = s.scalars(select(CostCentre).where(CostCentre.code == "KST-4100")).one().spent_eur
        assert spent_after == spent_before + order.total_eur
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "approval_approved")).all()
        assert any(m.recipient == ANNA.email and "freigegeben" in m.subject for m in mail)
    with pytest.raises(InvalidInput):
        approvals.approve(THOMAS, pending_order.order_number)  # already decided


def test_reject_needs_reason_and_notifies_buyer(approvals, pending_order, db):
    with pytest.raises(InvalidInput):
        approvals.reject(THOMAS, pending_order.order_number, "  ")
    view = approvals.reject(THOMAS, pending_order.order_number, "Budget für Q4 ausgeschöpft")
    assert view.status == "rejected"
    with db.session() as s:
        order = s.scalars(select(Order).where(Order.order_number == pending_order.order_number)).one()
        assert order.status == "rejected"
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "approval_rejected")).all()
        assert any("ausgeschöpft" in m.body and m.recipient == ANNA.email for m in mail)


def test_other_account_approver_gets_not_found(approvals, pending_order):
    assert pending_order.order_number not in {p.order_number for p in approvals.pending(KLAUS)}
    with pytest.raises(NotFound):
        approvals.approve(KLAUS, pending_order.order_number)


def test_buyers_and_technicians_cannot_approve(approvals, pending_order):
    with pytest.raises(PermissionDenied):
        approvals.approve(ANNA, pending_order.order_number)
    with pytest.raises(PermissionDenied):
        approvals.pending(JONAS)
    with pytest.raises(PermissionDenied):
        approvals.approve(JONAS, pending_order.order_number)
