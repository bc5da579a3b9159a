"""The commerce repository: a protocol the services depend on, and its SQLAlchemy implementation.

Why a protocol: a real deployment puts its ERP or shop API behind the same methods. Every method that
touches account data takes ``customer_id`` and filters by it in the query itself, so an object of another
account is indistinguishable from a missing one (both come back as ``None`` / empty).
All views returned are frozen dataclasses from ``domain.py``; no ORM object leaves this module.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import groupby
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from assistant import clock
from assistant.commerce.db import Database, get_database
from assistant.commerce.domain import (
    ApprovalView,
    CostCentreInfo,
    DocumentInfo,
    DraftLineView,
    DraftView,
    OrderCriteria,
    OrderLineView,
    OrderView,
    OutboxItem,
    PlacedOrder,
    ProductInfo,
    ShipmentLineView,
    ShipmentView,
    UserInfo,
)
from assistant.commerce.models import (
    Approval,
    CostCentre,
    Counter,
    Customer,
    CustomerPrice,
    Document,
    Order,
    OrderDraft,
    OrderDraftLine,
    OrderLine,
    Product,
    Shipment,
    ShipmentLine,
    User,
)
from assistant.errors import InvalidInput, NotFound

CLOSED_STATUSES = ("delivered", "cancelled", "rejected")
FIRST_ORDER_NUMBER = 500000
FIRST_DELIVERY_NUMBER = 900000


class CommerceRepository(Protocol):
    """What the services need from an order/ERP backend. All account data is scoped by customer_id."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group the calls made inside the block into one transaction (a backend may make this a no-op)."""
        ...

    def get_products(self, skus: Iterable[str]) -> dict[str, ProductInfo]: ...

    def products_by_family(self, family: str) -> list[ProductInfo]: ...

    def upsert_products(self, rows: list[dict[str, Any]]) -> tuple[int, int]: ...

    def retire_products(self, skus: Iterable[str]) -> int: ...

    def customer_price_skus(self, customer_id: str) -> list[str]: ...

    def customer_prices(self, customer_id: str, skus: Iterable[str]) -> dict[str, Decimal]: ...

    def get_user(self, customer_id: str, user_id: str) -> UserInfo | None: ...

    def users_with_role(self, customer_id: str, role: str) -> list[UserInfo]: ...

    def get_cost_centre(self, customer_id: str, cost_centre_id: int) -> CostCentreInfo | None: ...

    def find_orders(self, customer_id: str, criteria: OrderCriteria, limit: int) -> list[OrderView]: ...

    def orders_near(self, customer_id: str, day: date, limit: int) -> list[OrderView]: ...

    def find_documents(
        self,
        customer_id: str,
        *,
        kinds: Sequence[str] = (),
        order_number: str | None = None,
        delivery_number: str | None = None,
        sku: str | None = None,
        batch: str | None = None,
        limit: int = 20,
    ) -> list[DocumentInfo]: ...

    def get_document(self, customer_id: str, document_id: str) -> DocumentInfo | None: ...

    def document_order(self, customer_id: str, document_id: str) -> OrderView | None: ...

    def customer_name(self, customer_id: str) -> str | None: ...

    def create_draft(
        self,
        customer_id: str,
        user_id: str,
        lines: Sequence[tuple[str, int, Decimal | None]],
        source_order_number: str | None = None,
        po_reference: str | None = None,
    ) -> DraftView: ...

    def get_draft(self, customer_id: str, user_id: str, draft_id: str) -> DraftView | None: ...

    def replace_draft_lines(
        self, customer_id: str, user_id: str, draft_id: str, lines: Sequence[tuple[str, int, Decimal | None]]
    ) -> DraftView: ...

    def place_order(
        self,
        customer_id: str,
        user_id: str,
        draft_id: str,
        *,
        priced_lines: Sequence[tuple[str, str, int, str, Decimal]],
        total_eur: Decimal,
        expected_delivery: date | None,
        cost_centre_id: int | None,
        approval_reason: str | None,
        notifications: Callable[[PlacedOrder], list[OutboxItem]],
        today: date,
    ) -> PlacedOrder: ...

    def pending_approvals(self, customer_id: str) -> list[ApprovalView]: ...

    def decide_approval(
        self,
        customer_id: str,
        order_number: str,
        approver_id: str,
        approve: bool,
        note: str | None,
        notifications: Callable[[ApprovalView], list[OutboxItem]],
    ) -> ApprovalView: ...


