"""Prices: buyers see their own prices, visitors list prices; price lists by family or article numbers."""

from __future__ import annotations

from assistant.actions.prices import ActionPriceList, family_in
from tests.actions.helpers import run, texts, tracker
from tests.actions.orders_support import ANNA, services


def action() -> ActionPriceList:
    return ActionPriceList(services().prices)


def test_family_words() -> None:
    assert family_in("Preisliste für Schläuche") == "hose"
    assert family_in("price list hydraulic couplings") == "hydraulic_coupling"
    assert family_in("was kosten die O-Ringe?") == "seal"
    assert family_in("hallo") is None


async def test_buyer_sees_own_price_visitor_sees_list_price() -> None:
    repo = services().repo
    special = repo.customer_prices("K-10001", ["3S-1208"])["3S-1208"]
    listed = repo.get_products(["3S-1208"])["3S-1208"].list_price_eur
    assert special != listed
    t = tracker("was kostet 3S-1208?", "price_list", ANNA, entities=[{"entity": "sku", "value": "3S-1208"}])
    text = texts((await run(action(), t))[0])[0]
    assert f"{special:.2f}".replace(".", ",") + " EUR" in text and "Ihr Preis" in text
    t = tracker("how much is 3S-1208?", "price_list", language="en", entities=[{"entity": "sku", "value": "3S-1208"}])
    text = texts((await run(action(), t))[0])[0]
    assert text.startswith("List prices (net)") and f"EUR {listed:.2f}" in text


async def test_family_price_list_is_capped_and_unknown_articles_are_said() -> None:
    text = texts((await run(action(), tracker("Preisliste Steckverschraubungen", "price_list", ANNA)))[0])[0]
    assert text.startswith("Ihre Preise (netto):")
    assert "weitere" in text.splitlines()[-1]
    t = tracker("Preis für ZZ-9999", "price_list", ANNA)
    assert texts((await run(action(), t))[0])[0] == "Zu diesen Artikelnummern habe ich keine Artikel gefunden."
    t = tracker("Preisliste", "price_list", ANNA)
    assert "Produktfamilie" in texts((await run(action(), t))[0])[0]


async def test_buyer_gets_a_signed_csv_link_visitor_does_not() -> None:
    dispatcher, _ = await run(action(), tracker("Preisliste O-Ringe", "price_list", ANNA))
    documents = [m["custom"] for m in dispatcher.messages if m.get("custom", {}).get("type") == "documents"]
    assert documents and "/api/pricelists/" in documents[0]["items"][0]["url"]
    dispatcher, _ = await run(action(), tracker("price list o-rings", "price_list", language="en"))
    assert not [m for m in dispatcher.messages if m.get("custom", {}).get("type") == "documents"]


async def test_a_technician_sees_list_prices_and_gets_no_price_list_in_both_languages() -> None:
    from tests.actions.orders_support import JONAS

    listed = services().repo.get_products(["3S-1208"])["3S-1208"].list_price_eur
    for language, text, head in (("de", "Preisliste O-Ringe und 3S-1208", "Listenpreise"),
                                 ("en", "price list 3S-1208", "List prices")):
        t = tracker(text, "price_list", JONAS, language=language, entities=[{"entity": "sku", "value": "3S-1208"}])
        dispatcher, _ = await run(action(), t)
        reply = texts(dispatcher)[0]
        assert reply.startswith(head) and ("Ihr Preis" not in reply and "your price" not in reply), reply
        assert f"{listed:.2f}".replace(".", "," if language == "de" else ".") in reply
        assert not [m for m in dispatcher.messages if m.get("custom", {}).get("type") == "documents"]
