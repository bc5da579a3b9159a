"""A seeded SQLite commerce database for the self-service action tests, built once per test process.

Seeded relative to the clock's today (`assistant.clock`, pinned by ASSISTANT_TODAY in CI's weekday runs), because
the actions read "letzten Montag" against that clock. Which order plays which role comes from the seed.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant import clock
from assistant.commerce.approvals import ApprovalService
from assistant.commerce.db import Database, make_engine
from assistant.commerce.documents import DocumentService
from assistant.commerce.orders import OrderService
from assistant.commerce.prices import PriceService
from assistant.commerce.reorder import DraftService
from assistant.commerce.repository import SqlCommerceRepository
from assistant.commerce.seed import LAST_MONDAY_ORDER, seed_demo
from assistant.identity import BuyerIdentity
from assistant.settings import PROJECT_ROOT, Settings


@dataclass(frozen=True)
class Services:
    repo: SqlCommerceRepository
    settings: Settings
    orders: OrderService
    drafts: DraftService
    approvals: ApprovalService
    documents: DocumentService
    prices: PriceService
    last_monday_order: str


@lru_cache(maxsize=1)
def services() -> Services:
    var = Path(tempfile.mkdtemp(prefix="orders-actions-"))
    settings = Settings(var_dir=var, link_secret="test-link-secret-0123456789", link_ttl_s=600,
                        public_url="http://testserver", crm_webhook_url=None)
    url = f"sqlite:///{var / 'commerce.db'}"
    db = Database(url, make_engine(url))
    db.upgrade()
    today = clock.today(settings)
    seed_demo(db, PROJECT_ROOT / "knowledge" / "products.csv", orders=200, today=today, settings=settings)
    repo = SqlCommerceRepository(db)
    orders = OrderService(repo)
    return Services(repo, settings, orders, DraftService(repo, settings=settings), ApprovalService(repo, settings),
                    DocumentService(repo, settings), PriceService(repo), LAST_MONDAY_ORDER)


def person(email: str) -> BuyerIdentity:
    from assistant.commerce.demo_people import find_user

    u = find_user(email)
    assert u is not None
    return BuyerIdentity(u.id, u.customer, frozenset(u.roles), u.locale, u.email, u.name)


ANNA = person("anna.mueller@mueller-maschinenbau.de")  # buyer K-10001, limit 2500
THOMAS = person("thomas.berger@mueller-maschinenbau.de")  # buyer + approver K-10001
JONAS = person("jonas.weber@mueller-maschinenbau.de")  # technician K-10001
SABINE = person("sabine.hansen@nordsee-lt.de")  # buyer K-10002
KLAUS = person("klaus.petersen@nordsee-lt.de")  # approver K-10002
EMMA = person("emma.clarke@alpine-pharma.at")  # buyer K-10003, English