def _now() -> datetime:
    return clock.now()


def product_view(p: Product) -> ProductInfo:
    return ProductInfo(
        sku=p.sku,
        name_de=p.name_de,
        name_en=p.name_en,
        family=p.family,
        series=p.series,
        status=p.status,
        successor_sku=p.successor_sku or None,
        list_price_eur=Decimal(p.list_price_eur),
        price_unit=p.price_unit,
        min_order_qty=p.min_order_qty,
        lead_time_days=p.lead_time_days,
        stock_qty=p.stock_qty,
        datasheet_id=p.datasheet_id,
        material=p.material,
        connection=p.connection,
        size=p.size,
    )


def _user_view(u: User) -> UserInfo:
    return UserInfo(
        id=u.id,
        customer_id=u.customer_id,
        email=u.email,
        name=u.name,
        roles=u.role_set,
        locale=u.locale,
        approval_limit_eur=None if u.approval_limit_eur is None else Decimal(u.approval_limit_eur),
        cost_centre_id=u.cost_centre_id,
    )


def _view_columns(view: type, model: type, **elsewhere: Any) -> tuple[Any, ...]:
    """The columns a view is built from, in the order of its fields (nested lines and shipments come apart).

    Views are read as plain rows, without the ORM's identity map and without columns they do not show; the
    field order lets a row build its view positionally.
    """
    names = [f.name for f in fields(view) if f.name not in ("lines", "shipments")]
    return tuple(elsewhere[name] if name in elsewhere else getattr(model, name) for name in names)


