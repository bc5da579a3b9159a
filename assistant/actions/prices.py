"""Prices: logged-in buyers see their own prices, visitors the list price or "price on request"; a price list
for a product family or a list of article numbers.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant import routing
from assistant.actions.base import AssistantAction, Events, Reply, Turn
from assistant.actions.knowledge_turn import KnowledgeDetour
from assistant.actions.orders import entities, in_language, money, user_text
from assistant.catalog.lookup import articles_in
from assistant.commerce.links import LinkSigner
from assistant.commerce.orders import hint_filter
from assistant.commerce.prices import PriceRow, PriceService, price_list_subject_id, sees_account_prices
from assistant.commerce.repository import get_repository
from assistant.settings import get_settings

MAX_ROWS = 15
_BMECAT = re.compile(r"\bbme-?cat\b", re.IGNORECASE)
_SKU = re.compile(r"(?<![\w-])([A-Za-z0-9]{1,5}-[0-9]{3,4}(?:-[0-9A-Za-z]{1,3})?)(?![\w-])")
# Family words that hint_filter reads as name fragments only, or not at all.
_EXTRA_FAMILIES = {
    "o-ring": "seal", "oring": "seal", "o-rings": "seal", "o-ringe": "seal", "dichtungen": "seal",
    "kugelhahn": "valve", "kugelhähne": "valve", "ball": "valve", "magnetventil": "valve",
    "hydraulikkupplungen": "hydraulic_coupling", "hydraulic": "hydraulic_coupling",
    "schneidringverschraubungen": "hydraulic_fitting", "schneidring": "hydraulic_fitting",
    "hygieneverschraubungen": "hygienic_fitting", "hygienic": "hygienic_fitting",
    "steckverschraubungen": "pneumatic_fitting", "push-in": "pneumatic_fitting",
    "antriebstechnik": "drive", "drive": "drive", "zahnriemen": "drive", "timing": "drive",
}


def family_in(text: str) -> str | None:
    for word in re.findall(r"[\wäöüß\-]+", text.lower()):
        if word in _EXTRA_FAMILIES:
            return _EXTRA_FAMILIES[word]
    for word in re.findall(r"[\wäöüß\-]+", text.lower()):
        families, _ = hint_filter(word)
        if len(families) == 1:
            return families[0]
    return None


def price_text(row: PriceRow, reply: Reply, lang: str, logged_in: bool) -> str:
    if row.price_eur is None:
        price = reply.t("orders_prices_on_request")
    else:
        price = f"{money(row.price_eur, lang)} / {row.price_unit}"
        if logged_in and row.is_customer_price:
            price += f" ({reply.t('orders_prices_yours')})"
    return f"- {row.sku} {row.name}: {price}"


class ActionPriceList(KnowledgeDetour, AssistantAction):
    not_found_key = "orders_prices_none"
    invalid_input_key = "orders_prices_ask"

    request_words = routing.PRICE_WORDS  # with these words an article number is a request to this action

    def __init__(self, prices: PriceService | None = None) -> None:
        self._prices = prices

    @property
    def prices(self) -> PriceService:
        return self._prices or PriceService(get_repository())

    def name(self) -> str:
        return "action_price_list"

    @staticmethod
    def catalogue_articles(text: str) -> list[str]:
        """A supplier's own numbers ("12.345.67") have no pattern: they are found by catalogue lookup."""
        return articles_in(text, get_settings().knowledge_dir)

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events:
        text = user_text(tracker)
        identity = in_language(turn.identity, turn.language)
        skus = [s.upper() for s in entities(tracker, "sku")] or [m.upper() for m in _SKU.findall(text)]
        skus = skus or self.catalogue_articles(text)
        family = None if skus else family_in(text)
        account = not skus and not family and bool(_BMECAT.search(text)) and sees_account_prices(turn.identity)
        if not skus and not family and not account:
            page = turn.page.get("sku")
            if isinstance(page, str) and page:
                skus = [page.upper()]
            else:
                reply.key("orders_prices_ask")
                return []
        rows = (self.prices.account_price_list(identity) if account
                else self.prices.price_list(identity, family=family, skus=skus[:50]))
        if not rows:
            reply.key("orders_prices_none")
            return []
        logged_in = sees_account_prices(turn.identity)  # technicians see list prices, like visitors
        head = reply.t("orders_prices_intro" if logged_in else "orders_prices_intro_anonymous")
        lines = [head] + [price_text(r, reply, turn.language, logged_in) for r in rows[:MAX_ROWS]]
        if len(rows) > MAX_ROWS:
            lines.append(reply.t("orders_prices_more", n=len(rows) - MAX_ROWS))
        reply.text("\n".join(lines))
        if logged_in and identity.customer_id:
            subject = price_list_subject_id(family, [] if family or account else [r.sku for r in rows])
            token = LinkSigner().sign(subject, identity.customer_id)
            url = f"{get_settings().public_url.rstrip('/')}/api/pricelists/{token}?lang={turn.language}"
            bmecat = url.replace(f"/api/pricelists/{token}?", f"/api/pricelists/{token}/bmecat?")
            reply.items("documents", [{"title": reply.t("orders_prices_csv"), "kind": "price_list", "url": url},
                                      {"title": reply.t("orders_prices_bmecat"), "kind": "price_list",
                                       "url": bmecat}])
        return []
