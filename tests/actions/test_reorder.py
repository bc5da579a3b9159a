"""Reorder: identify the order, flag what changed, edit in free text or buttons, confirm once."""

from __future__ import annotations

from sqlalchemy import func, select

from assistant.actions.reorder import ActionChangeDraft, ActionConfirmOrder, ActionReorder
from assistant.commerce.models import Order, OutboxMessage
from tests.actions.helpers import run, slot_value, texts, tracker
from tests.actions.orders_support import ANNA, EMMA, JONAS, THOMAS, services


def actions() -> tuple[ActionReorder, ActionChangeDraft, ActionConfirmOrder]:
    s = services()
    return (ActionReorder(s.drafts, s.orders), ActionChangeDraft(s.drafts, s.orders),
            ActionConfirmOrder(s.drafts, s.orders))


def buttons(dispatcher) -> list[dict]:
    return [b for m in dispatcher.messages for b in (m.get("custom") or {}).get("buttons", [])]


def order_count() -> int:
    with services().repo.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Order)) or 0)


async def test_reorder_last_monday_flags_every_change_and_places_with_the_confirm_button_de() -> None:
    reorder, _, confirm = actions()
    dispatcher, events = await run(reorder, tracker("Bestellung vom letzten Montag nochmal bitte", "reorder", ANNA))
    text = texts(dispatcher)[0]
    assert text.startswith(f"Nachbestellung von Auftrag {services().last_monday_order}")
    assert "Preis geändert: vorher" in text
    assert "nicht auf Lager, Lieferzeit" in text
    assert "ausgelaufen, Nachfolger " in text
    assert "Seit damals geändert: 2 Preisänderung(en), 1 Artikel nicht auf Lager, 1 ausgelaufene(r) Artikel" in text
    draft_id = slot_value(events, "orders_draft_id")
    confirm_button = buttons(dispatcher)[0]
    assert confirm_button["title"] == "Mit Nachfolgeartikel bestellen"
    assert confirm_button["payload"] == (
        f'/confirm_order{{"draft_id":"{draft_id}","draft_op":"use_successor"}}'
    )
    before = order_count()
    entities = [{"entity": "draft_id", "value": draft_id}, {"entity": "draft_op", "value": "use_successor"}]
    dispatcher, events = await run(confirm, tracker(confirm_button["payload"], "confirm_order", ANNA,
                                                    entities=entities))
    placed = texts(dispatcher)[0]
    assert placed.startswith("Vielen Dank! Ihre Bestellung ist aufgegeben: Auftrag ")
    assert "Voraussichtliche Lieferung:" in placed
    assert slot_value(events, "orders_draft_id") is None
    # Pressing the button again never places a second order.
    again, _ = await run(confirm, tracker(confirm_button["payload"], "confirm_order", ANNA, entities=entities))
    assert "bereits als Auftrag" in texts(again)[0] and "nicht noch einmal bestellt" in texts(again)[0]
    assert order_count() == before + 1


async def test_reorder_in_english_and_edits_in_free_text() -> None:
    reorder, change, _ = actions()
    dispatcher, events = await run(reorder, tracker("reorder last Monday's order", "reorder", ANNA, language="en"))
    assert texts(dispatcher)[0].startswith("Reorder of order")
    assert "price changed: was" in texts(dispatcher)[0]
    draft_id = slot_value(events, "orders_draft_id")
    slots = {"orders_draft_id": draft_id}
    dispatcher, _ = await run(change, tracker("position 3 to 40 pieces", "change_draft", ANNA, language="en",
                                              slots=slots))
    assert "Changed. Your draft now:" in texts(dispatcher)[0]
    assert "\n3. 40 × " in texts(dispatcher)[0]
    dispatcher, _ = await run(change, tracker("without the O-rings", "change_draft", ANNA, language="en",
                                              slots=slots))
    assert "O-ring" not in texts(dispatcher)[0].split("\n", 1)[1]
    dispatcher, _ = await run(change, tracker("Position 9 auf 5", "change_draft", ANNA, slots=slots))
    assert "keine passende Position" in texts(dispatcher)[0] or "nicht eindeutig" in texts(dispatcher)[0]


async def test_successor_and_drop_unavailable_buttons() -> None:
    reorder, change, _ = actions()
    _, events = await run(reorder, tracker("Bestellung vom letzten Montag nochmal", "reorder", ANNA))
    draft_id = slot_value(events, "orders_draft_id")
    dispatcher, _ = await run(change, tracker("/change_draft", "change_draft", ANNA, entities=[
        {"entity": "draft_id", "value": draft_id}, {"entity": "draft_op", "value": "use_successor"}]))
    assert "ausgelaufen" not in texts(dispatcher)[0]
    assert buttons(dispatcher)[0]["title"] == "Bestellen"
    dispatcher, _ = await run(change, tracker("/change_draft", "change_draft", ANNA, entities=[
        {"entity": "draft_id", "value": draft_id}, {"entity": "draft_op", "value": "drop_unavailable"}]))
    assert "nicht auf Lager" not in texts(dispatcher)[0]


async def test_several_orders_on_one_day_are_offered_as_buttons_and_none_gives_the_nearest() -> None:
    reorder, _, _ = actions()
    dispatcher, events = await run(reorder, tracker("die Bestellung von vor 9 Tagen nochmal", "reorder", ANNA))
    payloads = [b["payload"] for b in buttons(dispatcher)]
    assert '/choose_order{"order_number":"4720"}' in payloads and '/choose_order{"order_number":"4721"}' in payloads
    assert "mehrere Bestellungen" in texts(dispatcher)[0]
    assert str(slot_value(events, "orders_choice")).startswith("reorder:")
    dispatcher, _ = await run(reorder, tracker("reorder the order from 1 January 2020", "reorder", ANNA,
                                               language="en"))
    assert texts(dispatcher)[0] == "I could not find such an order in your account."
    assert "Your nearest orders:" in texts(dispatcher)[1]