_ORDER_COLUMNS = _view_columns(OrderView, Order)
_LINE_COLUMNS = _view_columns(OrderLineView, OrderLine, family=Product.family)
_SHIPMENT_COLUMNS = _view_columns(ShipmentView, Shipment)
# Built once: constructing a statement costs more Python than the rows it loads.
_ORDERS = select(*_ORDER_COLUMNS)
_LINES_OF_ORDERS = (
    select(OrderLine.order_id, *_LINE_COLUMNS)
    .join(Product, Product.sku == OrderLine.sku)
    .order_by(OrderLine.order_id, OrderLine.position)
)
_SHIPMENTS_OF_ORDERS = (
    select(
        Shipment.order_id,
        Shipment.id,
        ShipmentLine.order_line_id,
        ShipmentLine.quantity,
        ShipmentLine.batch,
        *_SHIPMENT_COLUMNS,
    )
    .outerjoin(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
    .order_by(Shipment.order_id, Shipment.shipped_on, Shipment.id, ShipmentLine.id)
)


def _order_views(s: Session, orders: Sequence[Row[Any]]) -> list[OrderView]:
    """Views of order rows (``_ORDER_COLUMNS``), in the given order.

    Lines (with their product family) and shipments (with their lines) of all the orders come with one
    statement each, so a turn costs three statements however many orders, lines and shipments it shows.
    """
    ids = [o.id for o in orders]
    if not ids:
        return []
    lines: dict[int, list[OrderLineView]] = defaultdict(list)
    for order_id, *line in s.execute(_LINES_OF_ORDERS.where(OrderLine.order_id.in_(ids))):
        lines[order_id].append(OrderLineView(*line))
    shipments: dict[int, list[ShipmentView]] = defaultdict(list)
    rows = s.execute(_SHIPMENTS_OF_ORDERS.where(Shipment.order_id.in_(ids)))
    for _, group in groupby(rows, key=lambda r: r.id):
        parts = list(group)
        shipment_lines = tuple(ShipmentLineView(*r[2:5]) for r in parts if r.order_line_id is not None)
        shipments[parts[0].order_id].append(ShipmentView(*parts[0][5:], lines=shipment_lines))
    return [OrderView(*o, lines=tuple(lines[o.id]), shipments=tuple(shipments[o.id])) for o in orders]


def _draft_view(d: OrderDraft, source_number: str | None, order_number: str | None) -> DraftView:
    return DraftView(
        id=d.id,
        customer_id=d.customer_id,
        user_id=d.user_id,
        status=d.status,
        source_order_number=source_number,
        po_reference=d.po_reference,
        order_number=order_number,
        lines=tuple(
            DraftLineView(
                position=line.position,
                sku=line.sku,
                quantity=line.quantity,
                previous_unit_price_eur=None
                if line.previous_unit_price_eur is None
                else Decimal(line.previous_unit_price_eur),
            )
            for line in d.lines
        ),
    )


def next_number(session: Session, name: str, first: int) -> int:
    """Advance a number range atomically (UPDATE ... RETURNING works on SQLite >= 3.35 and PostgreSQL)."""
    value = session.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one_or_none()
    if value is None:
        session.add(Counter(name=name, value=first))
        session.flush()
        return first
    return int(value)


def _product_match(criteria: OrderCriteria) -> ColumnElement[bool]:
    """Articles of the criteria's families or with one of its name terms in either language."""
    match: list[ColumnElement[bool]] = [Product.family.in_(criteria.families)] if criteria.families else []
    for term in criteria.name_terms:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        match.append(Product.name_de.ilike(pattern, escape="\\"))
        match.append(Product.name_en.ilike(pattern, escape="\\"))
    return or_(*match)


_LIMIT = bindparam("limit", type_=Integer)


def _newest_with_article(article: ColumnElement[str], since: bool, until: bool) -> Select[date, int]:
    """Dates and ids of the account's newest orders with one article: a range of ``order_lines(customer_id, sku,
    order_date, order_id)`` read newest first and cut at the limit, however long ago the article was bought."""
    q = select(OrderLine.order_date, OrderLine.order_id).where(
        OrderLine.customer_id == bindparam("customer"), OrderLine.sku == article
    )
    if since:
        q = q.where(OrderLine.order_date >= bindparam("since"))
    if until:
        q = q.where(OrderLine.order_date <= bindparam("until"))
    # DISTINCT: an order may list an article twice and must still count once towards the limit.
    return q.distinct().order_by(OrderLine.order_date.desc(), OrderLine.order_id.desc()).limit(_LIMIT)


@lru_cache(maxsize=256)
def _orders_with_articles(dialect: str, articles: int, since: bool, until: bool) -> Select[Any]:
    """The account's newest orders with any of the articles, read per article (``_newest_with_article``).

    The cost is articles x limit index entries; walking the account's orders newest first and probing their
    lines read 30,000 orders for an article only found in old ones. PostgreSQL runs one branch per article of
    the ``skus`` array (LATERAL); SQLite has no LATERAL and gets a union of one branch per ``sku_<i>``. Cached
    per shape, with the values bound: building a union of 35 articles took over 10 ms of Python, and
    PostgreSQL planned it in 2.4 ms where the LATERAL form runs in 1.3.
    """
    if dialect == "postgresql":
        listed = func.unnest(bindparam("skus", type_=ARRAY(String))).table_valued("sku").render_derived()
        newest = _newest_with_article(listed.c.sku, since, until).lateral()
        ids: Select[Any] | CompoundSelect[Any] = select(newest.c.order_id).select_from(listed).join(newest, true())
    else:
        ids = union_all(
            *(
                select(_newest_with_article(bindparam(f"sku_{i}"), since, until).subquery().c.order_id)
                for i in range(articles)
            )
        )
    return (
        _ORDERS.where(Order.customer_id == bindparam("customer"), Order.id.in_(ids))
        .order_by(Order.order_date.desc(), Order.id.desc())
        .limit(_LIMIT)
    )


class SqlCommerceRepository:
    """The SQLAlchemy implementation (SQLite by default, PostgreSQL through ASSISTANT_DATABASE_URL)."""

    def __init__(self, db: Database | None = None):
        self.db = db or get_database()

    def transaction(self) -> AbstractContextManager[None]:
        return self.db.transaction()

    # -- products and prices -------------------------------------------------------------------------
    def get_products(self, skus: Iterable[str]) -> dict[str, ProductInfo]:
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        with self.db.session() as s:
            rows = s.scalars(select(Product).where(Product.sku.in_(wanted))).all()
            return {p.sku: product_view(p) for p in rows}

    def products_by_family(self, family: str) -> list[ProductInfo]:
        with self.db.session() as s:
            rows = s.scalars(select(Product).where(Product.family == family).order_by(Product.sku)).all()
            return [product_view(p) for p in rows]

    def upsert_products(self, rows: list[dict[str, Any]]) -> tuple[int, int]:
        """A catalogue import, ERP-style: (inserted, updated). Stock is the ERP's: an existing row keeps its own."""
        inserted = updated = 0
        with self.db.session() as s:
            for start in range(0, len(rows), 500):
                chunk = rows[start:start + 500]
                known = set(s.scalars(select(Product.sku).where(Product.sku.in_([r["sku"] for r in chunk]))))
                fresh = [r for r in chunk if r["sku"] not in known]
                if fresh:
                    s.execute(insert(Product), fresh)
                existing = [{k: v for k, v in r.items() if k != "stock_qty"} for r in chunk if r["sku"] in known]
                if existing:
                    s.execute(update(Product), existing)
                inserted, updated = inserted + len(fresh), updated + len(existing)
        return inserted, updated

    def retire_products(self, skus: Iterable[str]) -> int:
        """Articles a supplier's new catalogue no longer has: discontinued, never deleted (orders name them)."""
        wanted = sorted(set(skus))
        if not wanted:
            return 0
        with self.db.session() as s:
            result = s.execute(update(Product).where(Product.sku.in_(wanted)).values(status="discontinued"))
            return int(getattr(result, "rowcount", 0) or 0)

    def customer_price_skus(self, customer_id: str) -> list[str]:
        """The account's articles: those it has a negotiated price for."""
        with self.db.session() as s:
            return list(s.scalars(select(CustomerPrice.sku).where(CustomerPrice.customer_id == customer_id)
                                  .order_by(CustomerPrice.sku)))

    def customer_prices(self, customer_id: str, skus: Iterable[str]) -> dict[str, Decimal]:
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        with self.db.session() as s:
            rows = s.execute(
                select(CustomerPrice.sku, CustomerPrice.price_eur).where(
                    CustomerPrice.customer_id == customer_id, CustomerPrice.sku.in_(wanted)
                )
            ).all()
            return {sku: Decimal(price) for sku, price in rows}

    # -- people ----------------------------------------------------------------------------------------
    def get_user(self, customer_id: str, user_id: str) -> UserInfo | None:
        with self.db.session() as s:
            user = s.scalars(select(User).where(User.id == user_id, User.customer_id == customer_id)).first()
            return _user_view(user) if user else None

    def users_with_role(self, customer_id: str, role: str) -> list[UserInfo]:
        with self.db.session() as s:
            users = s.scalars(select(User).where(User.customer_id == customer_id).order_by(User.id)).all()
            return [_user_view(u) for u in users if role in u.role_set]

    def get_cost_centre(self, customer_id: str, cost_centre_id: int) -> CostCentreInfo | None:
        with self.db.session() as s:
            cc = s.scalars(
                select(CostCentre).where(
                    CostCentre.id == cost_centre_id, CostCentre.customer_id == customer_id
                )
            ).first()
            if cc is None:
                return None
            return CostCentreInfo(
                cc.id,
                cc.customer_id,
                cc.code,
                Decimal(cc.budget_eur),
                Decimal(cc.spent_eur),
                cc.period_start,
                cc.period_end,
            )

    # -- orders ----------------------------------------------------------------------------------------
    def find_orders(self, customer_id: str, criteria: OrderCriteria, limit: int) -> list[OrderView]:
        with self.db.session() as s:
            skus = [criteria.sku] if criteria.sku else []
            if criteria.families or criteria.name_terms:
                # The articles a hint means are looked up first and passed as values: behind a subquery the
                # planner cannot tell a rare article from a common one, and for a rare one it walked all of
                # an account's orders (about a second at 200k orders).
                matching = s.scalars(select(Product.sku).where(_product_match(criteria))).all()
                skus = [sku for sku in matching if sku == criteria.sku] if criteria.sku else list(matching)
                if not skus:
                    return []
            if skus and not (criteria.order_number or criteria.po_reference or criteria.open_only):
                dialect = s.get_bind().dialect.name
                params: dict[str, Any] = {"customer": customer_id, "limit": limit}
                params |= {"since": criteria.date_from, "until": criteria.date_to}
                if dialect == "postgresql":
                    articles, params["skus"] = 0, skus  # one statement for any number of articles
                else:
                    articles = len(skus)
                    params |= {f"sku_{i}": sku for i, sku in enumerate(skus)}
                by_article = _orders_with_articles(dialect, articles, bool(criteria.date_from), bool(criteria.date_to))
                return _order_views(s, s.execute(by_article, params).all())
            q = _ORDERS.where(Order.customer_id == customer_id)
            if criteria.order_number:
                q = q.where(Order.order_number == criteria.order_number)
            if criteria.po_reference:
                q = q.where(Order.po_reference == criteria.po_reference)
            if criteria.date_from:
                q = q.where(Order.order_date >= criteria.date_from)
            if criteria.date_to:
                q = q.where(Order.order_date <= criteria.date_to)
            if criteria.open_only:
                q = q.where(Order.status.not_in(CLOSED_STATUSES))
            if skus:
                # A number, a PO reference or "open" leaves few orders (the open ones of an account are the
                # last weeks'), found by their own index: probing their lines is cheapest. Through the article
                # history an article without open orders meant reading all its lines (14 ms at 200k orders).
                q = q.where(exists().where(OrderLine.order_id == Order.id, OrderLine.sku.in_(skus)))
            q = q.order_by(Order.order_date.desc(), Order.id.desc()).limit(limit)
            return _order_views(s, s.execute(q).all())

    def orders_near(self, customer_id: str, day: date, limit: int) -> list[OrderView]:
        """The orders closest to a day, on either side: for "did you mean ...?" when nothing matched."""
        before = (
            select(Order.id)
            .where(Order.customer_id == customer_id, Order.order_date <= day)
            .order_by(Order.order_date.desc(), Order.id.desc())
            .limit(limit)
        )
        after = (
            select(Order.id)
            .where(Order.customer_id == customer_id, Order.order_date > day)
            .order_by(Order.order_date.asc(), Order.id.asc())
            .limit(limit)
        )
        with self.db.session() as s:
            # One statement; UNION ALL, not "IN (before) OR IN (after)", which PostgreSQL runs as a full scan.
            near = union_all(select(before.subquery().c.id), select(after.subquery().c.id))
            rows = s.execute(_ORDERS.where(Order.id.in_(near))).all()
            nearest = sorted(rows, key=lambda o: (abs((o.order_date - day).days), -o.id))[:limit]
            return _order_views(s, nearest)

    # -- documents -------------------------------------------------------------------------------------
    def _document_query(self, customer_id: str):  # type: ignore[no-untyped-def]
        return (
            select(Document, Order.order_number, Shipment.delivery_number)
            .outerjoin(Order, and_(Order.id == Document.order_id, Order.customer_id == customer_id))
            .outerjoin(
                Shipment, and_(Shipment.id == Document.shipment_id, Shipment.customer_id == customer_id)
            )
            .where(Document.customer_id == customer_id)
        )

    @staticmethod
    def _document_view(doc: Document, order_number: str | None, delivery_number: str | None) -> DocumentInfo:
        return DocumentInfo(
            id=doc.id,
            customer_id=doc.customer_id,
            kind=doc.kind,
            number=doc.number,
            order_number=order_number,
            delivery_number=delivery_number,
            sku=doc.sku,
            batch=doc.batch,
            issued_on=doc.issued_on,
            file_path=doc.file_path,
        )

    def find_documents(
        self,
        customer_id: str,
        *,
        kinds: Sequence[str] = (),
        order_number: str | None = None,
        delivery_number: str | None = None,
        sku: str | None = None,
        batch: str | None = None,
        limit: int = 20,
    ) -> list[DocumentInfo]:
        q = self._document_query(customer_id)
        if kinds:
            q = q.where(Document.kind.in_(list(kinds)))
        if order_number:
            q = q.where(Order.order_number == order_number)
        if delivery_number:
            q = q.where(Shipment.delivery_number == delivery_number)
        if sku:
            q = q.where(Document.sku == sku)
        if batch:
            q = q.where(Document.batch == batch)
        q = q.order_by(Document.issued_on.desc(), Document.id).limit(limit)
        with self.db.session() as s:
            return [self._document_view(*row) for row in s.execute(q).all()]

    def get_document(self, customer_id: str, document_id: str) -> DocumentInfo | None:
        with self.db.session() as s:
            row = s.execute(self._document_query(customer_id).where(Document.id == document_id)).first()
            return self._document_view(*row) if row else None

    def document_order(self, customer_id: str, document_id: str) -> OrderView | None:
        """For rendering documents: the order a document belongs to, within the same account."""
        of_document = select(Document.order_id).where(
            Document.id == document_id, Document.customer_id == customer_id
        )
        with self.db.session() as s:
            rows = s.execute(
                _ORDERS.where(
                    Order.id == of_document.scalar_subquery(), Order.customer_id == customer_id
                )
            ).all()
            return next(iter(_order_views(s, rows)), None)

    def customer_name(self, customer_id: str) -> str | None:
        with self.db.session() as s:
            return s.scalar(select(Customer.name).where(Customer.id == customer_id))

    # -- drafts and placing orders ---------------------------------------------------------------------
    def create_draft(
        self,
        customer_id: str,
        user_id: str,
        lines: Sequence[tuple[str, int, Decimal | None]],
        source_order_number: str | None = None,
        po_reference: str | None = None,
    ) -> DraftView:
        now = _now()
        with self.db.session() as s:
            source_id = None
            if source_order_number:
                source_id = s.scalar(
                    select(Order.id).where(
                        Order.customer_id == customer_id, Order.order_number == source_order_number
                    )
                )
                if source_id is None:
                    raise NotFound("source order not found")
            draft = OrderDraft(
                id=uuid.uuid4().hex,
                customer_id=customer_id,
                user_id=user_id,
                source_order_id=source_id,
                status="draft",
                po_reference=po_reference,
                created_at=now,
                updated_at=now,
                lines=[
                    OrderDraftLine(position=i, sku=sku, quantity=qty, previous_unit_price_eur=prev)
                    for i, (sku, qty, prev) in enumerate(lines, start=1)
                ],
            )
            s.add(draft)
            s.flush()
            return _draft_view(draft, source_order_number, None)

    def _load_draft(self, s: Session, customer_id: str, user_id: str, draft_id: str) -> OrderDraft | None:
        return s.scalars(
            select(OrderDraft)
            .where(
                OrderDraft.id == draft_id,
                OrderDraft.customer_id == customer_id,
                OrderDraft.user_id == user_id,
            )
            .options(selectinload(OrderDraft.lines))
        ).first()

    def _draft_numbers(self, s: Session, draft: OrderDraft) -> tuple[str | None, str | None]:
        source = (
            s.scalar(select(Order.order_number).where(Order.id == draft.source_order_id))
            if (draft.source_order_id)
            else None
        )
        placed = (
            s.scalar(select(Order.order_number).where(Order.id == draft.order_id)) if draft.order_id else None
        )
        return source, placed

    def get_draft(self, customer_id: str, user_id: str, draft_id: str) -> DraftView | None:
        with self.db.session() as s:
            draft = self._load_draft(s, customer_id, user_id, draft_id)
            if draft is None:
                return None
            return _draft_view(draft, *self._draft_numbers(s, draft))

    def replace_draft_lines(
        self, customer_id: str, user_id: str, draft_id: str, lines: Sequence[tuple[str, int, Decimal | None]]
    ) -> DraftView:
        with self.db.session() as s:
            draft = self._load_draft(s, customer_id, user_id, draft_id)
            if draft is None:
                raise NotFound("draft not found")
            if draft.status != "draft":
                raise InvalidInput("draft already confirmed")
            draft.lines.clear()
            s.flush()
            draft.lines.extend(
                OrderDraftLine(position=i, sku=sku, quantity=qty, previous_unit_price_eur=prev)
                for i, (sku, qty, prev) in enumerate(lines, start=1)
            )
            draft.updated_at = _now()
            s.flush()
            return _draft_view(draft, *self._draft_numbers(s, draft))

    def place_order(
        self,
        customer_id: str,
        user_id: str,
        draft_id: str,
        *,
        priced_lines: Sequence[tuple[str, str, int, str, Decimal]],
        total_eur: Decimal,
        expected_delivery: date | None,
        cost_centre_id: int | None,
        approval_reason: str | None,
        notifications: Callable[[PlacedOrder], list[OutboxItem]],
        today: date,
    ) -> PlacedOrder:
        """Turn a draft into exactly one order, atomically with its budget booking and notifications.

        Idempotency: the first statement is an UPDATE of the draft row, which takes the row lock on
        PostgreSQL and the write lock on SQLite, so a concurrent confirm waits and then sees
        ``order_id`` set; the unique ``orders.draft_id`` is the backstop if anything slips through.
        The budget check is an atomic conditional UPDATE of the cost centre, so two orders cannot both
        spend the last remaining budget.
        """
        from assistant.commerce.outbox import add_to_outbox

        try:
            with self.db.session() as s:
                touched = s.execute(
                    update(OrderDraft)
                    .where(
                        OrderDraft.id == draft_id,
                        OrderDraft.customer_id == customer_id,
                        OrderDraft.user_id == user_id,
                    )
                    .values(updated_at=_now())
                ).rowcount
                if not touched:
                    raise NotFound("draft not found")
                draft = s.get(OrderDraft, draft_id, with_for_update=s.bind.dialect.name == "postgresql")
                assert draft is not None
                s.refresh(draft)
                if draft.order_id is not None:
                    return self._existing_placed(s, draft.order_id)
                reason = approval_reason
                if reason is None and cost_centre_id is not None:
                    booked = s.execute(
                        update(CostCentre)
                        .where(
                            CostCentre.id == cost_centre_id,
                            CostCentre.customer_id == customer_id,
                            CostCentre.budget_eur - CostCentre.spent_eur >= total_eur,
                        )
                        .values(spent_eur=CostCentre.spent_eur + total_eur)
                    ).rowcount
                    if not booked:
                        reason = "budget"
                status = "pending_approval" if reason else "open"
                number = str(next_number(s, "order_number", FIRST_ORDER_NUMBER))
                order = Order(
                    order_number=number,
                    customer_id=customer_id,
                    user_id=user_id,
                    po_reference=draft.po_reference,
                    order_date=today,
                    created_at=_now(),
                    status=status,
                    cost_centre_id=cost_centre_id,
                    total_eur=total_eur,
                    expected_delivery=expected_delivery,
                    draft_id=draft.id,
                    lines=[
                        OrderLine(
                            customer_id=customer_id,
                            order_date=today,
                            position=i,
                            sku=sku,
                            name=name,
                            quantity=qty,
                            unit=unit,
                            unit_price_eur=price,
                        )
                        for i, (sku, name, qty, unit, price) in enumerate(priced_lines, start=1)
                    ],
                )
                s.add(order)
                s.flush()
                if reason:
                    s.add(
                        Approval(
                            customer_id=customer_id,
                            order_id=order.id,
                            requested_by=user_id,
                            status="pending",
                            reason=reason,
                            amount_eur=total_eur,
                            created_at=_now(),
                        )
                    )
                draft.order_id = order.id
                draft.status = "pending_approval" if reason else "confirmed"
                placed = PlacedOrder(number, status, total_eur, expected_delivery, reason)
                add_to_outbox(s, notifications(placed))
                return placed
        except IntegrityError:
            # A concurrent confirm won the race on orders.draft_id: report its order.
            with self.db.session() as s:
                order_id = s.scalar(select(Order.id).where(Order.draft_id == draft_id))
                if order_id is None:
                    raise
                return self._existing_placed(s, order_id)

    @staticmethod
    def _existing_placed(s: Session, order_id: int) -> PlacedOrder:
        order = s.get(Order, order_id)
        assert order is not None
        reason = s.scalar(select(Approval.reason).where(Approval.order_id == order_id))
        return PlacedOrder(
            order.order_number,
            order.status,
            Decimal(order.total_eur),
            order.expected_delivery,
            reason,
            already_placed=True,
        )

    # -- approvals -------------------------------------------------------------------------------------
    def _approval_view(self, a: Approval, order_number: str, requester_name: str) -> ApprovalView:
        return ApprovalView(
            id=a.id,
            customer_id=a.customer_id,
            order_number=order_number,
            requested_by=a.requested_by,
            requested_by_name=requester_name,
            status=a.status,
            reason=a.reason,
            amount_eur=Decimal(a.amount_eur),
            created_at=a.created_at,
            decided_by=a.decided_by,
            decision_note=a.decision_note,
        )

    def pending_approvals(self, customer_id: str) -> list[ApprovalView]:
        with self.db.session() as s:
            rows = s.execute(
                select(Approval, Order.order_number, User.name)
                .join(Order, Order.id == Approval.order_id)
                .join(User, User.id == Approval.requested_by)
                .where(Approval.customer_id == customer_id, Approval.status == "pending")
                .order_by(Approval.created_at, Approval.id)
            ).all()
            return [self._approval_view(*row) for row in rows]

    def decide_approval(
        self,
        customer_id: str,
        order_number: str,
        approver_id: str,
        approve: bool,
        note: str | None,
        notifications: Callable[[ApprovalView], list[OutboxItem]],
    ) -> ApprovalView:
        from assistant.commerce.outbox import add_to_outbox

        with self.db.session() as s:
            row = s.execute(
                select(Approval, Order, User.name)
                .join(Order, Order.id == Approval.order_id)
                .join(User, User.id == Approval.requested_by)
                .where(Approval.customer_id == customer_id, Order.order_number == order_number)
            ).first()
            if row is None:
                raise NotFound("approval not found")
            approval, order, requester = row
            # Conditional update: two approvers deciding at once cannot both win.
            changed = s.execute(
                update(Approval)
                .where(Approval.id == approval.id, Approval.status == "pending")
                .values(
                    status="approved" if approve else "rejected",
                    decided_by=approver_id,
                    decision_note=note,
                    decided_at=_now(),
                )
            ).rowcount
            if not changed:
                raise InvalidInput("approval already decided")
            s.refresh(approval)
            order.status = "open" if approve else "rejected"
            if approve and order.cost_centre_id is not None:
                s.execute(
                    update(CostCentre)
                    .where(CostCentre.id == order.cost_centre_id)
                    .values(spent_eur=CostCentre.spent_eur + order.total_eur)
                )
            s.execute(
                update(OrderDraft)
                .where(OrderDraft.order_id == order.id)
                .values(status="confirmed" if approve else "rejected")
            )
            view = self._approval_view(approval, order.order_number, requester)
            add_to_outbox(s, notifications(view))
            return view


def sqlite_analyze(db: Database) -> None:
    """Refresh planner statistics after bulk loads (SQLite picks poor plans without them)."""
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


@lru_cache(maxsize=1)
def get_repository() -> SqlCommerceRepository:
    return SqlCommerceRepository()
