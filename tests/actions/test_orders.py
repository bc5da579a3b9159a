"""Order status and choosing among several orders, German and English, scoped by account."""

from __future__ import annotations

import pytest

from assistant.actions.orders import ActionChooseOrder, ActionOrderStatus, parse_choice
from tests.actions.helpers import run, texts, tracker
from tests.actions.orders_support import ANNA, EMMA, JONAS, SABINE, services


def status_action() -> ActionOrderStatus:
    return ActionOrderStatus(services().orders)


def buttons(dispatcher) -> list[dict]:
    return [b for m in dispatcher.messages for b in (m.get("custom") or {}).get("buttons", [])]


async def test_status_by_number_shows_lines_shipment_tracking_and_delivery_date_de() -> None:
    t = tracker("wo ist Auftrag 4711?", "order_status", ANNA, entities=[{"entity": "order_number", "value": "4711"}])
    dispatcher, events = await run(status_action(), t)
    text = texts(dispatcher)[0]
    assert text.startswith("Auftrag 4711 vom ")
    assert "versendet" in text and "DHL" in text and "unterwegs" in text
    assert "https://www.dhl.de/" in text
    assert "Voraussichtliche Lieferung:" in text
    assert events == []


async def test_status_by_number_in_english_explains_a_delay() -> None:
    t = tracker("why is order 4715 late?", "order_status", ANNA, language="en",
                entities=[{"entity": "order_number", "value": "4715"}])
    dispatcher, _ = await run(status_action(), t)
    text = texts(dispatcher)[0]
    assert "Order 4715" in text and "delayed" in text
    assert "shortage of 1.4404 material" in text


async def test_partial_delivery_shows_progress_per_line() -> None:
    t = tracker("Status 4712", "order_status", ANNA, entities=[{"entity": "order_number", "value": "4712"}])
    text = texts((await run(status_action(), t))[0])[0]
    assert "geliefert" in text and "teilweise versendet (2/6)" in text


async def test_open_orders_list_with_detail_buttons_de_and_en() -> None:
    dispatcher, events = await run(status_action(), tracker("meine offenen Aufträge", "order_status", ANNA))
    assert "Ihre offenen Bestellungen:" in texts(dispatcher)[0]
    payloads = [b["payload"] for b in buttons(dispatcher)]
    assert '/choose_order{"order_number":"4711"}' in payloads
    assert events[0]["name"] == "orders_choice" and events[0]["value"].startswith("status:")
    dispatcher, _ = await run(status_action(), tracker("my open orders", "order_status", EMMA, language="en"))
    assert texts(dispatcher)[0].startswith(("Your open orders:", "Order "))


async def test_latest_order() -> None:
    dispatcher, _ = await run(status_action(), tracker("status of my latest order", "order_status", ANNA,
                                                       language="en"))
    assert texts(dispatcher)[0].startswith("Order ")


async def test_another_accounts_order_reads_exactly_like_a_missing_one() -> None:
    foreign = tracker("wo ist Auftrag 4800?", "order_status", ANNA,
                      entities=[{"entity": "order_number", "value": "4800"}])
    missing = tracker("wo ist Auftrag 9999999?", "order_status", ANNA,
                      entities=[{"entity": "order_number", "value": "9999999"}])
    a, _ = await run(status_action(), foreign)
    b, _ = await run(status_action(), missing)
    assert a.messages == b.messages
    assert "nicht gefunden" in texts(a)[0]
    assert "4800" not in str(a.messages)
    # and Sabine (K-10002) does see her 4800
    own = tracker("wo ist Auftrag 4800?", "order_status", SABINE,
                  entities=[{"entity": "order_number", "value": "4800"}])
    assert texts((await run(status_action(), own))[0])[0].startswith("Auftrag 4800")


@pytest.mark.parametrize("hostile", [
    "4711' OR '1'='1", "../../etc/passwd", "9" * 300, "4711; DROP TABLE orders;--", "%00", "\u202e4711",
])
async def test_hostile_identifiers_get_the_not_found_reply_and_are_never_echoed(hostile: str) -> None:
    t = tracker(f"wo ist Auftrag {hostile}", "order_status", ANNA,
                entities=[{"entity": "order_number", "value": hostile}])
    dispatcher, _ = await run(status_action(), t)
    joined = str(dispatcher.messages)
    assert "nicht gefunden" in joined or "Ihre offenen" in joined or "Auftrag 4711" in joined
    assert "passwd" not in joined and "DROP" not in joined and "9" * 20 not in joined


async def test_anonymous_is_asked_to_log_in_and_technician_may_see_status() -> None:
    dispatcher, events = await run(status_action(), tracker("wo ist Auftrag 4711?", "order_status"))
    assert "Kundenportal an" in texts(dispatcher)[0] and events == []
    t = tracker("where is order 4711", "order_status", JONAS, language="en",
                entities=[{"entity": "order_number", "value": "4711"}])
    assert texts((await run(status_action(), t))[0])[0].startswith("Order 4711")


async def test_choose_order_by_button_and_by_ordinal_continues_the_status_request() -> None:
    action = ActionChooseOrder(services().orders)
    t = tracker('/choose_order{"order_number":"4711"}', "choose_order", ANNA,
                slots={"orders_choice": "status:4712,4711"}, entities=[{"entity": "order_number", "value": "4711"}])
    dispatcher, events = await run(action, t)
    assert texts(dispatcher)[0].startswith("Auftrag 4711")
    assert {"event": "slot", "name": "orders_choice", "value": None, "timestamp": None} in events
    t = tracker("the second one", "choose_order", ANNA, language="en", slots={"orders_choice": "status:4712,4711"})
    assert texts((await run(action, t))[0])[0].startswith("Order 4711")


