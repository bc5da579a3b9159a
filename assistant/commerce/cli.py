"""Commerce commands for the `assistant` CLI: `db upgrade`, `demo seed`, `demo users`, `outbox run`.

The main CLI calls ``add_commands(subparsers)``. Groups that already exist there (e.g. ``demo`` with its own
``users``) are extended rather than redefined, so both sides can evolve without clashing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.commerce import demo_people


def _group(subparsers: Any, name: str, help_text: str) -> Any:
    """The nested subparsers of group ``name``, created if the main CLI has not defined it yet."""
    parser = subparsers.choices.get(name)
    if parser is None:
        parser = subparsers.add_parser(name, help=help_text)
    for action in parser._actions:  # argparse offers no public accessor for an existing subparsers action
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest=f"{name}_command", required=True)


def add_commands(subparsers: Any) -> None:
    db = _group(subparsers, "db", "commerce database")
    p = db.add_parser("upgrade", help="apply the database migrations (SQLite file or ASSISTANT_DATABASE_URL)")
    p.set_defaults(func=cmd_db_upgrade)

    demo = _group(subparsers, "demo", "demo data")
    p = demo.add_parser("seed", help="create deterministic demo accounts, orders, deliveries and documents")
    p.add_argument("--orders", type=int, default=200, help="number of orders (default 200)")
    p.add_argument("--if-empty", action="store_true", help="only seed an empty database")
    p.add_argument("--products", type=Path, help="catalogue CSV (default: knowledge/products.csv)")
    p.set_defaults(func=cmd_demo_seed)
    if "users" not in demo.choices:
        p = demo.add_parser("users", help="list the demo users with e-mail, account and roles")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=cmd_demo_users)

    outbox = _group(subparsers, "outbox", "notification outbox")
    p = outbox.add_parser("run", help="send pending notifications (e-mail, CRM webhook)")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    p.set_defaults(func=cmd_outbox_run)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from assistant.commerce.db import upgrade
    from assistant.settings import get_settings

    upgrade()
    print(f"database up to date: {_safe_url(get_settings().resolved_database_url)}")
    return 0


def cmd_demo_seed(args: argparse.Namespace) -> int:
    from assistant.commerce.catalog import CatalogError
    from assistant.commerce.db import get_database
    from assistant.commerce.seed import SeedError, seed_demo
    from assistant.settings import get_settings

    settings = get_settings()
    if args.orders < 0 or args.orders > 5_000_000:
        print("assistant: --orders must be between 0 and 5000000", file=sys.stderr)
        return 2
    db = get_database()
    db.upgrade()
    try:
        result = seed_demo(
            db, args.products or settings.knowledge_dir / "products.csv", orders=args.orders,
            if_empty=args.if_empty, settings=settings,
        )  # fmt: skip
    except (CatalogError, SeedError) as exc:
        print(f"assistant: {exc}", file=sys.stderr)
        return 1
    if result is None:
        print("database already has data; nothing seeded (--if-empty)")
        return 0
    print(
        f"seeded {result.orders} orders, {result.lines} lines, {result.shipments} shipments, "
        f"{result.documents} documents relative to {result.today} in {result.seconds:.1f}s"
    )
    return 0


def cmd_demo_users(args: argparse.Namespace) -> int:
    users = [
        {"email": u.email, "name": u.name, "account": u.customer, "roles": list(u.roles), "id": u.id}
        for u in demo_people.USERS
    ]
    if args.json:
        print(json.dumps(users, ensure_ascii=False, indent=2))
        return 0
    for u in users:
        print(f"{u['email']:<42} {u['name']:<18} {u['account']}  {','.join(u['roles'])}")
    return 0


def cmd_outbox_run(args: argparse.Namespace) -> int:
    from assistant.commerce.outbox import OutboxDispatcher

    dispatcher = OutboxDispatcher()
    if args.once:
        print(f"sent {dispatcher.run_once()} message(s)")
        return 0
    dispatcher.run_forever()
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