async def test_confirm_over_the_limit_goes_to_approval_and_notifies_the_approver() -> None:
    _, _, confirm = actions()
    s = services()
    quote = s.drafts.from_lines(ANNA, [("3S-1208", 3000)])
    dispatcher, _ = await run(confirm, tracker(f'/confirm_order{{"draft_id":"{quote.draft_id}"}}', "confirm_order",
                                               ANNA, entities=[{"entity": "draft_id", "value": quote.draft_id}]))
    text = texts(dispatcher)[0]
    assert "wartet jetzt auf Freigabe" in text and "Ihr Freigabelimit" in text
    with s.repo.db.session() as session:
        mails = session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "approval_requested")).all()
    assert any(m.recipient == THOMAS.email for m in mails)


async def test_roles_and_other_peoples_drafts() -> None:
    reorder, _, confirm = actions()
    dispatcher, _ = await run(reorder, tracker("Bestellung 4711 nochmal", "reorder", JONAS))
    assert "Rolle" in texts(dispatcher)[0]
    dispatcher, _ = await run(reorder, tracker("reorder 4711", "reorder", language="en"))
    assert "log in" in texts(dispatcher)[0]
    quote = services().drafts.from_lines(ANNA, [("3S-1208", 10)])
    entities = [{"entity": "draft_id", "value": quote.draft_id}]
    dispatcher, _ = await run(confirm, tracker("/confirm_order", "confirm_order", EMMA, language="en",
                                               entities=entities))
    assert "cannot find this order draft" in texts(dispatcher)[0]
    dispatcher, _ = await run(confirm, tracker("/confirm_order", "confirm_order", ANNA, entities=[
        {"entity": "draft_id", "value": "../../etc"}]))
    assert "finde ich nicht" in texts(dispatcher)[0]
    dispatcher, _ = await run(confirm, tracker("jetzt bestellen", "confirm_order", ANNA))
    assert "keinen offenen Bestellentwurf" in texts(dispatcher)[0]


async def test_over_the_cost_centre_budget_goes_to_approval_in_english() -> None:
    from tests.actions.orders_support import person

    lena = person("lena.schmidt@mueller-maschinenbau.de")  # limit 1000, KST-4200 has 350 EUR left
    _, _, confirm = actions()
    quote = services().drafts.from_lines(lena, [("3S-1208", 100)])
    assert 350 < quote.total_eur < 1000
    dispatcher, _ = await run(confirm, tracker("/confirm_order", "confirm_order", lena, language="en",
                                               entities=[{"entity": "draft_id", "value": quote.draft_id}]))
    assert "exceeds your cost centre's remaining budget" in texts(dispatcher)[0]


async def test_typed_yes_places_the_draft_as_offered_with_the_successor() -> None:
    reorder, _, confirm = actions()
    dispatcher, events = await run(reorder, tracker("Bestellung vom letzten Montag nochmal", "reorder", ANNA))
    assert slot_value(events, "orders_draft_open") is True
    slots = {"orders_draft_id": slot_value(events, "orders_draft_id"), "orders_draft_open": True}
    dispatcher, events = await run(confirm, tracker("ja", "affirm", ANNA, slots=slots))
    assert texts(dispatcher)[0].startswith("Vielen Dank! Ihre Bestellung ist aufgegeben")
    assert slot_value(events, "orders_draft_open") is False


async def test_reorder_with_an_unclear_date_asks_instead_of_guessing_de() -> None:
    reorder, _, _ = actions()
    dispatcher, events = await run(reorder, tracker("Bestellung vom 4/5 nochmal bitte", "reorder", ANNA))
    assert texts(dispatcher)[0].startswith("Dieses Datum kann ich nicht eindeutig lesen.")
    assert str(slot_value(events, "orders_choice")).startswith("reorder:")
    dispatcher, _ = await run(reorder, tracker("reorder the order from 13. - 15. Juli 4/5", "reorder", ANNA,
                                               language="en"))
    assert texts(dispatcher)[0].startswith("I can't read that date unambiguously.")


async def test_reorder_names_a_contradicting_weekday_and_goes_by_the_date_en() -> None:
    from assistant import clock
    from assistant.commerce.seed import scenario_days

    day = scenario_days(clock.today(services().settings)).last_monday
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    reorder, _, _ = actions()
    dispatcher, _ = await run(reorder, tracker(f"reorder my order from Tuesday, {months[day.month - 1]} {day.day}",
                                               "reorder", ANNA, language="en"))
    shown = f"{day.day} {months[day.month - 1]} {day.year}"
    assert texts(dispatcher)[0] == f"Note: {shown} is a Monday, not a Tuesday – I went by the date."
    assert texts(dispatcher)[1].startswith(f"Reorder of order {services().last_monday_order} of {shown}")
    dispatcher, _ = await run(reorder, tracker(f"Bestellung vom Freitag, {day:%d.%m.} nochmal", "reorder", ANNA))
    assert texts(dispatcher)[0] == (f"Hinweis: Der {day:%d.%m.%Y} ist ein Montag, kein Freitag – ich habe nach dem "
                                    "Datum gesucht.")
    assert texts(dispatcher)[1].startswith(f"Nachbestellung von Auftrag {services().last_monday_order} vom ")
