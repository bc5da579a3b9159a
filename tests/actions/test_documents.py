"""Documents: datasheets for everyone, invoices/delivery notes/3.1 certificates as signed links of the own account."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.actions.documents import ActionRequestDocument, wanted_kinds
from assistant.commerce.links import LinkSigner
from tests.actions.helpers import run, slot_value, texts, tracker
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

    def cad_url(self, sku: str) -> str | None:
        return f"http://testserver/api/cad/{sku}.step" if sku == "3S-1208" else None


class TwoArticles(FakeKnowledge):
    """3S-1208 has a CAD model, the hose HS-5010-08 has none."""

    def product(self, sku: str) -> FakeProduct | None:
        if sku == "HS-5010-08":
            return FakeProduct(sku, "ds-hs-501-pu-tube")
        return super().product(sku)


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


CAD_3S_1208 = {"title": "CAD-Modell 3S-1208 (STEP) – Steckverschraubung", "kind": "cad",
               "url": "http://testserver/api/cad/3S-1208.step"}


async def test_cad_request_sends_the_step_download_next_to_the_datasheet_de() -> None:
    for text in ("CAD für 3S-1208", "STEP-Datei 3S-1208"):
        dispatcher, events = await run(action(), tracker(text, "request_document"))
        assert items(dispatcher) == [CAD_3S_1208, {"title": "Datenblatt 3S-1208 – Steckverschraubung",
                                                   "kind": "datasheet", "url": "http://testserver/kb/ds-3s-push-in"}]
        assert dispatcher.messages[0]["custom"]["type"] == "documents"
        assert "CAD-Modell (STEP" in texts(dispatcher)[0] and "auf Anfrage" not in " ".join(texts(dispatcher))
        assert events == []


async def test_cad_request_in_english_and_on_the_product_page() -> None:
    dispatcher, _ = await run(action(), tracker("3D model of 3S-1208", "request_document", language="en"))
    assert [i["kind"] for i in items(dispatcher)] == ["cad", "datasheet"]
    assert items(dispatcher)[0]["title"] == "CAD model 3S-1208 (STEP) – Push-in fitting"
    assert texts(dispatcher)[0].startswith("The CAD model (STEP")
    dispatcher, _ = await run(action(), tracker("CAD bitte", "request_document", page={"sku": "3s-1208"}))
    assert items(dispatcher)[0] == CAD_3S_1208


async def test_article_without_a_cad_model_gets_its_datasheet_and_an_honest_on_request_de_and_en() -> None:
    s = services()
    act = ActionRequestDocument(s.documents, s.orders, TwoArticles())
    dispatcher, _ = await run(act, tracker("CAD für HS-5010-08", "request_document"))
    assert [i["kind"] for i in items(dispatcher)] == ["datasheet"]
    assert texts(dispatcher)[0] == "Das öffentliche Datenblatt:"
    assert texts(dispatcher)[-1].startswith("Für HS-5010-08 habe ich kein CAD-Modell") and "auf Anfrage" in texts(
        dispatcher)[-1]
    dispatcher, _ = await run(act, tracker("STEP files for 3S-1208 and HS-5010-08", "request_document",
                                           language="en"))
    assert [i["kind"] for i in items(dispatcher)] == ["cad", "datasheet", "datasheet"]
    assert texts(dispatcher)[-1] == ("I have no CAD model to download for HS-5010-08; we send it on request, "
                                     "and the dimensions are in the datasheet. Just ask our sales team.")


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
    choice = slot_value(events, "orders_choice")
    assert choice.startswith("documents=invoice:") and {"4720", "4721"} <= set(choice.split(":")[1].split(","))
    chooser = ActionChooseOrder(services().orders, documents=services().documents)
    dispatcher, _ = await run(chooser, tracker("/choose_order", "choose_order", ANNA, slots={"orders_choice": choice},
                                               entities=[{"entity": "order_number", "value": "4720"}]))
    assert [i["title"] for i in items(dispatcher)] == ["Rechnung RE-4720 (Bestellung 4720)"]
