"""Documents: datasheets for everyone, invoices/delivery notes/3.1 certificates as signed links of the own account."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.actions.documents import ActionRequestDocument, wanted_kinds
from assistant.commerce.links import LinkSigner
from tests.actions.helpers import run, texts, tracker
from tests.actions.orders_support import ANNA, JONAS, SABINE, services


@dataclass
class FakeProduct:
    sku: str
    datasheet_id: str

    def name(self, lang: str) -> str:
        return "Push-in fitting" if lang == "en" else "Steckverschraubung"


class FakeKnowledge:
    def product(self, sku: str) -> FakeProduct | None:
        return FakeProduct(sku, "ds-3s-push-in") if sku == "3S-1208" else None

    def doc_url(self, doc_id: str) -> str | None:
        return f"http://testserver/kb/{doc_id}"


def action() -> ActionRequestDocument:
    s = services()
    return ActionRequestDocument(s.documents, s.orders, FakeKnowledge())


def items(dispatcher) -> list[dict]:
    return [i for m in dispatcher.messages for i in (m.get("custom") or {}).get("items", [])]


def test_kinds() -> None:
    assert wanted_kinds("3.1-Zeugnis für Lieferung 80012") == ["certificate_3_1"]
    assert wanted_kinds("invoice and delivery note for 4720") == ["invoice", "delivery_note"]
    assert wanted_kinds("CAD-Daten für 3S-1208") == ["cad"]


async def test_datasheet_is_public_de_and_en() -> None:
    t = tracker("Datenblatt für 3S-1208", "request_document", entities=[{"entity": "sku", "value": "3S-1208"}])
    dispatcher, _ = await run(action(), t)
    assert items(dispatcher) == [{"title": "Datenblatt 3S-1208 – Steckverschraubung", "kind": "datasheet",
                                  "url": "http://testserver/kb/ds-3s-push-in"}]
    t = tracker("CAD model of 3S-1208", "request_document", language="en")
    dispatcher, _ = await run(action(), t)
    assert items(dispatcher)[0]["title"].startswith("Datasheet 3S-1208")
    assert "CAD models" in texts(dispatcher)[-1]


async def test_certificate_for_delivery_is_a_signed_link_that_verifies() -> None:
    t = tracker("3.1-Zeugnis für Lieferung 80012", "request_document", ANNA,
                entities=[{"entity": "order_number", "value": "80012"}])
    dispatcher, _ = await run(action(), t)
    found = items(dispatcher)
    assert found and all(i["kind"] == "certificate_3_1" for i in found)
    assert "Lieferung 80012" in found[0]["title"]
    token = found[0]["url"].rsplit("/", 1)[1]
    claims = LinkSigner(services().settings).verify(token)
    assert claims.customer_id == "K-10001"
    # technicians get certificates too
    t = tracker("3.1 certificate for delivery 80012", "request_document", JONAS, language="en")
    assert items((await run(action(), t))[0])


async def test_invoice_by_order_in_english_and_technician_gets_no_invoice() -> None:
    t = tracker("invoice for order 4711", "request_document", ANNA, language="en",
                entities=[{"entity": "order_number", "value": "4711"}])
    dispatcher, _ = await run(action(), t)
    assert [i["kind"] for i in items(dispatcher)] == ["invoice"]
    assert "valid for 10 minutes" in texts(dispatcher)[0]
    t = tracker("Rechnung zu Auftrag 4711", "request_document", JONAS,
                entities=[{"entity": "order_number", "value": "4711"}])
    dispatcher, _ = await run(action(), t)
    assert not items(dispatcher)
    assert "Rolle" in texts(dispatcher)[0]


async def test_other_accounts_documents_read_exactly_like_missing_ones() -> None:
    cases = [("Rechnung zu Auftrag {n}", "4800", "9999998"),
             ("3.1-Zeugnis für Lieferung {n}", "80013", "99999")]
    for template, foreign, missing in cases:
        a, _ = await run(action(), tracker(template.format(n=foreign), "request_document", ANNA,
                                           entities=[{"entity": "order_number", "value": foreign}]))
        b, _ = await run(action(), tracker(template.format(n=missing), "request_document", ANNA,
                                           entities=[{"entity": "order_number", "value": missing}]))
        assert a.messages == b.messages, template
        assert foreign not in str(a.messages)
    # Sabine does get her own invoice 4800
    own, _ = await run(action(), tracker("Rechnung zu Auftrag 4800", "request_document", SABINE,
                                         entities=[{"entity": "order_number", "value": "4800"}]))
    assert [i["kind"] for i in items(own)] == ["invoice"]


async def test_hostile_batch_and_anonymous_account_documents() -> None:
    t = tracker("3.1 Zeugnis Charge ../../etc/passwd", "request_document", ANNA)
    dispatcher, _ = await run(action(), t)
    assert "passwd" not in str(dispatcher.messages)
    dispatcher, _ = await run(action(), tracker("Rechnung zu Auftrag 4711", "request_document"))
    assert "Kundenportal an" in texts(dispatcher)[0]


async def test_invoice_of_one_of_two_orders_asks_which_and_the_choice_sends_it() -> None:
    from assistant.actions.orders import ActionChooseOrder

    dispatcher, events = await run(action(), tracker("Rechnung der Bestellung von vor 9 Tagen", "request_document",
                                                     ANNA))
    choice = next(e["value"] for e in events if e.get("name") == "orders_choice")
    assert choice.startswith("documents=invoice:") and {"4720", "4721"} <= set(choice.split(":")[1].split(","))
    chooser = ActionChooseOrder(services().orders, documents=services().documents)
    dispatcher, _ = await run(chooser, tracker("/choose_order", "choose_order", ANNA, slots={"orders_choice": choice},
                                               entities=[{"entity": "order_number", "value": "4720"}]))
    assert [i["title"] for i in items(dispatcher)] == ["Rechnung RE-4720 (Bestellung 4720)"]
