"""Round trips: an order search costs the same few statements for 1 order or 50 (no N+1); a reorder, one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from assistant.commerce.db import statement_log
from assistant.commerce.domain import OrderCriteria
from assistant.commerce.orders import hint_filter
from assistant.commerce.reorder import DraftService

from .conftest import ANNA, TODAY

ACCOUNT = "K-10001"
_families, _names = hint_filter("O-Ringe")
O_RINGS = OrderCriteria(families=_families, name_terms=_names)


@pytest.mark.parametrize(
    ("criteria", "statements"),
    [
        (O_RINGS, 4),  # matching articles, orders, their lines, their shipments
        (OrderCriteria(open_only=True), 3),
        (OrderCriteria(), 3),
    ],
    ids=["product_hint", "open_orders", "latest"],
)
def test_order_search_statements_do_not_grow_with_orders_and_lines(db, repo, criteria, statements):
    with statement_log(db.engine) as one:
        first = repo.find_orders(ACCOUNT, criteria, 1)
    with statement_log(db.engine) as log:
        found = repo.find_orders(ACCOUNT, criteria, 50)
    assert len(first) == 1 and len(found) > 3
    assert sum(len(o.lines) for o in found) > len(found)
    assert any(o.shipments for o in found) or criteria.open_only
    assert one.count == log.count == statements, log.statements


def test_hint_without_matching_articles_stops_after_one_statement(db, repo):
    with statement_log(db.engine) as log:
        found = repo.find_orders(ACCOUNT, OrderCriteria(name_terms=("kein-solcher-artikel",)), 5)
    assert found == [] and log.count == 1


def test_nearest_orders_cost_three_statements(db, repo):
    with statement_log(db.engine) as log:
        found = repo.orders_near(ACCOUNT, TODAY - timedelta(days=60), 10)
    assert len(found) == 10
    assert log.count == 3, log.statements


def test_calls_inside_a_transaction_commit_or_roll_back_together(repo):
    sku = repo.find_orders(ACCOUNT, OrderCriteria(), 1)[0].lines[0].sku
    with pytest.raises(RuntimeError), repo.transaction():
        draft = repo.create_draft(ACCOUNT, "u-1001", [(sku, 1, None)])
        assert repo.get_draft(ACCOUNT, "u-1001", draft.id) is not None
        raise RuntimeError("after the draft was written")
    assert repo.get_draft(ACCOUNT, "u-1001", draft.id) is None


def test_a_reorder_draft_is_one_transaction(db, repo, settings):
    commits: list[object] = []

    def count(conn: object) -> None:
        commits.append(conn)

    event.listen(db.engine, "commit", count)
    try:
        quote = DraftService(repo, settings=settings).from_order(ANNA, "4711")
    finally:
        event.remove(db.engine, "commit", count)
    assert quote.lines and len(commits) == 1
