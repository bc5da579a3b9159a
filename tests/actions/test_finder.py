"""Product finder actions: only missing parameters are asked, at most five results with facts, comparison."""

from __future__ import annotations

from assistant.actions.finder import (
    ActionAskFinderAnswer,
    ActionCompareProducts,
    ActionFinderResults,
    CsvCatalogue,
    ValidateFinderForm,
    next_question,
)
from assistant.settings import PROJECT_ROOT
from tests.actions.helpers import run, tracker

CATALOGUE = CsvCatalogue(PROJECT_ROOT / "knowledge", "http://testserver")


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def custom(dispatcher) -> list[dict]:
    return [m["custom"] for m in dispatcher.messages]


async def test_a_need_in_free_text_asks_only_what_is_missing_de() -> None:
    t = tracker("Ich suche Steckverschraubungen für Druckluft", "start_finder")
    _, events = await run(ValidateFinderForm(CATALOGUE), t)
    state = slots_of(events)["finder"]
    assert slots_of(events)["requested_slot"] == "finder_answer"
    assert state["next"] == "size"  # family and medium were given: not asked again
    d, _ = await run(ActionAskFinderAnswer(CATALOGUE), tracker("x", "start_finder", slots={"finder": state}))
    message = custom(d)[0]
    assert message["type"] == "buttons" and "Anschluss" in message["text"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert '/inform{"finder_value":"skip"}' in payloads and '/inform{"finder_value":"show"}' in payloads


async def test_answers_accumulate_and_the_finder_stops_when_results_are_narrow_en() -> None:
    state = {"need": "push-in fitting for compressed air", "asked": [], "next": "size"}
    t = tracker("8 mm, stainless steel", "inform", language="en", slots={"finder": state, "finder_answer": "x"})
    _, events = await run(ValidateFinderForm(CATALOGUE), t)
    slots = slots_of(events)
    assert slots["requested_slot"] is None  # done: few enough fitting articles
    d, events = await run(ActionFinderResults(CATALOGUE),
                          tracker("8 mm, stainless steel", "inform", language="en", slots={"finder": slots["finder"]}))
    products = next(m for m in custom(d) if m["type"] == "products")["items"]
    assert 1 <= len(products) <= 5 and all(p["sku"].startswith("3S") and "8 mm" in p["name"] for p in products)
    assert all(any(k.startswith("✓") for k in p["facts"]) for p in products)
    assert "fit the requirements checked (✓ per requirement)" in custom(d)[0]["text"]
    assert any(m["type"] == "documents" for m in custom(d))
    buttons = [b["payload"] for m in custom(d) if m["type"] == "buttons" for b in m["buttons"]]
    assert f'/add_to_rfq{{"sku":"{products[0]["sku"]}"}}' in buttons and "/compare_products" in buttons
    assert slots_of(events)["finder_results"] == [p["sku"] for p in products]


async def test_skip_button_marks_the_parameter_as_asked_and_moves_on() -> None:
    state = {"need": "Schlauch", "asked": [], "next": "medium"}
    t = tracker('/inform{"finder_value":"skip"}', "inform", slots={"finder": state, "finder_answer": "x"},
                entities=[{"entity": "finder_value", "value": "skip"}])
    _, events = await run(ValidateFinderForm(CATALOGUE), t)
    new = slots_of(events)["finder"]
    assert new["asked"] == ["medium"] and new["next"] == "temperature" and new["need"] == "Schlauch"


async def test_nothing_fits_shows_the_closest_with_what_each_misses_de() -> None:
    need = "Steckverschraubung aus Messing bis 300 °C und 500 bar"
    d, _ = await run(ActionFinderResults(CATALOGUE), tracker(need, "inform", slots={"finder": {"need": need}}))
    messages = custom(d)
    assert "Kein Artikel passt zu allen geprüften Angaben" in messages[0]["text"]
    items = messages[1]["items"]
    assert items and all(not p["fits"] for p in items)
    assert any("gefordert: 300 °C" in v for p in items for v in p["facts"].values())


def test_next_question_never_asks_a_given_fact_and_stops_after_three_questions() -> None:
    products = CATALOGUE.products()
    assert next_question("Schlauch für Dampf", [], products) not in ("family", "medium")
    assert next_question("Schlauch", ["medium", "temperature", "pressure"], products) is None
    assert next_question("", [], products) == "family"


async def test_compare_two_articles_side_by_side_en() -> None:
    t = tracker("compare 3S-1208 and 3SX-1208", "compare_products", language="en")
    d, _ = await run(ActionCompareProducts(CATALOGUE), t)
    table = custom(d)[0]["text"]
    assert "Comparison 3S-1208 | 3SX-1208" in table and "Max. pressure" in table and "Material" in table
    items = custom(d)[1]["items"]
    assert [i["sku"] for i in items] == ["3S-1208", "3SX-1208"] and items[0]["facts"].keys() == items[1]["facts"].keys()


async def test_compare_uses_the_last_results_and_needs_two_de() -> None:
    t = tracker("vergleichen", "compare_products", slots={"finder_results": ["3S-1208", "3SX-1208", "3SC-0604"]})
    d, _ = await run(ActionCompareProducts(CATALOGUE), t)
    assert "Vergleich 3S-1208 | 3SX-1208 | 3SC-0604" in custom(d)[0]["text"]
    d, _ = await run(ActionCompareProducts(CATALOGUE), tracker("vergleichen", "compare_products"))
    assert "zwei oder drei Artikel" in custom(d)[0]["text"]


async def test_cancel_during_the_finder_is_left_to_the_cancel_rule() -> None:
    state = {"need": "Schlauch", "asked": [], "next": "medium"}
    _, events = await run(ValidateFinderForm(CATALOGUE), tracker("abbrechen", "cancel", slots={"finder": state}))
    assert events == []