def test_parse_choice() -> None:
    assert parse_choice("die zweite bitte", ["1", "2", "3"]) == "2"
    assert parse_choice("the last one", ["1", "2", "3"]) == "3"
    assert parse_choice("die fünfte", ["1", "2"]) is None
    assert parse_choice("egal", []) is None


async def test_status_by_date_expression_and_nothing_that_day_offers_the_nearest() -> None:
    dispatcher, _ = await run(status_action(), tracker("ist die Bestellung vom letzten Montag schon verschickt?",
                                                       "order_status", ANNA))
    assert texts(dispatcher)[0].startswith(f"Auftrag {services().last_monday_order} vom ")
    assert "in Bearbeitung" in texts(dispatcher)[0]
    dispatcher, _ = await run(status_action(), tracker("where is my order from 1 January 2021?",
                                                            "order_status", ANNA, language="en"))
    assert texts(dispatcher)[:2] == ["I could not find such an order in your account.", "Your nearest orders:"]
    assert len(dispatcher.messages[1]["custom"]["buttons"]) == 3


# ---------------------------------------------------------------------------------------- dates as buyers write them

WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def seeded_days():
    """The seed's scenario days for the day the action tests seeded (never assume a weekday)."""
    from assistant import clock
    from assistant.commerce.seed import scenario_days

    return scenario_days(clock.today(services().settings))


async def test_an_unclear_date_is_asked_about_with_the_latest_orders_not_guessed_de() -> None:
    dispatcher, events = await run(status_action(), tracker("Wo ist die Bestellung vom 4/5?", "order_status", ANNA))
    assert texts(dispatcher)[0].startswith("Dieses Datum kann ich nicht eindeutig lesen.")
    assert texts(dispatcher)[1] == "Oder wählen Sie eine Ihrer letzten Bestellungen:"
    assert len(buttons(dispatcher)) == 3 and str(events[0]["value"]).startswith("status:")


async def test_an_unclear_date_is_asked_about_in_english() -> None:
    dispatcher, _ = await run(status_action(), tracker("where is my order from 4/5?", "order_status",
                                                       ANNA, language="en"))
    assert texts(dispatcher)[0].startswith("I can't read that date unambiguously.")
    assert texts(dispatcher)[1] == "Or pick one of your latest orders:"


async def test_an_order_number_needs_no_date_even_when_the_date_is_unclear() -> None:
    t = tracker("Auftrag 4711 vom 4/5", "order_status", ANNA, entities=[{"entity": "order_number", "value": "4711"}])
    assert texts((await run(status_action(), t))[0])[0].startswith("Auftrag 4711 vom ")


async def test_a_weekday_that_contradicts_the_date_is_named_and_the_date_wins_de() -> None:
    day = seeded_days().in_transit
    said = (day.weekday() + 1) % 7
    dispatcher, _ = await run(status_action(), tracker(f"Wo ist die Bestellung vom {WEEKDAYS_DE[said]}, {day:%d.%m.}?",
                                                       "order_status", ANNA))
    assert texts(dispatcher)[0] == (f"Hinweis: Der {day:%d.%m.%Y} ist ein {WEEKDAYS_DE[day.weekday()]}, "
                                    f"kein {WEEKDAYS_DE[said]} – ich habe nach dem Datum gesucht.")
    assert texts(dispatcher)[1].startswith(f"Auftrag 4711 vom {day:%d.%m.%Y}")


async def test_a_weekday_that_contradicts_the_date_is_named_and_the_date_wins_en() -> None:
    day = seeded_days().in_transit
    said = (day.weekday() + 3) % 7
    text = f"where is my order from {WEEKDAYS_EN[said]}, {MONTHS_EN[day.month - 1]} {day.day}?"
    dispatcher, _ = await run(status_action(), tracker(text, "order_status", ANNA, language="en"))
    shown = f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    assert texts(dispatcher)[0] == (f"Note: {shown} is a {WEEKDAYS_EN[day.weekday()]}, not a {WEEKDAYS_EN[said]} – "
                                    "I went by the date.")
    assert texts(dispatcher)[1].startswith(f"Order 4711 of {shown}")


async def test_a_matching_weekday_is_not_remarked_on() -> None:
    day = seeded_days().in_transit
    dispatcher, _ = await run(status_action(), tracker(f"Wo ist die Bestellung vom {WEEKDAYS_DE[day.weekday()]}, "
                                                       f"{day:%d.%m.}?", "order_status", ANNA))
    assert texts(dispatcher)[0].startswith("Auftrag 4711 vom ")


async def test_an_ordinal_day_finds_the_order_of_that_day_de_and_en() -> None:
    day = seeded_days().partial
    dispatcher, _ = await run(status_action(), tracker(f"Status der Bestellung vom {day.day}ten", "order_status",
                                                       ANNA))
    assert texts(dispatcher)[0].startswith(f"Auftrag 4712 vom {day:%d.%m.%Y}")
    suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(day.day, "th")
    dispatcher, _ = await run(status_action(), tracker(f"status of my order on the {day.day}{suffix}",
                                                       "order_status", ANNA, language="en"))
    assert texts(dispatcher)[0].startswith("Order 4712 of ")


async def test_a_year_that_nlu_tagged_as_a_number_is_never_taken_for_an_order_number() -> None:
    """Rasa's number regex tags "2026" in "4/5 2026"; the date is unclear, so the buyer is asked, not told that
    order 2026 does not exist."""
    t = tracker("where is my order from 4/5 2026?", "order_status", ANNA, language="en",
                entities=[{"entity": "order_number", "value": "2026"}])
    assert texts((await run(status_action(), t))[0])[0].startswith("I can't read that date unambiguously.")
