"""Order status service against a seeded database on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.commerce.orders import OrderService, hint_filter
from assistant.commerce.resolver import OrderReference
from assistant.commerce.seed import last_monday
from assistant.errors import NotFound, PermissionDenied

from .conftest import ANNA, ANONYMOUS, EMMA, JONAS, SABINE, TODAY


@pytest.fixture(scope="module")
def orders(repo):
    return OrderService(repo)


def test_order_4711_in_transit_with_tracking(orders):
    status = orders.get_order(ANNA, "4711")
    assert status.order.customer_id == "K-10001"
    assert status.order.po_reference == f"PO-{TODAY.year}-0815"
    assert status.status == "shipped"
    assert [line.status for line in status.lines] == ["shipped", "shipped"]
    links = status.tracking_links()
    assert len(links) == 1 and links[0][1] == "DHL" and links[0][2].startswith("https://www.dhl.de/")
    assert status.expected_delivery == TODAY + timedelta(days=1)
    assert status.delay_explanation("de") is None


def test_leading_zeros_and_whitespace_are_the_same_order(orders):
    assert orders.get_order(ANNA, " 04711 ").order_number == "4711"


def test_other_account_is_reported_like_a_missing_order(orders):
    with pytest.raises(NotFound) as foreign:
        orders.get_order(ANNA, "4800")  # exists, but belongs to K-10002
    with pytest.raises(NotFound) as missing:
        orders.get_order(ANNA, "999999")
    assert type(foreign.value) is type(missing.value)
    assert str(foreign.value) == str(missing.value)
    assert orders.get_order(SABINE, "4800").order.customer_id == "K-10002"


@pytest.mark.parametrize(
    "hostile",
    ["4711' OR '1'='1", "4711; DROP TABLE orders", "../../etc/passwd", "9" * 200, "", "47 11", "-4711"],
)
def test_hostile_order_numbers_are_not_found(orders, hostile):
    with pytest.raises(NotFound):
        orders.get_order(ANNA, hostile)


def test_anonymous_has_no_orders(orders):
    with pytest.raises(PermissionDenied):
        orders.get_order(ANONYMOUS, "4711")


def test_technician_may_read_order_status(orders):
    assert orders.get_order(JONAS, "4711").order_number == "4711"


def test_partial_delivery_per_line(orders):
    status = orders.get_order(ANNA, "4712")
    assert status.status == "partially_shipped"
    assert [line.status for line in status.lines] == ["delivered", "partially_shipped"]
    assert status.lines[1].shipped_qty < status.lines[1].quantity


def test_delayed_shipment_explained_in_german_and_english(orders):
    status = orders.get_order(ANNA, "4715")
    de = status.delay_explanation("de")
    en = status.delay_explanation("en")
    assert de and "verzögert sich" in de and "Werkstoffengpass" in de
    assert en and "is delayed" in en and "shortage" in en


def test_last_monday_via_order_reference(orders):
    monday = last_monday(TODAY)
    ref = OrderReference(date_from=monday, date_to=monday, description="letzten Montag")
    found = orders.find_orders(ANNA, ref)
    assert found and all(o.order_date == monday for o in found)
    assert any(o.user_id == "u-1001" for o in found)


def test_same_day_two_orders_of_same_buyer(orders):
    day = TODAY - timedelta(days=9)
    found = orders.find_orders(ANNA, OrderReference(date_from=day, date_to=day))
    mine = [o for o in found if o.user_id == "u-1001"]
    assert {o.order_number for o in mine} >= {"4720", "4721"}


def test_po_reference_case_insensitive(orders):
    found = orders.find_orders(ANNA, OrderReference(po_reference=f"po-{TODAY.year}-0815"))
    assert [o.order_number for o in found] == ["4711"]
    # The same PO text exists at K-10002 (order 4800); it must not leak.
    assert [
        o.order_number for o in orders.find_orders(SABINE, OrderReference(po_reference=f"PO-{TODAY.year}-0815"))
    ] == ["4800"]


@pytest.mark.parametrize("hint", ["O-Ringe", "o-rings", "Dichtringe"])
def test_product_hint_finds_orders_with_o_rings(orders, hint):
    found = orders.find_orders(ANNA, OrderReference(product_hint=hint), limit=50)
    assert found
    assert all(any("o-ring" in line.name.lower() for line in o.lines) for o in found)


def test_hint_mapping():
    assert hint_filter("Schläuche") == (("hose",), ())
    assert hint_filter("valves") == (("valve",), ())
    assert hint_filter("O-Ringe") == ((), ("o-ring",))
    assert hint_filter("%_'") == ((), ())


def test_latest_and_open_orders(orders):
    latest = orders.find_orders(ANNA, OrderReference(latest=True))
    assert len(latest) == 1
    everything = orders.find_orders(ANNA, OrderReference(), limit=50)
    assert latest[0].order_date == max(o.order_date for o in everything)
    open_ = orders.open_orders(ANNA, limit=50)
    assert open_ and all(o.status not in ("delivered", "cancelled", "rejected") for o in open_)
    assert "4711" in {o.order_number for o in open_}


def test_second_and_third_to_last_order(orders):
    everything = orders.find_orders(ANNA, OrderReference(), limit=3)
    assert len(everything) == 3
    for skip in (0, 1, 2):
        found = orders.find_orders(ANNA, OrderReference(latest=True, skip=skip))
        assert [o.order_number for o in found] == [everything[skip].order_number]
    # a nonsensical skip is bounded, never a huge query
    assert len(orders.find_orders(ANNA, OrderReference(latest=True, skip=10**9))) <= 1


def test_nearest_orders_when_nothing_matches(orders):
    day = TODAY - timedelta(days=400)  # before the seeded year
    ref = OrderReference(date_from=day, date_to=day)
    assert orders.find_orders(ANNA, ref) == []
    near = orders.nearest_orders(ANNA, ref)
    assert 1 <= len(near) <= 3 and all(o.customer_id == "K-10001" for o in near)


def test_find_orders_scoped_by_account(orders):
    for o in orders.find_orders(EMMA, OrderReference(), limit=50):
        assert o.customer_id == "K-10003"
    assert orders.find_orders(EMMA, OrderReference(order_number="4711")) == []
