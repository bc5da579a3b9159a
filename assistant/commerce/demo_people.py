"""The demo accounts and people: who is who in development and in the tests.

Fixed data (not random) so that tests, docs and the demo portal can name them.
The seed (`assistant demo seed`) writes these into the database; the token
command and the portal page read them from here so they work before seeding.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoAccount:
    id: str
    name: str
    city: str
    country: str
    language: str


@dataclass(frozen=True)
class DemoUser:
    id: str
    email: str
    name: str
    customer: str
    roles: tuple[str, ...]
    locale: str
    approval_limit_eur: int | None = None
    cost_centre: str | None = None


ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("K-10001", "Müller Maschinenbau GmbH", "Stuttgart", "DE", "de"),
    DemoAccount("K-10002", "Nordsee Lebensmitteltechnik AG", "Bremen", "DE", "de"),
    DemoAccount("K-10003", "Alpine Pharma Systems GmbH", "Salzburg", "AT", "en"),
)

USERS: tuple[DemoUser, ...] = (
    DemoUser("u-1001", "anna.mueller@mueller-maschinenbau.de", "Anna Müller", "K-10001",
             ("buyer",), "de", 2500, "KST-4100"),
    DemoUser("u-1002", "thomas.berger@mueller-maschinenbau.de", "Thomas Berger", "K-10001",
             ("buyer", "approver"), "de", 25000, "KST-4100"),
    DemoUser("u-1003", "jonas.weber@mueller-maschinenbau.de", "Jonas Weber", "K-10001",
             ("technician",), "de"),
    DemoUser("u-1004", "lena.schmidt@mueller-maschinenbau.de", "Lena Schmidt", "K-10001",
             ("buyer",), "de", 1000, "KST-4200"),
    DemoUser("u-2001", "sabine.hansen@nordsee-lt.de", "Sabine Hansen", "K-10002",
             ("buyer",), "de", 5000, "KST-200"),
    DemoUser("u-2002", "klaus.petersen@nordsee-lt.de", "Klaus Petersen", "K-10002",
             ("approver",), "de", 50000, "KST-200"),
    DemoUser("u-2003", "mehmet.yilmaz@nordsee-lt.de", "Mehmet Yılmaz", "K-10002",
             ("technician",), "de"),
    DemoUser("u-3001", "emma.clarke@alpine-pharma.at", "Emma Clarke", "K-10003",
             ("buyer",), "en", 3000, "CC-710"),
    DemoUser("u-3002", "david.huber@alpine-pharma.at", "David Huber", "K-10003",
             ("buyer", "approver"), "de", 30000, "CC-710"),
    DemoUser("u-3003", "sofia.rossi@alpine-pharma.at", "Sofia Rossi", "K-10003",
             ("technician",), "en"),
)


def find_user(email: str) -> DemoUser | None:
    wanted = email.strip().lower()
    return next((u for u in USERS if u.email == wanted), None)


def account(account_id: str) -> DemoAccount | None:
    return next((a for a in ACCOUNTS if a.id == account_id), None)
