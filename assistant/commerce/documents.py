"""Account documents: invoices and delivery notes by order, 3.1 certificates by article, delivery or batch.

Public datasheets come from the knowledge base, not from here. Everything is scoped by the verified
account; technicians get certificates, delivery notes and declarations but not invoices (prices).
Downloads go through signed, expiring links (links.py) whose route re-checks ownership.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.commerce import validation
from assistant.commerce.domain import DocumentInfo
from assistant.commerce.links import LinkClaims, LinkSigner
from assistant.commerce.pdfs import TITLES, render_pdf
from assistant.commerce.prices import PRICE_ROLES  # who sees prices sees invoices: one rule
from assistant.commerce.repository import CommerceRepository, get_repository
from assistant.commerce.validation import Identity, require_account
from assistant.errors import NotFound, PermissionDenied
from assistant.settings import Settings, get_settings

KINDS = ("invoice", "delivery_note", "certificate_3_1", "declaration_of_conformity")


@dataclass(frozen=True)
class DocumentLink:
    document: DocumentInfo
    title: str
    url: str
    kind: str


def document_title(doc: DocumentInfo, lang: str) -> str:
    de, en = TITLES.get(doc.kind, ("Dokument", "Document"))
    title = en if lang == "en" else de
    extra = []
    if doc.order_number:
        extra.append(("order " if lang == "en" else "Bestellung ") + doc.order_number)
    if doc.delivery_number:
        extra.append(("delivery " if lang == "en" else "Lieferung ") + doc.delivery_number)
    if doc.sku:
        extra.append(doc.sku)
    return f"{title} {doc.number}" + (f" ({', '.join(extra)})" if extra else "")


class DocumentService:
    def __init__(
        self,
        repo: CommerceRepository | None = None,
        settings: Settings | None = None,
        signer: LinkSigner | None = None,
    ):
        self.repo = repo or get_repository()
        self.settings = settings or get_settings()
        self.signer = signer or LinkSigner(self.settings)

    @property
    def root(self) -> Path:
        return self.settings.var_dir / "documents"

    def _allowed_kinds(self, identity: Identity, kinds: tuple[str, ...]) -> tuple[str, ...]:
        if identity.roles & PRICE_ROLES:
            return kinds
        return tuple(k for k in kinds if k != "invoice")

    def find(
        self,
        identity: Identity,
        *,
        kinds: tuple[str, ...] = KINDS,
        order_number: str | None = None,
        delivery_number: str | None = None,
        sku: str | None = None,
        batch: str | None = None,
        limit: int = 10,
    ) -> list[DocumentInfo]:
        customer = require_account(identity)
        allowed = self._allowed_kinds(identity, tuple(k for k in kinds if k in KINDS))
        if not allowed:
            raise PermissionDenied("no document kind allowed for these roles")
        try:
            return self.repo.find_documents(
                customer,
                kinds=allowed,
                order_number=validation.order_number(order_number) if order_number else None,
                delivery_number=validation.delivery_number(delivery_number) if delivery_number else None,
                sku=validation.sku(sku) if sku else None,
                batch=validation.batch(batch) if batch else None,
                limit=max(1, min(limit, 50)),
            )
        except NotFound:
            return []  # a malformed identifier cannot match anything

    def for_order(self, identity: Identity, order_number: str) -> list[DocumentInfo]:
        """Invoices and delivery notes of an order."""
        return self.find(identity, kinds=("invoice", "delivery_note"), order_number=order_number)

    def certificates(
        self,
        identity: Identity,
        *,
        sku: str | None = None,
        delivery_number: str | None = None,
        batch: str | None = None,
        order_number: str | None = None,
    ) -> list[DocumentInfo]:
        """3.1 certificates by article and delivery, batch or order (at least one of them)."""
        if not any((sku, delivery_number, batch, order_number)):
            raise NotFound("a certificate needs an article, delivery, batch or order")
        return self.find(
            identity,
            kinds=("certificate_3_1",),
            sku=sku,
            delivery_number=delivery_number,
            batch=batch,
            order_number=order_number,
        )

    def get(self, identity: Identity, document_id: str) -> DocumentInfo:
        customer = require_account(identity)
        doc = self.repo.get_document(customer, validation.document_id(document_id))
        if doc is None:
            raise NotFound("document not found")
        if doc.kind not in self._allowed_kinds(identity, (doc.kind,)):
            raise PermissionDenied("invoices are for buyers and approvers")
        return doc

    def link(self, identity: Identity, doc: DocumentInfo) -> DocumentLink:
        """A signed download link; only for a document this identity may see."""
        checked = self.get(identity, doc.id)
        return DocumentLink(
            checked,
            document_title(checked, identity.locale),
            self.signer.url(checked.id, checked.customer_id),
            checked.kind,
        )

    def links(self, identity: Identity, docs: list[DocumentInfo]) -> list[DocumentLink]:
        return [self.link(identity, d) for d in docs]

    # -- download -----------------------------------------------------------------------------------
    def open_for_download(self, claims: LinkClaims) -> tuple[DocumentInfo, Path]:
        """Re-authorise a verified link (document still in that account) and return the PDF path."""
        doc = self.repo.get_document(claims.customer_id, validation.document_id(claims.document_id))
        if doc is None:
            raise NotFound("document not found")
        return doc, self.pdf_path(doc)

    def pdf_path(self, doc: DocumentInfo) -> Path:
        """The PDF of a document, rendered on first use; the path can never leave var/documents/."""
        root = self.root.resolve()
        target = (root / doc.file_path).resolve()
        if not target.is_relative_to(root) or target.suffix != ".pdf":
            raise NotFound("document file outside the document store")
        if not target.is_file():
            order = self.repo.document_order(doc.customer_id, doc.id)
            name = self.repo.customer_name(doc.customer_id) or doc.customer_id
            render_pdf(target, doc, order, name)
        return target


@lru_cache(maxsize=1)
def get_document_service() -> DocumentService:
    return DocumentService()
