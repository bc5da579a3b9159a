"""Reorder and quick order drafts: flags, modifications, validation, approval routing, idempotent confirm."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from assistant.commerce.domain import OrderCriteria
from assistant.commerce.models import Approval, CostCentre, Order, OutboxMessage
from assistant.commerce.quickorder import QuickOrderService, parse_lines
from assistant.commerce.reorder import DraftNotOrderable, DraftService, UnknownArticles
from assistant.commerce.validation import QuantityError
from assistant.errors import NotFound, PermissionDenied

from .conftest import ANNA, EMMA, JONAS, LENA, SABINE, TODAY

LAST_MONDAY_ORDER = "100000"  # the seed's last-Monday order of Anna Müller


@pytest.fixture(scope="module")
def drafts(repo, settings):
    return DraftService(repo, settings=settings)


def test_reorder_flags_price_change_stock_and_discontinued(drafts):
    quote = drafts.from_order(ANNA, LAST_MONDAY_ORDER)
    by_sku = {line.sku: line for line in quote.lines}
    assert set(by_sku) == {"OR-0120-HN", "3S-0604", "3S-1208", "3L-1210"}
    # Prices rose since the order: old and new are both reported.
    assert by_sku["3S-1208"].price_changed
    assert by_sku["3S-1208"].previous_unit_price_eur < by_sku["3S-1208"].unit_price_eur
    assert {q.sku for q in quote.price_changes} == {"3S-1208", "OR-0120-HN"}
    # Out of stock: lead time drives the expected delivery.
    assert [q.sku for q in quote.out_of_stock] == ["3L-1210"]
    assert quote.expected_delivery >= TODAY + timedelta(days=14)
    # Discontinued: the successor is offered.
    assert [(q.sku, q.successor_sku) for q in quote.discontinued] == [("3S-0604", "3S-0605")]
    assert quote.total_eur == sum(q.line_total_eur for q in quote.lines)


def test_reorder_prices_are_customer_prices_in_the_buyers_language(drafts, repo):
    quote = drafts.from_order(ANNA, "4711")
    special = repo.customer_prices("K-10001", [q.sku for q in quote.lines])
    products = repo.get_products([q.sku for q in quote.lines])
    for q in quote.lines:
        assert q.unit_price_eur == special.get(q.sku, products[q.sku].list_price_eur)
        assert q.name == products[q.sku].name_de
    emma_order = repo.find_orders("K-10003", OrderCriteria(), 1)[0].order_number
    en = drafts.from_order(EMMA, emma_order)
    assert all(q.name == repo.get_products([q.sku])[q.sku].name_en for q in en.lines)


def test_modifications(drafts):
    quote = drafts.from_order(ANNA, LAST_MONDAY_ORDER)
    draft_id = quote.draft_id
    # Discontinued lines block the confirm until replaced.
    with pytest.raises(DraftNotOrderable) as blocked:
        drafts.confirm(ANNA, draft_id, today=TODAY)
    assert blocked.value.reason == "discontinued"
    quote = drafts.replace_with_successor(ANNA, draft_id)
    assert "3S-0604" not in {q.sku for q in quote.lines} and "3S-0605" in {q.sku for q in quote.lines}
    quote = drafts.remove_matching(ANNA, draft_id, "O-Ringe")
    assert not any("O-Ring" in q.name for q in quote.lines)
    pos = next(q.position for q in quote.lines if q.sku == "3S-1208")
    quote = drafts.set_quantity(ANNA, draft_id, pos, "40")
    assert next(q.quantity for q in quote.lines if q.sku == "3S-1208") == 40
    quote = drafts.add_sku(ANNA, draft_id, "qc-300-08", 2)
    assert next(q.quantity for q in quote.lines if q.sku == "QC-300-08") == 2
    quote = drafts.remove_position(ANNA, draft_id, next(q.position for q in quote.lines if q.sku == "3L-1210"))
    assert [q.position for q in quote.lines] == list(range(1, len(quote.lines) + 1))
    assert not quote.out_of_stock
    with pytest.raises(NotFound):
        drafts.remove_matching(ANNA, draft_id, "Zahnriemen")  # nothing matches
    with pytest.raises(NotFound):
        drafts.remove_position(ANNA, draft_id, 99)


@pytest.mark.parametrize(
    ("qty", "reason"),
    [(0, "not_positive"), (-5, "not_positive"), ("zehn", "not_a_number"), (2.5, "not_a_number"),
     (10**7, "too_large"), (5, "below_minimum")],
)  # fmt: skip
def test_quantity_validation(drafts, qty, reason):
    quote = drafts.from_lines(ANNA, [("3S-1208", 10)])
    with pytest.raises(QuantityError) as err:
        drafts.set_quantity(ANNA, quote.draft_id, 1, qty)
    assert err.value.reason == reason
    if reason == "below_minimum":
        assert err.value.minimum == 10
    # Nothing already entered is lost.
    assert drafts.quote(ANNA, quote.draft_id).lines[0].quantity == 10


def test_quick_order_unknown_and_hostile_skus(drafts):
    with pytest.raises(UnknownArticles) as err:
        drafts.from_lines(ANNA, [("3S-1208", 10), ("ZZ-9999", 1)])
    assert err.value.skus == ("ZZ-9999",)
    with pytest.raises(NotFound):
        drafts.from_lines(ANNA, [("3S-1208'; DROP TABLE products;--", 1)])


def test_parse_quick_order_text():
    parsed = parse_lines("Bitte 3S-1208 x 20, qc-300-08: 4 und HF-200-25")
    assert parsed.lines == (("3S-1208", 20), ("QC-300-08", 4))
    assert parsed.without_quantity == ("HF-200-25",)


def test_quick_order_from_text(drafts):
    quote, parsed = QuickOrderService(drafts).draft_from_text(ANNA, "3S-1208 x 20")
    assert quote is not None and quote.lines[0].quantity == 20 and not parsed.without_quantity


def test_confirm_places_order_once(drafts, db):
    quote = drafts.from_lines(ANNA, [("3S-1208", 20)])
    first = drafts.confirm(ANNA, quote.draft_id, today=TODAY)
    assert first.status == "open" and first.order_number.isdigit() and not first.already_placed
    assert first.expected_delivery == TODAY + timedelta(days=2)  # in stock: two working days (Wed -> Fri)
    again = drafts.confirm(ANNA, quote.draft_id, today=TODAY)
    assert again.order_number == first.order_number and again.already_placed
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Order).where(Order.draft_id == quote.draft_id)) == 1
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "order_placed")).all()
        assert any(first.order_number in m.subject and m.recipient == ANNA.email for m in mail)
    with pytest.raises(DraftNotOrderable):
        drafts.set_quantity(ANNA, quote.draft_id, 1, 30)  # a placed draft cannot change


def test_two_concurrent_confirms_place_one_order(drafts, db):
    quote = drafts.from_lines(ANNA, [("3S-0806", 10), ("HF-200-25", 1)])
    barrier = threading.Barrier(2)
    results, errors = [], []

    def confirm() -> None:
        barrier.wait()
        try:
            results.append(drafts.confirm(ANNA, quote.draft_id, today=TODAY))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len({r.order_number for r in results}) == 1
    assert sorted(r.already_placed for r in results) == [False, True]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Order).where(Order.draft_id == quote.draft_id)) == 1


def test_over_approval_limit_goes_to_approver(drafts, db):
    quote = drafts.from_lines(ANNA, [("HF-200-40", 30)])
    assert quote.total_eur > Decimal(2500)
    placed = drafts.confirm(ANNA, quote.draft_id, today=TODAY)
    assert placed.status == "pending_approval" and placed.approval_reason == "approval_limit"
    with db.session() as s:
        approval = s.scalars(
            select(Approval).join(Order, Order.id == Approval.order_id).where(Order.order_number == placed.order_number)
        ).one()
        assert approval.status == "pending" and approval.requested_by == "u-1001"
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "approval_requested")).all()
        assert any(
            m.recipient == "thomas.berger@mueller-maschinenbau.de" and placed.order_number in m.subject for m in mails
        )


def test_over_remaining_budget_goes_to_approval_and_budget_is_booked(drafts, db):
    with db.session() as s:
        before = s.scalars(select(CostCentre).where(CostCentre.code == "KST-4200")).one()
        remaining = before.budget_eur - before.spent_eur
    big = drafts.from_lines(LENA, [("QC-300-08", 10)])
    assert remaining < big.total_eur <= Decimal(1000)  # within Lena's limit, above the budget left
    placed = drafts.confirm(LENA, big.draft_id, today=TODAY)
    assert placed.status == "pending_approval" and placed.approval_reason == "budget"
    small = drafts.from_lines(LENA, [("3S-1208", 10)])
    ok = drafts.confirm(LENA, small.draft_id, today=TODAY)
    assert ok.status == "open"
    with db.session() as s:
        after = s.scalars(select(CostCentre).where(CostCentre.code == "KST-4200")).one()
        assert after.spent_eur == before.spent_eur + small.total_eur


def test_technician_cannot_order(drafts):
    with pytest.raises(PermissionDenied):
        drafts.from_lines(JONAS, [("3S-1208", 10)])
    with pytest.raises(PermissionDenied):
        drafts.from_order(JONAS, "4711")


def test_drafts_and_orders_of_other_accounts_are_not_found(drafts):
    with pytest.raises(NotFound):
        drafts.from_order(SABINE, "4711")
    anna_draft = drafts.from_lines(ANNA, [("3S-1208", 10)])
    for call in (
        lambda: drafts.quote(SABINE, anna_draft.draft_id),
        lambda: drafts.confirm(SABINE, anna_draft.draft_id),
        lambda: drafts.add_sku(SABINE, anna_draft.draft_id, "3S-1208", 10),
        lambda: drafts.quote(ANNA, "../../etc/passwd"),
    ):
        with pytest.raises(NotFound):
            call()
