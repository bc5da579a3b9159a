"""Quick order: pasted lists become a confirmable draft; mistyped numbers get the closest matches as buttons."""

from __future__ import annotations

from assistant.actions.quickorder import ActionQuickOrder, quick_order_messages
from assistant.actions.reorder import ActionChangeDraft
from tests.actions.helpers import run, slot_value, texts, tracker
from tests.actions.orders_support import ANNA, EMMA, JONAS, services


def action() -> ActionQuickOrder:
    return ActionQuickOrder(services().drafts, services().orders)


def buttons(dispatcher) -> list[dict]:
    return [b for m in dispatcher.messages for b in (m.get("custom") or {}).get("buttons", [])]


async def test_pasted_list_becomes_a_draft_with_customer_prices_de() -> None:
    dispatcher, events = await run(action(), tracker("50x 3S-1208, 10x QC-300-08", "quick_order", ANNA))
    text = texts(dispatcher)[0]
    assert text.startswith("Ihre Schnellbestellung – zu Ihren heutigen Preisen:")
    assert "1. 50 × " in text and "(3S-1208)" in text and "2. 10 × " in text and "(QC-300-08)" in text
    special = services().repo.customer_prices("K-10001", ["3S-1208"])
    if "3S-1208" in special:
        assert f"{special['3S-1208']:.2f}".replace(".", ",") + " EUR" in text
    draft_id = slot_value(events, "orders_draft_id")
    assert {"event": "slot", "timestamp": None, "name": "orders_draft_open", "value": True} in events
    assert buttons(dispatcher)[0] == {"title": "Bestellen", "payload": f'/confirm_order{{"draft_id":"{draft_id}"}}'}


async def test_multiline_list_in_english_with_a_typo_offers_the_closest_articles() -> None:
    dispatcher, events = await run(action(), tracker("3S-1208 x 20\n3S-1280 x 15", "quick_order", EMMA,
                                                     language="en"))
    text = texts(dispatcher)
    assert text[0].startswith("Your quick order")
    suggestion = next(m["custom"] for m in dispatcher.messages if "do not know article 3S-1280" in
                      (m["custom"].get("text") or ""))
    titles = [b["title"] for b in suggestion["buttons"]]
    assert titles[0].startswith("3S-1208") or any(t.startswith("3S-1208") for t in titles)
    draft_id = slot_value(events, "orders_draft_id")
    payload = suggestion["buttons"][0]["payload"]
    assert payload.startswith("/change_draft{") and draft_id in payload and '"quantity":15' in payload
    # Picking the suggestion adds it to the same draft.
    sku = titles[0].split(" ")[0]
    change = ActionChangeDraft(services().drafts, services().orders)
    dispatcher, _ = await run(change, tracker(payload, "change_draft", EMMA, language="en", entities=[
        {"entity": "draft_id", "value": draft_id}, {"entity": "sku", "value": sku},
        {"entity": "quantity", "value": 15}]))
    assert f"({sku})" in texts(dispatcher)[0] and "Changed." in texts(dispatcher)[0]


async def test_only_unknown_articles_offer_quick_order_buttons_and_bad_quantities_are_reported() -> None:
    dispatcher, events = await run(action(), tracker("QC-300-8 x 4\n3S-1208 x 0", "quick_order", ANNA))
    joined = "\n".join(texts(dispatcher))
    assert "Zeile 2 (3S-1208): Menge 0" in joined
    payloads = [b["payload"] for b in buttons(dispatcher)]
    assert payloads and all(p.startswith('/quick_order{"sku":') for p in payloads)
    assert events == []


async def test_no_article_numbers_asks_for_them_and_technicians_cannot_order() -> None:
    dispatcher, _ = await run(action(), tracker("Schnellbestellung", "quick_order", ANNA))
    assert "Artikelnummern mit Mengen" in texts(dispatcher)[0]
    dispatcher, _ = await run(action(), tracker("50x 3S-1208", "quick_order", JONAS))
    assert "Rolle" in texts(dispatcher)[0]
    dispatcher, _ = await run(action(), tracker("50x 3S-1208", "quick_order", language="en"))
    assert "log in" in texts(dispatcher)[0]


def test_the_upload_path_shares_the_builder() -> None:
    result = quick_order_messages(services().drafts, ANNA, "en", [("3S-1208", 20), ("ZZ-9999", 3)])
    assert result.draft_id and result.quote is not None and len(result.quote.lines) == 1
    assert result.messages[0]["text"].startswith("Your quick order")
    assert any("ZZ-9999" in (m.get("text") or "") for m in result.messages)


async def test_quick_order_and_draft_edit_cover_each_others_misclassified_turns() -> None:
    """DIET confuses "add 10x 3S-1208" (edit) and "80x A und 20x B" (new list): the actions route by state."""
    dispatcher, events = await run(action(), tracker("50x 3S-1208", "quick_order", ANNA))
    draft_id = slot_value(events, "orders_draft_id")
    slots = {"orders_draft_id": draft_id}
    dispatcher, events = await run(action(), tracker("füge noch 10x QC-300-08 hinzu", "quick_order", ANNA,
                                                     slots=slots))
    text = texts(dispatcher)[0]
    assert text.startswith("Geändert.") and "(3S-1208)" in text and "(QC-300-08)" in text
    change = ActionChangeDraft(services().drafts, services().orders)
    dispatcher, events = await run(change, tracker("80x 3S-0602 und 20x QC-300-08", "change_draft", ANNA,
                                                   language="en"))
    assert texts(dispatcher)[0].startswith("Your quick order")
    assert any(e.get("name") == "orders_draft_id" and e["value"] for e in events)
