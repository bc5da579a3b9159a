"""Identifiers arriving from chat are hostile: check their format before any query sees them.

A value that fails its format is reported as ``NotFound`` (it cannot exist), never echoed back raw, so
SQL metacharacters, path traversal or 200-digit numbers never reach the database or the file system.
"""

from __future__ import annotations

import re
from typing import Protocol

from assistant.articles import SUPPLIER_SKU_RE
from assistant.errors import InvalidInput, NotFound, PermissionDenied

# The demo pattern, or a supplier's own number as BMEcat imports bring it (assistant/articles.py), up to 20 chars.
SKU_RE = re.compile(r"^(?:[A-Z0-9]{2,5}-[0-9]{3,4}(-[0-9A-Z]{2,3})?|(?=.{1,20}$)" + SUPPLIER_SKU_RE.pattern + ")$")
ORDER_NUMBER_RE = re.compile(r"^[0-9]{1,10}$")
DELIVERY_NUMBER_RE = re.compile(r"^[0-9]{1,10}$")
PO_RE = re.compile(r"^[A-Z0-9][A-Z0-9/_.\-]{0,39}$")
BATCH_RE = re.compile(r"^[A-Z0-9][A-Z0-9\-]{0,29}$")
DOCUMENT_ID_RE = re.compile(r"^[a-f0-9]{32}$")
DRAFT_ID_RE = re.compile(r"^[a-f0-9]{32}$")

MAX_QTY = 100_000


class Identity(Protocol):
    """What the services need of assistant.identity.BuyerIdentity."""

    @property
    def user_id(self) -> str | None: ...
    @property
    def customer_id(self) -> str | None: ...
    @property
    def roles(self) -> frozenset[str]: ...
    @property
    def locale(self) -> str: ...
    @property
    def is_anonymous(self) -> bool: ...


def require_account(identity: Identity) -> str:
    """The verified account of a logged-in user; anonymous visitors have none."""
    if identity.is_anonymous or not identity.customer_id or not identity.user_id:
        raise PermissionDenied("login required")
    return identity.customer_id


def require_role(identity: Identity, *roles: str) -> str:
    customer_id = require_account(identity)
    if not set(roles) & set(identity.roles):
        raise PermissionDenied(f"needs one of the roles {roles}")
    return customer_id


def _check(value: str | None, pattern: re.Pattern[str], what: str, upper: bool = False) -> str:
    if value is None:
        raise NotFound(f"no {what}")
    cleaned = value.strip()
    if upper:
        cleaned = cleaned.upper()
    if len(cleaned) > 64 or not pattern.fullmatch(cleaned):
        raise NotFound(f"malformed {what}")
    return cleaned


def order_number(value: str | None) -> str:
    cleaned = _check(value, ORDER_NUMBER_RE, "order number")
    return str(int(cleaned))  # "04711" and "4711" are the same order


def delivery_number(value: str | None) -> str:
    return str(int(_check(value, DELIVERY_NUMBER_RE, "delivery number")))


def sku(value: str | None) -> str:
    return _check(value, SKU_RE, "sku", upper=True)


def po_reference(value: str | None) -> str:
    return _check(value, PO_RE, "purchase order reference", upper=True)


def batch(value: str | None) -> str:
    return _check(value, BATCH_RE, "batch", upper=True)


def document_id(value: str | None) -> str:
    return _check(value, DOCUMENT_ID_RE, "document id")


def draft_id(value: str | None) -> str:
    return _check(value, DRAFT_ID_RE, "draft id")


class QuantityError(InvalidInput):
    """A rejected quantity; ``reason``: not_a_number, not_positive, too_large or below_minimum."""

    def __init__(self, reason: str, minimum: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.minimum = minimum


def quantity(value: object, min_order_qty: int = 1) -> int:
    """A quantity a person typed: a whole positive number, not absurd, at least the minimum order."""
    if isinstance(value, bool):
        raise QuantityError("not_a_number")
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"-?[0-9]{1,9}", value):
            raise QuantityError("not_a_number")
        value = int(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise QuantityError("not_a_number")
        value = int(value)
    if not isinstance(value, int):
        raise QuantityError("not_a_number")
    if value <= 0:
        raise QuantityError("not_positive")
    if value > MAX_QTY:
        raise QuantityError("too_large")
    if value < min_order_qty:
        raise QuantityError("below_minimum", minimum=min_order_qty)
    return value
