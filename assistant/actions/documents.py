"""Documents: public datasheets (and CAD) by article, invoices and delivery notes by order, 3.1 certificates by
article plus delivery or batch. Account documents come as signed, expiring links; one of another account is
answered exactly like one that does not exist.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant import routing
from assistant.actions.base import AssistantAction, Events, Reply, Turn
from assistant.actions.knowledge_turn import KnowledgeDetour
from assistant.actions.orders import (
    entities,
    entity,
    find_for,
    in_language,
    nearest_reply,
    offer_choice,
    resolve_reference,
    user_text,
)
from assistant.commerce.documents import DocumentService, get_document_service
from assistant.commerce.orders import OrderService, get_order_service
from assistant.commerce.resolver import OrderReference
from assistant.identity import BuyerIdentity

_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cad", (r"\bcad\b", r"\bstep\b", r"\b3d\b", r"\.stp\b")),
    ("datasheet", (r"datenbl[aä]tt", r"data ?sheet", r"\btds\b")),
    ("invoice", (r"rechnung", r"invoice")),
    ("delivery_note", (r"lieferschein", r"delivery ?notes?", r"packing slip")),
    ("certificate_3_1", (r"\b3\.1\b", r"zeugnis", r"certificate", r"zertifikat", r"\bcert\b", r"10204")),
    ("declaration_of_conformity", (r"konformit", r"conformity", r"\bdoc\b", r"herstellererkl")),
)
_DELIVERY = re.compile(r"(?:lieferung|delivery|lieferschein|sendung|shipment)\s*(?:nr\.?|no\.?|nummer|number|#)?\s*"
                       r"(\d{4,10})(?!\d)", re.I)
_BATCH = re.compile(r"(?:charge|batch|los|lot)\s*(?:nr\.?|no\.?|#|:)?\s*([A-Za-z0-9][A-Za-z0-9\-]{1,29})", re.I)
_SKU = re.compile(r"(?<![\w-])([A-Za-z0-9]{1,5}-[0-9]{3,4}(?:-[0-9A-Za-z]{1,3})?)(?![\w-])")


class Knowledge(Protocol):
    """What documents need of assistant.retrieval.service.KnowledgeService."""

    def product(self, sku: str) -> Any: ...
    def doc_url(self, doc_id: str) -> str | None: ...
    def cad_url(self, sku: str) -> str | None: ...


def wanted_kinds(text: str) -> list[str]:
    lowered = text.lower()
    return [kind for kind, patterns in _KIND_WORDS if any(re.search(p, lowered) for p in patterns)]


def documents_for_order(
    reply: Reply,
    orders: OrderService,
    identity: BuyerIdentity,
    ref: OrderReference,
    lang: str,
    documents: DocumentService | None = None,
    kinds: tuple[str, ...] = ("invoice", "delivery_note"),
) -> Events:
    """Invoices and delivery notes of the order a buyer means (several matches: ask; none: nearest)."""
    found = find_for(orders, identity, ref)
    purpose = "documents=" + "+".join(kinds)  # the choice continues with the same kinds
    if not found:
        return nearest_reply(reply, orders, identity, ref, lang, purpose)
    if len(found) > 1:
        return offer_choice(reply, found, lang, purpose, reply.t("orders_several", what=ref.description))
    service = documents or get_document_service()
    docs = service.find(identity, kinds=kinds, order_number=found[0].order_number)
    return send_links(reply, service, identity, docs)


def send_links(reply: Reply, service: DocumentService, identity: BuyerIdentity, docs: list[Any]) -> Events:
    if not docs:
        reply.key("orders_docs_none")
        return []
    links = service.links(identity, docs)
    reply.items(
        "documents",
        [{"title": link.title, "kind": link.kind, "url": link.url} for link in links],
        text=reply.t("orders_docs_intro", minutes=max(1, service.settings.link_ttl_s // 60)),
    )
    reply.mark("document", "finished")
    return []


class ActionRequestDocument(KnowledgeDetour, AssistantAction):
    not_found_key = "orders_docs_none"
    invalid_input_key = "orders_invalid"

    request_words = routing.DOCUMENT_WORDS  # with these words an article number is a request to this action
    open_question_asks_about = True

    def __init__(
        self,
        documents: DocumentService | None = None,
        orders: OrderService | None = None,
        knowledge: Knowledge | None = None,
    ) -> None:
        self._documents, self._orders, self._knowledge = documents, orders, knowledge

    @property
    def documents(self) -> DocumentService:
        return self._documents or get_document_service()

    @property
    def orders(self) -> OrderService:
        return self._orders or get_order_service()

    @property
    def knowledge(self) -> Knowledge:
        if self._knowledge is None:
            from assistant.retrieval.service import get_knowledge_service

            return get_knowledge_service()
        return self._knowledge

    def name(self) -> str:
        return "action_request_document"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        text = user_text(tracker)
        kinds = wanted_kinds(text)
        skus = [s.upper() for s in entities(tracker, "sku")] or [m.upper() for m in _SKU.findall(text)]
        page_sku = turn.page.get("sku") if isinstance(turn.page.get("sku"), str) else None
        if {"datasheet", "cad"} & set(kinds) and not {"invoice", "delivery_note", "certificate_3_1"} & set(kinds):
            return self._public(reply, kinds, skus or ([page_sku.upper()] if page_sku else []), turn.language)
        if turn.identity.is_anonymous:
            from assistant.settings import get_settings

            reply.key("login_required", portal_url=get_settings().portal_url)
            return []
        identity = in_language(turn.identity, turn.language)
        delivery = _DELIVERY.search(text)
        batch = _BATCH.search(text)
        delivery_number = delivery.group(1) if delivery else None
        if batch:  # "Charge CH-2611-0815" also looks like an article number to the regex extractor
            skus = [s for s in skus if s not in batch.group(1).upper()]
        if "certificate_3_1" in kinds:
            number = entity(tracker, "order_number")
            order_number = number if number and number != delivery_number else None
            sku = skus[0] if skus else None
            if not any((sku, delivery_number, batch, order_number)):
                reply.key("orders_docs_certificate_ask")
                return []
            docs = self.documents.certificates(
                identity, sku=sku, delivery_number=delivery_number, batch=batch.group(1) if batch else None,
                order_number=order_number,
            )
            return send_links(reply, self.documents, identity, docs)
        account_kinds = tuple(k for k in kinds if k in ("invoice", "delivery_note", "declaration_of_conformity"))
        if "declaration_of_conformity" in account_kinds and skus:
            docs = self.documents.find(identity, kinds=("declaration_of_conformity",), sku=skus[0])
            return send_links(reply, self.documents, identity, docs)
        if delivery_number and "delivery_note" in account_kinds:
            docs = self.documents.find(identity, kinds=("delivery_note",), delivery_number=delivery_number)
            return send_links(reply, self.documents, identity, docs)
        ref = resolve_reference(tracker, turn)
        if ref.is_empty():
            if skus and not account_kinds:
                return self._public(reply, ["datasheet"], skus, turn.language)
            reply.key("orders_docs_ask")
            return []
        return documents_for_order(
            reply, self.orders, identity, ref, turn.language, self.documents,
            account_kinds or ("invoice", "delivery_note"),
        )

    def _public(self, reply: Reply, kinds: list[str], skus: list[str], lang: str) -> Events:
        if not skus:
            reply.key("orders_docs_datasheet_ask")
            return []
        items, without_cad = [], []
        for sku in skus[:5]:
            product = self.knowledge.product(sku)
            if product is None:
                continue
            if "cad" in kinds:
                cad = self.knowledge.cad_url(product.sku)
                if cad:
                    items.append({"title": reply.t("orders_docs_title_cad", sku=product.sku, name=product.name(lang)),
                                  "kind": "cad", "url": cad})
                else:
                    without_cad.append(product.sku)
            url = self.knowledge.doc_url(product.datasheet_id) if product.datasheet_id else None
            if url:
                items.append({"title": reply.t("orders_docs_title_datasheet", sku=product.sku,
                                               name=product.name(lang)), "kind": "datasheet", "url": url})
        if items:
            with_cad = any(item["kind"] == "cad" for item in items)
            reply.items("documents", items, text=reply.t("orders_docs_cad" if with_cad else "orders_docs_datasheet"))
            reply.mark("document", "finished")
        else:
            reply.key("orders_docs_datasheet_none")
        if without_cad:
            reply.key("orders_docs_cad_none", skus=", ".join(without_cad))
        return []
