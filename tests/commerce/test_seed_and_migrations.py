"""Migrations on SQLite and PostgreSQL match the models; the demo seed keeps its promised scenarios."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from assistant.commerce.cli import add_commands
from assistant.commerce.db import Database, make_engine
from assistant.commerce.models import (
    Base,
    CustomerPrice,
    Document,
    Order,
    OrderLine,
    Product,
    Shipment,
    ShipmentLine,
)
from assistant.commerce.orders import OrderService
from assistant.commerce.repository import SqlCommerceRepository
from assistant.commerce.resolver import parse_order_reference
from assistant.commerce.seed import LAST_MONDAY_ORDER, SCENARIO_NUMBERS, last_monday, scenario_days, seed_demo
from assistant.identity import BuyerIdentity
from assistant.settings import Settings

from .conftest import PRODUCTS, new_database

ROOT = Path(__file__).resolve().parents[2]


def test_migrations_match_models(backend, tmp_path):
    database, schema = new_database(backend, tmp_path)
    try:
        database.upgrade()
        with database.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
        database.upgrade()  # idempotent
    finally:
        database.dispose()
        if schema:
            schema.drop()


def test_downgrade_and_upgrade_again(tmp_path):
    from alembic import command

    from assistant.commerce.db import alembic_config

    url = f"sqlite:///{tmp_path / 'mig.db'}"
    database = Database(url, make_engine(url))
    database.upgrade()
    command.downgrade(alembic_config(url, database.engine), "base")
    database.upgrade()
    seed_demo(database, PRODUCTS, orders=10, today=date(2026, 3, 2))


def test_article_history_migration_keeps_the_data_and_backfills_the_lines(backend, tmp_path):
    """0004 on a database with orders: lines get their order's account and date; nothing else changes.

    On SQLite it rebuilds order_lines, which with foreign keys on would cascade into shipment_lines.
    """
    from alembic import command

    from assistant.commerce.db import alembic_config

    database, schema = new_database(backend, tmp_path)
    config = alembic_config(database.url, database.engine)
    counts = select(
        select(func.count()).select_from(OrderLine).scalar_subquery(),
        select(func.count()).select_from(ShipmentLine).scalar_subquery(),
    )
    try:
        database.upgrade()
        seed_demo(database, PRODUCTS, orders=60, today=date(2026, 5, 6), settings=Settings(var_dir=tmp_path / "v"))
        with database.session() as s:
            before = s.execute(counts).one()
        command.downgrade(config, "0003_orders_date_id")
        command.upgrade(config, "head")
        with database.session() as s:
            assert s.execute(counts).one() == before and before[1] > 0
            copied = s.execute(
                select(func.count())
                .select_from(OrderLine)
                .join(Order, Order.id == OrderLine.order_id)
                .where(OrderLine.customer_id == Order.customer_id, OrderLine.order_date == Order.order_date)
            ).scalar_one()
            assert copied == before[0]
            if backend == "sqlite":  # the pooled connection got its foreign keys back
                assert s.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        database.dispose()
        if schema:
            schema.drop()


# 14 consecutive days (every weekday twice, a month end) plus the year's edges and a leap day.
SEED_DAYS = [date(2026, 11, 23) + timedelta(days=n) for n in range(14)] + [
    date(2027, 1, 1), date(2026, 3, 1), date(2026, 12, 31), date(2028, 2, 29), date(2028, 3, 1),
]


@pytest.mark.parametrize("today", SEED_DAYS, ids=lambda d: f"{d:%a-%Y-%m-%d}")
def test_seed_scenarios_hold_on_every_day(tmp_path, today):
    """Each scenario the demo, docs and tests rely on, read the way a buyer asks for it."""
    settings = Settings(var_dir=tmp_path / "var", today=today)
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    database = Database(url, make_engine(url))
    database.upgrade()
    result = seed_demo(database, PRODUCTS, orders=200, today=today, settings=settings)
    assert result is not None and result.orders >= 200
    monday = last_monday(today)
    assert monday < today and monday.weekday() == 0 and (today - monday).days <= 7
    days = scenario_days(today)
    k1_days = [days.last_monday, days.in_transit, days.delayed, days.partial, days.same_day_pair,
               days.certificate, days.old]
    assert len(set(k1_days)) == len(k1_days), "two scenarios of K-10001 share a day"
    now = datetime.combine(today, time(10, 0), ZoneInfo("Europe/Berlin"))
    orders = OrderService(SqlCommerceRepository(database))
    anna = BuyerIdentity("u-1001", "K-10001", frozenset({"buyer"}), "de")

    def found(phrase: str, language: str = "de") -> list[str]:
        return [o.order_number for o in orders.find_orders(anna, parse_order_reference(phrase, now, language), 10)]

    # "letzten Montag" and "last Monday" are exactly one order: Anna's with the four flagged articles.
    assert found("die Bestellung vom letzten Montag") == [LAST_MONDAY_ORDER]
    assert found("my order from last Monday", "en") == [LAST_MONDAY_ORDER]
    # 4711 is alone on its day and in transit; 4720 and 4721 share theirs; the others are alone on theirs.
    for number, day in (("4711", days.in_transit), ("4715", days.delayed), ("4712", days.partial),
                        ("4702", days.certificate), ("4700", days.old)):  # fmt: skip
        assert found(f"Bestellung vom {day:%d.%m.%Y}") == [number], (number, day)
    assert sorted(found(f"orders of {days.same_day_pair:%Y-%m-%d}", "en")) == ["4720", "4721"]
    with database.session() as s:
        all_orders = s.scalars(select(Order)).all()
        by_number = {o.order_number: o for o in all_orders}
        assert len(by_number) == len(all_orders)
        assert min(o.order_date for o in all_orders) >= today - timedelta(days=366)
        assert max(o.order_date for o in all_orders) <= today
        assert by_number["4711"].customer_id == "K-10001" and by_number["4711"].status == "shipped"
        ships = s.scalars(select(Shipment).where(Shipment.order_id == by_number["4711"].id)).all()
        assert [sh.status for sh in ships] == ["in_transit"] and ships[0].tracking_url and ships[0].carrier == "DHL"
        assert ships[0].shipped_on <= today < ships[0].expected_on
        assert by_number["4712"].status == "partially_shipped"
        delayed = s.scalars(select(Shipment).where(Shipment.order_id == by_number["4715"].id)).one()
        assert delayed.status == "delayed" and delayed.delay_reason_de and delayed.delay_reason_en
        assert by_number["4800"].customer_id == "K-10002"
        assert by_number["4800"].po_reference == by_number["4711"].po_reference  # same PO text, other account
        d80012 = s.scalars(select(Shipment).where(Shipment.delivery_number == "80012")).one()
        assert d80012.customer_id == "K-10001" and d80012.order_id == by_number["4702"].id
        assert s.scalars(
            select(Document).where(Document.shipment_id == d80012.id, Document.kind == "certificate_3_1")
        ).all()
        # No bulk order of K-10001 on a scenario day, and no bulk PO equal to a scenario PO.
        scenario_pos = {by_number[n].po_reference for n in SCENARIO_NUMBERS}
        for o in all_orders:
            if o.order_number not in SCENARIO_NUMBERS:
                assert not (o.customer_id == "K-10001" and o.order_date in k1_days), o.order_number
                assert o.po_reference not in scenario_pos, o.order_number
        # The last-Monday order: O-rings, a discontinued article, a price rise since, an article out of stock.
        monday_order = by_number[LAST_MONDAY_ORDER]
        assert monday_order.order_date == monday and monday_order.user_id == "u-1001"
        lines = s.scalars(select(OrderLine).where(OrderLine.order_id == monday_order.id)).all()
        products = {p.sku: p for p in s.scalars(select(Product))}
        today_price = {sku: p.list_price_eur for sku, p in products.items()} | dict(
            s.execute(
                select(CustomerPrice.sku, CustomerPrice.price_eur).where(CustomerPrice.customer_id == "K-10001")
            ).all()
        )
        assert any("O-Ring" in line.name for line in lines)
        assert any(products[line.sku].status == "discontinued" for line in lines)
        assert any(line.unit_price_eur < today_price[line.sku] for line in lines)
        assert any(products[line.sku].stock_qty == 0 for line in lines)
        multi = s.execute(select(Shipment.order_id, func.count()).group_by(Shipment.order_id)).all()
        assert any(n >= 2 for _, n in multi)  # partial deliveries in several shipments
    database.dispose()


def test_seed_is_deterministic_and_if_empty_keeps_data(tmp_path):
    settings = Settings(var_dir=tmp_path / "var")
    snapshots = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
        database = Database(url, make_engine(url))
        database.upgrade()
        seed_demo(database, PRODUCTS, orders=60, today=date(2026, 5, 6), settings=settings)
        with database.session() as s:
            snapshots.append(
                s.execute(
                    select(Order.order_number, Order.order_date, Order.total_eur).order_by(Order.order_number)
                ).all()
            )
        assert seed_demo(database, PRODUCTS, orders=60, today=date(2026, 5, 6), if_empty=True) is None
    assert snapshots[0] == snapshots[1]


@pytest.mark.skipif(
    not (ROOT / "knowledge" / "products.csv").is_file(), reason="knowledge/products.csv not written yet"
)
def test_seed_with_the_real_catalogue(tmp_path):
    settings = Settings(var_dir=tmp_path / "var")
    url = f"sqlite:///{tmp_path / 'real.db'}"
    database = Database(url, make_engine(url))
    database.upgrade()
    result = seed_demo(
        database, ROOT / "knowledge" / "products.csv", orders=200, today=date(2026, 11, 25), settings=settings
    )
    assert result is not None and result.orders >= 200
    with database.session() as s:
        skus = set(s.scalars(select(Product.sku)))
        assert {"3S-1208", "QC-300-08"} <= skus


def test_cli_db_upgrade_and_demo_seed(tmp_path, monkeypatch, capsys):
    from assistant.commerce import db as db_module
    from assistant.settings import get_settings

    monkeypatch.setenv("ASSISTANT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    db_module._cached_database.cache_clear()
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str) -> int:
        args = parser.parse_args(list(argv))
        return args.func(args)

    assert run("db", "upgrade") == 0
    assert run("demo", "seed", "--orders", "30", "--products", str(PRODUCTS)) == 0
    assert "seeded" in capsys.readouterr().out
    assert run("demo", "seed", "--if-empty", "--products", str(PRODUCTS)) == 0
    assert "nothing seeded" in capsys.readouterr().out
    assert run("demo", "users", "--json") == 0
    assert "anna.mueller@mueller-maschinenbau.de" in capsys.readouterr().out
    assert run("demo", "seed", "--orders", "-1") == 2
    db_module._cached_database.cache_clear()
