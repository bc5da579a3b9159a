"""Migrations on SQLite and PostgreSQL match the models; the demo seed keeps its promised scenarios."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

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
from assistant.commerce.seed import last_monday, seed_demo
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


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 29), date(2027, 1, 1)])
def test_seed_invariants(tmp_path, today):
    settings = Settings(var_dir=tmp_path / "var")
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    database = Database(url, make_engine(url))
    database.upgrade()
    result = seed_demo(database, PRODUCTS, orders=200, today=today, settings=settings)
    assert result is not None and result.orders >= 200
    monday = last_monday(today)
    assert monday < today and monday.weekday() == 0 and (today - monday).days <= 7
    with database.session() as s:
        orders = s.scalars(select(Order)).all()
        assert len(orders) >= 200
        assert min(o.order_date for o in orders) >= today - timedelta(days=366)
        assert max(o.order_date for o in orders) <= today
        assert any(o.customer_id == "K-10001" and o.user_id == "u-1001" and o.order_date == monday for o in orders)
        anna_days = [o.order_date for o in orders if o.user_id == "u-1001"]
        assert any(anna_days.count(d) >= 2 for d in set(anna_days))
        o4711 = next(o for o in orders if o.order_number == "4711")
        assert o4711.customer_id == "K-10001"
        ships = s.scalars(select(Shipment).where(Shipment.order_id == o4711.id)).all()
        assert any(sh.status == "in_transit" and sh.tracking_url and sh.tracking_number for sh in ships)
        d80012 = s.scalars(select(Shipment).where(Shipment.delivery_number == "80012")).one()
        assert d80012.customer_id == "K-10001"
        assert s.scalars(
            select(Document).where(Document.shipment_id == d80012.id, Document.kind == "certificate_3_1")
        ).all()
        assert s.scalars(
            select(Shipment).where(
                Shipment.status == "delayed",
                Shipment.delay_reason_de.is_not(None),
                Shipment.delay_reason_en.is_not(None),
            )
        ).first()
        assert any(o.status == "partially_shipped" for o in orders)
        multi = s.execute(select(Shipment.order_id, func.count()).group_by(Shipment.order_id)).all()
        assert any(n >= 2 for _, n in multi)  # partial deliveries in several shipments
        discontinued = set(s.scalars(select(Product.sku).where(Product.status == "discontinued")))
        line_skus = set(s.scalars(select(OrderLine.sku)))
        assert discontinued & line_skus
        assert any("O-Ring" in n for n in s.scalars(select(OrderLine.name)))
        # Prices changed since: the last-Monday order has lines bought below today's price.
        monday_ids = [o.id for o in orders if o.user_id == "u-1001" and o.order_date == monday]
        today_price = {p.sku: p.list_price_eur for p in s.scalars(select(Product))} | dict(
            s.execute(
                select(CustomerPrice.sku, CustomerPrice.price_eur).where(CustomerPrice.customer_id == "K-10001")
            ).all()
        )
        lines = s.scalars(select(OrderLine).where(OrderLine.order_id.in_(monday_ids))).all()
        assert any(line.unit_price_eur < today_price[line.sku] for line in lines)
        assert len({o.order_number for o in orders}) == len(orders)


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
