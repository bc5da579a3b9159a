"""Benchmark of the main commerce service calls at scale: `python -m assistant.commerce.bench`.

Seeds ``--orders`` demo orders (default 200k) into a SQLite file under var/bench/ and, if reachable, a
private PostgreSQL schema, then times each call (p50/p95 in ms) and writes JSON to var/bench/.
Per call it also reports the SQL statements sent and the time spent in the driver executing them
(``db_p50_ms``: round trip plus server work), so that wall time minus DB time is the Python side.
The budget is 10 ms per turn's query at 200k orders.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from assistant.commerce.db import Database, StatementLog, make_engine, statement_log
from assistant.commerce.documents import DocumentService
from assistant.commerce.orders import OrderService
from assistant.commerce.prices import PriceService
from assistant.commerce.reorder import DraftService
from assistant.commerce.repository import SqlCommerceRepository
from assistant.commerce.seed import last_monday, seed_demo
from assistant.identity import BuyerIdentity
from assistant.settings import Settings, get_settings

ANNA = BuyerIdentity("u-1001", "K-10001", frozenset({"buyer"}), "de", "anna.mueller@mueller-maschinenbau.de", "Anna")
SABINE = BuyerIdentity("u-2001", "K-10002", frozenset({"buyer"}), "de", "sabine.hansen@nordsee-lt.de", "Sabine")


class _Ref:
    """A minimal OrderReference (the resolver's dataclass has the same fields)."""

    def __init__(self, **kw: Any):
        self.order_number = kw.get("order_number")
        self.po_reference = kw.get("po_reference")
        self.date_from = kw.get("date_from")
        self.date_to = kw.get("date_to")
        self.latest = kw.get("latest", False)
        self.open_only = kw.get("open_only", False)
        self.product_hint = kw.get("product_hint")
        self.sku = kw.get("sku")
        self.description = ""


def _time(call: Callable[[], object], repeat: int, log: StatementLog) -> dict[str, float]:
    call()  # warm caches and statement compilation
    samples, db_ms, statements = [], [], []
    for _ in range(repeat):
        count, seconds = log.count, log.seconds
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
        db_ms.append((log.seconds - seconds) * 1000)
        statements.append(log.count - count)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.95))], 2),
        "max_ms": round(samples[-1], 2),
        "statements": max(statements),
        "db_p50_ms": round(statistics.median(db_ms), 2),
    }


def run_backend(db: Database, settings: Settings, today: date, repeat: int) -> dict[str, dict[str, float]]:
    repo = SqlCommerceRepository(db)
    orders = OrderService(repo)
    docs = DocumentService(repo, settings)
    drafts = DraftService(repo, settings=settings)
    prices = PriceService(repo)
    monday = last_monday(today)
    calls: dict[str, Callable[[], object]] = {
        "order_status_4711": lambda: orders.get_order(ANNA, "4711"),
        "find_last_monday": lambda: orders.find_orders(ANNA, _Ref(date_from=monday, date_to=monday)),
        "find_po_reference": lambda: orders.find_orders(ANNA, _Ref(po_reference=f"PO-{today.year}-0815")),
        "find_product_hint_o_rings": lambda: orders.find_orders(ANNA, _Ref(product_hint="O-Ringe")),
        "find_hint_last_month_valves": lambda: orders.find_orders(
            ANNA, _Ref(product_hint="Ventile", date_from=today - timedelta(days=30), date_to=today)
        ),
        # An article only in older orders (discontinued): the newest-first walk finds no match for a long way.
        "find_hint_old_article_viton": lambda: orders.find_orders(ANNA, _Ref(product_hint="Viton")),
        "latest_order": lambda: orders.latest_order(ANNA),
        "open_orders": lambda: orders.open_orders(ANNA),
        "cross_account_not_found": lambda: _swallow(lambda: orders.get_order(SABINE, "4711")),
        "nearest_orders": lambda: orders.nearest_orders(ANNA, _Ref(date_from=today - timedelta(days=200))),
        "certificate_80012": lambda: docs.certificates(ANNA, delivery_number="80012"),
        "documents_for_order": lambda: docs.for_order(ANNA, "4711"),
        "price_list_seals": lambda: prices.price_list(ANNA, family="seal"),
        "reorder_draft_from_order": lambda: drafts.from_order(ANNA, "4711"),
    }
    with statement_log(db.engine) as log:
        return {name: _time(call, repeat, log) for name, call in calls.items()}


def _swallow(call: Callable[[], object]) -> None:
    try:
        call()
    except Exception:  # the NotFound is the expected outcome being timed
        return


def _print(results: dict[str, dict[str, dict[str, float]]]) -> None:
    if not results:
        return
    backends = list(results)
    columns = ("p50", "p95", "db p50", "stmts")
    print(f"{'call':<30}" + "".join(f"{b[:6] + ' ' + c:>16}" for b in backends for c in columns))
    for name in next(iter(results.values())):
        row = f"{name:<30}"
        for b in backends:
            r = results[b][name]
            row += f"{r['p50_ms']:>16.2f}{r['p95_ms']:>16.2f}{r['db_p50_ms']:>16.2f}{r['statements']:>16d}"
        print(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.commerce.bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--products", type=Path)
    args = parser.parse_args(argv)
    settings = get_settings()
    out_dir = settings.var_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    bench_settings = settings.model_copy(update={"var_dir": out_dir / "var"})
    products = args.products or settings.knowledge_dir / "products.csv"
    today = datetime.now(UTC).date()
    report: dict[str, Any] = {
        "orders": args.orders,
        "repeat": args.repeat,
        "today": today.isoformat(),
        "seed_s": {},
        "load_average": {},  # 1, 5, 15 minutes, when the timing of each backend started
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    for backend in args.backends.split(","):
        schema = None
        if backend == "sqlite":
            path = out_dir / f"bench-{args.orders}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            db = Database(f"sqlite:///{path}", make_engine(f"sqlite:///{path}"))
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg_url)
            try:
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            except Exception as exc:
                print(f"skipping PostgreSQL: {type(exc).__name__}", file=sys.stderr)
                continue
            db = Database(f"{args.pg_url}?options=-csearch_path%3D{schema}")
        try:
            db.upgrade()
            result = seed_demo(db, products, orders=args.orders, today=today, settings=bench_settings)
            assert result is not None
            report["seed_s"][backend] = round(result.seconds, 1)
            print(f"{backend}: seeded {result.orders} orders in {result.seconds:.1f}s", flush=True)
            report["load_average"][backend] = [round(x, 2) for x in os.getloadavg()]
            print(f"{backend}: timing at load average {report['load_average'][backend]}", flush=True)
            results[backend] = run_backend(db, bench_settings, today, args.repeat)
        finally:
            db.dispose()
            if schema:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()
    report["results"] = results
    target = out_dir / f"commerce-{args.orders}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    target.write_text(json.dumps(report, indent=2))
    _print(results)
    print(f"written {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
